"""How durations, amounts of SCU and payees read in messages and the audit log."""

from __future__ import annotations

from collections.abc import Iterable

from sunday_mining.domain.durations import age_text, duration_text
from sunday_mining.domain.payroll import (
    ORG_PAYEE_ID,
)
from sunday_mining.services.payroll.model import PayrollVersion

__all__ = [
    "age_text",
    "duration",
    "mentions",
    "payee_text",
    "scu_text",
    "unpaid_reason",
]


def duration(seconds: int) -> str:
    return duration_text(seconds)


def unpaid_reason(version: PayrollVersion, user_id: str, engine_reason: str) -> str:
    """Why a listed member is not paid, in the officer's terms (the engine only knows
    "excluded"): the words Discord and the report both show."""
    member = next((m for m in version.members if m.user_id == user_id), None)
    if member is None:
        return engine_reason
    if member.included:
        if member.added_by_hand and not member.seconds:
            return "no time given yet"
        return engine_reason
    if member.below_minimum:
        return f"below the {version.minimum_s // 60}-minute minimum"
    return "excluded by the officer"


def scu_text(scu_centi: int) -> str:
    whole, centi = divmod(scu_centi, 100)
    return f"{whole:,}.{centi:02d}".rstrip("0").rstrip(".")


def mentions(user_ids: Iterable[str]) -> str:
    return ", ".join(f"<@{u}>" for u in user_ids)


def payee_text(payee: str) -> str:
    return "the org" if payee == ORG_PAYEE_ID else f"<@{payee}>"
