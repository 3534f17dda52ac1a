"""Settlement: who sends whom how much, when several sellers hold the haul's aUEC.

Pure and standard library only. Money is ``int`` aUEC, the transfer fee basis points, ids text.

Each income line's aUEC sit with its seller. The plan moves them so that every member ends
holding their payout (the org's cut sits with its holder, the treasurer). Members who hold more
than their payout send; members who hold less receive.

Few transfers: the largest sender pays the largest receiver, again and again. Each transfer
settles at least one of the two, so a plan has at most (members with a balance - 1) transfers.
The true minimum means finding groups whose balances cancel out, a subset-sum problem (NP-hard);
the greedy pairing keeps the bound, is fast and gives the same plan for the same inputs.

An amendment plans only what is still missing: each transfer sent under the versions it replaces
(``moved``) has already taken its amount received from its sender to its receiver. Its fee stays
the sender's own loss, so what the plan moves still adds up to the payouts.

The fee rule: the sender pays each transfer's fee on top, so the receiver gets exactly what they
are owed, and the fee comes out of what the sender keeps. A payroll settled by a plan is worked
out with no transfer fee of its own (its step 7): :func:`settle_payroll` takes the guild's fee
once, for the plan, so no fee can be charged twice.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from sunday_mining.domain.errors import ValidationError
from sunday_mining.domain.payroll import (
    FULL_BP,
    MAX_TRANSFER_FEE_BP,
    PayrollInput,
    PayrollResult,
    compute,
)
from sunday_mining.domain.prices import format_auec


@dataclass(frozen=True, slots=True)
class Transfer:
    """``sender`` sends ``amount_sent``; ``receiver`` gets ``amount_received`` after the fee."""

    sender: str
    receiver: str
    amount_received: int
    amount_sent: int
    fee: int
    paid: bool = False


@dataclass(frozen=True, slots=True)
class Position:
    """One member's aUEC: what they hold, their payout, and what the plan moves."""

    member_id: str
    holds: int
    payout: int  # their own payout plus the payouts they hold for others (the org's cut)
    sends: int  # aUEC leaving their wallet, fees included
    fees: int  # the part of ``sends`` lost to transfer fees
    receives: int
    sent_before: int = 0  # left their wallet under earlier versions, fees included
    received_before: int = 0  # reached them under earlier versions

    @property
    def keeps(self) -> int:
        """What they hold once the plan is paid: their payout, minus every fee they sent."""
        return self.holds - self.sent_before + self.received_before - self.sends + self.receives


@dataclass(frozen=True)
class SettlementPlan:
    transfers: tuple[Transfer, ...]
    positions: tuple[Position, ...]  # by member id
    fee_bp: int
    holders: Mapping[str, str]  # payee -> the member holding their payout (the org -> treasurer)

    @property
    def total_fees(self) -> int:
        return sum(transfer.fee for transfer in self.transfers)

    def position(self, member_id: str) -> Position:
        for position in self.positions:
            if position.member_id == member_id:
                return position
        raise KeyError(member_id)

    def unpaid(self) -> tuple[Transfer, ...]:
        return tuple(transfer for transfer in self.transfers if not transfer.paid)


@dataclass(frozen=True)
class Settlement:
    """A payroll worked out without its own transfer fee, and the plan that pays it."""

    payroll: PayrollResult
    plan: SettlementPlan


# --- the fee --------------------------------------------------------------------------------


def fee_on(amount_sent: int, fee_bp: int) -> int:
    """The in-game fee on a transfer, rounded half-up like the payroll's own fee."""
    return (2 * amount_sent * fee_bp + FULL_BP) // (2 * FULL_BP)


def amount_to_send(amount_received: int, fee_bp: int) -> int:
    """The smallest whole aUEC whose net after the fee is at least ``amount_received``.

    The net (sent - fee) grows by 0 or 1 with each aUEC sent, so it hits the amount exactly.
    """
    sent = amount_received * FULL_BP // (FULL_BP - fee_bp)  # within 2 aUEC of the answer
    while sent - fee_on(sent, fee_bp) < amount_received:
        sent += 1
    while sent > 0 and sent - 1 - fee_on(sent - 1, fee_bp) >= amount_received:
        sent -= 1
    return sent


# --- validation -----------------------------------------------------------------------------


