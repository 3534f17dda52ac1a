"""What every part of the payroll service shares: its ports, reading a version, saving one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sunday_mining.domain.clock import Clock
from sunday_mining.domain.errors import ConditionFailed, NotFound, StateConflict
from sunday_mining.domain.ids import is_id
from sunday_mining.ports.store import (
    And,
    Condition,
    ItemAbsent,
    Store,
    TxPut,
    TxUpdate,
    Update,
    eq,
)
from sunday_mining.services import keys
from sunday_mining.services.guilds import GuildService
from sunday_mining.services.payroll.codec import (
    AUDIT_PREFIX,
    head_from_item,
    head_key,
    version_from_item,
    version_key,
    version_to_item,
)
from sunday_mining.services.payroll.model import PayrollHead, PayrollStatus, PayrollVersion
from sunday_mining.services.prices import PriceService
from sunday_mining.services.sessions import SessionService
from sunday_mining.services.summary import SummaryService


class PayrollBase:
    """The ports, reading a version or a head, and the conditional writes every part shares."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        guilds: GuildService,
        sessions: SessionService,
        summaries: SummaryService,
        prices: PriceService,
    ) -> None:
        self._store = store
        self._clock = clock
        self._guilds = guilds
        self._sessions = sessions
        self._summaries = summaries
        self._prices = prices

    # --- reading ------------------------------------------------------------------------------

    def get(self, guild_id: str, payroll_id: str) -> PayrollVersion:
        # The id comes from a custom_id a user could edit: check its shape before using it.
        if not is_id(payroll_id):
            raise NotFound("I can't find that payroll; run /mining payroll again.")
        item = self._store.get(version_key(guild_id, payroll_id))
        if item is None:
            raise NotFound("I can't find that payroll in this server; run /mining payroll again.")
        return version_from_item(item)

    def draft(self, guild_id: str, payroll_id: str) -> PayrollVersion:
        """The version, which must still be a draft (a stale button gets a polite refusal)."""
        version = self.get(guild_id, payroll_id)
        if version.status is PayrollStatus.FINAL:
            raise StateConflict(
                f"Version {version.number} of '{version.session_name}' was finalized by "
                f"<@{version.finalized_by}> and can't change; run /mining payroll to mark "
                "payments or amend it."
            )
        if version.status is PayrollStatus.SUPERSEDED:
            raise StateConflict(
                f"Version {version.number} of '{version.session_name}' has been replaced by a "
                "newer one; run /mining payroll to see the current payroll."
            )
        return version

    def head(self, guild_id: str, session_id: str) -> PayrollHead:
        return head_from_item(session_id, self._store.get(head_key(guild_id, session_id)))

    # --- writing ------------------------------------------------------------------------------

    def _head_op(self, draft: PayrollVersion, condition: Condition) -> TxUpdate:
        fields: dict[str, Any] = {"draft_id": draft.payroll_id, "session_id": draft.session_id}
        if draft.supersedes is None:
            # The pick list shows participant counts; this one is known now for free.
            fields["participants"] = len(draft.members)
            fields["participants_version"] = draft.session_version
        return TxUpdate(
            head_key(draft.guild_id, draft.session_id),
            Update(set=fields, append={"version_ids": [draft.payroll_id]}),
            condition,
        )

    def _edit(
        self,
        guild_id: str,
        draft_id: str,
        user_id: str,
        change: Callable[[PayrollVersion], PayrollVersion],
        action: str,
        detail: Callable[[PayrollVersion], str] | str,
    ) -> PayrollVersion:
        draft = self.draft(guild_id, draft_id)
        updated = change(draft)  # raises ValidationError: nothing is written
        said = detail(draft) if callable(detail) else detail
        return self._save(draft, updated, user_id, action, said)

    def _save(
        self, before: PayrollVersion, after: PayrollVersion, user_id: str, action: str, detail: str
    ) -> PayrollVersion:
        now = self._clock.now_ms()
        saved = replace(after, rev=before.rev + 1, updated_by=user_id, updated_ms=now)
        condition = And(eq("status", PayrollStatus.DRAFT.value), eq("rev", before.rev))
        try:
            self._store.transact(
                [
                    TxPut(version_to_item(saved), condition),
                    self._audit_op(saved, user_id, action, detail),
                ]
            )
        except ConditionFailed:
            raise StateConflict(
                "Someone changed this payroll at the same moment, so your change was not saved; "
                "look at it again and retry."
            ) from None
        return saved

    def _audit_op(self, version: PayrollVersion, user_id: str, action: str, detail: str) -> TxPut:
        now = self._clock.now_ms()
        return TxPut(
            {
                "pk": keys.guild_pk(version.guild_id),
                # Every audited write moves the version to a new revision, so (id, revision)
                # is unique and orders entries written in the same millisecond.
                "sk": f"{AUDIT_PREFIX}{now:013d}#{version.payroll_id}#{version.rev:06d}",
                "at_ms": now,
                "by": user_id,
                "action": action,
                "payroll_id": version.payroll_id,
                "session_id": version.session_id,
                "detail": detail[:1000],
            },
            ItemAbsent(),
        )
