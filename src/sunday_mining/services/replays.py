"""Each interaction is processed once.

A signed request stays valid for the whole signature window (five minutes back, one ahead;
web/signature.py): a copy posted again inside it verifies like the original, and a replayed
``/mining start`` would start another op after the first was stopped. So the first arrival
of an interaction id writes a marker, conditionally; a later one finds it and does nothing.
The marker outlives the window, then the table's time to live deletes it. A request that
failed (the store was busy, the input was refused) gives its marker back, so that a copy of it
is simply tried again, as it would be had it never arrived.
"""

from __future__ import annotations

import contextlib

from sunday_mining.domain.clock import Clock
from sunday_mining.domain.errors import ConditionFailed, DomainError
from sunday_mining.ports.store import ItemAbsent, Key, Store
from sunday_mining.services import keys

MARKER_TTL_S = 15 * 60  # the signature window is 6 minutes wide; Discord's tokens live 15


def seen_key(guild_id: str, interaction_id: str) -> Key:
    # A partition of its own: one small item per interaction, never read in a query.
    return f"{keys.guild_pk(guild_id)}#SEEN", interaction_id


class SeenInteractions:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def first_time(self, guild_id: str, interaction_id: str) -> bool:
        """Whether this is the first arrival of ``interaction_id``; marks it seen either way."""
        pk, sk = seen_key(guild_id, interaction_id)
        ttl = self._clock.now_ms() // 1000 + MARKER_TTL_S
        try:
            self._store.put({"pk": pk, "sk": sk, "ttl": ttl}, condition=ItemAbsent())
        except ConditionFailed:
            return False
        return True

    def forget(self, guild_id: str, interaction_id: str) -> None:
        """Give the marker back (best effort: at worst a copy is refused until it expires)."""
        with contextlib.suppress(DomainError):
            self._store.delete(seen_key(guild_id, interaction_id))
