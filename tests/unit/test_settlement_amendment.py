"""An amendment of a payroll paid by a settlement plan plans only what is still missing after
what was already sent, worked out by hand in the comments.

The fee is 0.5 %, rounded half-up; the amount sent is the smallest s with s - fee(s) at least
the amount owed (tests/unit/test_settlement.py works the rule through).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sunday_mining.domain.guild import DonationPolicy
from sunday_mining.domain.payroll import FlatAmount, IncomeLine, Participant, PayrollInput, compute
from sunday_mining.domain.session import SessionType
from sunday_mining.domain.settlement import SettlementPlan, Transfer, settle_payroll
from sunday_mining.services.payroll.model import (
    Member,
    PaidMark,
    PayrollStatus,
    PayrollVersion,
    SentBefore,
)
from sunday_mining.services.payroll.payments import paid_so_far
from sunday_mining.services.payroll.settling import (
    payee_marks,
    sent_before_of,
    settle,
    settlement_of,
    stored,
    uses_plan,
)

H = 3600
FEE = 50  # 0.5 %
MARKED_MS = 1_795_370_500_000


def moves(plan: SettlementPlan) -> list[tuple[str, str, int, int, int]]:
    return [(t.sender, t.receiver, t.amount_received, t.amount_sent, t.fee) for t in plan.transfers]


def keeps(plan: SettlementPlan) -> dict[str, int]:
    return {p.member_id: p.keeps for p in plan.positions}


def guide_op(escort: int) -> PayrollInput:
    """The officer guide's example: Ana and Ben 2 h, Cy 1 h, an escort flat to Dee."""
    return PayrollInput(
        income=[IncomeLine.sale(1_200_000, "Ana's load"), IncomeLine.sale(800_000, "Ben's load")],
        expenses=[],
        flats=[FlatAmount("Escort", "dee", escort)],
        percentages=[],
        participants=[Participant("ana", 2 * H), Participant("ben", 2 * H), Participant("cy", H)],
        donation_policy=DonationPolicy.ORG,
        transfer_fee_bp=FEE,
    )


def test_a_transfer_sent_under_the_replaced_version_is_not_asked_for_again() -> None:
    # Version 1 (the guide): Ana -> Cy 380,000 (sent 381,910, fee 1,910) is marked sent.
    # The amendment raises Dee's escort to 120,000: pool 2,000,000 - 120,000 = 1,880,000,
    # split 2 : 2 : 1 = Ana 752,000, Ben 752,000, Cy 376,000; Dee 120,000.
    # After what moved: Ana 1,200,000 - 380,000 = 820,000, Cy 380,000.
    # Balances: Ana 820,000 - 752,000 = +68,000; Ben 800,000 - 752,000 = +48,000;
    # Cy 380,000 - 376,000 = +4,000; Dee -120,000.
    # Ana -> Dee 68,000: 68,000 / 0.995 = 68,341.7; fee(68,342) = 341.71 -> 342, net 68,000;
    #   fee(68,341) = 341.705 -> 342, net 67,999, short. Sent 68,342.
    # Ben -> Dee 48,000: fee(48,241) = 241.205 -> 241, net 48,000; 48,240 nets 47,999.
    # Cy -> Dee 4,000: fee(4,020) = 20.1 -> 20, net 4,000; 4,019 nets 3,999.
    sent = Transfer("ana", "cy", 380_000, 381_910, 1_910, paid=True)
    settled = settle_payroll(guide_op(120_000), {"ana": 1_200_000, "ben": 800_000}, moved=[sent])
    assert settled.payroll.payouts_by_payee() == {
        "ana": 752_000,
        "ben": 752_000,
        "cy": 376_000,
        "dee": 120_000,
    }
    assert moves(settled.plan) == [
        ("ana", "dee", 68_000, 68_342, 342),
        ("ben", "dee", 48_000, 48_241, 241),
        ("cy", "dee", 4_000, 4_020, 20),
    ]
    # Ana keeps 1,200,000 - 381,910 - 68,342 = 749,748 (752,000 - fees 1,910 + 342);
    # Ben 800,000 - 48,241 = 751,759; Cy 380,000 - 4,020 = 375,980 (376,000 - 20);
    # Dee 68,000 + 48,000 + 4,000 = 120,000.
    assert keeps(settled.plan) == {
        "ana": 749_748,
        "ben": 751_759,
        "cy": 375_980,
        "dee": 120_000,
    }
    ana = settled.plan.position("ana")
    assert (ana.sent_before, ana.received_before) == (381_910, 0)
    assert settled.plan.position("cy").received_before == 380_000


