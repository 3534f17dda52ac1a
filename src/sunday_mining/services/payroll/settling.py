"""When a settlement plan pays a payroll, the plan of a draft, and the plan of a stored version.

The rule: a payroll whose income lines name two or more sellers is paid by a settlement plan
(see domain/settlement.py), worked out with no per-payee transfer fee: the guild's fee is taken
once, on each transfer. A payroll with one seller is paid payee by payee as before, with the
per-payee fee (step 7) when the fee is on. Either way the fee is charged once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from sunday_mining.domain.errors import ValidationError
from sunday_mining.domain.payroll import ORG_PAYEE_ID, PayrollResult, compute
from sunday_mining.domain.settlement import (
    Settlement,
    SettlementPlan,
    Transfer,
    carry_paid_marks,
    settle_payroll,
    stored_plan,
)
from sunday_mining.services.payroll.model import PaidMark, PayrollVersion, StoredSettlement


@dataclass(frozen=True)
class Preview:
    """A draft's payroll, its plan when one pays it, and why a plan could not be made."""

    result: PayrollResult
    plan: SettlementPlan | None = None
    problem: str = ""


def uses_plan(version: PayrollVersion) -> bool:
    """A payroll is paid by a settlement plan when its income has two or more sellers."""
    return len(holdings_of(version)) > 1


def holdings_of(version: PayrollVersion) -> dict[str, int]:
    """What each seller holds: the value of the income lines they sold."""
    held: dict[str, int] = {}
    for line in version.income:
        seller = line.seller_id or version.created_by
        held[seller] = held.get(seller, 0) + line.value
    return held


def settle(version: PayrollVersion, treasurer_id: str | None) -> Settlement:
    """The payroll of a draft with several sellers and its plan; ValidationError if refused."""
    return settle_payroll(version.to_input(), holdings_of(version), treasurer_id)


def preview(version: PayrollVersion, treasurer_id: str | None) -> Preview:
    """What the preview shows: with one seller, compute() as before; with several, the
    payroll the plan pays (amounts exactly those finalize stores) or the reason it can't."""
    if not uses_plan(version):
        return Preview(compute(version.to_input()))
    try:
        settled = settle(version, treasurer_id)
    except ValidationError as refused:
        payroll = compute(replace(version.to_input(), transfer_fee_bp=0))
        return Preview(payroll, None, refused.message)
    return Preview(settled.payroll, settled.plan)


def stored(plan: SettlementPlan, marks: Mapping[tuple[str, str], PaidMark]) -> StoredSettlement:
    treasurer = plan.holders.get(ORG_PAYEE_ID)
    unpaid = tuple(replace(t, paid=False) for t in plan.transfers)
    return StoredSettlement(treasurer, unpaid, dict(marks))


def carried_marks(
    replaced: PayrollVersion, plan: SettlementPlan
) -> dict[tuple[str, str], PaidMark]:
    """The paid marks of ``replaced``'s transfers that ``plan`` has unchanged (same sender,
    receiver and amounts), with who marked them and when."""
    old = settlement_of(replaced)
    if old is None or replaced.settlement is None:
        return {}
    by_key = {
        t.key: replaced.settlement.marks[(t.sender, t.receiver)] for t in old.transfers if t.paid
    }
    kept = carry_paid_marks(old, plan)
    return {(t.sender, t.receiver): by_key[t.key] for t in kept.transfers if t.paid}


def settlement_of(version: PayrollVersion) -> SettlementPlan | None:
    """The settlement plan of a final (or replaced) version, with each transfer's paid mark;
    None when the version is paid payee by payee (one seller) or is still a draft.

    Pure over the stored version: the transfers are those stored at finalize, not planned
    again, so a report built later shows the plan the officers paid."""
    kept = version.settlement
    if kept is None or version.result is None:
        return None
    holders = {ORG_PAYEE_ID: kept.treasurer_id} if kept.treasurer_id else {}
    transfers = tuple(replace(t, paid=(t.sender, t.receiver) in kept.marks) for t in kept.transfers)
    return stored_plan(
        transfers,
        version.result.payouts_by_payee(),
        holdings_of(version),
        version.transfer_fee_bp,
        holders,
    )


def payee_marks(version: PayrollVersion) -> dict[str, PaidMark]:
    """Per payee of a version paid by a plan, paid once every transfer to them is marked paid
    (the latest of those marks); a payee nobody sends to already holds their payout, paid
    when the version was finalized. The org is never marked: its lines are what it keeps."""
    kept, result = version.settlement, version.result
    if kept is None or result is None:
        return {}
    found: dict[str, PaidMark] = {}
    for payee, net in result.payouts_by_payee().items():
        if net <= 0 or payee == ORG_PAYEE_ID:
            continue
        incoming = [kept.marks.get((t.sender, t.receiver)) for t in _to(kept.transfers, payee)]
        if not incoming:
            found[payee] = PaidMark(version.finalized_by or "", version.finalized_ms or 0)
        elif all(incoming):
            found[payee] = max((m for m in incoming if m), key=lambda m: m.at_ms)
    return found


def _to(transfers: tuple[Transfer, ...], member_id: str) -> list[Transfer]:
    return [t for t in transfers if t.receiver == member_id]
