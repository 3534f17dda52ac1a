"""Payroll invariants over generated payrolls: exact sums, no negative pay, monotone in time,
independent of input order, and donations that move money without creating or losing any."""

from __future__ import annotations

import random
from dataclasses import replace
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from sunday_mining.domain.guild import DonationPolicy
from sunday_mining.domain.payroll import (
    Expense,
    FlatAmount,
    IncomeLine,
    LineKind,
    Participant,
    PayrollInput,
    PayrollResult,
    Percentage,
    compute,
)

FEW = settings(max_examples=80, deadline=None)

USER_IDS = [f"u{n:02d}" for n in range(16)]
ORES = ["Quantainium", "Gold", "Laranite", "Hadanite"]

# Small totals exercise rounding (a few aUEC over many people); large ones, real hauls.
totals = st.integers(1, 120) | st.integers(1, 50_000_000)

ore_lines = st.builds(
    IncomeLine.ore,
    ore_id=st.integers(1, 200),
    ore_name=st.sampled_from(ORES),
    scu_centi=st.integers(1, 200_000),
    price_per_scu=st.integers(1, 100_000),
    price_source=st.sampled_from(["snapshot:best", "snapshot:terminal:12", "typed"]),
    snapshot_ms=st.none() | st.integers(0, 2_000_000_000_000),
)
sale_lines = st.builds(IncomeLine.sale, totals, st.sampled_from(["TDD", "Area18", "Lorville"]))

participants = st.builds(
    Participant,
    user_id=st.sampled_from(USER_IDS),
    credited_seconds=st.integers(0, 8 * 3600) | st.integers(0, 5),
    multiplier_milli=st.sampled_from([0, 500, 1_000, 1_250, 2_000, 10_000])
    | st.integers(0, 10_000),
    included=st.booleans(),
    donates=st.booleans(),
)
# Someone always has weight, so a pool left for time shares is never refused.
anchors = st.builds(
    Participant,
    user_id=st.just("anchor"),
    credited_seconds=st.integers(1, 8 * 3600),
    multiplier_milli=st.integers(1, 10_000),
    donates=st.booleans(),
)