def version(
    income: Sequence[IncomeLine], *, number: int = 1, supersedes: str | None = None
) -> PayrollVersion:
    """A draft of the guide's op (escort 100,000 to Dee) opened by Ana."""
    return PayrollVersion(
        guild_id="900000000000000000",
        payroll_id=f"01M82DG5G0C1NF1046J1ER4Y6{number}",
        session_id="01M82DG5G0C1NF1046J1ER4Y6K",
        session_name="Halo run",
        session_type=SessionType.SUNDAY,
        session_creator="ana",
        session_version=3,
        number=number,
        status=PayrollStatus.DRAFT,
        rev=0,
        created_by="ana",
        created_ms=1_795_370_400_000,
        updated_by="ana",
        updated_ms=1_795_370_400_000,
        donation_policy=DonationPolicy.ORG,
        transfer_fee_bp=FEE,
        minimum_s=0,
        members=(
            Member("ana", 2 * H, False, False, True),
            Member("ben", 2 * H, False, False, True),
            Member("cy", H, False, False, True),
        ),
        income=tuple(income),
        flats=(FlatAmount("Escort", "dee", 100_000),),
        supersedes=supersedes,
    )


def one_seller_paid() -> PayrollVersion:
    """Version 1, sold by Ana alone and paid payee by payee, with the per-payee fee (step 7):
    Ana 760,000, Ben 760,000, Cy 380,000, Dee 100,000, each less 0.5 %: Cy's fee 1,900 (net
    378,100), Dee's 500 (net 99,500). Ana paid Cy and Dee in game; both are marked paid."""
    v1 = version([IncomeLine.sale(2_000_000, "All of it", seller_id="ana")])
    assert not uses_plan(v1)
    result = compute(v1.to_input())
    assert result.payouts_by_payee() == {
        "ana": 756_200,
        "ben": 756_200,
        "cy": 378_100,
        "dee": 99_500,
    }
    paid = {"cy": PaidMark("ana", MARKED_MS), "dee": PaidMark("ana", MARKED_MS + 1)}
    return replace(v1, status=PayrollStatus.FINAL, result=result, paid=paid)


def test_payments_of_a_version_paid_payee_by_payee_count_when_it_gets_several_sellers() -> None:
    # The amendment says Ben sold 800,000 of it: payouts with no fee of their own are Ana
    # 760,000, Ben 760,000, Cy 380,000, Dee 100,000. What moved: Ana sent Cy 380,000 (378,100
    # arrived, fee 1,900) and Dee 100,000 (99,500 arrived, fee 500).
    # Balances: Ana 1,200,000 - 760,000 - 378,100 - 99,500 = -37,600; Ben +40,000;
    # Cy 378,100 - 380,000 = -1,900; Dee 99,500 - 100,000 = -500.
    # Ben -> Ana 37,600: fee(37,789) = 188.945 -> 189, net 37,600; 37,788 nets 37,599.
    # Ben -> Cy 1,900: fee(1,910) = 9.55 -> 10, net 1,900; 1,909 nets 1,899.
    # Ben -> Dee 500: fee(503) = 2.515 -> 3, net 500; 502 nets 499.
    # Without the payments, Cy would get a new transfer for all of his 380,000.
    v1 = one_seller_paid()
    before = sent_before_of(v1, paid_so_far(v1, {}))
    assert before == (
        SentBefore(Transfer("ana", "cy", 378_100, 380_000, 1_900, True), 1, "ana", MARKED_MS),
        SentBefore(Transfer("ana", "dee", 99_500, 100_000, 500, True), 1, "ana", MARKED_MS + 1),
    )
    draft = version(
        [
            IncomeLine.sale(1_200_000, "Ana's load", seller_id="ana"),
            IncomeLine.sale(800_000, "Ben's load", seller_id="ben"),
        ],
        number=2,
        supersedes=v1.payroll_id,
    )
    settled = settle(draft, None, before)
    assert moves(settled.plan) == [
        ("ben", "ana", 37_600, 37_789, 189),
        ("ben", "cy", 1_900, 1_910, 10),
        ("ben", "dee", 500, 503, 3),
    ]
    # Ana keeps 1,200,000 - 380,000 - 100,000 + 37,600 = 757,600: 760,000 less the fees she
    # paid under v1 (1,900 + 500); Ben 800,000 - 40,202 = 759,798 (760,000 - fees 202).
    assert keeps(settled.plan) == {"ana": 757_600, "ben": 759_798, "cy": 380_000, "dee": 100_000}


