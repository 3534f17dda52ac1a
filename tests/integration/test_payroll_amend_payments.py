"""An amendment keeps what was paid: paid marks carry over where the amount did not change,
and what was paid under the replaced version is kept for the others. Amounts worked by hand."""

from __future__ import annotations

from tests.support.payroll import (
    ANA,
    BEN,
    GUILD,
    OFFICER,
    OTHER_OFFICER,
    fresh_prices,
    ready_draft,
)
from tests.support.races import RaceFirstWrite

from sunday_mining.domain.clock import FixedClock
from sunday_mining.entrypoints.factories import Services, build_services
from sunday_mining.ports.store import Store, Update
from sunday_mining.services.payroll import Owed, PayrollService, PayrollVersion, version_key
from sunday_mining.services.payroll.model import PaidMark, PriorPayment

ORG = "org"


def first_version_all_paid(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> PayrollVersion:
    """Version 1, everyone marked paid.

    Gross 100 SCU x 20,000 = 2,000,000 aUEC; org cut 10 % = 200,000; 1,800,000 split by time:
    Ana 2 h, Ben 1 h (Cy's 5 minutes are below the minimum): 1,200,000 and 600,000.
    """
    draft = ready_draft(services, clock, payroll)
    first = payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    assert first.payees() == [(ANA, 1_200_000), (BEN, 600_000), (ORG, 200_000)]
    clock.advance(minutes=10)
    everyone = [ANA, BEN, ORG]
    return payroll.set_paid(GUILD, first.payroll_id, OTHER_OFFICER, everyone, everyone)


def amend_ben_time(payroll: PayrollService, final: PayrollVersion, adjust_s: int) -> PayrollVersion:
    draft = payroll.amend(GUILD, final.payroll_id, OFFICER)
    draft = payroll.adjust_member(
        GUILD,
        draft.payroll_id,
        OFFICER,
        BEN,
        multiplier_milli=1000,
        adjust_s=adjust_s,
        reason="The voice log missed half an hour" if adjust_s else "",
    )
    return payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)


def test_the_golden_amendment_carries_the_unchanged_mark_and_owes_the_difference(
    store: Store, clock: FixedClock
) -> None:
    services = build_services(store, clock)
    payroll = fresh_prices(services, clock)
    first = first_version_all_paid(services, clock, payroll)
    paid_at = first.paid[ORG].at_ms
    clock.advance(minutes=60)

    # Version 2 gives Ben 30 minutes more: 1,800,000 split 7,200 s : 5,400 s (12,600 s).
    #   Ana 1,800,000 x 7,200 / 12,600 = 1,028,571.43 -> 1,028,571
    #   Ben 1,800,000 x 5,400 / 12,600 =   771,428.57 ->   771,428, +1 (the larger fraction)
    # The pool and so the org's 200,000 do not change.
    second = amend_ben_time(payroll, first, 1800)
    assert second.payees() == [(ANA, 1_028_571), (BEN, 771_429), (ORG, 200_000)]
    # The org's amount is the same: its mark carries over as it was (who, when).
    assert second.paid == {ORG: PaidMark(OTHER_OFFICER, paid_at)}
    assert second.paid_before == {
        ANA: PriorPayment(1_200_000, 1, OTHER_OFFICER, paid_at),
        BEN: PriorPayment(600_000, 1, OTHER_OFFICER, paid_at),
    }
    assert payroll.get(GUILD, second.payroll_id) == second  # stored as returned

    _, owed, total = payroll.still_owed(GUILD, second.payroll_id)
    assert owed == [Owed(ANA, 1_028_571, 1_200_000, 1), Owed(BEN, 771_429, 600_000, 1)]
    assert [o.due for o in owed] == [-171_429, 171_429]  # Ana was over-paid what Ben is owed
    assert total == 171_429
    # Money is exact: what was paid under v1, plus each difference (owed or over-paid), is
    # what version 2 pays out, to the last aUEC.
    assert second.result is not None
    assert second.result.gross == 1_200_000 + 600_000 + 200_000 + sum(o.due for o in owed)


