"""Preview, finalize once, and amend a final payroll with a new draft."""

from __future__ import annotations

from dataclasses import replace

from sunday_mining.domain.errors import ConditionFailed, NotFound, StateConflict, ValidationError
from sunday_mining.domain.ids import new_id
from sunday_mining.domain.payroll import (
    PayrollResult,
    compute,
)
from sunday_mining.domain.prices import format_auec
from sunday_mining.domain.session import PayrollState, SessionStatus
from sunday_mining.domain.wording import counted
from sunday_mining.ports.store import (
    And,
    AttrAbsent,
    ItemAbsent,
    TxCheck,
    TxOp,
    TxPut,
    TxUpdate,
    Update,
    eq,
)
from sunday_mining.services import keys
from sunday_mining.services.payroll.codec import head_key, version_key, version_to_item
from sunday_mining.services.payroll.model import (
    PaidMark,
    PayrollStatus,
    PayrollVersion,
    PriorPayment,
    SentBefore,
)
from sunday_mining.services.payroll.payments import Payments, carry_payments, paid_so_far
from sunday_mining.services.payroll.settling import (
    Preview,
    payee_marks,
    preview,
    sent_before_of,
    settle,
    settlement_of,
    stored,
    uses_plan,
)

_ATTEMPTS = 3


