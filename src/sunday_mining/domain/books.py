"""The books: what final payrolls add up to for the org, for each member and for the officer.

Pure and standard library only. The input is every finalized payroll version of the guild (or
of the months asked about) as :class:`FinalPayroll`; a version an amendment replaced is left out
wherever it is found, so each op counts once, as its current final version says. Money is
``int`` aUEC, times are UTC epoch milliseconds, durations seconds.

An op belongs to the month (and the period) in which it started, in the guild's time zone: an
amendment finalized weeks later replaces the original in the same month, and a month's ledger
never changes because someone corrected an older payroll in another month.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sunday_mining.domain.errors import ValidationError
from sunday_mining.domain.payroll import ORG_PAYEE_ID, LineKind, PayoutLine

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_DAYS = re.compile(r"([0-9]{1,4}) ?d(?:ays?)?", re.IGNORECASE)
MAX_DAYS = 3_660  # ten years: a period typed in days is "the last N days"
_ORG_CUT_KINDS = (LineKind.PERCENTAGE, LineKind.FLAT)


# --- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attendee:
    """A member listed on a payroll (seen in voice or added by hand), with the seconds credited
    after the officer's adjustments, paid or not."""

    user_id: str
    credited_s: int


@dataclass(frozen=True)
class EarlierPayment:
    """What a payee was paid under an earlier version whose amount this version changed."""

    amount: int
    at_ms: int


@dataclass(frozen=True)
class FinalPayroll:
    """One finalized payroll version, as the books read it.

    ``lines`` are the engine's lines as stored at finalize; ``paid`` maps a payee to when they
    were marked paid in this version (a mark carried over from the replaced version keeps its
    time); ``paid_before`` is what earlier versions paid payees whose amount this one changed.
    """

    payroll_id: str
    session_id: str
    session_name: str
    number: int
    op_ms: int  # when the op started: the month and the period it belongs to
    finalized_ms: int
    gross: int
    lines: tuple[PayoutLine, ...]
    attendees: tuple[Attendee, ...] = ()
    paid: Mapping[str, int] = field(default_factory=dict)
    paid_before: Mapping[str, EarlierPayment] = field(default_factory=dict)
    supersedes: str | None = None
    superseded_by: str | None = None

    def payouts(self) -> dict[str, int]:
        """Net aUEC per payee: what arrives after the transfer fee."""
        nets: dict[str, int] = defaultdict(int)
        for line in self.lines:
            nets[line.payee_id] += line.net
        return dict(nets)


def current(payrolls: Iterable[FinalPayroll]) -> list[FinalPayroll]:
    """The versions no amendment replaced, oldest op first."""
    by_id = {p.payroll_id: p for p in payrolls}
    replaced = {p.supersedes for p in by_id.values() if p.supersedes}
    kept = [p for p in by_id.values() if p.superseded_by is None and p.payroll_id not in replaced]
    return sorted(kept, key=lambda p: (p.op_ms, p.payroll_id))


# --- periods --------------------------------------------------------------------------------


def to_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // _MS


def month_of(ms: int, time_zone: str) -> str:
    """The month ``ms`` falls in, in ``time_zone``, as YYYY-MM ("2026-06")."""
    local = (_EPOCH + ms * _MS).astimezone(ZoneInfo(time_zone))
    return f"{local.year:04d}-{local.month:02d}"


@dataclass(frozen=True)
class Period:
    """From ``start_ms`` up to, not including, ``end_ms``."""

    start_ms: int
    end_ms: int
    label: str = ""

    def __contains__(self, ms: object) -> bool:
        return isinstance(ms, int) and self.start_ms <= ms < self.end_ms

    @classmethod
    def month(cls, year: int, month: int, time_zone: str) -> Period:
        """The calendar month in ``time_zone``, midnight to midnight."""
        zone = ZoneInfo(time_zone)
        start = datetime(year, month, 1, tzinfo=zone)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
        return cls(to_ms(start), to_ms(end), f"{year:04d}-{month:02d}")


def parse_month(text: str, time_zone: str) -> Period:
    """A month typed as YYYY-MM, or ValidationError saying so."""
    found = _MONTH.fullmatch(text.strip())
    if found is None or not 1 <= int(found[2]) <= 12 or int(found[1]) < 2000:
        raise ValidationError("Type the month as YYYY-MM, for example 2026-06.")
    return Period.month(int(found[1]), int(found[2]), time_zone)


def parse_period(text: str, time_zone: str, now_ms: int) -> Period:
    """A period typed as a month (YYYY-MM) or as the last N days ("90d", up to now), or
    ValidationError naming both forms."""
    typed = text.strip()
    days = _DAYS.fullmatch(typed)
    if days is not None and 1 <= int(days[1]) <= MAX_DAYS:
        return last_days(int(days[1]), now_ms)
    try:
        return parse_month(typed, time_zone)
    except ValidationError:
        raise ValidationError(
            "Type the period as a month (YYYY-MM, for example 2026-11) or a number of days "
            "(for example 90d)."
        ) from None


