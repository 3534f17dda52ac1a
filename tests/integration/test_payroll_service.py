"""Payroll drafts, finalize, amend, paid flags and the audit log, on a real SQLite store."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from tests.support.payroll import (
    ANA,
    BEN,
    CHANNEL,
    CY,
    GUILD,
    LARANITE,
    OFFICER,
    OTHER_OFFICER,
    QUANTAINIUM,
    fresh_prices,
    ready_draft,
    stopped_session,
    stored,
)

from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.errors import DomainError, StateConflict, ValidationError
from sunday_mining.domain.payroll import compute
from sunday_mining.domain.session import PayrollState
from sunday_mining.entrypoints.factories import Services, build_services
from sunday_mining.ports.store import Store
from sunday_mining.services.payroll import (
    OreEntry,
    PayrollService,
    PayrollStatus,
    PriceMode,
)


def test_a_draft_lists_everyone_with_low_time_excluded_and_the_org_cut_prefilled(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    session = stopped_session(services, clock, {ANA: 120, BEN: 60, CY: 5})
    draft = payroll.open(GUILD, session.session_id, OFFICER)
    assert [(m.user_id, m.credited_s, m.included) for m in draft.members] == [
        (ANA, 7200, True),
        (BEN, 3600, True),
        (CY, 300, False),  # below the 15-minute minimum: listed, not paid
    ]
    assert draft.members[2].below_minimum
    assert [(p.label, p.payee_id, p.basis_points) for p in draft.percentages] == [
        ("Org cut", "org", 1000)
    ]
    assert services.sessions.get(GUILD, session.session_id).payroll_state is PayrollState.DRAFT
    assert payroll.open(GUILD, session.session_id, OTHER_OFFICER).payroll_id == draft.payroll_id


def test_draft_finalize_amend_finalize_supersedes_the_first_version(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    draft = ready_draft(services, clock, payroll)
    (line,) = draft.income
    assert (line.price_per_scu, line.price_source) == (20_000, "snapshot:best")
    assert draft.price_snapshot_ms is not None
    first = payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    assert first.status is PayrollStatus.FINAL
    assert first.result == compute(draft.to_input())  # the stored lines are compute()'s
    assert first.result is not None
    assert first.result.gross == 2_000_000
    assert services.sessions.get(GUILD, draft.session_id).payroll_state is PayrollState.FINAL

    amendment = payroll.amend(GUILD, first.payroll_id, OFFICER)
    assert (amendment.number, amendment.status, amendment.supersedes) == (
        2,
        PayrollStatus.DRAFT,
        first.payroll_id,
    )
    assert amendment.income == first.income
    assert amendment.members == first.members
    assert payroll.open(GUILD, draft.session_id, OFFICER).payroll_id == amendment.payroll_id
    amendment = payroll.add_expense(
        GUILD, amendment.payroll_id, OFFICER, "Refinery fee", 100_000, BEN
    )
    second = payroll.finalize(GUILD, amendment.payroll_id, OFFICER, expected_rev=amendment.rev)

    old = payroll.get(GUILD, first.payroll_id)
    assert old.status is PayrollStatus.SUPERSEDED
    assert old.superseded_by == second.payroll_id
    assert old.result == first.result  # the old version is kept as it was
    assert payroll.head(GUILD, draft.session_id).final_id == second.payroll_id
    assert payroll.head(GUILD, draft.session_id).draft_id is None
    assert dict(second.payees())[BEN] > dict(first.payees())[BEN]  # reimbursed


def test_the_lifecycle_holds_on_both_stores(store: Store, clock: FixedClock) -> None:
    services = build_services(store, clock)
    payroll = fresh_prices(services, clock)
    draft = ready_draft(services, clock, payroll)
    first = payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    with pytest.raises(StateConflict):
        payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    clock.advance(seconds=1)  # the log orders by time, then by version within a millisecond
    amendment = payroll.amend(GUILD, first.payroll_id, OFFICER)
    second = payroll.finalize(GUILD, amendment.payroll_id, OFFICER, expected_rev=amendment.rev)
    payroll.set_paid(GUILD, second.payroll_id, OFFICER, [ANA], [ANA])
    assert payroll.get(GUILD, first.payroll_id).status is PayrollStatus.SUPERSEDED
    assert set(payroll.get(GUILD, second.payroll_id).paid) == {ANA}
    assert [e.action for e in reversed(payroll.audit_log(GUILD))] == [
        "draft",
        "ores",
        "finalize",
        "amend",
        "finalize",
        "paid",
    ]


def test_finalizing_twice_yields_one_final(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    draft = ready_draft(services, clock, payroll)
    final = payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    with pytest.raises(StateConflict, match="finalized by"):
        payroll.finalize(GUILD, draft.payroll_id, OTHER_OFFICER, expected_rev=draft.rev)
    assert payroll.get(GUILD, draft.payroll_id) == final
    assert payroll.head(GUILD, draft.session_id).version_ids == (draft.payroll_id,)


def test_two_concurrent_finalizes_yield_one_final(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    draft = ready_draft(services, clock, payroll)
    start = threading.Barrier(2)

    def finalize(user: str) -> str:
        start.wait()
        try:
            payroll.finalize(GUILD, draft.payroll_id, user, expected_rev=draft.rev)
        except StateConflict:
            return "refused"
        return "final"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(finalize, [OFFICER, OTHER_OFFICER]))
    assert outcomes == ["final", "refused"]
    finals = [e for e in payroll.audit_log(GUILD) if e.action == "finalize"]
    assert len(finals) == 1
    assert payroll.get(GUILD, draft.payroll_id).status is PayrollStatus.FINAL


def test_a_change_after_the_preview_blocks_finalizing_what_was_not_seen(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    draft = ready_draft(services, clock, payroll)
    payroll.add_expense(GUILD, draft.payroll_id, OTHER_OFFICER, "Fuel", 1_000, None)
    with pytest.raises(StateConflict, match="changed this payroll after the preview"):
        payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    assert payroll.get(GUILD, draft.payroll_id).is_draft


def test_mark_paid_and_see_who_is_still_owed(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    draft = ready_draft(services, clock, payroll)
    final = payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    payees = [p for p, _ in final.payees()]
    assert payees == [ANA, BEN, "org"]
    paid = payroll.set_paid(GUILD, final.payroll_id, OFFICER, payees, [ANA])
    assert set(paid.paid) == {ANA}
    _, owed, total = payroll.still_owed(GUILD, final.payroll_id)
    nets = dict(final.payees())
    # The org is never owed: its cut is what it keeps of the haul, not a payment.
    assert [(o.payee_id, o.net) for o in owed] == [(BEN, nets[BEN])]
    assert total == nets[BEN]

    payroll.set_paid(GUILD, final.payroll_id, OTHER_OFFICER, payees, [ANA, BEN, "org"])
    assert payroll.still_owed(GUILD, final.payroll_id)[1:] == ([], 0)
    undone = payroll.set_paid(GUILD, final.payroll_id, OFFICER, [BEN], [])
    assert set(undone.paid) == {ANA, "org"}
    assert undone.paid[ANA].by == OFFICER


def test_mark_all_paid_marks_every_member_and_never_the_org(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    draft = ready_draft(services, clock, payroll)
    final = payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    payroll.set_paid(GUILD, final.payroll_id, OFFICER, [ANA], [ANA])
    everyone = payroll.set_all_paid(GUILD, final.payroll_id, OTHER_OFFICER)
    assert set(everyone.paid) == {ANA, BEN}
    assert everyone.paid[ANA].by == OFFICER  # an earlier mark is kept as it was
    assert payroll.still_owed(GUILD, final.payroll_id)[1:] == ([], 0)
    (entry, *_) = payroll.audit_log(GUILD)
    assert entry.detail == f"marked everyone paid: paid <@{BEN}>"
    assert payroll.set_all_paid(GUILD, final.payroll_id, OFFICER) == everyone  # nothing to do


def test_an_amendment_that_changes_nobodys_amount_keeps_every_paid_mark(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    draft = ready_draft(services, clock, payroll)
    first = payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    marked = payroll.set_paid(GUILD, first.payroll_id, OFFICER, [ANA], [ANA])
    clock.advance(minutes=5)
    amendment = payroll.amend(GUILD, first.payroll_id, OTHER_OFFICER)
    second = payroll.finalize(GUILD, amendment.payroll_id, OFFICER, expected_rev=amendment.rev)
    assert second.paid == marked.paid  # who marked it, and when, as on the first version
    _, owed, total = payroll.still_owed(GUILD, second.payroll_id)
    assert [o.payee_id for o in owed] == [BEN]
    assert all(o.paid_before is None for o in owed)
    assert total == sum(net for payee, net in second.payees() if payee not in (ANA, "org"))
    with pytest.raises(StateConflict):
        payroll.set_paid(GUILD, first.payroll_id, OFFICER, [BEN], [BEN])


BadEdit = Callable[[PayrollService, str], object]
BAD_EDITS: dict[str, tuple[BadEdit, str]] = {
    "absurd SCU": (
        lambda p, d: p.set_ores(GUILD, d, OFFICER, [OreEntry(LARANITE, 100_000_01)]),
        "more than the 100,000 SCU",
    ),
    "zero typed price": (
        lambda p, d: p.set_ores(GUILD, d, OFFICER, [OreEntry(LARANITE, 100, PriceMode.TYPED, 0)]),
        "has no price",
    ),
    "absurd typed price": (
        lambda p, d: p.set_ores(
            GUILD, d, OFFICER, [OreEntry(LARANITE, 100, PriceMode.TYPED, 5_000_000)]
        ),
        "cap",
    ),
    "unknown ore": (
        lambda p, d: p.set_ores(GUILD, d, OFFICER, [OreEntry(999_999, 100)]),
        "don't know that ore",
    ),
    "unpriced ore": (
        lambda p, d: p.set_ores(GUILD, d, OFFICER, [OreEntry(59, 100)]),
        "No terminal buys Quantainium \\(Raw\\)",
    ),
    "expense over the gross": (
        lambda p, d: p.add_expense(GUILD, d, OFFICER, "Ship", 3_000_000, None),
        "more than the gross",
    ),
    "zero expense": (lambda p, d: p.add_expense(GUILD, d, OFFICER, "Ship", 0, None), "more than 0"),
    "percentage over 100": (
        lambda p, d: p.add_percentage(GUILD, d, OFFICER, "Greed", 10_001, None),
        "at most 100 %",
    ),
    "percentages adding up over 100": (
        lambda p, d: p.add_percentage(GUILD, d, OFFICER, "Greed", 9_500, None),
        "add up to 105 %",
    ),
    "negative time": (
        lambda p, d: p.adjust_member(
            GUILD, d, OFFICER, BEN, multiplier_milli=1000, adjust_s=-7200, reason="typo"
        ),
        "below zero",
    ),
    "adjustment without a reason": (
        lambda p, d: p.adjust_member(
            GUILD, d, OFFICER, BEN, multiplier_milli=1000, adjust_s=600, reason=" "
        ),
        "Say why",
    ),
    "multiplier over 10": (
        lambda p, d: p.adjust_member(
            GUILD, d, OFFICER, BEN, multiplier_milli=11_000, adjust_s=0, reason=""
        ),
        "between 0 and 10",
    ),
    "someone who was not there": (
        lambda p, d: p.set_included(GUILD, d, OFFICER, ["555"], ["555"]),
        "not a participant",
    ),
    "a stale finalize": (
        lambda p, d: p.finalize(GUILD, d, OFFICER, expected_rev=0),
        "after the preview",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_EDITS))
def test_bad_input_leaves_the_stored_draft_byte_identical(
    services: Services, clock: FixedClock, payroll: PayrollService, case: str
) -> None:
    draft = ready_draft(services, clock, payroll)
    before, audit = stored(services, draft), payroll.audit_log(GUILD)
    edit, reason = BAD_EDITS[case]
    with pytest.raises(DomainError, match=reason):
        edit(payroll, draft.payroll_id)
    assert stored(services, draft) == before
    assert payroll.audit_log(GUILD) == audit


def test_old_prices_are_refused_until_the_officer_accepts_them(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    session = stopped_session(services, clock, {ANA: 60})
    draft = payroll.open(GUILD, session.session_id, OFFICER)
    clock.advance(minutes=2 * 24 * 60)
    before = stored(services, draft)
    with pytest.raises(ValidationError, match=r"2 days"):
        payroll.set_ores(GUILD, draft.payroll_id, OFFICER, [OreEntry(QUANTAINIUM, 100)])
    assert stored(services, draft) == before
    typed = OreEntry(LARANITE, 100, PriceMode.TYPED, 2_900)
    draft = payroll.set_ores(GUILD, draft.payroll_id, OFFICER, [typed])  # typed: no snapshot
    fetched = payroll.current_prices().fetched_ms
    draft = payroll.accept_stale_prices(GUILD, draft.payroll_id, OFFICER, fetched)
    draft = payroll.set_ores(
        GUILD, draft.payroll_id, OFFICER, [OreEntry(QUANTAINIUM, 100, PriceMode.AVERAGE)]
    )
    assert {(x.name, x.price_per_scu, x.price_source) for x in draft.income} == {
        ("Laranite", 2_900, "typed"),
        ("Quantainium", 19_000, "snapshot:average"),
    }


def test_every_change_is_audit_logged_with_who_and_what(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    draft = ready_draft(services, clock, payroll)
    shown = [m.user_id for m in draft.members]
    draft = payroll.set_included(GUILD, draft.payroll_id, OTHER_OFFICER, shown, [ANA])
    draft = payroll.set_donors(GUILD, draft.payroll_id, OFFICER, shown, [ANA])
    draft = payroll.adjust_member(
        GUILD, draft.payroll_id, OFFICER, ANA, multiplier_milli=1500, adjust_s=-600, reason="AFK"
    )
    payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    log = list(reversed(payroll.audit_log(GUILD)))
    assert [e.action for e in log] == [
        "draft",
        "ores",
        "included",
        "donates",
        "member",
        "finalize",
    ]
    assert log[2].by == OTHER_OFFICER
    assert log[2].detail == f"excluded <@{BEN}>"
    assert log[4].detail == f"<@{ANA}>: multiplier x1.5, time -10 min (AFK)"
    assert all(e.payroll_id == draft.payroll_id for e in log)
    items = services.store.query_all(f"G#{GUILD}")
    assert sum(1 for i in items if i["sk"].startswith("AUDIT#")) == 6


def test_a_running_session_has_no_payroll_yet(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    services.guilds.add_channel(GUILD, CHANNEL)
    session = services.sessions.start_sunday(GUILD, OFFICER)
    with pytest.raises(StateConflict, match="still running"):
        payroll.open(GUILD, session.session_id, OFFICER)


def test_the_pick_list_pages_stopped_sessions_without_a_final_payroll(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    services.guilds.add_channel(GUILD, CHANNEL)
    ids = []
    for _ in range(5):
        session = services.sessions.start_sunday(GUILD, OFFICER)
        clock.advance(minutes=30)
        ids.append(services.sessions.stop(GUILD, session.session_id).session_id)
    draft = payroll.open(GUILD, ids[1], OFFICER)
    draft = payroll.add_sale(GUILD, draft.payroll_id, OFFICER, "Sale", 1_000)
    draft = payroll.set_included(GUILD, draft.payroll_id, OFFICER, [], [])
    with pytest.raises(ValidationError, match="no included participant"):
        payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    payroll.add_percentage(GUILD, draft.payroll_id, OFFICER, "Org cut", 10_000, None)
    draft = payroll.get(GUILD, draft.payroll_id)
    payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)

    first, more = payroll.payable_sessions(GUILD, before=None, limit=2)
    assert [s.session.session_id for s in first] == [ids[4], ids[3]]
    assert more
    second, more = payroll.payable_sessions(GUILD, before=ids[3], limit=2)
    assert [s.session.session_id for s in second] == [ids[2], ids[0]]  # ids[1] is final
    assert not more
    assert all(s.participants == 0 for s in [*first, *second])
