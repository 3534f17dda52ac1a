"""Refinery jobs in the store, on SQLite and on DynamoDB (moto): adding, the three lists, the
member's changes with their permissions, and the one notice per due time whatever the timer
does (fires twice, late, in a new process, after a cancel or an edit)."""

from __future__ import annotations

import pytest

from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.errors import NotFound, PermissionDenied, StateConflict
from sunday_mining.domain.prices import PriceSnapshot
from sunday_mining.domain.refining import (
    HOUR_MS,
    MINUTE_MS,
    JobState,
    RefineryJob,
    method_by_code,
    parse_ore_amounts,
)
from sunday_mining.ports.store import Store
from sunday_mining.services.guilds import GuildService
from sunday_mining.services.prices import PriceService
from sunday_mining.services.refinery import Actor, RefineryService, Terminal
from sunday_mining.services.sessions import SessionService

GUILD = "g1"
OWNER = Actor("u-owner")
OTHER = Actor("u-other")
OFFICER = Actor("u-officer", officer=True)
REPORT_CHANNEL = "900000000000000001"
QUANT_RAW, GOLD_RAW = 59, 34


class Poster:
    def __init__(self) -> None:
        self.posted: list[tuple[str, str]] = []

    def send_channel_message(
        self,
        channel_id: str,
        *,
        content: str,
        nonce: str | None = None,
        ping_users: tuple[str, ...] = (),
    ) -> str:
        self.posted.append((channel_id, content))
        return str(len(self.posted))


@pytest.fixture
def poster() -> Poster:
    return Poster()


def service(store: Store, clock: FixedClock, poster: Poster) -> RefineryService:
    """A fresh service on the same store: what a restarted process, or a second one, builds."""
    guilds = GuildService(store, clock)
    return RefineryService(
        store,
        clock,
        guilds,
        SessionService(store, clock, guilds),
        PriceService(store, clock),
        lambda: poster,
    )


@pytest.fixture
def refinery(store: Store, clock: FixedClock, poster: Poster) -> RefineryService:
    GuildService(store, clock).set_report_channel(GUILD, REPORT_CHANNEL)
    return service(store, clock, poster)


def add(refinery: RefineryService, actor: Actor = OWNER, hours: int = 2) -> RefineryJob:
    return refinery.add(
        GUILD,
        actor,
        terminal=Terminal(242, "Refinement Processing - MIC-L1"),
        method=method_by_code("DIN"),
        ores=parse_ore_amounts("Quantainium 48, Gold 12.5"),
        cost=25_000,
        time_left_ms=hours * HOUR_MS,
    )


def test_an_added_job_reads_back_the_same(refinery: RefineryService) -> None:
    job = add(refinery)
    assert refinery.get(GUILD, job.job_id) == job
    assert [o.ore_id for o in job.ores] == [QUANT_RAW, GOLD_RAW]


def test_the_lists_show_mine_the_orgs_open_jobs_soonest_first(
    refinery: RefineryService,
) -> None:
    late = add(refinery, hours=5)
    soon = add(refinery, OTHER, hours=1)
    done = add(refinery)
    refinery.cancel(GUILD, done.job_id, OWNER)
    assert [j.job_id for j in refinery.mine(GUILD, OWNER.user_id)] == [late.job_id]
    assert [j.job_id for j in refinery.open_jobs(GUILD)] == [soon.job_id, late.job_id]


def test_a_sessions_jobs_are_listed_with_it(
    refinery: RefineryService, store: Store, clock: FixedClock
) -> None:
    guilds = GuildService(store, clock)
    session = SessionService(store, clock, guilds).start_adhoc(
        GUILD, "u-lead", "900000000000000002"
    )
    job = refinery.add(
        GUILD,
        OWNER,
        terminal=Terminal(0, "Somewhere"),
        method=method_by_code("EST"),
        ores=parse_ore_amounts("Gold 10"),
        cost=0,
        time_left_ms=HOUR_MS,
        session_id=session.session_id,
    )
    add(refinery)
    assert refinery.of_session(GUILD, session.session_id) == [job]


def test_the_owner_and_officers_may_change_a_job_others_may_not(
    refinery: RefineryService,
) -> None:
    job = add(refinery)
    with pytest.raises(PermissionDenied):
        refinery.cancel(GUILD, job.job_id, OTHER)
    edited = refinery.edit_time_left(GUILD, job.job_id, OFFICER, 30 * MINUTE_MS)
    assert edited.due_ms == refinery.get(GUILD, job.job_id).due_ms
    collected = refinery.collect(GUILD, job.job_id, OWNER, {QUANT_RAW: 2_200, GOLD_RAW: 600})
    assert collected.state is JobState.COLLECTED
    assert refinery.get(GUILD, job.job_id).ores[1].refined_centi == 600


def test_a_closed_job_cant_change_again(refinery: RefineryService) -> None:
    job = add(refinery)
    refinery.cancel(GUILD, job.job_id, OWNER)
    with pytest.raises(StateConflict):
        refinery.collect(GUILD, job.job_id, OWNER, {QUANT_RAW: 0, GOLD_RAW: 0})


