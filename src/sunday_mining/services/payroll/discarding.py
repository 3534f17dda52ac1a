"""Discarding a draft: the session goes back to where it was before the draft was opened."""

from __future__ import annotations

from dataclasses import replace

from sunday_mining.domain.errors import ConditionFailed, NotFound, StateConflict
from sunday_mining.domain.session import PayrollState
from sunday_mining.ports.store import (
    And,
    TxDelete,
    TxOp,
    TxUpdate,
    Update,
    eq,
)
from sunday_mining.services import keys
from sunday_mining.services.payroll.base import PayrollBase
from sunday_mining.services.payroll.codec import head_key, version_key
from sunday_mining.services.payroll.model import PayrollStatus, PayrollVersion


class Discarding(PayrollBase):
    """Delete a draft, once, and only a draft: a final payroll is changed by amending it."""

    def discard(
        self, guild_id: str, draft_id: str, user_id: str, *, expected_rev: int
    ) -> PayrollVersion:
        """Delete the draft the officer confirmed (at ``expected_rev``) and undo what opening
        it did: the head forgets it, and a first draft returns the session's payroll state to
        none. An amendment's final version stays as it is. Returns the deleted draft."""
        draft = self.draft(guild_id, draft_id)
        if draft.rev != expected_rev:
            raise StateConflict(
                f"<@{draft.updated_by}> changed this draft after you asked to discard it; look "
                "at it again, then discard."
            )
        try:
            self._store.transact(self._discard_ops(draft, user_id))
        except ConditionFailed:
            raise self._discard_conflict(guild_id, draft_id) from None
        return draft

    def _discard_ops(self, draft: PayrollVersion, user_id: str) -> list[TxOp]:
        guild = draft.guild_id
        head = self.head(guild, draft.session_id)
        ops: list[TxOp] = [
            # The same condition finalize() writes under: whichever commits first wins.
            TxDelete(
                version_key(guild, draft.payroll_id),
                And(eq("status", PayrollStatus.DRAFT.value), eq("rev", draft.rev)),
            ),
            TxUpdate(
                head_key(guild, draft.session_id),
                Update(
                    set={"version_ids": [v for v in head.version_ids if v != draft.payroll_id]},
                    remove=("draft_id",),
                ),
                # While this draft is open nothing else appends a version, so the list read
                # above is still the list.
                eq("draft_id", draft.payroll_id),
            ),
        ]
        if draft.supersedes is None:
            # Opening the first draft set the session's payroll state to draft; put it back.
            # The version still moves forward: session writes are conditioned on it, so one
            # that read the draft state must not write it back.
            ops.append(
                TxUpdate(
                    keys.session_key(guild, draft.session_id),
                    Update(set={"payroll_state": PayrollState.NONE.value}, add={"version": 1}),
                    eq("payroll_state", PayrollState.DRAFT.value),
                )
            )
        what = f"discarded draft v{draft.number}"
        if draft.supersedes:
            what += f" (an amendment of {draft.supersedes}, which stays final)"
        # The entry's revision is one past the draft's last edit, so the two never share a key.
        ops.append(self._audit_op(replace(draft, rev=draft.rev + 1), user_id, "discard", what))
        return ops

    def _discard_conflict(self, guild_id: str, draft_id: str) -> StateConflict:
        try:
            now = self.get(guild_id, draft_id)
        except NotFound:
            return StateConflict("This draft was discarded a moment ago; run /mining payroll.")
        if now.status is PayrollStatus.FINAL:
            return StateConflict(
                f"<@{now.finalized_by}> finalized this payroll a moment ago, so it was not "
                "discarded; amend it instead."
            )
        return StateConflict(
            "Someone changed this draft at the same moment, so it was not discarded; look at "
            "it again and retry."
        )
