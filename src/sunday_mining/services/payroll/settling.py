"""When a settlement plan pays a payroll, the plan of a draft, and the plan of a stored version.

The rule: a payroll whose income lines name two or more sellers is paid by a settlement plan
(see domain/settlement.py), worked out with no per-payee transfer fee: the guild's fee is taken
once, on each transfer. A payroll with one seller is paid payee by payee as before, with the
per-payee fee (step 7) when the fee is on. Either way the fee is charged once.

An amendment paid by a plan starts from what already moved under the versions it replaces
(:func:`sent_before_of`): the transfers marked sent, or, for a version paid payee by payee, each
payment from its seller. Its plan asks only for what is still missing, and the new version keeps
those moves as its history, so no transfer is asked for twice.
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
    settle_payroll,
    stored_plan,
)
from sunday_mining.services.payroll.model import (
    PaidMark,
    PayrollVersion,
    PriorPayment,
    SentBefore,
    StoredSettlement,
)


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


def settle(
    version: PayrollVersion, treasurer_id: str | None, before: tuple[SentBefore, ...] = ()
) -> Settlement:
    """The payroll of a draft with several sellers and its plan, planned after what ``before``
    already moved; ValidationError if refused."""
    moved = [x.transfer for x in before]
    return settle_payroll(version.to_input(), holdings_of(version), treasurer_id, moved)


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


def stored(plan: SettlementPlan, before: tuple[SentBefore, ...] = ()) -> StoredSettlement:
    """A new plan as a version stores it: every transfer unpaid (what was sent under earlier
    versions is ``before``, never a mark on the new plan, so nothing counts twice)."""
    treasurer = plan.holders.get(ORG_PAYEE_ID)
    unpaid = tuple(replace(t, paid=False) for t in plan.transfers)
    return StoredSettlement(treasurer, unpaid, {}, before)


def sent_before_of(
    replaced: PayrollVersion, paid: Mapping[str, PriorPayment]
) -> tuple[SentBefore, ...]:
    """What moved under ``replaced`` and the versions before it, for the amendment replacing it.

    Paid by a plan: its history and its transfers marked sent. Paid payee by payee: each payment
    ``paid`` lists (what the payee was paid by the time it is replaced, ``paid_so_far``), from
    its one seller, whose fee is that version's step-7 fee when paid under it."""
    kept = replaced.settlement
    if kept is not None:
        sent = [
            SentBefore(replace(t, paid=True), replaced.number, mark.by, mark.at_ms)
            for t in kept.transfers
            if (mark := kept.marks.get((t.sender, t.receiver))) is not None
        ]
        return (*kept.sent_before, *sent)
    sellers = holdings_of(replaced)
    if len(sellers) != 1 or replaced.result is None:
        return ()
    (seller,) = sellers
    fees: dict[str, int] = {}
    for line in replaced.result.lines:
        fees[line.payee_id] = fees.get(line.payee_id, 0) + line.fee
    found = []
    for payee, p in sorted(paid.items()):
        if payee in (seller, ORG_PAYEE_ID) or p.amount <= 0:
            continue  # what the seller keeps never moves
        fee = fees.get(payee, 0) if p.number == replaced.number else 0
        moved = Transfer(seller, payee, p.amount, p.amount + fee, fee, paid=True)
        found.append(SentBefore(moved, p.number, p.by, p.at_ms))
    return tuple(found)


def settlement_of(version: PayrollVersion) -> SettlementPlan | None:
    """The settlement plan of a final (or replaced) version, with each transfer's paid mark;
    None when the version is paid payee by payee (one seller) or is still a draft.

    Pure over the stored version: the transfers are those stored at finalize, not planned
    again, so a report built later shows the plan the officers paid."""
    kept = version.settlement
    if kept is None or version.result is None:
        return None
    holders = kept.holders()
    transfers = tuple(replace(t, paid=(t.sender, t.receiver) in kept.marks) for t in kept.transfers)
    return stored_plan(
        transfers,
        version.result.payouts_by_payee(),
        holdings_of(version),
        version.transfer_fee_bp,
        holders,
        [x.transfer for x in kept.sent_before],
    )


def sent_before(version: PayrollVersion) -> tuple[SentBefore, ...]:
    """What was sent under the versions this one replaced (empty when none, or paid payee by
    payee); :func:`settlement_of` is the plan of what is still to send."""
    return version.settlement.sent_before if version.settlement is not None else ()


def payee_marks(version: PayrollVersion) -> dict[str, PaidMark]:
    """Per payee of a version paid by a plan, paid once every transfer to them is marked paid
    (the latest of those marks); a payee nobody sends to already holds their payout (from
    their own sale and what earlier versions sent them), paid when the version was finalized.
    The org is never marked: its lines are what it keeps."""
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
