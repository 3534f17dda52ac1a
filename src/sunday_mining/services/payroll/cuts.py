"""Editing a draft's cuts: expenses, flat amounts and percentages."""

from __future__ import annotations

from dataclasses import replace

from sunday_mining.domain.errors import ValidationError
from sunday_mining.domain.ids import ascii_number, is_snowflake
from sunday_mining.domain.payroll import (
    ORG_PAYEE_ID,
    Expense,
    FlatAmount,
    Percentage,
)
from sunday_mining.services.payroll.base import PayrollBase
from sunday_mining.services.payroll.model import PayrollVersion
from sunday_mining.services.payroll.rules import MAX_CUTS, clean_label, probe, same_label
from sunday_mining.services.payroll.text import payee_text


class CutEdits(PayrollBase):
    """Cuts of a draft, each checked by the engine before it is saved."""

    def add_expense(
        self,
        guild_id: str,
        draft_id: str,
        user_id: str,
        label: str,
        amount: int,
        claimant: str | None,
    ) -> PayrollVersion:
        name = clean_label(label, "expense")
        _require_positive(amount, f"Expense {name}")
        _require_member(claimant)

        def change(draft: PayrollVersion) -> PayrollVersion:
            kept = [e for e in draft.expenses if not same_label(e.label, name)]
            updated = replace(draft, expenses=(*kept, Expense(name, amount, claimant or None)))
            return _checked_cuts(updated)

        who = f", reimbursed to <@{claimant}>" if claimant else ""
        return self._edit(
            guild_id, draft_id, user_id, change, "expense", f"expense {name} {amount:,}{who}"
        )

    def add_flat(
        self, guild_id: str, draft_id: str, user_id: str, label: str, amount: int, payee: str
    ) -> PayrollVersion:
        name = clean_label(label, "flat amount")
        _require_positive(amount, f"Flat amount {name}")
        if not payee:
            raise ValidationError(f"Pick who receives {name}.")
        _require_member(payee)

        def change(draft: PayrollVersion) -> PayrollVersion:
            kept = [f for f in draft.flats if not same_label(f.label, name)]
            return _checked_cuts(replace(draft, flats=(*kept, FlatAmount(name, payee, amount))))

        return self._edit(
            guild_id, draft_id, user_id, change, "flat", f"flat {name} {amount:,} to <@{payee}>"
        )

    def add_percentage(
        self,
        guild_id: str,
        draft_id: str,
        user_id: str,
        label: str,
        basis_points: int,
        payee: str | None,
    ) -> PayrollVersion:
        name = clean_label(label, "percentage")
        if not 0 < basis_points <= 10_000:
            raise ValidationError(f"{name} must be more than 0 % and at most 100 %.")
        _require_member(payee)
        target = payee or ORG_PAYEE_ID

        def change(draft: PayrollVersion) -> PayrollVersion:
            kept = [p for p in draft.percentages if not same_label(p.label, name)]
            cut = Percentage(name, target, basis_points)
            return _checked_cuts(replace(draft, percentages=(*kept, cut)))

        said = f"percentage {name} {basis_points / 100:g} % to {payee_text(target)}"
        return self._edit(guild_id, draft_id, user_id, change, "percentage", said)

    def remove_cut(self, guild_id: str, draft_id: str, user_id: str, key: str) -> PayrollVersion:
        """``key``: "e3", "f0" or "p1": the kind's letter and the index in that list."""
        kind, index = key[:1], ascii_number(key[1:])
        if kind not in ("e", "f", "p") or index is None:
            raise ValidationError("Pick a line from the list to remove.")
        attribute = {"e": "expenses", "f": "flats", "p": "percentages"}[kind]

        def change(draft: PayrollVersion) -> PayrollVersion:
            items = getattr(draft, attribute)
            if index >= len(items):
                raise ValidationError("That line is gone already; pick one from the list.")
            return replace(draft, **{attribute: items[:index] + items[index + 1 :]})

        def detail(draft: PayrollVersion) -> str:
            items = getattr(draft, attribute)
            return f"removed {items[index].label}" if index < len(items) else ""

        return self._edit(guild_id, draft_id, user_id, change, "cut", detail)


def _require_member(user_id: str | None) -> None:
    # A payee is paid and named in the report: only a Discord user id may get there.
    if user_id and not is_snowflake(user_id):
        raise ValidationError("Pick the member from the member list.")


def _require_positive(amount: int, what: str) -> None:
    if amount <= 0:
        raise ValidationError(f"{what} must be more than 0 aUEC.")


def _checked_cuts(version: PayrollVersion) -> PayrollVersion:
    if len(version.expenses) + len(version.flats) + len(version.percentages) > MAX_CUTS:
        raise ValidationError(
            f"A payroll holds at most {MAX_CUTS} expenses, flat amounts and percentages."
        )
    probe(version)
    return version