def _require_amounts(amounts: Mapping[str, int], what: str) -> None:
    for member_id, amount in amounts.items():
        if type(member_id) is not str or not member_id.strip():
            raise ValidationError(f"A {what} has no member; pick who it is.")
        # bool is an int and a float is a typo waiting to lose aUEC: both are refused.
        if type(amount) is not int or amount < 0:
            raise ValidationError(f"The {what} of {member_id} must be a whole 0 aUEC or more.")


def _validate(
    payouts: Mapping[str, int],
    holdings: Mapping[str, int],
    fee_bp: int,
    holders: Mapping[str, str],
) -> None:
    if type(fee_bp) is not int or not 0 <= fee_bp <= MAX_TRANSFER_FEE_BP:
        raise ValidationError(f"The transfer fee must be between 0 and {MAX_TRANSFER_FEE_BP} bp.")
    _require_amounts(payouts, "payout")
    _require_amounts(holdings, "holding")
    for payee_id, holder_id in holders.items():
        if not holder_id.strip() or holder_id in holders:
            raise ValidationError(f"{payee_id}'s payout needs a member to hold it.")
        if payee_id in holdings:
            raise ValidationError(f"{payee_id} holds nothing itself; {holder_id} holds it.")
    held, owed = sum(holdings.values()), sum(payouts.values())
    if held != owed:
        raise ValidationError(
            f"The sellers hold {format_auec(held)} but the payouts add up to "
            f"{format_auec(owed)}; each income line's aUEC must be held by its seller."
        )


# --- the plan -------------------------------------------------------------------------------


def _targets(payouts: Mapping[str, int], holders: Mapping[str, str]) -> dict[str, int]:
    targets: dict[str, int] = {}
    for payee_id, payout in payouts.items():
        member_id = holders.get(payee_id, payee_id)
        targets[member_id] = targets.get(member_id, 0) + payout
    return targets


def _pairs(balances: Mapping[str, int]) -> list[tuple[str, str, int]]:
    """Largest sender to largest receiver until all balances are 0; ties to the lower id."""
    senders = [(-balance, member) for member, balance in balances.items() if balance > 0]
    receivers = [(balance, member) for member, balance in balances.items() if balance < 0]
    heapq.heapify(senders)
    heapq.heapify(receivers)
    pairs: list[tuple[str, str, int]] = []
    while senders:
        (surplus, sender), (shortfall, receiver) = heapq.heappop(senders), heapq.heappop(receivers)
        amount = min(-surplus, -shortfall)
        pairs.append((sender, receiver, amount))
        if -surplus > amount:
            heapq.heappush(senders, (surplus + amount, sender))
        if -shortfall > amount:
            heapq.heappush(receivers, (shortfall + amount, receiver))
    return pairs


def _transfer(sender: str, receiver: str, amount: int, fee_bp: int) -> Transfer:
    sent = amount_to_send(amount, fee_bp)
    return Transfer(sender, receiver, amount, sent, sent - amount)


def _flows(transfers: Iterable[Transfer]) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """Per member: aUEC sent (fees included), fees, and aUEC received."""
    sends: Counter[str] = Counter()
    fees: Counter[str] = Counter()
    receives: Counter[str] = Counter()
    for transfer in transfers:
        sends[transfer.sender] += transfer.amount_sent
        fees[transfer.sender] += transfer.fee
        receives[transfer.receiver] += transfer.amount_received
    return sends, fees, receives


def _positions(
    holdings: Mapping[str, int],
    targets: Mapping[str, int],
    transfers: Iterable[Transfer],
    moved: Iterable[Transfer],
) -> tuple[Position, ...]:
    moved = tuple(moved)
    sends, fees, receives = _flows(transfers)
    sent_before, _fees_before, received_before = _flows(moved)
    members = set(targets) | set(holdings) | set(sent_before) | set(received_before)
    return tuple(
        Position(
            m,
            holdings.get(m, 0),
            targets.get(m, 0),
            sends[m],
            fees[m],
            receives[m],
            sent_before[m],
            received_before[m],
        )
        for m in sorted(members)
    )


def _balances(
    holdings: Mapping[str, int], targets: Mapping[str, int], moved: Iterable[Transfer]
) -> dict[str, int]:
    """What each member holds beyond their payout (below 0: short of it), once the transfers
    already sent have moved what they brought; a fee already paid is its sender's loss."""
    balances: Counter[str] = Counter(holdings)
    balances.subtract(targets)
    for transfer in moved:
        balances[transfer.sender] -= transfer.amount_received
        balances[transfer.receiver] += transfer.amount_received
    return {m: balances[m] for m in sorted(balances)}


