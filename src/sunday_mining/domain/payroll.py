"""Payroll: turn a haul into every payee's aUEC, to the last unit.

Pure and standard library only. Money is ``int`` aUEC, SCU is integer centi-SCU, percentages
are basis points (1 % = 100 bp) and multipliers thousandths (1000 = x1.0); no float anywhere.

The steps follow DESIGN.md "Payroll" in order: gross, expenses, flat amounts, percentages (all
of the pool left after expenses and flats), time shares, donations, transfer fees. Every
allocation is rounded once for the whole group by largest remainder, so the lines, the fees and
the expenses nobody claimed add up to the gross exactly. The result never depends on the order
of the input: everything is sorted by stable keys first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from sunday_mining.domain.durations import duration_text
from sunday_mining.domain.errors import ValidationError
from sunday_mining.domain.guild import DonationPolicy
from sunday_mining.domain.prices import format_auec

FULL_BP = 10_000  # 100 %
MILLI = 1_000  # multiplier x1.0
CENTI_PER_SCU = 100
MAX_SCU_PER_LINE = 100_000  # a whole fleet's haul is far below this; more is a typo
MAX_SCU_CENTI_PER_LINE = MAX_SCU_PER_LINE * CENTI_PER_SCU
MAX_PRICE_PER_SCU = 1_000_000  # aUEC; the dearest ore sells for a few tens of thousands
MAX_SALE_TOTAL = MAX_SCU_PER_LINE * MAX_PRICE_PER_SCU  # the most one ore line could be worth
MAX_MULTIPLIER_MILLI = 10 * MILLI
MAX_TRANSFER_FEE_BP = 1_000  # mirrors the guild setting's 0-10 % range
ORG_PAYEE_ID = "org"
PRICE_TYPED = "typed"
_LABEL_CHARS = 40
_TIMES = "\u00d7"  # the multiplication sign, escaped because linters take it for an x


class LineKind(StrEnum):
    """Why a payee receives (or, for the fee, loses) an amount."""

    SHARE = "share"
    DONATION_RECEIVED = "donation_received"
    FLAT = "flat"
    PERCENTAGE = "percentage"
    REIMBURSEMENT = "reimbursement"
    TRANSFER_FEE = "transfer_fee"


_KIND_ORDER = {kind: rank for rank, kind in enumerate(LineKind)}
# Module-level names for the members: in 3.11 ``LineKind.SHARE`` is a Python-level lookup, and a
# payroll of 1,000 payees touches them thousands of times.
_SHARE, _DONATION_RECEIVED, _FLAT, _PERCENTAGE, _REIMBURSEMENT, _TRANSFER_FEE = LineKind


# --- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncomeLine:
    """Ore times a price per SCU, or a sale total typed by the officer (what a terminal paid).

    Build one with :meth:`ore` or :meth:`sale`; a line with ``sale_total`` set is a sale.
    """

    ore_id: int | None = None
    ore_name: str = ""
    scu_centi: int = 0
    price_per_scu: int = 0
    price_source: str = PRICE_TYPED  # "snapshot:best", "snapshot:terminal:123", "typed"
    snapshot_ms: int | None = None
    sale_total: int | None = None
    label: str = ""
    # Who sold it and holds its aUEC; it never changes the payroll, only who pays whom after.
    seller_id: str | None = None

    @classmethod
    def ore(
        cls,
        ore_id: int,
        ore_name: str,
        scu_centi: int,
        price_per_scu: int,
        price_source: str = PRICE_TYPED,
        snapshot_ms: int | None = None,
        *,
        seller_id: str | None = None,
    ) -> IncomeLine:
        return cls(
            ore_id,
            ore_name,
            scu_centi,
            price_per_scu,
            price_source,
            snapshot_ms,
            seller_id=seller_id,
        )

    @classmethod
    def sale(cls, sale_total: int, label: str, *, seller_id: str | None = None) -> IncomeLine:
        return cls(sale_total=sale_total, label=label, seller_id=seller_id)

    @property
    def is_sale(self) -> bool:
        return self.sale_total is not None

    @property
    def name(self) -> str:
        return _quote(self.label or "Sale") if self.is_sale else _quote(self.ore_name or "Ore")

    @property
    def value(self) -> int:
        """Whole aUEC: a sale as typed; ore as SCU x price, rounded half-up once per line."""
        if self.sale_total is not None:
            return self.sale_total
        return _half_up(self.scu_centi * self.price_per_scu, CENTI_PER_SCU)


@dataclass(frozen=True)
class Expense:
    """A cost of the op; reimbursed to the claimant, or just deducted when nobody claims it."""

    label: str
    amount: int
    claimant_id: str | None = None


@dataclass(frozen=True)
class FlatAmount:
    """A fixed amount to a named payee (escort, hauler), paid before any percentage."""

    label: str
    payee_id: str
    amount: int


@dataclass(frozen=True)
class Percentage:
    """A cut of the pool left after expenses and flats (org cut and the like)."""

    label: str
    payee_id: str
    basis_points: int


@dataclass(frozen=True)
class Participant:
    """Someone who sat in the op: paid by credited seconds x multiplier unless excluded."""

    user_id: str
    credited_seconds: int
    multiplier_milli: int = MILLI
    included: bool = True
    donates: bool = False

    @property
    def weight(self) -> int:
        return self.credited_seconds * self.multiplier_milli if self.included else 0


@dataclass(frozen=True)
class PayrollInput:
    income: Sequence[IncomeLine]
    expenses: Sequence[Expense]
    flats: Sequence[FlatAmount]
    percentages: Sequence[Percentage]
    participants: Sequence[Participant]
    donation_policy: DonationPolicy
    transfer_fee_bp: int = 0
    org_payee_id: str = ORG_PAYEE_ID


# --- outputs --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PayoutLine:
    """What one payee gets for one reason; ``net = amount - fee``.

    Fees are their own line (kind TRANSFER_FEE: amount 0, fee > 0, net = -fee), so summing a
    payee's lines gives what was allocated to them, what the transfer costs and what arrives.
    """

    payee_id: str
    kind: LineKind
    amount: int
    fee: int
    net: int
    explanation: str


@dataclass(frozen=True)
class UnpaidParticipant:
    user_id: str
    reason: str


@dataclass(frozen=True)
class PayrollResult:
    gross: int
    lines: list[PayoutLine]
    explanations: list[str]
    unpaid: list[UnpaidParticipant]
    deducted: int  # expenses with no claimant: spent, paid to nobody here
    pool: int  # after expenses and flats; the base of every percentage
    share_pool: int  # what the time shares split
    donated: int
    donation_policy: DonationPolicy  # as applied: RESPLIT falls back to ORG if all donate

    @property
    def total_fees(self) -> int:
        return sum(line.fee for line in self.lines)

    def payouts_by_payee(self) -> dict[str, int]:
        """Net aUEC per payee (what arrives after the transfer fee), by payee id."""
        nets: dict[str, int] = {}
        for line in self.lines:
            nets[line.payee_id] = nets.get(line.payee_id, 0) + line.net
        return dict(sorted(nets.items()))

    def total_of(self, kind: LineKind) -> int:
        return sum(line.amount for line in self.lines if line.kind == kind)


# --- formatting -----------------------------------------------------------------------------


def _format_bp(basis_points: int) -> str:
    whole, hundredths = divmod(basis_points, 100)
    return f"{whole}.{hundredths:02d}".rstrip("0").rstrip(".") + " %"


def _format_scu(scu_centi: int) -> str:
    whole, centi = divmod(scu_centi, CENTI_PER_SCU)
    return f"{whole:,}.{centi:02d}".rstrip("0").rstrip(".") + " SCU"


@cache  # a payroll has a handful of distinct multipliers and up to a thousand participants
def _format_multiplier(milli: int) -> str:
    whole, frac = divmod(milli, MILLI)
    return _TIMES + f"{whole}.{frac:03d}".rstrip("0").rstrip(".")


def _format_fraction(numerator: int, denominator: int) -> str:
    """numerator / denominator as a percentage with two decimals, rounded half-up."""
    return _format_bp(_half_up(numerator * FULL_BP, denominator)) if denominator else "0 %"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _quote(label: str) -> str:
    text = " ".join(label.split())
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


def _half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


# --- validation -----------------------------------------------------------------------------


def _require_whole(value: object, what: str) -> None:
    # bool is an int and a float is a typo waiting to lose aUEC: both are refused.
    if type(value) is not int:
        raise ValidationError(f"{what} must be a whole number.")


def _require_amount(value: int, what: str) -> None:
    _require_whole(value, what)
    if value < 0:
        raise ValidationError(f"{what} is negative; type 0 aUEC or more.")


def _require_payee(payee_id: str, what: str) -> None:
    if not payee_id.strip():
        raise ValidationError(f"{what} has no payee; pick who receives it.")


def _validate_ore(line: IncomeLine) -> None:
    name = line.name
    _require_whole(line.scu_centi, f"The SCU of {name}")
    _require_whole(line.price_per_scu, f"The price of {name}")
    if line.scu_centi <= 0:
        raise ValidationError(f"{name} has no SCU; type an amount above 0 or remove the line.")
    if line.scu_centi > MAX_SCU_CENTI_PER_LINE:
        raise ValidationError(
            f"{name}: {_format_scu(line.scu_centi)} is more than the "
            f"{MAX_SCU_PER_LINE:,} SCU one line may hold; check the amount."
        )
    if line.price_per_scu < 0:
        raise ValidationError(f"The price of {name} is negative; type a price above 0 aUEC.")
    if line.price_per_scu == 0:
        # The previous bot valued unpriced ore at 0 without a word; say so instead.
        raise ValidationError(f"{name} has no price; pick a price source or type the price.")
    if line.price_per_scu > MAX_PRICE_PER_SCU:
        raise ValidationError(
            f"{name}: {line.price_per_scu:,} aUEC per SCU is more than the "
            f"{format_auec(MAX_PRICE_PER_SCU)} cap; check the price."
        )


def _validate_sale(line: IncomeLine, total: int) -> None:
    name = line.name
    _require_whole(total, f"The sale total of {name}")
    if line.ore_id is not None:
        raise ValidationError(f"{name} has both an ore and a sale total; keep one of them.")
    if total <= 0:
        raise ValidationError(f"The sale total of {name} must be more than 0 aUEC.")
    if total > MAX_SALE_TOTAL:
        raise ValidationError(
            f"The sale total of {name} is more than {format_auec(MAX_SALE_TOTAL)}; check it."
        )


def _validate_income(lines: Sequence[IncomeLine]) -> None:
    for line in lines:
        if line.sale_total is not None:
            _validate_sale(line, line.sale_total)
        elif line.ore_id is None:
            raise ValidationError("An income line needs an ore or a sale total; fill one in.")
        else:
            _validate_ore(line)


def _validate_cuts(inp: PayrollInput) -> None:
    for expense in inp.expenses:
        _require_amount(expense.amount, f"Expense {_quote(expense.label)}")
        if expense.claimant_id is not None:
            _require_payee(expense.claimant_id, f"Expense {_quote(expense.label)}")
    for flat in inp.flats:
        _require_amount(flat.amount, f"Flat amount {_quote(flat.label)}")
        _require_payee(flat.payee_id, f"Flat amount {_quote(flat.label)}")
    for cut in inp.percentages:
        _require_whole(cut.basis_points, f"Percentage {_quote(cut.label)}")
        if cut.basis_points < 0:
            raise ValidationError(f"Percentage {_quote(cut.label)} is negative; type 0 % or more.")
        _require_payee(cut.payee_id, f"Percentage {_quote(cut.label)}")
    total_bp = sum(cut.basis_points for cut in inp.percentages)
    if total_bp > FULL_BP:
        raise ValidationError(
            f"Percentages add up to {_format_bp(total_bp)}; lower them to 100 % or less in total."
        )


def _validate_participants(participants: Sequence[Participant]) -> None:
    seen: set[str] = set()
    for person in participants:
        who = f"Participant {_quote(person.user_id)}"
        _require_payee(person.user_id, "A participant")
        if person.user_id in seen:
            raise ValidationError(f"{who} is listed twice; keep one entry.")
        seen.add(person.user_id)
        _require_whole(person.credited_seconds, f"The credited time of {who}")
        _require_whole(person.multiplier_milli, f"The multiplier of {who}")
        if person.credited_seconds < 0:
            raise ValidationError(f"{who} has negative credited time; fix their time adjustment.")
        if not 0 <= person.multiplier_milli <= MAX_MULTIPLIER_MILLI:
            raise ValidationError(
                f"The multiplier of {who} must be between {_TIMES}0 and {_TIMES}10."
            )


def _validate_settings(inp: PayrollInput) -> None:
    _require_whole(inp.transfer_fee_bp, "The transfer fee")
    if not 0 <= inp.transfer_fee_bp <= MAX_TRANSFER_FEE_BP:
        raise ValidationError(
            f"The transfer fee must be between 0 % and {_format_bp(MAX_TRANSFER_FEE_BP)}."
        )
    _require_payee(inp.org_payee_id, "The org")
    if inp.donation_policy not in set(DonationPolicy):
        raise ValidationError("The donation policy must be 'org' or 'resplit'.")


def validate(inp: PayrollInput) -> None:
    """Raise ValidationError, with what to fix, for anything compute() would refuse."""
    compute(inp)


# --- the ledger being built -----------------------------------------------------------------


class _Book:
    """Amounts per (payee, kind) with the words that explain them, and the step-by-step story."""

    def __init__(self) -> None:
        self.amounts: dict[tuple[str, LineKind], int] = defaultdict(int)
        self.reasons: dict[tuple[str, LineKind], list[str]] = defaultdict(list)
        self.story: list[str] = []

    def add(self, payee_id: str, kind: LineKind, amount: int, reason: str) -> None:
        self.amounts[payee_id, kind] += amount
        self.reasons[payee_id, kind].append(reason)

    def note(self, sentence: str) -> None:
        self.story.append(sentence)

    def received(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for (payee_id, _kind), amount in self.amounts.items():
            totals[payee_id] += amount
        return dict(sorted(totals.items()))

    def lines(self) -> list[PayoutLine]:
        keys = sorted(self.amounts, key=lambda key: (key[0], _KIND_ORDER[key[1]]))
        return [self._line(payee_id, kind) for payee_id, kind in keys]

    def _line(self, payee_id: str, kind: LineKind) -> PayoutLine:
        amount, reasons = self.amounts[payee_id, kind], self.reasons[payee_id, kind]
        reason = reasons[0] if len(reasons) == 1 else "; ".join(reasons)
        if kind is _TRANSFER_FEE:
            return PayoutLine(payee_id, kind, 0, amount, -amount, reason)
        return PayoutLine(payee_id, kind, amount, 0, amount, reason)


# --- rounding -------------------------------------------------------------------------------

_TieKey = tuple[int, str]


def _largest_remainder(total: int, claims: Sequence[tuple[int, _TieKey]]) -> list[int]:
    """Split ``total`` in proportion to the claims' weights, rounding once for the whole group.

    Each claim gets the floor of its exact quota; the units left over go one each to the largest
    remainders, ties to the larger weight, then the smaller tie key. Integer-only, so the parts
    always add up to ``total`` and never depend on the order of ``claims``.
    """
    weight_sum = sum(weight for weight, _key in claims)
    if weight_sum == 0:
        return [0] * len(claims)
    splits = [divmod(total * weight, weight_sum) for weight, _key in claims]
    left = total - sum(floor for floor, _rem in splits)
    ranked = sorted(range(len(claims)), key=lambda i: (-splits[i][1], -claims[i][0], claims[i][1]))
    parts = [floor for floor, _rem in splits]
    for i in ranked[:left]:
        parts[i] += 1
    return parts


# --- the steps ------------------------------------------------------------------------------


def _income_key(line: IncomeLine) -> tuple[object, ...]:
    return (
        line.is_sale,
        line.ore_name,
        line.label,
        line.ore_id or 0,
        line.scu_centi,
        line.price_per_scu,
        line.price_source,
        line.snapshot_ms or 0,
        line.sale_total or 0,
    )


def _explain_ore(line: IncomeLine) -> str:
    exact = line.scu_centi * line.price_per_scu
    whole, centi = divmod(exact, CENTI_PER_SCU)
    rounding = "exactly" if centi == 0 else f"{whole:,}.{centi:02d} rounded half-up to whole aUEC"
    # Where the price came from is said once for the whole haul, by whoever shows the story.
    return (
        f"{line.name}: {_format_scu(line.scu_centi)} {_TIMES} {line.price_per_scu:,} aUEC per SCU "
        f"= {format_auec(line.value)} ({rounding})."
    )


def _gross(lines: Sequence[IncomeLine], book: _Book) -> int:
    for line in sorted(lines, key=_income_key):
        if line.is_sale:
            book.note(f"{line.name}: sale total {format_auec(line.value)}, as typed.")
        else:
            book.note(_explain_ore(line))
    gross = sum(line.value for line in lines)
    book.note(f"Gross: {format_auec(gross)}.")
    return gross


def _expenses(expenses: Sequence[Expense], book: _Book) -> int:
    """Book the reimbursements; return what nobody claims (deducted, paid to nobody here)."""
    deducted = 0
    for expense in sorted(expenses, key=lambda e: (e.label, e.claimant_id or "", e.amount)):
        label, amount = _quote(expense.label), format_auec(expense.amount)
        if expense.claimant_id is None:
            deducted += expense.amount
            book.note(f"Expense {label}: {amount}, deducted (nobody to reimburse).")
        else:
            book.add(expense.claimant_id, _REIMBURSEMENT, expense.amount, f"{label} {amount}")
            book.note(f"Expense {label}: {amount}, reimbursed to {expense.claimant_id}.")
    return deducted


def _flats(flats: Sequence[FlatAmount], book: _Book) -> None:
    for flat in sorted(flats, key=lambda f: (f.payee_id, f.label, f.amount)):
        label = _quote(flat.label)
        book.add(flat.payee_id, _FLAT, flat.amount, f"{label} {format_auec(flat.amount)}")
        book.note(f"Flat amount {label}: {format_auec(flat.amount)} to {flat.payee_id}.")


def _pool(inp: PayrollInput, gross: int, book: _Book) -> int:
    spent = sum(e.amount for e in inp.expenses) + sum(f.amount for f in inp.flats)
    if spent > gross:
        raise ValidationError(
            f"Expenses and flat amounts ({format_auec(spent)}) are more than the gross "
            f"({format_auec(gross)}); lower them or add income."
        )
    book.note(f"Pool after expenses and flats: {format_auec(gross - spent)}.")
    return gross - spent


def _percentages(cuts: Sequence[Percentage], pool: int, book: _Book) -> int:
    """Book every cut of the same pool in one rounding; return what is left for time shares."""
    by_payee: dict[str, list[Percentage]] = defaultdict(list)
    for cut in sorted(cuts, key=lambda c: (c.payee_id, c.label, c.basis_points)):
        by_payee[cut.payee_id].append(cut)
    payees = sorted(by_payee)
    weights = [sum(c.basis_points for c in by_payee[p]) for p in payees]
    # The time-share pool competes in the same rounding, so the cuts and the rest sum to the
    # pool; it sorts first, so on a tie of remainder and weight the crew gets the unit.
    claims = [(bp, (1, p)) for bp, p in zip(weights, payees, strict=True)]
    parts = _largest_remainder(pool, [*claims, (FULL_BP - sum(weights), (0, ""))])
    for payee_id, bp, part in zip(payees, weights, parts, strict=False):
        label = " + ".join(_quote(c.label) for c in by_payee[payee_id])
        said = f"{label} {_format_bp(bp)} of {pool:,} = {format_auec(part)}"
        book.add(payee_id, _PERCENTAGE, part, said)
        book.note(f"{said} to {payee_id}.")
    book.note(f"Left for time shares: {format_auec(parts[-1])}.")
    return parts[-1]


def _unpaid_reason(person: Participant) -> str | None:
    if not person.included:
        return "excluded"
    if person.credited_seconds == 0:
        return "no credited time"
    if person.multiplier_milli == 0:
        return f"multiplier {_TIMES}0"
    return None


def _sharers(
    participants: Sequence[Participant], book: _Book
) -> tuple[list[Participant], list[UnpaidParticipant]]:
    """Split participants into those with a time share and those listed but not paid."""
    paid: list[Participant] = []
    unpaid: list[UnpaidParticipant] = []
    for person in sorted(participants, key=lambda p: p.user_id):
        reason = _unpaid_reason(person)
        if reason is None:
            paid.append(person)
        else:
            unpaid.append(UnpaidParticipant(person.user_id, reason))
            book.note(f"{person.user_id} is not paid a time share: {reason}.")
    return paid, unpaid


def _split_by_weight(amount: int, people: Sequence[Participant]) -> list[int]:
    return _largest_remainder(amount, [(p.weight, (0, p.user_id)) for p in people])


def _share_reason(person: Participant, share: int, total_weight: int, share_pool: int) -> str:
    time = duration_text(person.credited_seconds)
    multiplier = _format_multiplier(person.multiplier_milli)
    part = _format_fraction(person.weight, total_weight)
    return f"{time} {multiplier} = {part} of {share_pool:,} = {format_auec(share)}"


def _time_shares(share_pool: int, paid: Sequence[Participant], book: _Book) -> list[int]:
    if share_pool > 0 and not paid:
        raise ValidationError(
            f"{format_auec(share_pool)} is left for time shares but no included participant "
            "has credited time; include someone or add a percentage that takes the rest."
        )
    total_weight = sum(p.weight for p in paid)
    shares = _split_by_weight(share_pool, paid)
    for person, share in zip(paid, shares, strict=True):
        reason = _share_reason(person, share, total_weight, share_pool)
        book.add(person.user_id, _SHARE, share, reason)
    if paid:
        weighted = duration_text(total_weight // MILLI)
        book.note(
            f"Time shares: {format_auec(share_pool)} split among "
            f"{_count(len(paid), 'participant')} by credited time {_TIMES} multiplier "
            f"({weighted} weighted); leftover aUEC go one each to the largest remainders, "
            "ties to the larger weight, then the lower user id."
        )
    return shares


def _donations(
    inp: PayrollInput,
    share_pool: int,
    paid: Sequence[Participant],
    shares: Sequence[int],
    book: _Book,
) -> tuple[int, DonationPolicy]:
    """Move donated time shares under the one policy; return the total and the policy applied."""
    pairs = list(zip(paid, shares, strict=True))
    donors = [(person, share) for person, share in pairs if person.donates]
    kept = [(person, share) for person, share in pairs if not person.donates]
    donated = sum(share for _person, share in donors)
    policy = DonationPolicy(inp.donation_policy)
    if not donors:
        return 0, policy
    if policy is DonationPolicy.RESPLIT and not kept:
        policy = DonationPolicy.ORG
        book.note(
            "Everyone with a time share donated, so nobody is left to re-split among; "
            f"the donations go to the org ({inp.org_payee_id}) instead."
        )
    target = inp.org_payee_id if policy is DonationPolicy.ORG else "the other participants"
    for person, share in donors:
        book.add(person.user_id, _SHARE, -share, f"donated to {target}")
    if policy is DonationPolicy.ORG:
        for person, share in donors:
            book.add(
                inp.org_payee_id,
                _DONATION_RECEIVED,
                share,
                f"{format_auec(share)} donated by {person.user_id}",
            )
    else:
        _resplit(share_pool, kept, donated, book)
    book.note(
        f"Donations: {_count(len(donors), 'participant')} donated {format_auec(donated)}, "
        f"which goes to {target}."
    )
    return donated, policy


def _resplit(
    share_pool: int, kept: Sequence[tuple[Participant, int]], donated: int, book: _Book
) -> None:
    """Re-split the donations among the non-donors by weight, rounding their time pay once.

    A non-donor's time pay is the whole time-share pool split among non-donors only, in one
    largest-remainder rounding, so more credited time never means less pay (two roundings in a
    row could take 1 aUEC back). Their donation line is that pay minus their time share.
    """
    people = [person for person, _share in kept]
    finals = _split_by_weight(share_pool, people)
    shares = _shares_within(finals, [share for _person, share in kept], people)
    for person, final, share, (_p, booked) in zip(people, finals, shares, kept, strict=True):
        if share != booked:
            book.add(
                person.user_id,
                _SHARE,
                share - booked,
                "1 aUEC moved to or from the re-split by rounding",
            )
        received = final - share
        said = f"{format_auec(received)} of the {donated:,} donated, re-split by weight"
        book.add(person.user_id, _DONATION_RECEIVED, received, said)


def _shares_within(
    finals: Sequence[int], shares: Sequence[int], people: Sequence[Participant]
) -> list[int]:
    """The time shares, nudged where a share is above its holder's pay after the re-split.

    The two roundings of one pool can disagree by 1 aUEC when someone's part of the donations is
    below 1 aUEC; that unit moves to the next non-donor with room (larger weight, then lower
    user id), so no line goes negative and the donations still add up to what was donated.
    """
    capped = [min(share, final) for share, final in zip(shares, finals, strict=True)]
    short = sum(shares) - sum(capped)
    if short == 0:
        return capped
    order = sorted(range(len(people)), key=lambda i: (-people[i].weight, people[i].user_id))
    for i in order:
        moved = min(short, finals[i] - capped[i])
        capped[i] += moved
        short -= moved
    return capped


def _transfer_fees(fee_bp: int, book: _Book) -> None:
    """Each payee's one in-game transfer loses fee_bp of what it carries (half-up per transfer)."""
    if fee_bp == 0:
        return
    total, rate = 0, _format_bp(fee_bp)
    for payee_id, received in book.received().items():
        fee = _half_up(received * fee_bp, FULL_BP)
        if fee > 0:
            said = f"{rate} of {received:,}, lost to the in-game transfer"
            book.add(payee_id, _TRANSFER_FEE, fee, said)
            total += fee
    book.note(
        f"Transfer fee {_format_bp(fee_bp)} per payee: {format_auec(total)} in total, "
        "lost to the in-game transfer."
    )