class Finalizing(Payments):
    """The version states: draft to final, final to superseded."""

    def result_of(self, version: PayrollVersion) -> PayrollResult:
        """What compute() makes of a draft just read, for its preview (a final version: what
        it stored)."""
        return self.preview_of(version).result

    def preview_of(self, version: PayrollVersion) -> Preview:
        """A draft's payroll and, with several sellers, its settlement plan (or why there is
        none yet); a final version's stored payroll and plan."""
        if version.result is not None:
            return Preview(version.result, settlement_of(version))
        if not version.income:
            raise ValidationError("Enter the haul first: pick ores, paste a list or a sale total.")
        return preview(version, self._treasurer(version.guild_id))

    def _treasurer(self, guild_id: str) -> str | None:
        return self._guilds.get(guild_id).settings.treasurer_id

    def finalize(
        self, guild_id: str, draft_id: str, user_id: str, *, expected_rev: int
    ) -> PayrollVersion:
        """Make the previewed draft final, once: conditions on the draft's revision and status,
        the head and the session make a second click, a second tab or a race a refusal.

        An amendment takes over the paid marks of the version it replaces for every payee whose
        payout did not change, and keeps what the others were paid as paid before. Paid by a
        plan, it plans only what is still missing after what moved under the versions it
        replaces, and keeps those moves as its history."""
        for _ in range(_ATTEMPTS):
            draft = self.draft(guild_id, draft_id)
            if draft.rev != expected_rev:
                raise StateConflict(
                    f"<@{draft.updated_by}> changed this payroll after the preview you "
                    "confirmed; check the new preview, then finalize."
                )
            if not draft.income:
                raise ValidationError(
                    "Enter the haul first: pick ores, paste a list or a sale total."
                )
            replaced = self.get(guild_id, draft.supersedes) if draft.supersedes else None
            paid: dict[str, PaidMark] = {}
            paid_before: dict[str, PriorPayment] = {}
            settlement = None
            if uses_plan(draft):
                before = self._sent_before(replaced) if replaced is not None else ()
                # Refused with the reason (no treasurer, an unclaimed expense): nothing written.
                settled = settle(draft, self._treasurer(guild_id), before)
                result = settled.payroll
                settlement = stored(settled.plan, before)
            else:
                result = compute(draft.to_input())  # refused with the reason: nothing written
                if replaced is not None:
                    so_far = paid_so_far(replaced, self.prior_payments(replaced))
                    paid, paid_before = carry_payments(so_far, result)
            now = self._clock.now_ms()
            final = replace(
                draft,
                status=PayrollStatus.FINAL,
                rev=draft.rev + 1,
                finalized_by=user_id,
                finalized_ms=now,
                updated_by=user_id,
                updated_ms=now,
                result=result,
                paid=paid,
                paid_before=paid_before,
                settlement=settlement,
            )
            if settlement is not None:
                final = replace(final, paid=payee_marks(final))
            try:
                self._store.transact(self._finalize_ops(draft, final, user_id, result, replaced))
            except ConditionFailed:
                if replaced is not None and self._payments_moved(replaced):
                    continue  # someone marked a payment on the replaced version: carry it too
                raise self._finalize_conflict(guild_id, draft_id) from None
            return final
        raise StateConflict("Payments are being marked on this payroll right now; try again.")

    def _sent_before(self, replaced: PayrollVersion) -> tuple[SentBefore, ...]:
        if replaced.settlement is not None:
            return sent_before_of(replaced, {})
        return sent_before_of(replaced, paid_so_far(replaced, self.prior_payments(replaced)))

    def _payments_moved(self, replaced: PayrollVersion) -> bool:
        now = self.get(replaced.guild_id, replaced.payroll_id)
        return now.status is PayrollStatus.FINAL and now.rev != replaced.rev

    def _finalize_ops(
        self,
        draft: PayrollVersion,
        final: PayrollVersion,
        user_id: str,
        result: PayrollResult,
        replaced: PayrollVersion | None,
    ) -> list[TxOp]:
        guild, session_key = draft.guild_id, keys.session_key(draft.guild_id, draft.session_id)
        ops: list[TxOp] = [
            TxPut(
                version_to_item(final),
                And(eq("status", PayrollStatus.DRAFT.value), eq("rev", draft.rev)),
            ),
            TxUpdate(
                head_key(guild, draft.session_id),
                Update(set={"final_id": final.payroll_id}, remove=("draft_id",)),
                eq("draft_id", draft.payroll_id),
            ),
        ]
        if replaced is None:
            ops.append(
                TxUpdate(
                    session_key,
                    Update(set={"payroll_state": PayrollState.FINAL.value}, add={"version": 1}),
                    And(
                        eq("version", draft.session_version),
                        eq("status", SessionStatus.STOPPED.value),
                    ),
                )
            )
        else:
            ops.append(
                TxUpdate(
                    version_key(guild, replaced.payroll_id),
                    Update(
                        set={
                            "status": PayrollStatus.SUPERSEDED.value,
                            "superseded_by": final.payroll_id,
                        },
                        add={"rev": 1},
                    ),
                    # At the revision whose paid marks were carried over, no other.
                    And(eq("status", PayrollStatus.FINAL.value), eq("rev", replaced.rev)),
                )
            )
            ops.append(TxCheck(session_key, eq("payroll_state", PayrollState.FINAL.value)))
        said = f"finalized v{final.number}: gross {format_auec(result.gross)}"
        if replaced is not None:
            said += f", superseding {replaced.payroll_id}"
            if final.settlement is not None and final.settlement.sent_before:
                moved = final.settlement.sent_before
                said += (
                    f"; counted {counted(len(moved), 'transfer')} sent under earlier versions "
                    f"({format_auec(sum(x.transfer.amount_received for x in moved))})"
                )
            elif final.paid and final.settlement is None:
                kept = counted(len(final.paid), "paid mark")
                said += f"; kept {kept} whose amount did not change"
        ops.append(self._audit_op(final, user_id, "finalize", said))
        return ops

    def _finalize_conflict(self, guild_id: str, draft_id: str) -> StateConflict:
        try:
            now = self.get(guild_id, draft_id)
        except NotFound:
            return StateConflict("This draft was discarded a moment ago; run /mining payroll.")
        if now.status is PayrollStatus.FINAL:
            return StateConflict(
                f"<@{now.finalized_by}> finalized this payroll a moment ago; it is final once."
            )
        if now.is_draft:
            session = self._sessions.get(guild_id, now.session_id)
            if session.is_active or session.version != now.session_version:
                return StateConflict(
                    f"'{session.name}' was reopened or changed since this draft began; run "
                    "/mining payroll again to reload its times, then finalize."
                )
            return StateConflict(
                "Someone changed this payroll while you finalized; check the preview again."
            )
        return StateConflict("This payroll was replaced meanwhile; run /mining payroll again.")

    # --- amend ------------------------------------------------------------------------------

    def amend(self, guild_id: str, final_id: str, user_id: str) -> PayrollVersion:
        """A new draft prefilled from the final version; finalizing it supersedes that one."""
        final = self.get(guild_id, final_id)
        if final.status is not PayrollStatus.FINAL:
            raise StateConflict("Only the current final payroll can be amended.")
        head = self.head(guild_id, final.session_id)
        if head.draft_id:
            return self.get(guild_id, head.draft_id)  # an amendment is already open
        now = self._clock.now_ms()
        draft = replace(
            final,
            payroll_id=new_id(now),
            number=len(head.version_ids) + 1,
            status=PayrollStatus.DRAFT,
            rev=0,
            created_by=user_id,
            created_ms=now,
            updated_by=user_id,
            updated_ms=now,
            supersedes=final.payroll_id,
            superseded_by=None,
            finalized_by=None,
            finalized_ms=None,
            result=None,
            paid={},
            paid_before={},
            settlement=None,
        )
        ops: list[TxOp] = [
            TxPut(version_to_item(draft), ItemAbsent()),
            self._head_op(draft, And(AttrAbsent("draft_id"), eq("final_id", final_id))),
            self._audit_op(draft, user_id, "amend", f"started amendment v{draft.number}"),
        ]
        try:
            self._store.transact(ops)
        except ConditionFailed:
            raced = self.head(guild_id, final.session_id)
            if raced.draft_id:
                return self.get(guild_id, raced.draft_id)
            raise StateConflict(
                "The payroll changed meanwhile; run /mining payroll again."
            ) from None
        return draft
