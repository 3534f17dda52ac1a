"""Discarding a payroll draft, on a real store: the session is as it was before the draft."""

from __future__ import annotations

import pytest
from tests.support.payroll import (
    ANA,
    BEN,
    CY,
    GUILD,
    OFFICER,
    OTHER_OFFICER,
    fresh_prices,
    ready_draft,
    stopped_session,
    stored,
)
from tests.support.races import RaceFirstWrite

from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.errors import NotFound, StateConflict
from sunday_mining.domain.session import PayrollState
from sunday_mining.entrypoints.factories import Services, build_services
from sunday_mining.ports.store import Store
from sunday_mining.services import keys
from sunday_mining.services.payroll import PayrollService, PayrollStatus
from sunday_mining.services.payroll.codec import head_key


def test_discarding_a_first_draft_puts_the_session_back_as_it_was(
    store: Store, clock: FixedClock
) -> None:
    services = build_services(store, clock)
    payroll = fresh_prices(services, clock)
    session = stopped_session(services, clock, {ANA: 120, BEN: 60, CY: 5})
    session_key = keys.session_key(GUILD, session.session_id)
    before = store.get(session_key)
    assert before is not None
    assert before["payroll_state"] == PayrollState.NONE.value
    draft = payroll.open(GUILD, session.session_id, OFFICER)
    draft = payroll.add_sale(GUILD, draft.payroll_id, OFFICER, "Sale", 1_000)

    gone = payroll.discard(GUILD, draft.payroll_id, OTHER_OFFICER, expected_rev=draft.rev)
    assert gone.payroll_id == draft.payroll_id
    after = store.get(session_key)
    assert after is not None
    # Every attribute as before the draft; the version moves on, as on every session write.
    assert {**after, "version": before["version"]} == before
    assert after["version"] == before["version"] + 2
    with pytest.raises(NotFound):
        payroll.get(GUILD, draft.payroll_id)
    head = payroll.head(GUILD, session.session_id)
    assert (head.draft_id, head.final_id, head.version_ids) == (None, None, ())
    (entry, *_) = payroll.audit_log(GUILD)
    assert (entry.action, entry.by, entry.payroll_id) == (
        "discard",
        OTHER_OFFICER,
        draft.payroll_id,
    )
    assert entry.detail == "discarded draft v1"

    # Started over from /mining payroll: a new first draft, nothing of the old one in it.
    listed, _ = payroll.payable_sessions(GUILD, before=None, limit=5)
    assert [s.session.payroll_state for s in listed] == [PayrollState.NONE]
    again = payroll.open(GUILD, session.session_id, OFFICER)
    assert again.payroll_id != draft.payroll_id
    assert (again.number, again.income, again.rev) == (1, (), 0)
    assert services.sessions.get(GUILD, session.session_id).payroll_state is PayrollState.DRAFT


def test_discarding_an_amendment_leaves_the_final_payroll_and_the_session_alone(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    draft = ready_draft(services, clock, payroll)
    final = payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    final = payroll.set_paid(GUILD, final.payroll_id, OFFICER, [ANA], [ANA])
    session_before = services.store.get(keys.session_key(GUILD, final.session_id))
    final_before = stored(services, final)
    amendment = payroll.amend(GUILD, final.payroll_id, OFFICER)
    amendment = payroll.add_expense(GUILD, amendment.payroll_id, OFFICER, "Fuel", 500, None)

    payroll.discard(GUILD, amendment.payroll_id, OFFICER, expected_rev=amendment.rev)
    assert stored(services, final) == final_before
    assert services.store.get(keys.session_key(GUILD, final.session_id)) == session_before
    head = payroll.head(GUILD, final.session_id)
    assert (head.draft_id, head.final_id, head.version_ids) == (
        None,
        final.payroll_id,
        (final.payroll_id,),
    )
    assert payroll.open(GUILD, final.session_id, OFFICER) == final
    assert payroll.amend(GUILD, final.payroll_id, OFFICER).number == 2
    (entry,) = [e for e in payroll.audit_log(GUILD) if e.action == "discard"]
    assert entry.detail == (
        f"discarded draft v2 (an amendment of {final.payroll_id}, which stays final)"
    )


def test_a_final_payroll_and_a_stale_confirmation_are_never_discarded(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    draft = ready_draft(services, clock, payroll)
    asked_at = draft.rev
    # another officer enters a sale they made: two sellers, the org's cut with the treasurer
    services.guilds.set_treasurer(GUILD, ANA)
    draft = payroll.add_sale(GUILD, draft.payroll_id, OTHER_OFFICER, "Sale", 1_000)
    before, audit = services.store.query_all(f"G#{GUILD}"), payroll.audit_log(GUILD)
    with pytest.raises(StateConflict, match="changed this draft after you asked"):
        payroll.discard(GUILD, draft.payroll_id, OFFICER, expected_rev=asked_at)
    assert services.store.query_all(f"G#{GUILD}") == before

    final = payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    before = services.store.query_all(f"G#{GUILD}")
    for rev in (draft.rev, final.rev):
        with pytest.raises(StateConflict, match="was finalized by"):
            payroll.discard(GUILD, final.payroll_id, OFFICER, expected_rev=rev)
    assert services.store.query_all(f"G#{GUILD}") == before
    assert len(payroll.audit_log(GUILD)) == len(audit) + 1  # the finalize, nothing else


def test_a_finalize_that_lands_first_wins_and_the_discard_is_refused(
    services: Services, clock: FixedClock
) -> None:
    racing = RaceFirstWrite(services.store)
    payroll = fresh_prices(build_services(racing, clock), clock)
    other = fresh_prices(services, clock)
    draft = ready_draft(services, clock, other)
    racing.race = lambda: other.finalize(
        GUILD, draft.payroll_id, OTHER_OFFICER, expected_rev=draft.rev
    )
    with pytest.raises(StateConflict, match="finalized this payroll a moment ago"):
        payroll.discard(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    final = other.get(GUILD, draft.payroll_id)
    assert final.status is PayrollStatus.FINAL
    assert services.sessions.get(GUILD, draft.session_id).payroll_state is PayrollState.FINAL
    assert other.head(GUILD, draft.session_id).final_id == draft.payroll_id


def test_a_discard_that_lands_first_wins_and_the_finalize_is_refused(
    services: Services, clock: FixedClock
) -> None:
    racing = RaceFirstWrite(services.store)
    payroll = fresh_prices(build_services(racing, clock), clock)
    other = fresh_prices(services, clock)
    draft = ready_draft(services, clock, other)
    racing.race = lambda: other.discard(
        GUILD, draft.payroll_id, OTHER_OFFICER, expected_rev=draft.rev
    )
    with pytest.raises(StateConflict, match="discarded a moment ago"):
        payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    assert services.store.get(head_key(GUILD, draft.session_id)) is not None
    assert other.head(GUILD, draft.session_id).draft_id is None
    assert services.sessions.get(GUILD, draft.session_id).payroll_state is PayrollState.NONE
    assert other.audit_log(GUILD)[0].action == "discard"


def test_discarding_twice_is_refused_the_second_time(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    draft = ready_draft(services, clock, payroll)
    payroll.discard(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    before = services.store.query_all(f"G#{GUILD}")
    with pytest.raises(NotFound, match="run /mining payroll again"):
        payroll.discard(GUILD, draft.payroll_id, OTHER_OFFICER, expected_rev=draft.rev)
    assert services.store.query_all(f"G#{GUILD}") == before
