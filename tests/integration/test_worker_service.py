"""The app's side of the voice worker: lease, heartbeats, gaps, dispatch presence, sweeps."""

from __future__ import annotations

import pytest
from tests.support.worker_service import DISPATCH, GUILD, ROCK, SIDE, beat, seat

from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.presence import Gap
from sunday_mining.domain.session import StopReason
from sunday_mining.entrypoints.factories import Services
from sunday_mining.services.worker import NotLeaseHolder


def test_only_one_worker_holds_the_lease(services: Services, clock: FixedClock) -> None:
    first = services.worker.acquire("w1", 60)
    second = services.worker.acquire("w2", 60)
    assert first.granted
    assert not second.granted
    assert second.holder == "w1"
    with pytest.raises(NotLeaseHolder):
        services.worker.heartbeat(beat("w2"))


def test_an_expired_lease_passes_to_the_next_worker(services: Services, clock: FixedClock) -> None:
    services.worker.acquire("w1", 60)
    clock.advance(seconds=61)
    assert services.worker.acquire("w2", 60).granted
    with pytest.raises(NotLeaseHolder):
        services.worker.heartbeat(beat("w1"))


def test_a_released_lease_is_free_at_once(services: Services) -> None:
    services.worker.acquire("w1", 60)
    assert not services.worker.release("w2")
    assert services.worker.release("w1")
    assert services.worker.acquire("w2", 60).granted


def test_the_bot_is_asked_into_dispatch_only_while_an_op_runs(
    services: Services, clock: FixedClock
) -> None:
    services.guilds.add_channel(GUILD, ROCK)
    services.guilds.add_channel(GUILD, DISPATCH, dispatch=True)
    services.worker.acquire("w1", 60)
    assert services.worker.heartbeat(beat()).presence == {GUILD: None}
    session = services.sessions.start_sunday(GUILD, "lead")
    answer = services.worker.heartbeat(beat())
    assert answer.presence == {GUILD: DISPATCH}
    assert answer.watch == {GUILD: [DISPATCH, ROCK]}
    services.sessions.stop(GUILD, session.session_id)
    assert services.worker.heartbeat(beat()).presence == {GUILD: None}


def test_a_silent_worker_leaves_a_gap_that_flags_records(
    services: Services, clock: FixedClock
) -> None:
    services.guilds.add_channel(GUILD, ROCK)
    services.worker.acquire("w1", 600)
    services.worker.heartbeat(beat())
    session = services.sessions.start_sunday(GUILD, "lead")
    seat(services, clock, "a", ROCK, 1)
    clock.advance(minutes=10)  # no heartbeat for 10 minutes
    services.worker.acquire("w1", 600)
    services.worker.heartbeat(beat())
    clock.advance(minutes=5)
    services.sessions.stop(GUILD, session.session_id)
    summary = services.summaries.summary(GUILD, session.session_id)
    (participant,) = summary.participants
    assert participant.credited_seconds == 15 * 60
    assert participant.gap_affected


def test_reported_gateway_gaps_flag_records(services: Services, clock: FixedClock) -> None:
    services.guilds.add_channel(GUILD, ROCK)
    services.worker.acquire("w1", 600)
    session = services.sessions.start_sunday(GUILD, "lead")
    seat(services, clock, "a", ROCK, 1)
    clock.advance(minutes=2)
    gap = Gap(clock.now_ms() - 30_000, clock.now_ms() - 10_000)
    services.worker.heartbeat(beat(gaps=(gap,)))
    clock.advance(minutes=2)
    services.sessions.stop(GUILD, session.session_id)
    (participant,) = services.summaries.summary(GUILD, session.session_id).participants
    assert participant.gap_affected


def test_a_reported_gap_equal_to_the_silence_is_stored_once(
    services: Services, clock: FixedClock
) -> None:
    services.guilds.add_channel(GUILD, ROCK)
    services.worker.acquire("w1", 600)
    services.worker.heartbeat(beat())
    session = services.sessions.start_sunday(GUILD, "lead")
    seat(services, clock, "a", ROCK, 1)
    silent_from = clock.now_ms()
    clock.advance(minutes=7)  # silent, and the worker reports exactly that stretch
    services.worker.heartbeat(beat(gaps=(Gap(silent_from, clock.now_ms()),)))
    services.sessions.stop(GUILD, session.session_id)
    (participant,) = services.summaries.summary(GUILD, session.session_id).participants
    assert participant.gap_affected


def test_an_idle_adhoc_session_stops_when_the_last_member_left(
    services: Services, clock: FixedClock
) -> None:
    services.guilds.set_setting(GUILD, "adhoc-idle-timeout", "10")
    services.worker.acquire("w1", 600)
    session = services.sessions.start_adhoc(GUILD, "a", SIDE)
    seat(services, clock, "a", SIDE, 1)
    clock.advance(minutes=30)
    seat(services, clock, "a", None, 2)
    left_at = clock.now_ms()
    clock.advance(minutes=9)
    services.worker.heartbeat(beat())
    assert services.sessions.get(GUILD, session.session_id).is_active
    clock.advance(minutes=2)
    services.worker.heartbeat(beat())
    stopped = services.sessions.get(GUILD, session.session_id)
    assert stopped.stop_reason is StopReason.IDLE_TIMEOUT
    assert stopped.stopped_ms == left_at


def test_an_adhoc_session_is_not_swept_while_the_worker_is_reconnecting(
    services: Services, clock: FixedClock
) -> None:
    services.worker.acquire("w1", 600)
    session = services.sessions.start_adhoc(GUILD, "a", SIDE)
    clock.advance(minutes=60)
    services.worker.heartbeat(beat(state="resuming"))
    assert services.sessions.get(GUILD, session.session_id).is_active


def test_an_adhoc_session_stops_at_the_maximum_length(
    services: Services, clock: FixedClock
) -> None:
    services.guilds.set_setting(GUILD, "adhoc-max-length", "2")
    services.worker.acquire("w1", 600)
    session = services.sessions.start_adhoc(GUILD, "a", SIDE)
    seat(services, clock, "a", SIDE, 1)
    clock.advance(minutes=125)
    services.worker.heartbeat(beat())
    stopped = services.sessions.get(GUILD, session.session_id)
    assert stopped.stop_reason is StopReason.MAX_LENGTH
    assert stopped.length_ms(clock.now_ms()) == 2 * 3_600_000
    summary = services.summaries.summary(GUILD, session.session_id)
    assert summary.participants[0].credited_seconds == 2 * 3600