def test_a_job_of_another_guild_or_a_made_up_id_is_not_found(
    refinery: RefineryService,
) -> None:
    job = add(refinery)
    with pytest.raises(NotFound):
        refinery.get("g2", job.job_id)
    with pytest.raises(NotFound):
        refinery.cancel(GUILD, "../x", OWNER)


# --- the notice -------------------------------------------------------------------------------


def test_nothing_is_sent_before_the_job_is_due(
    refinery: RefineryService, clock: FixedClock, poster: Poster
) -> None:
    add(refinery)
    clock.advance(minutes=119)
    assert refinery.notify_all_due() == 0
    assert poster.posted == []


def test_a_due_job_gets_one_notice_in_the_report_channel(
    refinery: RefineryService, clock: FixedClock, poster: Poster
) -> None:
    job = add(refinery)
    clock.advance(minutes=120)
    assert refinery.notify_all_due() == 1
    assert poster.posted == [
        (
            REPORT_CHANNEL,
            f"<@{job.owner_id}> Your refinery job at MIC-L1 (Quantainium, Gold) is ready to "
            "collect. Mark it collected in /mining refinery list.",
        )
    ]
    assert refinery.get(GUILD, job.job_id).notified_ms == clock.now_ms()


def test_a_timer_that_fires_twice_late_or_after_a_restart_sends_one_notice(
    refinery: RefineryService, store: Store, clock: FixedClock, poster: Poster
) -> None:
    add(refinery)
    clock.advance(minutes=600)  # late
    refinery.notify_all_due()
    refinery.notify_all_due()  # twice
    service(store, clock, poster).notify_all_due()  # a new process
    clock.advance(minutes=5)
    refinery.notify_all_due()
    assert len(poster.posted) == 1


def test_a_stale_copy_cant_record_a_second_notice(
    refinery: RefineryService, clock: FixedClock, poster: Poster
) -> None:
    job = add(refinery)
    clock.advance(minutes=120)
    refinery.notify_all_due()
    # A second sweep that read the job before the first one's write finds the write refused.
    assert refinery._claim_notice(job, clock.now_ms()) is False
    assert len(poster.posted) == 1


def test_a_cancelled_job_gets_no_notice(
    refinery: RefineryService, clock: FixedClock, poster: Poster
) -> None:
    job = add(refinery)
    refinery.cancel(GUILD, job.job_id, OWNER)
    clock.advance(minutes=600)
    assert refinery.notify_all_due() == 0
    assert poster.posted == []


def test_an_edited_time_left_moves_the_notice_and_notifies_again(
    refinery: RefineryService, clock: FixedClock, poster: Poster
) -> None:
    job = add(refinery)
    clock.advance(minutes=60)
    refinery.edit_time_left(GUILD, job.job_id, OWNER, 3 * HOUR_MS)  # due at minute 240
    clock.advance(minutes=90)  # the old due time passes: nothing
    assert refinery.notify_all_due() == 0
    clock.advance(minutes=90)
    assert refinery.notify_all_due() == 1
    # The game showed more time left after all: a new due time gets its own notice.
    refinery.edit_time_left(GUILD, job.job_id, OWNER, 30 * MINUTE_MS)
    clock.advance(minutes=30)
    refinery.notify_all_due()
    refinery.notify_all_due()
    assert len(poster.posted) == 2


def test_a_sessions_job_is_announced_in_the_sessions_channel(
    refinery: RefineryService, store: Store, clock: FixedClock, poster: Poster
) -> None:
    guilds = GuildService(store, clock)
    session = SessionService(store, clock, guilds).start_adhoc(
        GUILD, "u-owner", "900000000000000002"
    )
    refinery.add(
        GUILD,
        OWNER,
        terminal=Terminal(0, "Levski"),
        method=method_by_code("DIN"),
        ores=parse_ore_amounts("Gold 10"),
        cost=0,
        time_left_ms=HOUR_MS,
        session_id=session.session_id,
    )
    clock.advance(minutes=60)
    refinery.notify_all_due()
    assert poster.posted[0][0] == "900000000000000002"


def test_a_job_keeps_the_refinerys_uex_bonus_from_the_stored_prices(
    refinery: RefineryService, store: Store, clock: FixedClock
) -> None:
    yields = {242: {QUANT_RAW: 4}}  # invented for the test
    snapshot = PriceSnapshot(clock.now_ms(), "4.5", "uex", {}, yields)
    PriceService(store, clock)._save(snapshot, clock.now_ms())
    job = refinery.get(GUILD, add(refinery).job_id)
    assert job.bonus_known
    assert [(o.ore_id, o.bonus_percent) for o in job.ores] == [(QUANT_RAW, 4), (GOLD_RAW, 0)]


def test_without_yield_figures_a_job_uses_no_bonus_and_says_so(
    refinery: RefineryService,
) -> None:
    job = refinery.get(GUILD, add(refinery).job_id)  # the bundled sample prices
    assert not job.bonus_known
    assert {o.bonus_percent for o in job.ores} == {0}