def last_days(days: int, now_ms: int) -> Period:
    """The ``days`` days up to ``now_ms`` (included)."""
    unit = "day" if days == 1 else f"{days} days"
    return Period(now_ms - days * 86_400_000, now_ms + 1, f"the last {unit}")


# --- the org's ledger -----------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerAmounts:
    """What the org took and what left the haul other than pay, in aUEC.

    ``org_cut``: the org's percentages and flat amounts; ``donations``: time shares donated to
    the org; ``reimbursed``: expenses paid back to whoever claimed them; ``fees``: transfer fees
    of every payee (the org's own included), lost to the game.
    """

    gross: int = 0
    org_cut: int = 0
    donations: int = 0
    reimbursed: int = 0
    fees: int = 0

    @property
    def to_org(self) -> int:
        return self.org_cut + self.donations

    def __add__(self, other: LedgerAmounts) -> LedgerAmounts:
        return LedgerAmounts(
            self.gross + other.gross,
            self.org_cut + other.org_cut,
            self.donations + other.donations,
            self.reimbursed + other.reimbursed,
            self.fees + other.fees,
        )


@dataclass(frozen=True)
class LedgerPayroll:
    payroll_id: str
    session_id: str
    session_name: str
    number: int  # an amendment's number is above 1
    op_ms: int
    month: str
    amounts: LedgerAmounts


@dataclass(frozen=True)
class LedgerMonth:
    month: str
    payrolls: int
    amounts: LedgerAmounts


@dataclass(frozen=True)
class Ledger:
    payrolls: tuple[LedgerPayroll, ...]  # oldest op first
    months: tuple[LedgerMonth, ...]  # oldest first
    total: LedgerAmounts


def ledger_amounts(payroll: FinalPayroll, org_payee_id: str = ORG_PAYEE_ID) -> LedgerAmounts:
    org_cut = donations = reimbursed = fees = 0
    for line in payroll.lines:
        fees += line.fee
        if line.kind is LineKind.REIMBURSEMENT:
            reimbursed += line.amount
        elif line.payee_id == org_payee_id and line.kind in _ORG_CUT_KINDS:
            org_cut += line.amount
        elif line.payee_id == org_payee_id and line.kind is LineKind.DONATION_RECEIVED:
            donations += line.amount
    return LedgerAmounts(payroll.gross, org_cut, donations, reimbursed, fees)


def ledger(
    payrolls: Iterable[FinalPayroll],
    time_zone: str,
    period: Period | None = None,
    org_payee_id: str = ORG_PAYEE_ID,
) -> Ledger:
    """The org's ledger per payroll and per month, with totals, of the ops in ``period`` (every
    op when None)."""
    rows = tuple(
        LedgerPayroll(
            p.payroll_id,
            p.session_id,
            p.session_name,
            p.number,
            p.op_ms,
            month_of(p.op_ms, time_zone),
            ledger_amounts(p, org_payee_id),
        )
        for p in current(payrolls)
        if period is None or p.op_ms in period
    )
    months: dict[str, list[LedgerPayroll]] = defaultdict(list)
    for row in rows:
        months[row.month].append(row)
    return Ledger(
        rows,
        tuple(
            LedgerMonth(month, len(found), _sum(r.amounts for r in found))
            for month, found in sorted(months.items())
        ),
        _sum(r.amounts for r in rows),
    )


def _sum(amounts: Iterable[LedgerAmounts]) -> LedgerAmounts:
    total = LedgerAmounts()
    for part in amounts:
        total += part
    return total


# --- what each payee is paid and owed -------------------------------------------------------


@dataclass(frozen=True)
class PayeeLine:
    """One payee in one current final payroll: their payout, and whether it has been paid."""

    payee_id: str
    payroll_id: str
    session_id: str
    session_name: str
    number: int
    op_ms: int
    payout: int  # net aUEC this version gives them
    paid_ms: int | None = None  # marked paid, then
    paid_before: int = 0  # paid under an earlier version whose amount this one changed
    owed_since_ms: int | None = None  # finalized with this payee unpaid, then

    @property
    def paid(self) -> bool:
        return self.paid_ms is not None

    @property
    def due(self) -> int:
        """Still to pay; below zero when an earlier version paid more than this one gives."""
        return 0 if self.paid else self.payout - self.paid_before

    @property
    def owed(self) -> int:
        return max(self.due, 0)

    @property
    def over_paid(self) -> int:
        return max(-self.due, 0)


