"""What a member has asked the bot not to tell them by direct message.

Two switches, both on until the member turns them off in ``/mining me``: payout notices (their
line when a payroll becomes final or an amendment changes it) and refinery notices (a job of
theirs is ready to collect). An item per member that changed anything: pk ``G#<guild>#MEMBER``,
sk ``PREFS#<user>``, ``payout_dms`` and ``refinery_dms`` as booleans. A member with no item has
both on. Only the member sets their own; nobody else may turn a member's messages off.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sunday_mining.domain.clock import Clock
from sunday_mining.ports.store import Item, Store
from sunday_mining.services import keys


@dataclass(frozen=True)
class Prefs:
    payout_dms: bool = True
    refinery_dms: bool = True


class MemberPrefs:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def get(self, guild_id: str, user_id: str) -> Prefs:
        item = self._store.get(keys.prefs_key(guild_id, user_id))
        if item is None:
            return Prefs()
        return Prefs(
            payout_dms=bool(item.get("payout_dms", True)),
            refinery_dms=bool(item.get("refinery_dms", True)),
        )

    def set(
        self,
        guild_id: str,
        user_id: str,
        *,
        payout_dms: bool | None = None,
        refinery_dms: bool | None = None,
    ) -> Prefs:
        """Change the given switches (None leaves one as it is); returns the member's prefs."""
        prefs = self.get(guild_id, user_id)
        if payout_dms is not None:
            prefs = replace(prefs, payout_dms=payout_dms)
        if refinery_dms is not None:
            prefs = replace(prefs, refinery_dms=refinery_dms)
        pk, sk = keys.prefs_key(guild_id, user_id)
        item: Item = {
            "pk": pk,
            "sk": sk,
            "payout_dms": prefs.payout_dms,
            "refinery_dms": prefs.refinery_dms,
            "set_ms": self._clock.now_ms(),
        }
        self._store.put(item)
        return prefs
