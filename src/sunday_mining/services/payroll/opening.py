"""Opening a session's payroll: its first draft, and fresh times after a reopen."""

from __future__ import annotations

from dataclasses import replace

from sunday_mining.domain.errors import ConditionFailed, StateConflict
from sunday_mining.domain.ids import new_id
from sunday_mining.domain.payroll import (
    ORG_PAYEE_ID,
    Percentage,
)
from sunday_mining.domain.presence import Participant as SummaryParticipant
from sunday_mining.domain.session import PayrollState, Session, SessionStatus
from sunday_mining.ports.store import (
    And,
    AttrAbsent,
    Compare,
    ItemAbsent,
    TxOp,
    TxPut,
    TxUpdate,
    Update,
    eq,
)
from sunday_mining.services import keys
from sunday_mining.services.payroll.base import PayrollBase
from sunday_mining.services.payroll.codec import version_to_item
from sunday_mining.services.payroll.model import Member, PayrollHead, PayrollStatus, PayrollVersion


class PayrollOpening(PayrollBase):
    """Open a draft, create one once, reload credited time."""

    def open(self, guild_id: str, session_id: str, user_id: str) -> PayrollVersion:
        """The session's open draft (created now if none), or its final version."""
        session = self._sessions.get(guild_id, session_id)
        if session.is_active:
            raise StateConflict(
                f"'{session.name}' is still running; stop it with /mining stop before payroll."
            )
        head = self.head(guild_id, session_id)
        if head.draft_id:
            return self._fresh_times(self.get(guild_id, head.draft_id), session, user_id)
        if head.final_id:
            return self.get(guild_id, head.final_id)
        return self._create(session, head, user_id)

    def _create(self, session: Session, head: PayrollHead, user_id: str) -> PayrollVersion:
        if session.payroll_state is PayrollState.FINAL:
            raise StateConflict(f"'{session.name}' already has a final payroll.")
        now = self._clock.now_ms()
        config = self._guilds.get(session.guild_id)
        settings = config.settings
        summary = self._summaries.summary_of(session)
        members = tuple(_fresh_member(p) for p in summary.participants)
        cuts: tuple[Percentage, ...] = ()
        if settings.org_cut_bp > 0:
            cuts = (Percentage("Org cut", ORG_PAYEE_ID, settings.org_cut_bp),)
        draft = PayrollVersion(
            guild_id=session.guild_id,
            payroll_id=new_id(now),
            session_id=session.session_id,
            session_name=session.name,
            session_type=session.type,
            session_creator=session.creator_id,
            session_version=session.version + 1,
            number=len(head.version_ids) + 1,
            status=PayrollStatus.DRAFT,
            rev=0,
            created_by=user_id,
            created_ms=now,
            updated_by=user_id,
            updated_ms=now,
            donation_policy=settings.donation_policy,
            transfer_fee_bp=settings.transfer_fee_bp,
            minimum_s=settings.minimum_participation_s,
            members=members,
            percentages=cuts,
        )
        session_condition = And(
            eq("version", session.version),
            eq("status", SessionStatus.STOPPED.value),
            Compare("payroll_state", "<>", PayrollState.FINAL.value),
        )
        ops: list[TxOp] = [
            TxPut(version_to_item(draft), ItemAbsent()),
            self._head_op(draft, And(AttrAbsent("draft_id"), AttrAbsent("final_id"))),
            TxUpdate(
                keys.session_key(session.guild_id, session.session_id),
                Update(set={"payroll_state": PayrollState.DRAFT.value}, add={"version": 1}),
                session_condition,
            ),
            self._audit_op(draft, user_id, "draft", f"started draft v{draft.number}"),
        ]
        try:
            self._store.transact(ops)
        except ConditionFailed:
            # Another officer opened it at the same moment: continue with their draft.
            raced = self.head(session.guild_id, session.session_id)
            if raced.draft_id:
                return self.get(session.guild_id, raced.draft_id)
            raise StateConflict(
                f"'{session.name}' changed while the payroll was being opened; try again."
            ) from None
        return draft

    def _fresh_times(self, draft: PayrollVersion, session: Session, user_id: str) -> PayrollVersion:
        """Reload credited time if the session was reopened and stopped since the draft began."""
        if draft.session_version == session.version or draft.supersedes is not None:
            return draft
        summary = self._summaries.summary_of(session)
        old = {m.user_id: m for m in draft.members}
        members = []
        for p in summary.participants:
            kept = old.get(p.user_id)
            if kept is not None and (kept.decided_by is not None or kept.added_by_hand):
                # Keep what the officer decided; only the measured time changes.
                member = replace(
                    kept,
                    credited_s=p.credited_seconds,
                    below_minimum=p.below_minimum,
                    gap_affected=p.gap_affected,
                )
                if kept.added_by_hand:
                    # Added by hand, then found in voice after all: the time the officer gave
                    # them was their whole time, so the measured time counts toward it.
                    given = kept.seconds if kept.adjust_s else 0
                    member = replace(
                        member,
                        adjust_s=max(0, given - p.credited_seconds),
                        added_by=None,
                        added_ms=None,
                    )
                members.append(member)
            else:
                members.append(_fresh_member(p))
        # Members added by hand were not in voice: the new times don't list them, keep them.
        measured = {p.user_id for p in summary.participants}
        members += [m for m in draft.members if m.added_by_hand and m.user_id not in measured]
        updated = replace(draft, members=tuple(members), session_version=session.version)
        return self._save(draft, updated, user_id, "times", "reloaded credited time")


def _fresh_member(p: SummaryParticipant) -> Member:
    # Below the guild's minimum: listed, not paid, unless an officer includes them.
    return Member(
        p.user_id, p.credited_seconds, p.below_minimum, p.gap_affected, not p.below_minimum
    )