def _balance_check(lines: Sequence[PayoutLine], deducted: int, gross: int) -> str:
    """The closing sentence; a payroll that does not balance is a bug, never a user's input."""
    paid_out, fees = sum(line.net for line in lines), sum(line.fee for line in lines)
    if paid_out + fees + deducted != gross:
        raise AssertionError(f"payroll does not balance: {paid_out} + {fees} + {deducted}")
    return (
        f"Check: payouts {format_auec(paid_out)} + transfer fees {format_auec(fees)} + "
        f"unclaimed expenses {format_auec(deducted)} = gross {format_auec(gross)}."
    )


def _validate(inp: PayrollInput) -> None:
    _validate_settings(inp)
    _validate_income(inp.income)
    _validate_cuts(inp)
    _validate_participants(inp.participants)


def compute(inp: PayrollInput) -> PayrollResult:
    """The payroll of ``inp``, step by step; ValidationError (with what to fix) if refused."""
    _validate(inp)
    book = _Book()
    gross = _gross(inp.income, book)
    deducted = _expenses(inp.expenses, book)
    _flats(inp.flats, book)
    pool = _pool(inp, gross, book)
    share_pool = _percentages(inp.percentages, pool, book)
    paid, unpaid = _sharers(inp.participants, book)
    shares = _time_shares(share_pool, paid, book)
    donated, policy = _donations(inp, share_pool, paid, shares, book)
    _transfer_fees(inp.transfer_fee_bp, book)
    lines = book.lines()
    book.note(_balance_check(lines, deducted, gross))
    return PayrollResult(
        gross, lines, book.story, unpaid, deducted, pool, share_pool, donated, policy
    )
