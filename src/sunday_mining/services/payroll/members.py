"""Editing a draft's members: included, donors, multipliers and time adjustments."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from sunday_mining.domain.errors import ValidationError
from sunday_mining.domain.payroll import (
    MAX_MULTIPLIER_MILLI,
    MILLI,
)
from sunday_mining.services.payroll.base import PayrollBase
from sunday_mining.services.payroll.model import Member, PayrollVersion
from sunday_mining.services.payroll.rules import MAX_ADJUST_S, MAX_REASON
from sunday_mining.services.payroll.text import duration


class MemberEdits(PayrollBase):
    """Officer decisions on members, each saved with who and when."""

    def set_included(
        self,
        guild_id: str,
        draft_id: str,
        user_id: str,
        shown: Sequence[str],
        chosen: Iterable[str],
    ) -> PayrollVersion:
        """Of the members ``shown`` (one page), exactly ``chosen`` are paid."""
        return self._set_flag(guild_id, draft_id, user_id, shown, chosen, "included")

    def set_donors(
        self,
        guild_id: str,
        draft_id: str,
        user_id: str,
        shown: Sequence[str],
        chosen: Iterable[str],
    ) -> PayrollVersion:
        """Of the members ``shown`` (one page), exactly ``chosen`` donate their time share."""
        return self._set_flag(guild_id, draft_id, user_id, shown, chosen, "donates")

    def _set_flag(
        self,
        guild_id: str,
        draft_id: str,
        user_id: str,
        shown: Sequence[str],
        chosen: Iterable[str],
        flag: str,
    ) -> PayrollVersion:
        picked = set(chosen)
        if not picked <= set(shown):
            raise ValidationError("Pick members from the list shown; it may be out of date.")
        now = self._clock.now_ms()
        changes: list[str] = []

        draft = self.draft(guild_id, draft_id)
        for uid in shown:
            draft.member(uid)  # every member the page showed must be a participant
        members = []
        for member in draft.members:
            value = member.user_id in picked
            if member.user_id not in shown or getattr(member, flag) == value:
                members.append(member)
                continue
            decided = replace(member, decided_by=user_id, decided_ms=now)
            flagged = (
                replace(decided, included=value)
                if flag == "included"
                else replace(decided, donates=value)
            )
            changes.append(f"{_flag_word(flag, value)} <@{member.user_id}>")
            members.append(flagged)
        if not changes:
            return draft
        updated = replace(draft, members=tuple(members))
        return self._save(draft, updated, user_id, flag, "; ".join(changes))

    def adjust_member(
        self,
        guild_id: str,
        draft_id: str,
        user_id: str,
        member_id: str,
        *,
        multiplier_milli: int,
        adjust_s: int,
        reason: str,
    ) -> PayrollVersion:
        reason = " ".join(reason.split())
        if not 0 <= multiplier_milli <= MAX_MULTIPLIER_MILLI:
            raise ValidationError("A multiplier must be between 0 and 10, e.g. 1.5.")
        if abs(adjust_s) > MAX_ADJUST_S:
            raise ValidationError("A time adjustment can be at most 24 hours either way.")
        if adjust_s and not reason:
            raise ValidationError("Say why the time changes: fill in the reason.")
        if len(reason) > MAX_REASON:
            raise ValidationError(f"Keep the reason to {MAX_REASON} characters.")
        now = self._clock.now_ms()

        def change(draft: PayrollVersion) -> PayrollVersion:
            member = draft.member(member_id)
            if member.credited_s + adjust_s < 0:
                raise ValidationError(
                    f"<@{member_id}> has {duration(member.credited_s)} of credited time; an "
                    f"adjustment of {duration(adjust_s)} would go below zero."
                )
            edited = replace(
                member,
                multiplier_milli=multiplier_milli,
                adjust_s=adjust_s,
                reason=reason if adjust_s else "",
                decided_by=user_id,
                decided_ms=now,
            )
            return replace(draft, members=_replace_member(draft.members, edited))

        def detail(draft: PayrollVersion) -> str:
            multiplier = f"{multiplier_milli / MILLI:g}"
            said = f"<@{member_id}>: multiplier x{multiplier}, time {duration(adjust_s)}"
            return said + (f" ({reason})" if adjust_s else "")

        return self._edit(guild_id, draft_id, user_id, change, "member", detail)


def _flag_word(flag: str, value: bool) -> str:
    if flag == "included":
        return "included" if value else "excluded"
    return "donor" if value else "not donor"


def _replace_member(members: tuple[Member, ...], edited: Member) -> tuple[Member, ...]:
    return tuple(edited if m.user_id == edited.user_id else m for m in members)
