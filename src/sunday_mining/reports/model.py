"""What a payroll report says, as plain data: the contract between the report service (which
reads the store) and the renderers (PDF and CSV), so each can be tested without the other.

Standard library only, like the domain. Money is whole aUEC, SCU is centi-SCU, multipliers are
thousandths, times are epoch milliseconds (rendered in ``time_zone``). Every amount here was
computed by the payroll engine or typed by an officer; renderers show them and add nothing up
except to print totals that must equal the gross.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from sunday_mining.domain.handles import NO_HANDLE
from sunday_mining.domain.session import SessionType


class ReportStatus(StrEnum):
    FINAL = "final"
    SUPERSEDED = "superseded"


class DeductionKind(StrEnum):
    EXPENSE = "expense"  # reimbursed to ``party`` or, with no claimant, just deducted
    FLAT = "flat"  # a fixed amount to ``party``
    PERCENTAGE = "percentage"  # ``detail`` says the rate, e.g. "10 %"
    FEE = "fee"  # transfer fees, all payees together
    DONATION = "donation"  # shares given up and where they went (``detail``)


@dataclass(frozen=True)
class ReportIncome:
    """One haul line: ore x price, or a sale total (``scu_centi``/``price_per_scu`` None)."""

    name: str
    value: int
    scu_centi: int | None = None
    price_per_scu: int | None = None
    source: str = ""  # in words: "UEX best sell", "UEX average", "typed by the officer", "sale"
    snapshot_ms: int | None = None  # when the price snapshot was taken, for snapshot prices
    bundled: bool = False  # the price came from the offline sample shipped with the app
    seller_id: str | None = None  # who sold it and holds its aUEC; None: not recorded
    seller: str = ""  # their display name
    refined_at: str = ""  # "MIC-L1, ARC-L1" when the line is the ore of the refinery jobs


@dataclass(frozen=True)
class ReportDeduction:
    kind: DeductionKind
    label: str
    amount: int
    party: str = ""  # display name of who receives it ("" for nobody, e.g. unclaimed expense)
    detail: str = ""


@dataclass(frozen=True)
class ReportPayee:
    """One payee's line: time share plus everything else they receive, minus the fee."""

    user_id: str  # a Discord id, or "org" for the org's account
    name: str  # display name (any Unicode), or a fallback such as "user 1234"
    payout: int  # net aUEC that arrives: share + other - fee
    share: int = 0  # time share (after donations given/received)
    other: int = 0  # flats, percentages, reimbursements received
    fee: int = 0
    credited_s: int | None = None  # after adjustments; None: not in voice (e.g. a flat payee)
    multiplier_milli: int | None = None
    donated: bool = False
    paid: bool = False
    measured_s: int | None = None  # voice time as measured, before the officer's adjustment
    handle: str | None = None  # in-game handle; None: the member has not set one (or the org)

    @property
    def paid_as(self) -> str:
        """How whoever pays them reads the payee: "Name (handle)", or "Name (no handle yet)"
        so they know whom to ask; the org, which nobody pays, by its name alone."""
        name = self.name or fallback_name(self.user_id)
        if self.user_id == "org":
            return name
        return f"{name} ({self.handle or NO_HANDLE})"


@dataclass(frozen=True)
class ReportTransfer:
    """One in-game transfer of the settlement: the sender sends ``sent``, the receiver gets
    ``received``, and the difference is the fee the sender pays on top."""

    sender_id: str
    sender: str  # display name
    sender_handle: str | None
    receiver_id: str
    receiver: str
    receiver_handle: str | None
    sent: int
    fee: int
    received: int
    paid: bool = False
    sent_under: int | None = None  # sent under that earlier version (an amendment's history)


@dataclass(frozen=True)
class ReportHolding:
    """One member's aUEC in the settlement: what they hold from the sales, what the payroll
    pays them (with the org's cut for the treasurer), and what the transfers move."""

    user_id: str
    name: str
    handle: str | None
    holds: int
    payout: int
    sends: int  # fees included
    fees: int
    receives: int
    before: int = 0  # what earlier versions' transfers brought them less what they sent (fees in)

    @property
    def keeps(self) -> int:
        """What they hold once every transfer is made: their payout less the fees they sent."""
        return self.holds + self.before - self.sends + self.receives


@dataclass(frozen=True)
class ReportSettlement:
    """Who sends whom how much when several sellers hold the haul: the plan stored when the
    payroll was finalized, with each transfer's paid mark as of the report's build."""

    fee_bp: int  # the transfer fee in basis points (50 = 0.5 %)
    treasurer: str = ""  # display name of the member holding the org's cut; "" for none
    transfers: tuple[ReportTransfer, ...] = ()
    holdings: tuple[ReportHolding, ...] = ()  # every member with aUEC to hold, send or receive
    sent_before: tuple[ReportTransfer, ...] = ()  # sent under the versions an amendment replaced

    @property
    def fees(self) -> int:
        return sum(t.fee for t in self.transfers)


@dataclass(frozen=True)
class ReportRefinedOre:
    name: str  # the refined ore, e.g. "Quantainium"
    raw_centi: int
    refined_centi: int | None  # None until the job is collected


