"""Payroll golden cases, each worked out by hand in the comments, and every refusal."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace

import pytest

from sunday_mining.domain.errors import ValidationError
from sunday_mining.domain.guild import DonationPolicy
from sunday_mining.domain.payroll import (
    MAX_PRICE_PER_SCU,
    MAX_SCU_CENTI_PER_LINE,
    Expense,
    FlatAmount,
    IncomeLine,
    LineKind,
    Participant,
    PayrollInput,
    PayrollResult,
    Percentage,
    UnpaidParticipant,
    compute,
    format_auec,
)

H = 3600  # seconds in an hour
TIMES = "\u00d7"  # the multiplication sign the explanations use


def payroll(
    income: Sequence[IncomeLine] = (),
    *,
    expenses: Sequence[Expense] = (),
    flats: Sequence[FlatAmount] = (),
    percentages: Sequence[Percentage] = (),
    participants: Sequence[Participant] = (),
    policy: DonationPolicy = DonationPolicy.ORG,
    fee_bp: int = 0,
) -> PayrollInput:
    return PayrollInput(
        income=income,
        expenses=expenses,
        flats=flats,
        percentages=percentages,
        participants=participants,
        donation_policy=policy,
        transfer_fee_bp=fee_bp,
    )


def amounts(result: PayrollResult, kind: LineKind) -> dict[str, int]:
    return {line.payee_id: line.amount for line in result.lines if line.kind is kind}


def balance(result: PayrollResult) -> int:
    """Everything the payroll accounts for; must equal the gross."""
    return sum(line.net for line in result.lines) + result.total_fees + result.deducted


# --- golden cases -----------------------------------------------------------------------------


def test_the_previous_bots_documented_example_splits_by_hours() -> None:
    # 1,000,000 aUEC over 2 h + 3 h + 5 h = 10 h:
    # 1,000,000 x 2/10 = 200,000; x 3/10 = 300,000; x 5/10 = 500,000 — no remainder.
    result = compute(
        payroll(
            [IncomeLine.sale(1_000_000, "Sale at TDD")],
            participants=[
                Participant("alice", 2 * H),
                Participant("bob", 3 * H),
                Participant("carol", 5 * H),
            ],
        )
    )
    assert result.payouts_by_payee() == {"alice": 200_000, "bob": 300_000, "carol": 500_000}
    assert result.gross == 1_000_000
    assert balance(result) == result.gross


def regolith_style() -> PayrollInput:
    return payroll(
        [
            # Quantainium 42.10 SCU x 88,000 = 3,704,800 exactly.
            IncomeLine.ore(145, "Quantainium", 4_210, 88_000, "snapshot:best", 1_795_370_400_000),
            # Gold 15.37 SCU x 6,125 = 94,141.25 -> 94,141 (half-up).
            IncomeLine.ore(38, "Gold", 1_537, 6_125, "snapshot:terminal:123", 1_795_370_400_000),
            IncomeLine.sale(150_000, "Inert sold at HUR-L2"),
        ],
        expenses=[
            Expense("Refinery fee", 120_000, "kestrel"),
            Expense("Fuel", 28_941, "mara"),
        ],
        flats=[FlatAmount("Escort", "haven", 300_000)],
        percentages=[
            Percentage("Org cut", "org", 1_000),
            Percentage("Ship fund", "fund", 250),
        ],
        participants=[
            Participant("kestrel", 3 * H),
            Participant("mara", 3 * H),
            Participant("juno", 2 * H, multiplier_milli=1_500),
            Participant("pip", 90 * 60),
            Participant("late", 20 * 60, included=False),
        ],
    )


def test_a_regolith_style_payroll_takes_flats_then_percentages_then_shares() -> None:
    # Gross = 3,704,800 + 94,141 + 150,000 = 3,948,941.
    # Expenses 120,000 + 28,941 = 148,941 -> 3,800,000; escort flat 300,000 -> pool 3,500,000.
    # Both percentages come off the same pool: org 10 % = 350,000; fund 2.5 % = 87,500.
    # Left for shares: 3,500,000 - 437,500 = 3,062,500.
    # Weighted seconds: kestrel 10,800, mara 10,800, juno 7,200 x 1.5 = 10,800, pip 5,400;
    # total 37,800 = 7 x 5,400, so pip gets 1/7 = 437,500 and the others 2/7 = 875,000.
    result = compute(regolith_style())
    assert result.gross == 3_948_941
    assert result.pool == 3_500_000
    assert result.share_pool == 3_062_500
    assert amounts(result, LineKind.PERCENTAGE) == {"fund": 87_500, "org": 350_000}
    assert amounts(result, LineKind.SHARE) == {
        "juno": 875_000,
        "kestrel": 875_000,
        "mara": 875_000,
        "pip": 437_500,
    }
    assert result.payouts_by_payee() == {
        "fund": 87_500,
        "haven": 300_000,
        "juno": 875_000,
        "kestrel": 995_000,  # 875,000 + 120,000 refinery fee reimbursed
        "mara": 903_941,  # 875,000 + 28,941 fuel reimbursed
        "org": 350_000,
        "pip": 437_500,
    }
    assert result.unpaid == [UnpaidParticipant("late", "excluded")]
    assert balance(result) == result.gross


def test_every_step_is_explained_with_its_numbers() -> None:
    story = compute(regolith_style()).explanations
    assert f"Gold: 15.37 SCU {TIMES} 6,125 aUEC per SCU = 94,141 aUEC" in story[0]
    assert "94,141.25 rounded half-up to whole aUEC" in story[0]
    assert "Gross: 3,948,941 aUEC." in story
    assert "Pool after expenses and flats: 3,500,000 aUEC." in story
    assert "Org cut 10 % of 3,500,000 = 350,000 aUEC to org." in story
    assert "Ship fund 2.5 % of 3,500,000 = 87,500 aUEC to fund." in story
    assert "Left for time shares: 3,062,500 aUEC." in story
    assert story[-1].startswith("Check: payouts 3,948,941 aUEC")


def test_an_ore_line_is_rounded_half_up_once() -> None:
    # 0.01 SCU x 150 = 1.5 aUEC -> 2; 0.01 SCU x 149 = 1.49 -> 1.
    assert IncomeLine.ore(1, "Gold", 1, 150).value == 2
    assert IncomeLine.ore(1, "Gold", 1, 149).value == 1


def test_a_remainder_goes_to_the_lowest_user_id_among_equal_weights() -> None:
    # 100 / 3 = 33.33 each: floors 33 + 33 + 33 = 99, 1 aUEC left, equal remainders and weights,
    # so the lowest user id ("a") gets it.
    result = compute(
        payroll(
            [IncomeLine.sale(100, "Sale")],
            participants=[Participant("c", H), Participant("a", H), Participant("b", H)],
        )
    )
    assert result.payouts_by_payee() == {"a": 34, "b": 33, "c": 33}


def test_a_remainder_goes_to_the_largest_remainder_first() -> None:
    # 10 over 1 h and 2 h: 3.33 and 6.67; floors 3 + 6 = 9, the 0.67 remainder wins the unit.
    result = compute(
        payroll(
            [IncomeLine.sale(10, "Sale")],
            participants=[Participant("a", H), Participant("b", 2 * H)],
        )
    )
    assert result.payouts_by_payee() == {"a": 3, "b": 7}


def test_a_tied_remainder_goes_to_the_larger_weight() -> None:
    # 2 over 1 h and 3 h: 0.5 and 1.5; floors 0 + 1 = 1, both remainders 0.5: larger weight wins.
    result = compute(
        payroll(
            [IncomeLine.sale(2, "Sale")],
            participants=[Participant("a", H), Participant("b", 3 * H)],
        )
    )
    assert result.payouts_by_payee() == {"a": 0, "b": 2}


def test_a_percentage_and_the_time_shares_are_rounded_together() -> None:
    # Org 50 % of 101 = 50.5 and the shares 50.5: a tie of remainder and weight goes to the
    # crew, so org 50 and the single miner 51 — still 101 in total.
    result = compute(
        payroll(
            [IncomeLine.sale(101, "Sale")],
            percentages=[Percentage("Org cut", "org", 5_000)],
            participants=[Participant("a", H)],
        )
    )
    assert result.payouts_by_payee() == {"a": 51, "org": 50}


def donation_case(policy: DonationPolicy) -> PayrollResult:
    # 900,000 over ann 4 h, ben 2 h (donates), cat 3 h = 9 h:
    # ann 400,000, ben 200,000, cat 300,000 before the donation.
    return compute(
        payroll(
            [IncomeLine.sale(900_000, "Sale")],
            participants=[
                Participant("ann", 4 * H),
                Participant("ben", 2 * H, donates=True),
                Participant("cat", 3 * H),
            ],
            policy=policy,
        )
    )


def test_a_donation_goes_to_the_org_under_the_org_policy() -> None:
    result = donation_case(DonationPolicy.ORG)
    assert result.payouts_by_payee() == {"ann": 400_000, "ben": 0, "cat": 300_000, "org": 200_000}
    assert amounts(result, LineKind.DONATION_RECEIVED) == {"org": 200_000}
    assert result.donated == 200_000
    assert (
        "donated to org"
        in next(line for line in result.lines if line.payee_id == "ben").explanation
    )


def test_a_donation_is_re_split_by_time_under_the_resplit_policy() -> None:
    # ben's 200,000 over ann 4 h and cat 3 h: 114,285.71 and 85,714.29; the unit left over goes
    # to ann's larger remainder: 114,286 + 85,714. Same as 900,000 x 4/7 = 514,285.71 -> 514,286.
    result = donation_case(DonationPolicy.RESPLIT)
    assert amounts(result, LineKind.SHARE) == {"ann": 400_000, "ben": 0, "cat": 300_000}
    assert amounts(result, LineKind.DONATION_RECEIVED) == {"ann": 114_286, "cat": 85_714}
    assert result.payouts_by_payee() == {"ann": 514_286, "ben": 0, "cat": 385_714}
    assert result.donation_policy is DonationPolicy.RESPLIT


def test_resplit_falls_back_to_the_org_when_everyone_donates() -> None:
    result = compute(
        payroll(
            [IncomeLine.sale(1_000, "Sale")],
            participants=[Participant("a", H, donates=True), Participant("b", H, donates=True)],
            policy=DonationPolicy.RESPLIT,
        )
    )
    assert result.payouts_by_payee() == {"a": 0, "b": 0, "org": 1_000}
    assert result.donation_policy is DonationPolicy.ORG
    assert any("nobody is left to re-split" in text for text in result.explanations)


def test_resplit_never_leaves_a_negative_line_when_two_roundings_disagree() -> None:
    # 8 aUEC; weights a 3 (donates), b 9, c 1, d 5 = 18.
    # Time shares: 1.33 / 4 / 0.44 / 2.22 -> floors 1 + 4 + 0 + 2 = 7; the unit left goes to the
    # largest remainder, c (0.44): a 1, b 4, c 1, d 2. a donates 1.
    # Re-split pay over b, c, d (15): 4.8 / 0.53 / 2.67 -> floors 4 + 0 + 2 = 6; two units to
    # b (0.8) and d (0.67): b 5, c 0, d 3. c's share (1) is above c's pay (0): c's unit moves to
    # the non-donor with room and the larger weight, b, so the lines are b 5 + 0, c 0 + 0,
    # d 2 + 1, and the 1 aUEC donated arrives as 1 aUEC received.
    result = compute(
        payroll(
            [IncomeLine.sale(8, "Sale")],
            participants=[
                Participant("a", 3, donates=True),
                Participant("b", 9),
                Participant("c", 1),
                Participant("d", 5),
            ],
            policy=DonationPolicy.RESPLIT,
        )
    )
    assert amounts(result, LineKind.SHARE) == {"a": 0, "b": 5, "c": 0, "d": 2}
    assert amounts(result, LineKind.DONATION_RECEIVED) == {"b": 0, "c": 0, "d": 1}
    assert result.payouts_by_payee() == {"a": 0, "b": 5, "c": 0, "d": 3}
    assert result.donated == 1


def test_the_transfer_fee_is_taken_per_payee_and_reported() -> None:
    # Sale 1,000,100; fuel 100 reimbursed to a -> pool 1,000,000; org 10 % = 100,000;
    # a and b 1 h each: 450,000 each. Fee 0.5 % of what each payee receives:
    #   a: 450,100 x 0.005 = 2,250.5 -> 2,251 (half-up) -> net 447,849
    #   b: 450,000 x 0.005 = 2,250 -> net 447,750
    #   org: 100,000 x 0.005 = 500 -> net 99,500
    # Fees 5,001; nets 995,099; together 1,000,100 = gross.
    result = compute(
        payroll(
            [IncomeLine.sale(1_000_100, "Sale")],
            expenses=[Expense("Fuel", 100, "a")],
            percentages=[Percentage("Org cut", "org", 1_000)],
            participants=[Participant("a", H), Participant("b", H)],
            fee_bp=50,
        )
    )
    assert result.payouts_by_payee() == {"a": 447_849, "b": 447_750, "org": 99_500}
    fees = {line.payee_id: line for line in result.lines if line.kind is LineKind.TRANSFER_FEE}
    assert {payee: line.fee for payee, line in fees.items()} == {"a": 2_251, "b": 2_250, "org": 500}
    assert all(line.net == -line.fee and line.amount == 0 for line in fees.values())
    assert "lost to the in-game transfer" in fees["a"].explanation
    assert result.total_fees == 5_001
    assert balance(result) == 1_000_100


def test_an_expense_without_claimant_is_deducted_and_accounted_for() -> None:
    # 1,000 - 100 deducted = 900 for the one miner; 900 + 100 = 1,000.
    result = compute(
        payroll(
            [IncomeLine.sale(1_000, "Sale")],
            expenses=[Expense("Lost cargo", 100)],
            participants=[Participant("a", H)],
        )
    )
    assert result.payouts_by_payee() == {"a": 900}
    assert result.deducted == 100
    assert balance(result) == 1_000


def test_participants_without_weight_are_listed_as_unpaid() -> None:
    result = compute(
        payroll(
            [IncomeLine.sale(1_000, "Sale")],
            participants=[
                Participant("a", H),
                Participant("b", 0),
                Participant("c", H, multiplier_milli=0),
                Participant("d", H, included=False),
            ],
        )
    )
    assert result.payouts_by_payee() == {"a": 1_000}
    assert result.unpaid == [
        UnpaidParticipant("b", "no credited time"),
        UnpaidParticipant("c", f"multiplier {TIMES}0"),
        UnpaidParticipant("d", "excluded"),
    ]


def test_percentages_taking_everything_need_no_participant() -> None:
    result = compute(
        payroll([IncomeLine.sale(1_000, "Sale")], percentages=[Percentage("All", "org", 10_000)])
    )
    assert result.payouts_by_payee() == {"org": 1_000}


def test_the_result_does_not_depend_on_input_order() -> None:
    base = regolith_style()
    shuffled = random.Random(7)
    reordered = replace(
        base,
        income=shuffled.sample(list(base.income), len(base.income)),
        expenses=list(reversed(base.expenses)),
        percentages=list(reversed(base.percentages)),
        participants=shuffled.sample(list(base.participants), len(base.participants)),
    )
    assert compute(reordered) == compute(base)


def test_format_auec_groups_thousands() -> None:
    assert format_auec(1_234_567) == "1,234,567 aUEC"
    assert format_auec(0) == "0 aUEC"


# --- refusals -------------------------------------------------------------------------------

ONE = [Participant("a", H)]
SALE = [IncomeLine.sale(1_000, "Sale")]


@pytest.mark.parametrize(
    ("inp", "message"),
    [
        (
            payroll(
                SALE,
                expenses=[Expense("Fuel", 700, "a")],
                flats=[FlatAmount("Escort", "e", 400)],
                participants=ONE,
            ),
            "Expenses and flat amounts (1,100 aUEC) are more than the gross (1,000 aUEC); "
            "lower them or add income.",
        ),
        (
            payroll(
                SALE,
                percentages=[Percentage("Org", "org", 6_000), Percentage("Fund", "f", 4_050)],
                participants=ONE,
            ),
            "Percentages add up to 100.5 %; lower them to 100 % or less in total.",
        ),
        (
            payroll([IncomeLine.ore(1, "Gold", 0, 100)], participants=ONE),
            "Gold has no SCU; type an amount above 0 or remove the line.",
        ),
        (
            payroll([IncomeLine.ore(1, "Gold", -5, 100)], participants=ONE),
            "Gold has no SCU; type an amount above 0 or remove the line.",
        ),
        (
            payroll([IncomeLine.ore(1, "Gold", 100, -1)], participants=ONE),
            "The price of Gold is negative; type a price above 0 aUEC.",
        ),
        (
            payroll([IncomeLine.ore(1, "Gold", 100, 0)], participants=ONE),
            "Gold has no price; pick a price source or type the price.",
        ),
        (
            payroll([IncomeLine.ore(1, "Gold", MAX_SCU_CENTI_PER_LINE + 1, 100)], participants=ONE),
            "Gold: 100,000.01 SCU is more than the 100,000 SCU one line may hold; "
            "check the amount.",
        ),
        (
            payroll([IncomeLine.ore(1, "Gold", 100, MAX_PRICE_PER_SCU + 1)], participants=ONE),
            "Gold: 1,000,001 aUEC per SCU is more than the 1,000,000 aUEC cap; check the price.",
        ),
        (
            payroll(SALE, participants=[Participant("a", 0), Participant("b", H, included=False)]),
            "1,000 aUEC is left for time shares but no included participant has credited time; "
            "include someone or add a percentage that takes the rest.",
        ),
        (
            payroll(SALE, expenses=[Expense("Fuel", -1, "a")], participants=ONE),
            "Expense Fuel is negative; type 0 aUEC or more.",
        ),
        (
            payroll(SALE, flats=[FlatAmount("Escort", "e", -1)], participants=ONE),
            "Flat amount Escort is negative; type 0 aUEC or more.",
        ),
        (
            payroll(SALE, percentages=[Percentage("Org", "org", -100)], participants=ONE),
            "Percentage Org is negative; type 0 % or more.",
        ),
        (
            payroll([IncomeLine.sale(-5, "Refund")], participants=ONE),
            "The sale total of Refund must be more than 0 aUEC.",
        ),
        (
            payroll(SALE, participants=[Participant("a", H), Participant("a", 2 * H)]),
            "Participant a is listed twice; keep one entry.",
        ),
        (
            payroll(SALE, participants=[Participant("a", H, multiplier_milli=10_001)]),
            f"The multiplier of Participant a must be between {TIMES}0 and {TIMES}10.",
        ),
        (
            payroll(SALE, participants=[Participant("a", H, multiplier_milli=-1)]),
            f"The multiplier of Participant a must be between {TIMES}0 and {TIMES}10.",
        ),
        (
            payroll(SALE, participants=[Participant("a", -1)]),
            "Participant a has negative credited time; fix their time adjustment.",
        ),
        (
            payroll(SALE, participants=ONE, fee_bp=1_001),
            "The transfer fee must be between 0 % and 10 %.",
        ),
        (
            payroll([IncomeLine(scu_centi=100, price_per_scu=5)], participants=ONE),
            "An income line needs an ore or a sale total; fill one in.",
        ),
        (
            payroll([IncomeLine.ore(1, "Gold", 12.5, 100)], participants=ONE),  # type: ignore[arg-type]
            "The SCU of Gold must be a whole number.",
        ),
    ],
    ids=[
        "pool-negative",
        "percentages-over-100",
        "zero-scu",
        "negative-scu",
        "negative-price",
        "zero-price",
        "scu-over-cap",
        "price-over-cap",
        "no-weighted-participant",
        "negative-expense",
        "negative-flat",
        "negative-percentage",
        "negative-sale",
        "duplicate-participant",
        "multiplier-over-10",
        "multiplier-negative",
        "negative-seconds",
        "fee-out-of-range",
        "empty-income-line",
        "float-scu",
    ],
)
def test_a_payroll_that_cannot_be_computed_is_refused_with_the_fix(
    inp: PayrollInput, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        compute(inp)
    assert refused.value.message == message
