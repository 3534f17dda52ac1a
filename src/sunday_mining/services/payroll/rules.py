"""Limits and checks every edit of a draft shares."""

from __future__ import annotations

from sunday_mining.domain.errors import ValidationError
from sunday_mining.domain.payroll import (
    MAX_SALE_TOTAL,
    IncomeLine,
    Participant,
    PayrollInput,
    compute,
)
from sunday_mining.services.payroll.model import PayrollVersion

# Each list the flow shows in one select holds at most 25 options; these caps keep the lists
# that have no pages (income lines, cuts) inside that by construction.
MAX_INCOME_LINES = 25
MAX_CUTS = 25
MAX_LABEL = 60
MAX_REASON = 200
MAX_ADJUST_S = 24 * 3600
# Members added by hand (not in voice): one user select picks at most 25 at a time, and a
# draft holds at most 100 of them, so a typo-prone flow can't grow a draft without bound.
MAX_PICKED = 25
MAX_ADDED_MEMBERS = 100


def clean_label(text: str, what: str) -> str:
    label = " ".join(text.split())
    if not label:
        raise ValidationError(f"Give the {what} a name.")
    if len(label) > MAX_LABEL:
        raise ValidationError(f"Keep the {what}'s name to {MAX_LABEL} characters.")
    return label


def probe(version: PayrollVersion) -> None:
    """Run the engine on the version's money inputs so a bad one is refused with its reason.

    The participants are replaced by one stand-in (their own checks happen where they are
    edited), so an unrelated participant state never blocks adding an expense; with no income
    yet, a stand-in sale as large as the engine allows lets each cut be checked on its own.
    """
    income = version.income or (IncomeLine.sale(MAX_SALE_TOTAL, "stand-in"),)
    compute(
        PayrollInput(
            income=income,
            expenses=version.expenses,
            flats=version.flats,
            percentages=version.percentages,
            participants=[Participant("stand-in", 1)],
            donation_policy=version.donation_policy,
            transfer_fee_bp=version.transfer_fee_bp,
        )
    )


def same_label(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()