def test_payments_follow_a_chain_of_amendments(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    first = first_version_all_paid(services, clock, payroll)
    second = amend_ben_time(payroll, first, 1800)
    clock.advance(minutes=5)
    second = payroll.set_paid(GUILD, second.payroll_id, OFFICER, [BEN], [BEN])  # paid 171,429

    # Version 3 takes the 30 minutes back: the amounts of version 1 again.
    third = amend_ben_time(payroll, second, 0)
    assert third.payees() == [(ANA, 1_200_000), (BEN, 600_000), (ORG, 200_000)]
    # Ana was paid 1,200,000 under v1 (kept as paid before by v2): exactly her amount again.
    assert set(third.paid) == {ANA, ORG}
    assert third.paid[ANA] == first.paid[ANA]
    # Ben was paid 771,429 in all by v2: 171,429 more than v3 gives him.
    assert third.paid_before == {BEN: PriorPayment(771_429, 2, OFFICER, clock.now_ms())}
    _, owed, total = payroll.still_owed(GUILD, third.payroll_id)
    assert owed == [Owed(BEN, 600_000, 771_429, 2)]
    assert (owed[0].due, total) == (-171_429, 0)


def test_a_payee_who_gets_nothing_any_more_shows_as_over_paid(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    # Version 2 pays the org nothing: 2,000,000 split 2 h : 1 h = 1,333,333.33 / 666,666.67,
    # whole parts 1,999,999, the 1 left to Ben (the larger fraction).
    first = first_version_all_paid(services, clock, payroll)
    draft = payroll.amend(GUILD, first.payroll_id, OFFICER)
    draft = payroll.remove_cut(GUILD, draft.payroll_id, OFFICER, "p0")
    second = payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    assert second.payees() == [(ANA, 1_333_333), (BEN, 666_667)]
    _, owed, total = payroll.still_owed(GUILD, second.payroll_id)
    assert owed == [
        Owed(ANA, 1_333_333, 1_200_000, 1),
        Owed(BEN, 666_667, 600_000, 1),
    ]  # the org is never owed: what it keeps is not a payment anyone makes
    assert total == 133_333 + 66_667 == 200_000  # the cut the org no longer takes


def test_a_payment_marked_while_the_amendment_is_finalized_is_carried_too(
    services: Services, clock: FixedClock
) -> None:
    racing = RaceFirstWrite(services.store)
    payroll = fresh_prices(build_services(racing, clock), clock)
    other = fresh_prices(services, clock)
    draft = ready_draft(services, clock, other)
    first = other.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    other.set_paid(GUILD, first.payroll_id, OFFICER, [ANA], [ANA])
    amendment = other.amend(GUILD, first.payroll_id, OFFICER)
    racing.race = lambda: other.set_paid(GUILD, first.payroll_id, OTHER_OFFICER, [BEN], [BEN])
    second = payroll.finalize(GUILD, amendment.payroll_id, OFFICER, expected_rev=amendment.rev)
    assert set(second.paid) == {ANA, BEN}  # nothing changed, so both marks carry over
    assert other.get(GUILD, second.payroll_id) == second
    assert set(other.get(GUILD, first.payroll_id).paid) == {ANA, BEN}


def test_an_amendment_stored_before_payments_were_kept_still_shows_what_was_paid(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    first = first_version_all_paid(services, clock, payroll)
    second = amend_ben_time(payroll, first, 1800)
    # As such a version was stored: no paid marks carried, no paid_before attribute.
    services.store.update(
        version_key(GUILD, second.payroll_id), Update(set={"paid": {}}, remove=("paid_before",))
    )
    legacy = payroll.get(GUILD, second.payroll_id)
    assert legacy.paid_before is None
    _, owed, total = payroll.still_owed(GUILD, second.payroll_id)
    assert owed == [
        Owed(ANA, 1_028_571, 1_200_000, 1),
        Owed(BEN, 771_429, 600_000, 1),
    ]
    assert total == 171_429