def test_each_amendment_folds_in_what_every_earlier_version_sent() -> None:
    # v2 (above) stores v1's payments as its history and its own plan unpaid; Ben then marks
    # Ben -> Ana sent. v3 replaces v2: its history is v1's two payments and that transfer.
    v1 = one_seller_paid()
    draft = version(
        [
            IncomeLine.sale(1_200_000, "Ana's load", seller_id="ana"),
            IncomeLine.sale(800_000, "Ben's load", seller_id="ben"),
        ],
        number=2,
        supersedes=v1.payroll_id,
    )
    before = sent_before_of(v1, paid_so_far(v1, {}))
    settled = settle(draft, None, before)
    kept = stored(settled.plan, before)
    assert kept.marks == {}
    assert not any(t.paid for t in kept.transfers)
    v2 = replace(
        draft,
        status=PayrollStatus.FINAL,
        result=settled.payroll,
        finalized_by="ana",
        finalized_ms=MARKED_MS + 10,
        settlement=replace(kept, marks={("ben", "ana"): PaidMark("ben", MARKED_MS + 20)}),
    )
    # Ana is paid (she holds her payout once Ben -> Ana is sent); Cy and Dee wait for theirs.
    assert set(payee_marks(v2)) == {"ana", "ben"}
    plan = settlement_of(v2)
    assert plan is not None
    assert [t.paid for t in plan.transfers] == [True, False, False]
    assert keeps(plan)["ana"] == 757_600
    folded = sent_before_of(v2, {})
    assert [(x.transfer.sender, x.transfer.receiver, x.number) for x in folded] == [
        ("ana", "cy", 1),
        ("ana", "dee", 1),
        ("ben", "ana", 2),
    ]
    assert folded[2] == SentBefore(
        Transfer("ben", "ana", 37_600, 37_789, 189, True), 2, "ben", MARKED_MS + 20
    )


def test_a_payee_whose_payout_arrived_under_an_earlier_version_is_paid() -> None:
    # Sold by Ana and Ben in v1 and v2 alike; v1's Ana -> Cy 380,000 was sent and v2 changes
    # nobody's pay: the new plan has no transfer to Cy, so Cy is paid from the start.
    sent = Transfer("ana", "cy", 380_000, 381_910, 1_910, True)
    draft = version(
        [
            IncomeLine.sale(1_200_000, "Ana's load", seller_id="ana"),
            IncomeLine.sale(800_000, "Ben's load", seller_id="ben"),
        ],
        number=2,
    )
    before = (SentBefore(sent, 1, "ana", MARKED_MS),)
    settled = settle(draft, None, before)
    # Ana 1,200,000 - 380,000 - 760,000 = +60,000, Ben +40,000, Dee -100,000: Ana -> Dee
    # 60,000 (sent 60,302) and Ben -> Dee 40,000 (sent 40,201), as in the guide's plan.
    assert moves(settled.plan) == [
        ("ana", "dee", 60_000, 60_302, 302),
        ("ben", "dee", 40_000, 40_201, 201),
    ]
    final = replace(
        draft,
        status=PayrollStatus.FINAL,
        result=settled.payroll,
        finalized_by="ana",
        finalized_ms=MARKED_MS + 10,
        settlement=stored(settled.plan, before),
    )
    assert set(payee_marks(final)) == {"ana", "ben", "cy"}