@st.composite
def payroll_inputs(draw: st.DrawFn) -> PayrollInput:
    income = draw(st.lists(ore_lines | sale_lines, min_size=1, max_size=4))
    gross = sum(line.value for line in income)
    # Each expense at most a quarter of the gross and each flat an eighth: never over the gross.
    claimants = st.none() | st.sampled_from(["anchor", *USER_IDS[:4]])
    expenses = draw(
        st.lists(
            st.builds(
                Expense,
                st.sampled_from(["Fuel", "Refinery"]),
                st.integers(0, gross // 4),
                claimants,
            ),
            max_size=3,
        )
    )
    flats = draw(
        st.lists(
            st.builds(
                FlatAmount,
                st.just("Escort"),
                st.sampled_from(["escort", "hauler"]),
                st.integers(0, gross // 8),
            ),
            max_size=2,
        )
    )
    cuts = draw(
        st.lists(
            st.builds(
                Percentage,
                st.sampled_from(["Org cut", "Fund"]),
                st.sampled_from(["org", "fund"]),
                st.integers(0, 3_333),
            ),
            max_size=3,
        )
    )
    people = draw(st.lists(participants, max_size=10, unique_by=lambda p: p.user_id))
    return PayrollInput(
        income=income,
        expenses=expenses,
        flats=flats,
        percentages=cuts,
        participants=[*people, draw(anchors)],
        donation_policy=draw(st.sampled_from(DonationPolicy)),
        transfer_fee_bp=draw(st.sampled_from([0, 50, 500, 1_000]) | st.integers(0, 1_000)),
    )


def accounted(result: PayrollResult) -> int:
    return sum(line.net for line in result.lines) + result.total_fees + result.deducted


def time_pay(result: PayrollResult, user_id: str) -> int:
    return sum(
        line.amount
        for line in result.lines
        if line.payee_id == user_id and line.kind in {LineKind.SHARE, LineKind.DONATION_RECEIVED}
    )


@FEW
@given(payroll_inputs())
def test_payouts_fees_and_expenses_add_up_to_the_gross_exactly(inp: PayrollInput) -> None:
    result = compute(inp)
    assert accounted(result) == result.gross == sum(line.value for line in inp.income)
    allocated = sum(line.amount for line in result.lines)  # fee lines carry amount 0
    assert allocated + result.deducted == result.gross


@FEW
@given(payroll_inputs())
def test_nobody_is_paid_a_negative_amount(inp: PayrollInput) -> None:
    result = compute(inp)
    assert all(line.amount >= 0 and line.fee >= 0 for line in result.lines)
    assert all(net >= 0 for net in result.payouts_by_payee().values())


@FEW
@given(payroll_inputs())
def test_time_pay_is_within_one_aUEC_of_its_exact_value(inp: PayrollInput) -> None:
    result = compute(inp)
    paid = [p for p in inp.participants if p.weight > 0]
    keeping = [p for p in paid if not p.donates]
    # Re-split, the exact pay is the whole pool over the non-donors; otherwise over everyone.
    resplit = result.donation_policy is DonationPolicy.RESPLIT
    total_weight = sum(p.weight for p in (keeping if resplit else paid))
    for person in keeping:
        exact = Fraction(result.share_pool * person.weight, total_weight)
        assert abs(time_pay(result, person.user_id) - exact) < 1


@FEW
@given(payroll_inputs(), st.data())
def test_more_credited_time_never_means_less_pay(inp: PayrollInput, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(inp.participants) - 1))
    person = inp.participants[index]
    more = replace(
        person, credited_seconds=person.credited_seconds + data.draw(st.integers(1, 3_600))
    )
    people = list(inp.participants)
    people[index] = more
    before, after = compute(inp), compute(replace(inp, participants=people))
    assert after.payouts_by_payee().get(person.user_id, 0) >= before.payouts_by_payee().get(
        person.user_id, 0
    )
    assert time_pay(after, person.user_id) >= time_pay(before, person.user_id)


@FEW
@given(payroll_inputs(), st.data())
def test_more_credited_time_never_lowers_the_time_share(
    inp: PayrollInput, data: st.DataObject
) -> None:
    # Under the org policy a time share is exactly the step-5 split, donor or not.
    inp = replace(
        inp,
        donation_policy=DonationPolicy.ORG,
        participants=[replace(p, donates=False) for p in inp.participants],
    )
    index = data.draw(st.integers(0, len(inp.participants) - 1))
    person = inp.participants[index]
    people = list(inp.participants)
    people[index] = replace(
        person, credited_seconds=person.credited_seconds + data.draw(st.integers(1, 600))
    )
    before, after = compute(inp), compute(replace(inp, participants=people))
    share = LineKind.SHARE
    assert amount_of(after, person.user_id, share) >= amount_of(before, person.user_id, share)


def amount_of(result: PayrollResult, payee_id: str, kind: LineKind) -> int:
    return sum(
        line.amount for line in result.lines if line.payee_id == payee_id and line.kind is kind
    )


@FEW
@given(payroll_inputs(), st.randoms(use_true_random=False))
def test_the_order_of_participants_and_lines_does_not_matter(
    inp: PayrollInput, rnd: random.Random
) -> None:
    reordered = replace(
        inp,
        income=rnd.sample(list(inp.income), len(inp.income)),
        expenses=rnd.sample(list(inp.expenses), len(inp.expenses)),
        flats=rnd.sample(list(inp.flats), len(inp.flats)),
        percentages=rnd.sample(list(inp.percentages), len(inp.percentages)),
        participants=rnd.sample(list(inp.participants), len(inp.participants)),
    )
    assert compute(reordered) == compute(inp)


@FEW
@given(payroll_inputs(), st.data())
def test_donating_never_changes_the_total(inp: PayrollInput, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(inp.participants) - 1))
    people = list(inp.participants)
    people[index] = replace(people[index], donates=not people[index].donates)
    before, after = compute(inp), compute(replace(inp, participants=people))
    time_kinds = {LineKind.SHARE, LineKind.DONATION_RECEIVED}

    def time_total(result: PayrollResult) -> int:
        return sum(line.amount for line in result.lines if line.kind in time_kinds)

    def other_lines(result: PayrollResult) -> list[tuple[str, LineKind, int]]:
        return [
            (x.payee_id, x.kind, x.amount)
            for x in result.lines
            if x.kind not in time_kinds | {LineKind.TRANSFER_FEE}
        ]

    assert time_total(before) == time_total(after) == before.share_pool
    assert other_lines(before) == other_lines(after)
    assert accounted(after) == after.gross == before.gross
