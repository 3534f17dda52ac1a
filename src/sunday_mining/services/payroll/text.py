"""How durations, amounts of SCU and payees read in messages and the audit log."""

from __future__ import annotations

from collections.abc import Iterable

from sunday_mining.domain.payroll import (
    ORG_PAYEE_ID,
)


def duration(seconds: int) -> str:
    hours, rest = divmod(abs(seconds), 3600)
    sign = "-" if seconds < 0 else ""
    return f"{sign}{hours} h {rest // 60:02d} min" if hours else f"{sign}{rest // 60} min"


def age_text(age_ms: int) -> str:
    """How old prices are, in the unit a person would use: "49 min", "5 h 10 min", "3 days"."""
    days = age_ms // 86_400_000
    return f"{days} days" if days >= 2 else duration(age_ms // 1000)


def scu_text(scu_centi: int) -> str:
    whole, centi = divmod(scu_centi, 100)
    return f"{whole:,}.{centi:02d}".rstrip("0").rstrip(".")


def mentions(user_ids: Iterable[str]) -> str:
    return ", ".join(f"<@{u}>" for u in user_ids)


def payee_text(payee: str) -> str:
    return "the org" if payee == ORG_PAYEE_ID else f"<@{payee}>"
