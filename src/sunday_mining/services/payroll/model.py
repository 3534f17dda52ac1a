"""The payroll model: versions, their members, the head of a session, and what lists show."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from sunday_mining.domain.errors import ValidationError
from sunday_mining.domain.guild import DonationPolicy
from sunday_mining.domain.payroll import (
    MILLI,
    ORG_PAYEE_ID,
    Expense,
    FlatAmount,
    IncomeLine,
    Participant,
    PayrollInput,
    PayrollResult,
    Percentage,
)
from sunday_mining.domain.session import Session, SessionType
from sunday_mining.domain.settlement import Transfer


class PayrollStatus(StrEnum):
    DRAFT = "draft"
    FINAL = "final"
    SUPERSEDED = "superseded"


class PriceMode(StrEnum):
    BEST = "best"
    AVERAGE = "average"
    TYPED = "typed"


@dataclass(frozen=True)
class Member:
    """A participant as the officer validated them; ``credited_s`` is what voice time says."""

    user_id: str
    credited_s: int
    below_minimum: bool
    gap_affected: bool
    included: bool
    donates: bool = False
    multiplier_milli: int = MILLI
    adjust_s: int = 0
    reason: str = ""
    decided_by: str | None = None
    decided_ms: int | None = None
    added_by: str | None = None  # an officer who added them by hand (they were not in voice)
    added_ms: int | None = None

    @property
    def added_by_hand(self) -> bool:
        return self.added_by is not None

    @property
    def seconds(self) -> int:
        """Credited seconds after the officer's adjustment (never below 0 by validation)."""
        return self.credited_s + self.adjust_s

    def participant(self) -> Participant:
        return Participant(
            self.user_id, self.seconds, self.multiplier_milli, self.included, self.donates
        )


@dataclass(frozen=True)
class PaidMark:
    by: str
    at_ms: int


@dataclass(frozen=True)
class PriorPayment:
    """What a payee was paid under an earlier version whose amount this version changed."""

    amount: int
    number: int  # the version it was paid under
    by: str
    at_ms: int


@dataclass(frozen=True)
class SentBefore:
    """A transfer sent under an earlier version (or, for a version paid payee by payee, a
    payment from its seller), with the version it was sent under and who marked it when."""

    transfer: Transfer
    number: int
    by: str
    at_ms: int


@dataclass(frozen=True)
class StoredSettlement:
    """The plan a final version is paid with: its transfers as planned at finalize (unpaid),
    who held the org's cut, and a paid mark per transfer, by (sender, receiver).

    ``sent_before``: what moved under the versions an amendment replaced, every earlier one
    folded in; the plan was made from the holdings those moves left, so it asks only for
    what was still missing."""

    treasurer_id: str | None
    transfers: tuple[Transfer, ...]
    marks: Mapping[tuple[str, str], PaidMark] = field(default_factory=dict)
    sent_before: tuple[SentBefore, ...] = ()

    def holders(self) -> dict[str, str]:
        """Payee -> the member holding their payout: the org's cut with the treasurer."""
        return {ORG_PAYEE_ID: self.treasurer_id} if self.treasurer_id else {}


@dataclass(frozen=True)
class OreEntry:
    """An ore amount as typed: the price is resolved from the snapshot unless typed."""

    ore_id: int
    scu_centi: int
    mode: PriceMode = PriceMode.BEST
    typed_price: int | None = None


@dataclass(frozen=True)
class PayrollVersion:
    guild_id: str
    payroll_id: str
    session_id: str
    session_name: str
    session_type: SessionType
    session_creator: str
    session_version: int
    number: int
    status: PayrollStatus
    rev: int
    created_by: str
    created_ms: int
    updated_by: str
    updated_ms: int
    donation_policy: DonationPolicy
    transfer_fee_bp: int
    minimum_s: int
    members: tuple[Member, ...] = ()
    income: tuple[IncomeLine, ...] = ()
    expenses: tuple[Expense, ...] = ()
    flats: tuple[FlatAmount, ...] = ()
    percentages: tuple[Percentage, ...] = ()
    stale_accepted_ms: int | None = None  # the old snapshot the officer chose to use anyway
    stale_accepted_by: str | None = None  # who accepted it
    stale_accepted_at: int | None = None  # and when
    price_snapshot_ms: int | None = None  # the snapshot the latest snapshot price came from
    supersedes: str | None = None
    superseded_by: str | None = None
    finalized_by: str | None = None
    finalized_ms: int | None = None
    result: PayrollResult | None = None
    paid: Mapping[str, PaidMark] = field(default_factory=dict)
    # Set when an amendment is finalized; None on a version stored before it existed.
    paid_before: Mapping[str, PriorPayment] | None = field(default_factory=dict)
    # A final version paid by a settlement plan (several sellers); None: paid payee by payee.
    settlement: StoredSettlement | None = None

    @property
    def is_draft(self) -> bool:
        return self.status is PayrollStatus.DRAFT

    @property
    def added_by_hand(self) -> int:
        """How many members an officer added by hand."""
        return sum(1 for m in self.members if m.added_by_hand)

    def member(self, user_id: str) -> Member:
        found = next((m for m in self.members if m.user_id == user_id), None)
        if found is None:
            raise ValidationError("That member is not a participant of this session.")
        return found

    def to_input(self) -> PayrollInput:
        return PayrollInput(
            income=self.income,
            expenses=self.expenses,
            flats=self.flats,
            percentages=self.percentages,
            participants=[m.participant() for m in self.members],
            donation_policy=self.donation_policy,
            transfer_fee_bp=self.transfer_fee_bp,
        )

    def payees(self) -> list[tuple[str, int]]:
        """(payee, net aUEC) of a computed version, most first; nobody with nothing to get."""
        if self.result is None:
            return []
        nets = self.result.payouts_by_payee()
        return sorted(
            ((payee, net) for payee, net in nets.items() if net > 0), key=lambda p: (-p[1], p[0])
        )


@dataclass(frozen=True)
class AddedMembers:
    """The draft after members were added by hand, and whom the pick skipped and why."""

    version: PayrollVersion
    added: tuple[str, ...]
    already: tuple[str, ...] = ()  # already on the payroll
    bots: tuple[str, ...] = ()  # bots are never paid


@dataclass(frozen=True)
class PayrollHead:
    session_id: str
    draft_id: str | None = None
    final_id: str | None = None
    version_ids: tuple[str, ...] = ()
    participants: int | None = None
    participants_version: int | None = None


@dataclass(frozen=True)
class PayableSession:
    session: Session
    participants: int | None  # None: not counted yet


@dataclass(frozen=True)
class Owed:
    """A payee not marked paid: their net, and what an earlier version already paid them."""

    payee_id: str
    net: int
    paid_before: int | None = None
    paid_under: int | None = None  # the number of the version it was paid under

    @property
    def due(self) -> int:
        """Still to pay; below zero when an earlier version paid more than this one gives."""
        return self.net - (self.paid_before or 0)


@dataclass(frozen=True)
class AuditEntry:
    at_ms: int
    by: str
    action: str
    payroll_id: str
    session_id: str
    detail: str