def _refuse_unaffordable_fees(positions: Iterable[Position]) -> None:
    for position in positions:
        if position.keeps < 0:
            raise ValidationError(
                f"{position.member_id} would pay {format_auec(position.fees)} in transfer fees "
                f"but is paid only {format_auec(position.payout)}; add them as a payee or "
                "let a payee hold their sale."
            )


def plan_settlement(
    payouts: Mapping[str, int],
    holdings: Mapping[str, int],
    fee_bp: int,
    *,
    holders: Mapping[str, str] | None = None,
    moved: Iterable[Transfer] = (),
) -> SettlementPlan:
    """The transfers that leave every member holding their payout; ValidationError if refused.

    ``payouts`` are per payee, from a payroll with no transfer fee of its own; ``holdings`` what
    each seller holds (they add up to the payouts); ``holders`` names the member who holds a
    payee's payout (the org's cut: its treasurer); ``moved`` the transfers already sent under
    the versions an amendment replaces, so only what is still missing is planned. Each sender
    pays their fees on top, out of what they keep.
    """
    holders = dict(sorted((holders or {}).items()))
    moved = tuple(moved)
    _validate(payouts, holdings, fee_bp, holders)
    targets = _targets(payouts, holders)
    balances = _balances(holdings, targets, moved)
    transfers = tuple(_transfer(s, r, amount, fee_bp) for s, r, amount in _pairs(balances))
    positions = _positions(holdings, targets, transfers, moved)
    _refuse_unaffordable_fees(positions)
    return SettlementPlan(transfers, positions, fee_bp, holders)


def stored_plan(
    transfers: Iterable[Transfer],
    payouts: Mapping[str, int],
    holdings: Mapping[str, int],
    fee_bp: int,
    holders: Mapping[str, str],
    moved: Iterable[Transfer] = (),
) -> SettlementPlan:
    """A plan worked out earlier and kept, rebuilt with its positions: nothing is re-planned,
    so a stored plan reads the same whatever this module decides later."""
    kept = tuple(transfers)
    targets = _targets(payouts, holders)
    positions = _positions(holdings, targets, kept, moved)
    return SettlementPlan(kept, positions, fee_bp, dict(sorted(holders.items())))


def settle_payroll(
    inp: PayrollInput,
    holdings: Mapping[str, int],
    treasurer_id: str | None = None,
    moved: Iterable[Transfer] = (),
) -> Settlement:
    """The payroll of ``inp`` and its plan, with ``inp.transfer_fee_bp`` charged by the plan only;
    ``moved``: what was already sent under the versions an amendment replaces.

    The payroll is worked out with its per-payee fee off: the fee is charged once, per transfer.
    """
    payroll = compute(replace(inp, transfer_fee_bp=0))
    if payroll.deducted:
        raise ValidationError(
            f"{format_auec(payroll.deducted)} of expenses have nobody to reimburse; with "
            "sellers, name who paid each expense so every aUEC a seller holds is paid out."
        )
    payouts = payroll.payouts_by_payee()
    holders: dict[str, str] = {}
    if payouts.get(inp.org_payee_id, 0) > 0:
        if treasurer_id is None:
            raise ValidationError(
                "The org's cut needs a treasurer to hold it; ask an admin to run "
                "/mining-admin settings treasurer."
            )
        holders[inp.org_payee_id] = treasurer_id
    plan = plan_settlement(payouts, holdings, inp.transfer_fee_bp, holders=holders, moved=moved)
    return Settlement(payroll, plan)


# --- paid marks -----------------------------------------------------------------------------


def mark_paid(
    plan: SettlementPlan, sender: str, receiver: str, paid: bool = True
) -> SettlementPlan:
    """The plan with the transfer from ``sender`` to ``receiver`` marked (or unmarked) paid."""
    found = [t for t in plan.transfers if (t.sender, t.receiver) == (sender, receiver)]
    if not found:
        raise ValidationError(f"The plan has no transfer from {sender} to {receiver}.")
    transfers = tuple(
        replace(t, paid=paid) if (t.sender, t.receiver) == (sender, receiver) else t
        for t in plan.transfers
    )
    return replace(plan, transfers=transfers)