def payee_lines(payrolls: Iterable[FinalPayroll]) -> list[PayeeLine]:
    """Every payee of every current final payroll, oldest op first (the org included)."""
    given = list(payrolls)
    by_id = {p.payroll_id: p for p in given}
    return [line for p in current(given) for line in _lines_of(p, by_id)]


def _lines_of(payroll: FinalPayroll, by_id: Mapping[str, FinalPayroll]) -> list[PayeeLine]:
    nets = payroll.payouts()
    payees = {payee for payee, net in nets.items() if net > 0} | set(payroll.paid_before)
    found = []
    for payee in sorted(payees):
        paid_ms = payroll.paid.get(payee)
        before = payroll.paid_before.get(payee)
        line = PayeeLine(
            payee,
            payroll.payroll_id,
            payroll.session_id,
            payroll.session_name,
            payroll.number,
            payroll.op_ms,
            nets.get(payee, 0),
            paid_ms,
            before.amount if before else 0,
        )
        if line.owed:
            line = _with_owed_since(line, payroll, by_id)
        found.append(line)
    return found


def _with_owed_since(
    line: PayeeLine, payroll: FinalPayroll, by_id: Mapping[str, FinalPayroll]
) -> PayeeLine:
    """Owed since the first version of the chain that left them unpaid: an amendment does not
    restart the clock, unless an earlier payment made the difference it now owes."""
    since, version = payroll.finalized_ms, payroll
    while line.payee_id not in version.paid_before and version.supersedes:
        earlier = by_id.get(version.supersedes)
        if earlier is None or line.payee_id in earlier.paid:
            break
        if earlier.payouts().get(line.payee_id, 0) <= 0:
            break
        since, version = earlier.finalized_ms, earlier
    return replace(line, owed_since_ms=since)


@dataclass(frozen=True)
class MemberView:
    """A member's lines in the current final payrolls, newest op first, and what they add up
    to."""

    user_id: str
    lines: tuple[PayeeLine, ...]

    @property
    def payout(self) -> int:
        return sum(line.payout for line in self.lines)

    @property
    def owed(self) -> int:
        return sum(line.owed for line in self.lines)


def member_view(payrolls: Iterable[FinalPayroll], user_id: str) -> MemberView:
    mine = [line for line in payee_lines(payrolls) if line.payee_id == user_id]
    return MemberView(user_id, tuple(reversed(mine)))


def still_owed(
    payrolls: Iterable[FinalPayroll], org_payee_id: str = ORG_PAYEE_ID
) -> list[PayeeLine]:
    """Every payee still owed something, oldest debt first; the org's own lines are what it
    keeps of the haul, so it is never owed."""
    owed = [line for line in payee_lines(payrolls) if line.owed and line.payee_id != org_payee_id]
    return sorted(
        owed, key=lambda x: (x.owed_since_ms or 0, x.op_ms, x.payroll_id, -x.owed, x.payee_id)
    )


# --- attendance and pay per member ----------------------------------------------------------


@dataclass(frozen=True)
class MemberStats:
    """One member over a period: ops attended, seconds credited, what the payrolls of those ops
    give them and what of it is still owed; ``last_op_ms`` is the latest op attended up to the
    period's end (before it, for a member who attended none in it)."""

    user_id: str
    ops: int = 0
    credited_s: int = 0
    payout: int = 0
    owed: int = 0
    last_op_ms: int | None = None


def member_stats(
    payrolls: Iterable[FinalPayroll], period: Period, org_payee_id: str = ORG_PAYEE_ID
) -> list[MemberStats]:
    """Everyone who attended or was paid in ``period``, then those who attended only before it
    (with nothing in it); most ops first, then most time, then user id."""
    given = list(payrolls)
    ops: dict[str, int] = defaultdict(int)
    seconds: dict[str, int] = defaultdict(int)
    last: dict[str, int] = {}
    for p in current(given):
        if p.op_ms >= period.end_ms:
            continue
        for person in p.attendees:
            last[person.user_id] = max(last.get(person.user_id, p.op_ms), p.op_ms)
            if p.op_ms in period:
                ops[person.user_id] += 1
                seconds[person.user_id] += person.credited_s
    payout: dict[str, int] = defaultdict(int)
    owed: dict[str, int] = defaultdict(int)
    for line in payee_lines(given):
        if line.op_ms in period:
            payout[line.payee_id] += line.payout
            owed[line.payee_id] += line.owed
    everyone = (set(last) | set(payout)) - {org_payee_id}
    stats = [MemberStats(u, ops[u], seconds[u], payout[u], owed[u], last.get(u)) for u in everyone]
    return sorted(stats, key=lambda s: (-s.ops, -s.credited_s, -s.payout, s.user_id))
