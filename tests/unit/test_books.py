"""The books over final payrolls: a golden example of three ops, the second amended after one
member was paid, the third partly paid, computed by the payroll engine itself.

Members: 111 (Rocky) is in all three ops, 222 in all three, 333 donates in the second, 444 is
the escort paid a flat amount in the third, 555 attended only the first. The second op starts on
31 May at 22:30 UTC, which is already 1 June in Berlin.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from sunday_mining.domain.books import (
    Attendee,
    EarlierPayment,
    FinalPayroll,
    LedgerAmounts,
    MemberStats,
    PayeeLine,
    Period,
    current,
    ledger,
    member_stats,
    member_view,
    month_of,
    parse_month,
    parse_period,
    still_owed,
)
from sunday_mining.domain.errors import ValidationError
from sunday_mining.domain.guild import DonationPolicy
from sunday_mining.domain.payroll import (
    Expense,
    FlatAmount,
    IncomeLine,
    Participant,
    PayrollInput,
    Percentage,
    compute,
)

BERLIN = "Europe/Berlin"
HOUR = 3_600_000
DAY = 24 * HOUR
OP1 = int(datetime(2026, 5, 10, 18, 0, tzinfo=UTC).timestamp() * 1000)
OP2 = int(datetime(2026, 5, 31, 22, 30, tzinfo=UTC).timestamp() * 1000)
OP3 = int(datetime(2026, 6, 14, 18, 0, tzinfo=UTC).timestamp() * 1000)
ORG_CUT = Percentage("Org cut", "org", 1_000)  # 10 %


def _final(
    payroll_id: str,
    op_ms: int,
    finalized_ms: int,
    inp: PayrollInput,
    *,
    number: int = 1,
    paid: dict[str, int] | None = None,
    paid_before: dict[str, EarlierPayment] | None = None,
    supersedes: str | None = None,
    superseded_by: str | None = None,
) -> FinalPayroll:
    result = compute(inp)
    return FinalPayroll(
        payroll_id=payroll_id,
        session_id=f"ses-{payroll_id[:2]}",
        session_name=f"Op {payroll_id[:2]}",
        number=number,
        op_ms=op_ms,
        finalized_ms=finalized_ms,
        gross=result.gross,
        lines=tuple(result.lines),
        attendees=tuple(Attendee(p.user_id, p.credited_seconds) for p in inp.participants),
        paid=paid or {},
        paid_before=paid_before or {},
        supersedes=supersedes,
        superseded_by=superseded_by,
    )


def _op2(rocky_s: int, fee_bp: int = 50) -> PayrollInput:
    return PayrollInput(
        income=[IncomeLine.sale(200_000, "Quantainium at Levski")],
        expenses=[Expense("Refinery fee", 20_000, "222")],
        flats=[],
        percentages=[ORG_CUT],
        participants=[
            Participant("111", rocky_s),
            Participant("222", 3_600),
            Participant("333", 3_600, donates=True),
        ],
        donation_policy=DonationPolicy.ORG,
        transfer_fee_bp=fee_bp,
    )


P1 = _final(
    "p1",
    OP1,
    OP1 + 5 * HOUR,
    PayrollInput(
        income=[IncomeLine.sale(100_000, "Gems")],
        expenses=[],
        flats=[],
        percentages=[ORG_CUT],
        participants=[
            Participant("111", 3_600),
            Participant("222", 3_600),
            Participant("555", 1_800),
        ],
        donation_policy=DonationPolicy.ORG,
    ),
    paid={"111": OP1 + DAY, "222": OP1 + DAY, "555": OP1 + DAY},
)
# Rocky was paid 53,730 under the first version; the amendment doubles his time.
P2_V1 = _final(
    "p2-v1",
    OP2,
    OP2 + 4 * HOUR,
    _op2(3_600),
    paid={"111": OP2 + DAY},
    superseded_by="p2-v2",
)
P2_V2 = _final(
    "p2-v2",
    OP2,
    OP2 + 2 * DAY,
    _op2(7_200),
    number=2,
    paid_before={"111": EarlierPayment(53_730, OP2 + DAY)},
    supersedes="p2-v1",
)
P3 = _final(
    "p3",
    OP3,
    OP3 + 5 * HOUR,
    PayrollInput(
        income=[IncomeLine.sale(150_000, "Laranite")],
        expenses=[Expense("Fuel", 5_000, "111")],
        flats=[FlatAmount("Escort", "444", 15_000)],
        percentages=[ORG_CUT],
        participants=[Participant("111", 1_800), Participant("222", 5_400)],
        donation_policy=DonationPolicy.ORG,
    ),
    paid={"222": OP3 + DAY},
)
ALL = (P1, P2_V1, P2_V2, P3)


def test_the_engine_gives_the_amounts_the_golden_example_is_built_on() -> None:
    assert P1.payouts() == {"org": 10_000, "111": 36_000, "222": 36_000, "555": 18_000}
    assert P2_V1.payouts() == {"org": 71_640, "111": 53_730, "222": 73_630, "333": 0}
    assert P2_V2.payouts() == {"org": 58_207, "111": 80_595, "222": 60_197, "333": 0}
    assert P3.payouts() == {"org": 13_000, "111": 34_250, "222": 87_750, "444": 15_000}


# --- current versions -----------------------------------------------------------------------


def test_an_amended_payroll_counts_once_as_its_newest_final_version() -> None:
    assert [p.payroll_id for p in current(ALL)] == ["p1", "p2-v2", "p3"]


def test_a_replaced_version_is_left_out_even_when_it_does_not_say_so_itself() -> None:
    unmarked = replace(P2_V1, superseded_by=None)
    assert [p.payroll_id for p in current([P3, unmarked, P2_V2, P1])] == ["p1", "p2-v2", "p3"]


# --- the org's ledger -----------------------------------------------------------------------


def test_the_ledger_per_payroll_takes_cuts_donations_reimbursements_and_fees() -> None:
    books = ledger(reversed(ALL), BERLIN)
    assert [(r.payroll_id, r.number, r.month, r.amounts) for r in books.payrolls] == [
        ("p1", 1, "2026-05", LedgerAmounts(100_000, 10_000, 0, 0, 0)),
        ("p2-v2", 2, "2026-06", LedgerAmounts(200_000, 18_000, 40_500, 20_000, 1_001)),
        ("p3", 1, "2026-06", LedgerAmounts(150_000, 13_000, 0, 5_000, 0)),
    ]


def test_the_ledger_per_month_and_in_total() -> None:
    books = ledger(ALL, BERLIN)
    assert [(m.month, m.payrolls, m.amounts) for m in books.months] == [
        ("2026-05", 1, LedgerAmounts(100_000, 10_000, 0, 0, 0)),
        ("2026-06", 2, LedgerAmounts(350_000, 31_000, 40_500, 25_000, 1_001)),
    ]
    assert books.total == LedgerAmounts(450_000, 41_000, 40_500, 25_000, 1_001)
    assert books.total.to_org == 81_500


def test_an_op_belongs_to_the_month_it_started_in_the_guilds_time_zone() -> None:
    assert month_of(OP2, BERLIN) == "2026-06"
    assert month_of(OP2, "UTC") == "2026-05"
    in_utc = ledger(ALL, "UTC")
    assert [(m.month, m.payrolls) for m in in_utc.months] == [("2026-05", 2), ("2026-06", 1)]


def test_the_ledger_of_one_month_holds_only_its_ops() -> None:
    june = ledger(ALL, BERLIN, parse_month("2026-06", BERLIN))
    assert [r.payroll_id for r in june.payrolls] == ["p2-v2", "p3"]
    assert june.total == LedgerAmounts(350_000, 31_000, 40_500, 25_000, 1_001)


def test_no_payrolls_make_an_empty_ledger() -> None:
    books = ledger([], BERLIN)
    assert books.payrolls == ()
    assert books.months == ()
    assert books.total == LedgerAmounts()


# --- a member's view ------------------------------------------------------------------------


def test_a_members_view_lists_their_lines_newest_first_with_what_is_owed() -> None:
    view = member_view(ALL, "111")
    assert view.lines == (
        PayeeLine("111", "p3", "ses-p3", "Op p3", 1, OP3, 34_250, owed_since_ms=OP3 + 5 * HOUR),
        PayeeLine(
            "111",
            "p2-v2",
            "ses-p2",
            "Op p2",
            2,
            OP2,
            80_595,
            paid_before=53_730,
            owed_since_ms=OP2 + 2 * DAY,  # the amendment made the difference
        ),
        PayeeLine("111", "p1", "ses-p1", "Op p1", 1, OP1, 36_000, paid_ms=OP1 + DAY),
    )
    assert [line.owed for line in view.lines] == [34_250, 26_865, 0]
    assert view.owed == 61_115
    assert view.payout == 150_845


def test_owed_since_the_first_version_when_an_amendment_still_leaves_them_unpaid() -> None:
    (line,) = [x for x in member_view(ALL, "222").lines if x.payroll_id == "p2-v2"]
    assert line.owed == 60_197
    assert line.owed_since_ms == OP2 + 4 * HOUR  # finalized first then, not at the amendment


def test_a_member_whose_amendment_gives_less_than_they_were_paid_is_over_paid() -> None:
    lowered = replace(P2_V2, paid_before={"111": EarlierPayment(90_000, OP2 + DAY)})
    (line,) = member_view([lowered], "111").lines
    assert line.due == -9_405
    assert line.owed == 0
    assert line.over_paid == 9_405


def test_a_member_without_a_payout_has_an_empty_view() -> None:
    view = member_view(ALL, "333")  # donated everything
    assert view.lines == ()
    assert view.owed == 0


# --- still owed -----------------------------------------------------------------------------


def test_still_owed_across_payrolls_oldest_debt_first_and_never_the_org() -> None:
    owed = still_owed(reversed(ALL))
    assert [(x.payee_id, x.payroll_id, x.owed, x.owed_since_ms) for x in owed] == [
        ("222", "p2-v2", 60_197, OP2 + 4 * HOUR),
        ("111", "p2-v2", 26_865, OP2 + 2 * DAY),
        ("111", "p3", 34_250, OP3 + 5 * HOUR),
        ("444", "p3", 15_000, OP3 + 5 * HOUR),
    ]


def test_nothing_is_owed_once_everyone_is_marked_paid() -> None:
    assert still_owed([P1]) == []


# --- attendance and pay per member ----------------------------------------------------------


def test_stats_for_a_month_with_members_who_attended_only_before_it() -> None:
    june = Period.month(2026, 6, BERLIN)
    assert member_stats(ALL, june) == [
        MemberStats("222", 2, 9_000, 147_947, 60_197, OP3),
        MemberStats("111", 2, 9_000, 114_845, 61_115, OP3),
        MemberStats("333", 1, 3_600, 0, 0, OP2),
        MemberStats("444", 0, 0, 15_000, 15_000, None),  # the escort: paid, not in voice
        MemberStats("555", 0, 0, 0, 0, OP1),  # attended before June, none in it
    ]


def test_stats_ignore_ops_after_the_period() -> None:
    may = Period.month(2026, 5, BERLIN)
    assert member_stats(ALL, may) == [
        MemberStats("111", 1, 3_600, 36_000, 0, OP1),
        MemberStats("222", 1, 3_600, 36_000, 0, OP1),
        MemberStats("555", 1, 1_800, 18_000, 0, OP1),
    ]


def test_a_month_runs_midnight_to_midnight_in_the_time_zone() -> None:
    june = Period.month(2026, 6, BERLIN)
    assert june.start_ms == int(datetime(2026, 5, 31, 22, 0, tzinfo=UTC).timestamp() * 1000)
    assert june.end_ms == int(datetime(2026, 6, 30, 22, 0, tzinfo=UTC).timestamp() * 1000)
    assert OP2 in june
    assert june.label == "2026-06"
    december = Period.month(2026, 12, "UTC")
    assert december.end_ms == int(datetime(2027, 1, 1, tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize(
    "typed", ["2026-13", "2026-6", "June", "", "1999-01", "\uff12\uff10\uff12\uff16-06"]
)
def test_a_month_is_typed_as_year_dash_month(typed: str) -> None:
    with pytest.raises(ValidationError, match="YYYY-MM"):
        parse_month(typed, BERLIN)


NOW = int(datetime(2026, 12, 7, 12, 0, tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize("typed", ["90d", "90 days", "1 day", " 7D "])
def test_a_period_in_days_ends_now(typed: str) -> None:
    period = parse_period(typed, BERLIN, NOW)
    days = int(typed.strip().split()[0].rstrip("dD"))
    assert (period.start_ms, period.end_ms) == (NOW - days * 86_400_000, NOW + 1)
    assert period.label == ("the last day" if days == 1 else f"the last {days} days")


def test_a_period_typed_as_a_month_is_that_month() -> None:
    assert parse_period("2026-11", BERLIN, NOW) == Period.month(2026, 11, BERLIN)


@pytest.mark.parametrize("typed", ["0d", "3661d", "last week", "2026-13", "-5d"])
def test_a_period_typed_otherwise_names_both_forms(typed: str) -> None:
    with pytest.raises(ValidationError, match=r"YYYY-MM.*90d"):
        parse_period(typed, BERLIN, NOW)
