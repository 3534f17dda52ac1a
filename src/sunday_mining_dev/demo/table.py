"""The payout table the demo ends with, read from the finalized payroll in the store.

Every amount is the payroll engine's; this module only lays them out and adds them up, and it
refuses to print a table whose total (with fees and unclaimed expenses) is not the gross.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sunday_mining.domain.payroll import ORG_PAYEE_ID, LineKind, PayrollResult
from sunday_mining.domain.prices import format_auec
from sunday_mining.interactions.payroll_render import TIMES, multiplier
from sunday_mining.interactions.render import seconds_text
from sunday_mining.services.payroll import PayrollVersion, unpaid_reason
from sunday_mining_dev.demo.clicks import DemoFailed

_NOTES = {
    LineKind.PERCENTAGE: "cut",
    LineKind.REIMBURSEMENT: "reimbursed",
    LineKind.FLAT: "flat",
    LineKind.DONATION_RECEIVED: "donations",
}


@dataclass(frozen=True)
class PayoutRow:
    payee_id: str
    name: str
    seconds: int | None  # None: not a voice participant (the org)
    payout: int
    note: str


@dataclass(frozen=True)
class PayoutTable:
    rows: tuple[PayoutRow, ...]
    gross: int
    fees: int
    unclaimed: int
    unpaid: tuple[tuple[str, str], ...]  # (name, reason)

    @property
    def total(self) -> int:
        return sum(row.payout for row in self.rows)


def payout_table(version: PayrollVersion, name_of: Callable[[str], str]) -> PayoutTable:
    result = version.result
    if result is None:
        raise DemoFailed("the payroll has no result: it was not finalized")
    members = {m.user_id: m for m in version.members}
    rows = []
    for payee_id, net in version.payees():
        member = members.get(payee_id)
        rows.append(
            PayoutRow(
                payee_id=payee_id,
                name="the org" if payee_id == ORG_PAYEE_ID else name_of(payee_id),
                seconds=member.seconds if member else None,
                payout=net,
                note=_note(result, payee_id, member.multiplier_milli if member else 1000),
            )
        )
    table = PayoutTable(
        rows=tuple(rows),
        gross=result.gross,
        fees=result.total_fees,
        unclaimed=result.deducted,
        unpaid=tuple(
            (name_of(u.user_id), unpaid_reason(version, u.user_id, u.reason)) for u in result.unpaid
        ),
    )
    if table.total + table.fees + table.unclaimed != table.gross:
        raise DemoFailed("the payouts do not add up to the gross")
    return table


def _note(result: PayrollResult, payee_id: str, multiplier_milli: int) -> str:
    notes = [] if multiplier_milli == 1000 else [f"{TIMES}{multiplier(multiplier_milli)}"]
    for line in result.lines:
        if line.payee_id == payee_id and line.kind in _NOTES and line.amount:
            notes.append(f"{_NOTES[line.kind]} {line.amount:,}")
    return ", ".join(notes)


def render(table: PayoutTable) -> list[str]:
    """The table as terminal lines: aligned columns, aUEC with thousands separators."""
    width = max(len(row.name) for row in table.rows)
    money = max(len(format_auec(table.gross)), *(len(format_auec(r.payout)) for r in table.rows))
    head = f"{'#':>3}  {'name':<{width}}  {'time':>12}  {'payout':>{money}}"
    lines = [head, "-" * (len(head) + 20)]
    for n, row in enumerate(table.rows, 1):
        time = seconds_text(row.seconds) if row.seconds is not None else "—"
        note = f"  {row.note}" if row.note else ""
        lines.append(
            f"{n:>3}  {row.name:<{width}}  {time:>12}  {format_auec(row.payout):>{money}}{note}"
        )
    lines.append("-" * (len(head) + 20))
    label = f"total to {len(table.rows)} payees"
    lines.append(f"{'':>3}  {label:<{width + 14}}  {format_auec(table.total):>{money}}")
    extra = [("transfer fees", table.fees), ("unclaimed expenses", table.unclaimed)]
    for what, amount in extra:
        if amount:
            lines.append(f"{'':>3}  {'+ ' + what:<{width + 14}}  {format_auec(amount):>{money}}")
    lines.append(f"{'':>3}  {'= gross':<{width + 14}}  {format_auec(table.gross):>{money}}")
    for name, reason in table.unpaid:
        lines.append(f"  not paid: {name} — {reason}")
    return lines