@dataclass(frozen=True)
class ReportRefineryJob:
    """A refinery job of the session, as its owner logged it."""

    refinery: str  # the refinery terminal's name, e.g. "Refinement Processing - MIC-L1"
    method: str  # e.g. "Dinyx Solventation"
    owner_id: str
    owner: str  # display name of who ran it
    cost: int
    state: str  # "open", "collected" or "cancelled"
    created_ms: int
    due_ms: int
    closed_ms: int | None
    ores: tuple[ReportRefinedOre, ...]


@dataclass(frozen=True)
class ReportUnpaid:
    name: str
    reason: str


@dataclass(frozen=True)
class ReportDecision:
    """What an officer decided about one member (or the prices), why, who and when."""

    subject: str  # the member's display name, or "Prices"
    what: str  # e.g. "time +2 min; multiplier x1.5" (with a multiplication sign)
    by: str  # the officer's display name
    at_ms: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class StalePrices:
    """Prices older than a day, used because an officer accepted them."""

    snapshot_ms: int
    accepted_by: str  # display name
    accepted_ms: int | None = None  # None: stored before the time was kept

    @property
    def age_ms(self) -> int | None:
        return None if self.accepted_ms is None else self.accepted_ms - self.snapshot_ms


@dataclass(frozen=True)
class TimelineBar:
    """One stretch of one member in one channel; ``gap`` marks a stretch touched by a gap."""

    user_id: str
    channel_id: str
    start_ms: int
    end_ms: int
    gap: bool = False


@dataclass(frozen=True)
class ReportChannel:
    channel_id: str
    name: str


@dataclass(frozen=True)
class Span:
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class ReportData:
    report_id: str
    guild_id: str
    guild_name: str
    session_id: str
    session_name: str
    session_type: SessionType
    payroll_id: str
    version: int
    status: ReportStatus
    time_zone: str  # IANA name, e.g. "Europe/Berlin"
    started_ms: int
    stopped_ms: int
    length_s: int
    finalized_by: str  # display name
    finalized_ms: int
    generated_ms: int  # fixed per version so the same version gives the same bytes
    channels: tuple[ReportChannel, ...]
    income: tuple[ReportIncome, ...]
    gross: int
    deductions: tuple[ReportDeduction, ...]
    payees: tuple[ReportPayee, ...]  # most paid first
    unpaid: tuple[ReportUnpaid, ...] = ()
    deducted: int = 0  # expenses nobody claimed: spent, paid to nobody here
    timeline: tuple[TimelineBar, ...] = ()
    windows: tuple[Span, ...] = ()  # when the session counted (more than one after a reopen)
    gaps: tuple[Span, ...] = ()  # when the worker was not reporting
    names: dict[str, str] = field(default_factory=dict)  # user id -> display name, for bars
    decisions: tuple[ReportDecision, ...] = ()  # the officers' decisions, in the order made
    stale_prices: StalePrices | None = None
    settlement: ReportSettlement | None = None  # None: one seller or none recorded
    refining: tuple[ReportRefineryJob, ...] = ()  # the session's refinery jobs, oldest first

    @property
    def paid_out(self) -> int:
        return sum(p.payout for p in self.payees)

    @property
    def fees(self) -> int:
        return sum(p.fee for p in self.payees)

    @property
    def balances(self) -> bool:
        """Payouts + fees + unclaimed expenses = gross: what the totals row must show."""
        return self.paid_out + self.fees + self.deducted == self.gross

    def name_of(self, user_id: str) -> str:
        return self.names.get(user_id) or fallback_name(user_id)


def fallback_name(user_id: str) -> str:
    return "the org" if user_id == "org" else f"user {user_id}"


_LATER_PARTS: dict[str, object] = {"settlement": None, "refining": ()}
_LATER_INCOME_PARTS: dict[str, object] = {"seller_id": None, "seller": "", "refined_at": ""}


def _drop_empty_history(settlement: dict[str, Any]) -> None:
    """An amendment's history was added later: left out while there is none."""
    if not settlement.get("sent_before"):
        settlement.pop("sent_before", None)
    for transfer in settlement["transfers"]:
        if transfer.get("sent_under") is None:
            transfer.pop("sent_under", None)
    for holding in settlement["holdings"]:
        if holding.get("before") == 0:
            holding.pop("before", None)


def content_hash(data: ReportData) -> str:
    """SHA-256 over what the report says (not when it was generated): 16 hex characters are
    printed in the footer, so a printed copy can be matched with the stored one."""
    body = asdict(data)
    body.pop("generated_ms")
    body.pop("report_id")
    # Parts added later are left out while empty, so a report that has none of them keeps the
    # hash its printed copies carry.
    for key, empty in _LATER_PARTS.items():
        if body.get(key) == empty:
            body.pop(key)
    for line in body["income"]:
        for key, empty in _LATER_INCOME_PARTS.items():
            if line.get(key) == empty:
                line.pop(key)
    if body.get("settlement"):
        _drop_empty_history(body["settlement"])
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
