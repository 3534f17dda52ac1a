"""Settlement golden cases, each worked out by hand in the comments, and every refusal.

The fee is rounded half-up, like the payroll's: fee(s) = s x bp / 10,000, half-up. The amount
sent is the smallest s with s - fee(s) at least the amount owed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from sunday_mining.domain.errors import ValidationError
from sunday_mining.domain.guild import DonationPolicy
from sunday_mining.domain.payroll import (
    Expense,
    FlatAmount,
    IncomeLine,
    Participant,
    PayrollInput,
    Percentage,
)
from sunday_mining.domain.settlement import (
    SettlementPlan,
    amount_to_send,
    fee_on,
    mark_paid,
    plan_settlement,
    settle_payroll,
)

H = 3600  # seconds in an hour


def payroll(
    income: Sequence[IncomeLine],
    participants: Sequence[Participant],
    *,
    flats: Sequence[FlatAmount] = (),
    percentages: Sequence[Percentage] = (),
    expenses: Sequence[Expense] = (),
    fee_bp: int = 0,
) -> PayrollInput:
    return PayrollInput(
        income=income,
        expenses=expenses,
        flats=flats,
        percentages=percentages,
        participants=participants,
        donation_policy=DonationPolicy.ORG,
        transfer_fee_bp=fee_bp,
    )


def moves(plan: SettlementPlan) -> list[tuple[str, str, int, int, int]]:
    return [(t.sender, t.receiver, t.amount_received, t.amount_sent, t.fee) for t in plan.transfers]


def keeps(plan: SettlementPlan) -> dict[str, int]:
    return {p.member_id: p.keeps for p in plan.positions}


# --- golden cases -----------------------------------------------------------------------------


def test_two_sellers_and_a_flat_escort_with_the_fee_on() -> None:
    # Ana sold for 1,200,000 and Ben for 800,000: gross 2,000,000. Escort flat 100,000 to Dee.
    # Pool 1,900,000 over Ana 2 h, Ben 2 h, Cy 1 h (18,000 s): 760,000, 760,000, 380,000.
    # The payroll takes no fee of its own, though the guild's fee is 0.5 % (50 bp).
    # Balances (holds - payout): Ana +440,000, Ben +40,000, Cy -380,000, Dee -100,000.
    # Largest sender to largest receiver: Ana -> Cy 380,000 (Ana left +60,000);
    # Ana -> Dee 60,000 (Dee left -40,000); Ben -> Dee 40,000. 3 transfers = 4 members - 1.
    # Ana -> Cy: 380,000 / 0.995 = 381,909.5...; fee(381,910) = 1,909.55 -> 1,910, net
    #   380,000; fee(381,909) = 1,909.545 -> 1,910, net 379,999, short. Sent 381,910.
    # Ana -> Dee: 60,000 / 0.995 = 60,301.5...; fee(60,302) = 301.51 -> 302, net 60,000;
    #   fee(60,301) = 301.505 -> 302, net 59,999, short. Sent 60,302.
    # Ben -> Dee: 40,000 / 0.995 = 40,201.005; fee(40,201) = 201.005 -> 201, net 40,000;
    #   fee(40,200) = 201, net 39,999, short. Sent 40,201.
    # Ana keeps 1,200,000 - 381,910 - 60,302 = 757,788 (760,000 - fees 2,212);
    # Ben keeps 800,000 - 40,201 = 759,799 (760,000 - 201).
    inp = payroll(
        [IncomeLine.sale(1_200_000, "Ana at TDD"), IncomeLine.sale(800_000, "Ben at Area18")],
        [Participant("ana", 2 * H), Participant("ben", 2 * H), Participant("cy", 1 * H)],
        flats=[FlatAmount("Escort", "dee", 100_000)],
        fee_bp=50,
    )
    settlement = settle_payroll(inp, {"ana": 1_200_000, "ben": 800_000})
    assert settlement.payroll.total_fees == 0
    assert settlement.payroll.payouts_by_payee() == {
        "ana": 760_000,
        "ben": 760_000,
        "cy": 380_000,
        "dee": 100_000,
    }
    plan = settlement.plan
    assert moves(plan) == [
        ("ana", "cy", 380_000, 381_910, 1_910),
        ("ana", "dee", 60_000, 60_302, 302),
        ("ben", "dee", 40_000, 40_201, 201),
    ]
    assert keeps(plan) == {"ana": 757_788, "ben": 759_799, "cy": 380_000, "dee": 100_000}
    assert plan.position("ana").sends == 442_212
    assert plan.position("ana").fees == 2_212
    assert plan.total_fees == 2_413


def test_a_seller_owed_more_than_they_hold_receives() -> None:
    # Ana sold a little (100,000) but is paid 500,000; Ben sold 900,000 and is paid 300,000;
    # Cy sold nothing and is paid 200,000. Balances: Ana -400,000, Ben +600,000, Cy -200,000.
    # Ben -> Ana 400,000, then Ben -> Cy 200,000. Fee 1 % (100 bp):
    # Ben -> Ana: 400,000 / 0.99 = 404,040.4; fee(404,040) = 4,040.40 -> 4,040, net 400,000;
    #   fee(404,039) = 4,040.39 -> 4,040, net 399,999, short. Sent 404,040.
    # Ben -> Cy: 200,000 / 0.99 = 202,020.2; fee(202,020) = 2,020.20 -> 2,020, net 200,000;
    #   fee(202,019) -> 2,020, net 199,999, short. Sent 202,020.
    # Ben keeps 900,000 - 404,040 - 202,020 = 293,940 (300,000 - fees 6,060).
    payouts = {"ana": 500_000, "ben": 300_000, "cy": 200_000}
    holdings = {"ana": 100_000, "ben": 900_000}
    plan = plan_settlement(payouts, holdings, 100)
    assert moves(plan) == [
        ("ben", "ana", 400_000, 404_040, 4_040),
        ("ben", "cy", 200_000, 202_020, 2_020),
    ]
    assert keeps(plan) == {"ana": 500_000, "ben": 293_940, "cy": 200_000}


def test_with_the_fee_off_nothing_is_grossed_up() -> None:
    # The same op at 0 %: Ben sends exactly 400,000 and 200,000 and keeps 300,000.
    plan = plan_settlement(
        {"ana": 500_000, "ben": 300_000, "cy": 200_000}, {"ana": 100_000, "ben": 900_000}, 0
    )
    assert moves(plan) == [("ben", "ana", 400_000, 400_000, 0), ("ben", "cy", 200_000, 200_000, 0)]
    assert keeps(plan) == {"ana": 500_000, "ben": 300_000, "cy": 200_000}


def test_the_orgs_cut_is_held_by_the_treasurer() -> None:
    # Ana sold for 1,000,000. Org cut 10 % = 100,000; Ana 1 h and Ben 1 h share 900,000:
    # 450,000 each. Tia is the treasurer: she ends holding the org's 100,000.
    # Balances: Ana +550,000, Ben -450,000, Tia -100,000. Fee 0.5 %:
    # Ana -> Ben: 450,000 / 0.995 = 452,261.3; fee(452,261) = 2,261.305 -> 2,261, net 450,000;
    #   fee(452,260) = 2,261.30 -> 2,261, net 449,999, short. Sent 452,261.
    # Ana -> Tia: 100,000 / 0.995 = 100,502.5; fee(100,503) = 502.515 -> 503, net 100,000;
    #   fee(100,502) = 502.51 -> 503, net 99,999, short. Sent 100,503.
    # Ana keeps 1,000,000 - 452,261 - 100,503 = 447,236 (450,000 - fees 2,764).
    inp = payroll(
        [IncomeLine.sale(1_000_000, "Ana at TDD")],
        [Participant("ana", H), Participant("ben", H)],
        percentages=[Percentage("Org cut", "org", 1_000)],
        fee_bp=50,
    )
    plan = settle_payroll(inp, {"ana": 1_000_000}, treasurer_id="tia").plan
    assert plan.holders == {"org": "tia"}
    assert moves(plan) == [
        ("ana", "ben", 450_000, 452_261, 2_261),
        ("ana", "tia", 100_000, 100_503, 503),
    ]
    assert keeps(plan) == {"ana": 447_236, "ben": 450_000, "tia": 100_000}


def test_a_treasurer_who_is_also_paid_holds_both_payouts() -> None:
    # Ben is the treasurer: he ends with his 450,000 and the org's 100,000, one transfer of
    # 550,000 at 0 %.
    payouts = {"ana": 450_000, "ben": 450_000, "org": 100_000}
    plan = plan_settlement(payouts, {"ana": 1_000_000}, 0, holders={"org": "ben"})
    assert moves(plan) == [("ana", "ben", 550_000, 550_000, 0)]
    assert plan.position("ben").payout == 550_000
    assert [p.member_id for p in plan.positions] == ["ana", "ben"]


def test_a_mark_can_be_taken_back() -> None:
    plan = mark_paid(plan_settlement({"ben": 10}, {"ana": 0, "cy": 10}, 0), "cy", "ben")
    assert mark_paid(plan, "cy", "ben", paid=False).transfers[0].paid is False


def test_members_already_holding_their_payout_need_no_transfer() -> None:
    plan = plan_settlement({"ana": 700, "ben": 300}, {"ana": 700, "ben": 300}, 50)
    assert plan.transfers == ()
    assert keeps(plan) == {"ana": 700, "ben": 300}


def test_ties_go_to_the_lower_id_whatever_the_input_order() -> None:
    # Ben and Ana both hold 100 over; Cy and Dee are both owed 100. Ana pays Cy, Ben pays Dee.
    payouts: Mapping[str, int] = {"dee": 100, "cy": 100, "ben": 0, "ana": 0}
    holdings: Mapping[str, int] = {"ben": 100, "ana": 100}
    plan = plan_settlement(payouts, holdings, 0)
    assert [(t.sender, t.receiver) for t in plan.transfers] == [("ana", "cy"), ("ben", "dee")]
    assert plan == plan_settlement(dict(sorted(payouts.items())), dict(sorted(holdings.items())), 0)


@pytest.mark.parametrize("fee_bp", [1, 50, 100, 333, 1_000])
def test_the_amount_sent_is_the_smallest_that_nets_the_amount(fee_bp: int) -> None:
    for owed in range(5_000):
        sent = amount_to_send(owed, fee_bp)
        assert sent - fee_on(sent, fee_bp) == owed
        assert owed == 0 or sent - 1 - fee_on(sent - 1, fee_bp) < owed


# --- refusals ---------------------------------------------------------------------------------


def test_holdings_that_do_not_add_up_to_the_payouts_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"hold 900 aUEC but the payouts add up to 1,000"):
        plan_settlement({"ana": 1_000}, {"ana": 900}, 0)


@pytest.mark.parametrize("amount", [-1, True, 1.5])
def test_a_negative_or_non_whole_amount_is_refused(amount: object) -> None:
    with pytest.raises(ValidationError, match="whole 0 aUEC or more"):
        plan_settlement({"ana": amount}, {"ana": 0}, 0)  # type: ignore[dict-item]
    with pytest.raises(ValidationError, match="whole 0 aUEC or more"):
        plan_settlement({"ana": 0}, {"ana": amount}, 0)  # type: ignore[dict-item]


def test_a_blank_member_is_refused() -> None:
    with pytest.raises(ValidationError, match="has no member"):
        plan_settlement({" ": 10}, {"ana": 10}, 0)


@pytest.mark.parametrize("fee_bp", [-1, 1_001, True])
def test_a_fee_outside_0_to_10_percent_is_refused(fee_bp: int) -> None:
    with pytest.raises(ValidationError, match="transfer fee"):
        plan_settlement({"ana": 10}, {"ana": 10}, fee_bp)


def test_the_org_itself_holds_nothing() -> None:
    with pytest.raises(ValidationError, match="org holds nothing itself; tia holds it"):
        plan_settlement({"org": 10}, {"org": 10}, 0, holders={"org": "tia"})


def test_a_holder_must_be_a_member_not_another_held_payee() -> None:
    with pytest.raises(ValidationError, match="needs a member to hold it"):
        plan_settlement(
            {"org": 10, "fund": 0}, {"ana": 10}, 0, holders={"org": "fund", "fund": "x"}
        )


def test_a_sender_whose_fees_exceed_their_payout_is_refused() -> None:
    # Sam sold for Ana but is paid nothing: sending 1,000 at 1 % costs 10 he has no share for.
    with pytest.raises(ValidationError, match="sam would pay 10 aUEC in transfer fees"):
        plan_settlement({"ana": 1_000}, {"sam": 1_000}, 100)


def test_the_org_cut_without_a_treasurer_is_refused() -> None:
    inp = payroll(
        [IncomeLine.sale(1_000, "Sale")],
        [Participant("ana", H)],
        percentages=[Percentage("Org cut", "org", 1_000)],
    )
    with pytest.raises(ValidationError, match="needs a treasurer"):
        settle_payroll(inp, {"ana": 1_000})


def test_an_expense_with_nobody_to_reimburse_is_refused() -> None:
    inp = payroll(
        [IncomeLine.sale(1_000, "Sale")], [Participant("ana", H)], expenses=[Expense("Fuel", 50)]
    )
    with pytest.raises(ValidationError, match="50 aUEC of expenses have nobody to reimburse"):
        settle_payroll(inp, {"ana": 1_000})


def test_a_claimed_expense_is_paid_like_any_payout() -> None:
    # Sale 1,000 by Ana; Ben paid the fuel (100) and is reimbursed; Ana and Ben 1 h each share
    # 900: 450 each. Ben is owed 550; Ana sends it (0 %).
    inp = payroll(
        [IncomeLine.sale(1_000, "Sale")],
        [Participant("ana", H), Participant("ben", H)],
        expenses=[Expense("Fuel", 100, "ben")],
    )
    assert moves(settle_payroll(inp, {"ana": 1_000}).plan) == [("ana", "ben", 550, 550, 0)]
