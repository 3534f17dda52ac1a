"""The books read from every store: stored final versions become domain FinalPayrolls (drafts
left out, the op's start from its session, paid marks with their times), and a member's page."""

from __future__ import annotations

import pytest
from tests.support.payroll import ANA, BEN, CY, GUILD, OFFICER, fresh_prices, ready_draft

from sunday_mining.domain.clock import FixedClock
from sunday_mining.entrypoints.factories import Services, build_services
from sunday_mining.ports.store import Store
from sunday_mining.services.payroll import PayrollService


@pytest.fixture
def on_store(store: Store, clock: FixedClock) -> Services:
    return build_services(store, clock)


@pytest.fixture
def payroll_on_store(on_store: Services, clock: FixedClock) -> PayrollService:
    return fresh_prices(on_store, clock)


def test_a_draft_is_not_in_the_books(
    on_store: Services, clock: FixedClock, payroll_on_store: PayrollService
) -> None:
    ready_draft(on_store, clock, payroll_on_store)
    assert on_store.books.final_payrolls(GUILD) == []


def test_a_final_version_is_read_with_its_op_start_and_paid_marks(
    on_store: Services, clock: FixedClock, payroll_on_store: PayrollService
) -> None:
    draft = ready_draft(on_store, clock, payroll_on_store)
    session = on_store.sessions.get(GUILD, draft.session_id)
    final = payroll_on_store.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    clock.advance(minutes=5)
    payroll_on_store.set_paid(GUILD, final.payroll_id, OFFICER, [ANA, BEN], [ANA])
    (book,) = on_store.books.final_payrolls(GUILD)
    assert (book.payroll_id, book.op_ms, book.number) == (final.payroll_id, session.started_ms, 1)
    assert final.result is not None
    assert book.gross == final.result.gross
    assert dict(book.paid) == {ANA: clock.now_ms()}
    assert {a.user_id: a.credited_s for a in book.attendees} == {
        ANA: 120 * 60,
        BEN: 60 * 60,
        CY: 5 * 60,
    }
    mine = on_store.books.member(GUILD, BEN)
    (line,) = mine.view.lines
    assert line.owed == book.payouts()[BEN]
    assert line.owed_since_ms == final.finalized_ms
    (sat,) = mine.sessions
    assert (sat.name, sat.credited_s, sat.status) == ("Halo run", 3600, "payroll final")
