"""Editing a draft's members: included, donors, multipliers and time adjustments."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace

from sunday_mining.domain.errors import ValidationError
from sunday_mining.domain.ids import is_snowflake
from sunday_mining.domain.payroll import (
    MAX_MULTIPLIER_MILLI,
    MILLI,
)
from sunday_mining.services.payroll.base import PayrollBase
from sunday_mining.services.payroll.model import AddedMembers, Member, PayrollVersion
from sunday_mining.services.payroll.rules import (
    MAX_ADDED_MEMBERS,
    MAX_ADJUST_S,
    MAX_PICKED,
    MAX_REASON,
)
from sunday_mining.services.payroll.text import duration, mentions


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

    def add_members(
        self,
        guild_id: str,
        draft_id: str,
        user_id: str,
        picked: Sequence[str],
        *,
        bots: Collection[str] = (),
    ) -> AddedMembers:
        """Add members who mined but were not in voice: 0 credited seconds, paid, marked as
        added by ``user_id``; the officer then gives them time with an adjustment. Bots and
        members already listed are skipped; if nobody is left, nothing is written."""
        chosen = list(dict.fromkeys(picked))
        if not chosen:
            raise ValidationError("Pick at least one member to add.")
        if len(chosen) > MAX_PICKED:
            raise ValidationError(f"Add at most {MAX_PICKED} members at a time.")
        if not all(is_snowflake(u) for u in chosen):
            raise ValidationError("Pick the members from the member list.")
        draft = self.draft(guild_id, draft_id)
        listed = {m.user_id for m in draft.members}
        bot_ids = tuple(u for u in chosen if u in bots)
        already = tuple(u for u in chosen if u not in bots and u in listed)
        new = [u for u in chosen if u not in bots and u not in listed]
        if not new:
            raise ValidationError(_nobody_added(bot_ids, already))
        room = MAX_ADDED_MEMBERS - draft.added_by_hand
        if len(new) > room:
            raise ValidationError(
                f"A payroll holds at most {MAX_ADDED_MEMBERS} members added by hand; it is full."
                if room <= 0
                else f"A payroll holds at most {MAX_ADDED_MEMBERS} members added by hand, so "
                f"{room} more can be added; pick fewer."
            )
        now = self._clock.now_ms()
        added = tuple(_added_member(u, user_id, now) for u in new)
        updated = replace(draft, members=draft.members + added)
        detail = f"added by hand (not in voice): {mentions(new)}"
        saved = self._save(draft, updated, user_id, "add", detail)
        return AddedMembers(saved, tuple(new), already, bot_ids)

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


def _added_member(user_id: str, by: str, at_ms: int) -> Member:
    # No credited time, so no share until the officer adjusts their time; paid from then on.
    return Member(
        user_id,
        credited_s=0,
        below_minimum=False,
        gap_affected=False,
        included=True,
        decided_by=by,
        decided_ms=at_ms,
        added_by=by,
        added_ms=at_ms,
    )


def _nobody_added(bots: Sequence[str], already: Sequence[str]) -> str:
    if bots and already:
        return "Nothing was added: bots are never paid and the others are already listed."
    if bots:
        return "Bots are never paid; pick the members who mined with the crew."
    if len(already) == 1:
        return (
            f"<@{already[0]}> is already on this payroll; adjust their time from the list instead."
        )
    return "Everyone you picked is already on this payroll; adjust their time from the list."


def _flag_word(flag: str, value: bool) -> str:
    if flag == "included":
        return "included" if value else "excluded"
    return "donor" if value else "not donor"


def _replace_member(members: tuple[Member, ...], edited: Member) -> tuple[Member, ...]:
    return tuple(edited if m.user_id == edited.user_id else m for m in members)
