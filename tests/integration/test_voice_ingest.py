"""Voice batches through the ingest service and the live summary, on a real SQLite store."""

from __future__ import annotations

import pytest

from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.presence import VoiceEvent, VoiceSnapshot
from sunday_mining.entrypoints.factories import Services
from sunday_mining.services.voice import VoiceBatch

GUILD = "1000"
ROCK, HAUL, LOBBY = "11", "12", "99"
MIN = 60_000


class Worker:
    """Stamps observations the way the voice worker does: its clock, one connection, a sequence."""

    def __init__(self, services: Services, clock: FixedClock, conn: str = "C1") -> None:
        self.services, self.clock, self.conn = services, clock, conn
        self.seq = 0
        self.batch_seq = 0

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def event(self, user: str, channel: str | None, *, bot: bool = False) -> VoiceEvent:
        return VoiceEvent(self.clock.now_ms(), self.conn, self._next(), user, channel, bot)

    def snapshot(self, channels: dict[str, set[str]]) -> VoiceSnapshot:
        members = {c: frozenset(u) for c, u in channels.items()}
        return VoiceSnapshot(self.clock.now_ms(), self.conn, self._next(), members)

    def send(self, *observations: VoiceEvent | VoiceSnapshot) -> VoiceBatch:
        self.batch_seq += 1
        batch = VoiceBatch(
            GUILD,
            self.conn,
            self.batch_seq,
            events=tuple(o for o in observations if isinstance(o, VoiceEvent)),
            snapshots=tuple(o for o in observations if isinstance(o, VoiceSnapshot)),
        )
        self.services.voice.record(batch)
        return batch


@pytest.fixture
def worker(services: Services, clock: FixedClock) -> Worker:
    services.guilds.add_channel(GUILD, ROCK)
    services.guilds.add_channel(GUILD, HAUL)
    return Worker(services, clock)


def credited(services: Services, session_id: str) -> dict[str, int]:
    summary = services.summaries.summary(GUILD, session_id)
    return {p.user_id: p.credited_seconds for p in summary.participants}


def test_present_before_start_until_after_stop_gets_exactly_the_session_length(
    services: Services, clock: FixedClock, worker: Worker
) -> None:
    worker.send(worker.snapshot({ROCK: {"a"}, HAUL: set(), LOBBY: {"z"}}))
    clock.advance(minutes=5)
    session = services.sessions.start_sunday(GUILD, "lead")
    clock.advance(minutes=100)
    worker.send(worker.snapshot({ROCK: {"a"}, HAUL: set(), LOBBY: {"z"}}))
    clock.advance(minutes=20)
    services.sessions.stop(GUILD, session.session_id)
    clock.advance(minutes=5)
    assert credited(services, session.session_id) == {"a": 120 * 60}


def test_joins_moves_and_leaves_give_exact_seconds(
    services: Services, clock: FixedClock, worker: Worker
) -> None:
    session = services.sessions.start_sunday(GUILD, "lead")
    clock.advance(minutes=10)
    worker.send(worker.event("a", ROCK), worker.event("b", LOBBY))
    clock.advance(minutes=30)
    worker.send(worker.event("a", HAUL), worker.event("b", ROCK))  # a moves: seamless
    clock.advance(minutes=15)
    worker.send(worker.event("b", LOBBY))  # b leaves to an untracked channel
    clock.advance(minutes=5)
    worker.send(worker.event("a", None))
    clock.advance(minutes=10)
    services.sessions.stop(GUILD, session.session_id)
    assert credited(services, session.session_id) == {"a": 50 * 60, "b": 15 * 60}


def test_a_replayed_batch_changes_nothing(
    services: Services, clock: FixedClock, worker: Worker
) -> None:
    session = services.sessions.start_sunday(GUILD, "lead")
    clock.advance(minutes=1)
    batch = worker.send(worker.event("a", ROCK))
    clock.advance(minutes=10)
    worker.send(worker.event("a", None))
    before = services.store.query_all(f"G#{GUILD}#OBS")
    result = services.voice.record(batch)
    assert result.duplicate
    assert services.store.query_all(f"G#{GUILD}#OBS") == before
    clock.advance(minutes=10)
    services.sessions.stop(GUILD, session.session_id)
    assert credited(services, session.session_id) == {"a": 10 * 60}


def test_a_lost_leave_is_closed_by_the_next_snapshot_and_flagged(
    services: Services, clock: FixedClock, worker: Worker
) -> None:
    session = services.sessions.start_sunday(GUILD, "lead")
    worker.send(worker.event("a", ROCK))
    clock.advance(minutes=1)
    worker.send(worker.snapshot({ROCK: {"a"}, HAUL: set()}))  # last seen here
    clock.advance(minutes=1)
    worker.send(worker.snapshot({ROCK: set(), HAUL: set()}))  # the leave event was lost
    clock.advance(minutes=5)
    services.sessions.stop(GUILD, session.session_id)
    summary = services.summaries.summary(GUILD, session.session_id)
    (participant,) = summary.participants
    assert participant.credited_seconds == 60
    assert participant.gap_affected


def test_bots_never_count(services: Services, clock: FixedClock, worker: Worker) -> None:
    session = services.sessions.start_sunday(GUILD, "lead")
    result = services.voice.record(
        VoiceBatch(GUILD, "C1", 1, events=(worker.event("bot", ROCK, bot=True),))
    )
    assert result.ignored["bot"] == 1
    clock.advance(minutes=30)
    services.sessions.stop(GUILD, session.session_id)
    assert credited(services, session.session_id) == {}


def test_events_from_the_future_are_ignored_with_a_reason(
    services: Services, clock: FixedClock, worker: Worker
) -> None:
    services.sessions.start_sunday(GUILD, "lead")
    future = VoiceEvent(clock.now_ms() + 10 * MIN, "C1", 1, "a", ROCK)
    result = services.voice.record(VoiceBatch(GUILD, "C1", 1, events=(future,)))
    assert result.ignored["timestamp in the future"] == 1
    assert result.stored == 0


def test_events_without_a_session_only_update_presence(
    services: Services, clock: FixedClock, worker: Worker
) -> None:
    batch = VoiceBatch(GUILD, "C1", 1, events=(worker.event("z", ROCK),))
    result = services.voice.record(batch)
    assert result.ignored["no session running"] == 1
    assert services.store.query_all(f"G#{GUILD}#OBS") == []


def test_while_a_session_runs_every_channel_change_is_kept(
    services: Services, clock: FixedClock, worker: Worker
) -> None:
    # A move into the lounge ends a stay in a tracked channel if the member was there, which a
    # batch delivered late can still show: the move is kept whatever the presence says now.
    services.sessions.start_sunday(GUILD, "lead")
    batch = VoiceBatch(GUILD, "C1", 1, events=(worker.event("z", LOBBY),))
    result = services.voice.record(batch)
    assert not result.ignored
    assert len(services.store.query_all(f"G#{GUILD}#OBS")) == 1


def test_a_session_started_later_is_seeded_from_presence(
    services: Services, clock: FixedClock, worker: Worker
) -> None:
    worker.send(worker.event("a", ROCK), worker.event("b", HAUL))
    clock.advance(minutes=30)
    session = services.sessions.start_adhoc(GUILD, "b", HAUL)
    clock.advance(minutes=45)
    services.sessions.stop(GUILD, session.session_id)
    assert credited(services, session.session_id) == {"b": 45 * 60}


def test_time_between_two_windows_of_a_reopened_session_does_not_count(
    services: Services, clock: FixedClock, worker: Worker
) -> None:
    worker.send(worker.event("a", ROCK))
    session = services.sessions.start_adhoc(GUILD, "a", ROCK)
    clock.advance(minutes=20)
    services.sessions.stop(GUILD, session.session_id)
    clock.advance(minutes=60)
    services.sessions.reopen(GUILD, session.session_id)
    clock.advance(minutes=10)
    services.sessions.stop(GUILD, session.session_id)
    assert credited(services, session.session_id) == {"a": 30 * 60}


def test_the_live_summary_counts_up_to_now_and_flags_low_time(
    services: Services, clock: FixedClock, worker: Worker
) -> None:
    session = services.sessions.start_sunday(GUILD, "lead")
    worker.send(worker.event("a", ROCK))
    clock.advance(minutes=10)
    worker.send(worker.event("b", ROCK))
    clock.advance(minutes=5)
    summary = services.summaries.summary(GUILD, session.session_id)
    assert summary.length_ms == 15 * MIN
    assert {p.user_id: p.credited_seconds for p in summary.participants} == {
        "a": 900,
        "b": 300,
    }
    assert [p.user_id for p in summary.below_minimum] == ["b"]


def test_a_snapshot_counts_the_members_it_put_right(
    services: Services, clock: FixedClock, worker: Worker
) -> None:
    services.sessions.start_sunday(GUILD, "lead")
    worker.send(worker.event("a", ROCK), worker.event("b", ROCK))
    clock.advance(minutes=1)
    agreeing = worker.snapshot({ROCK: {"a", "b"}, HAUL: set()})
    assert (
        services.voice.record(VoiceBatch(GUILD, "C1", 90, snapshots=(agreeing,))).corrections == 0
    )
    clock.advance(minutes=1)
    # b's move to HAUL and a's leave were lost; c joined unseen
    fixing = worker.snapshot({ROCK: {"c"}, HAUL: {"b"}})
    assert services.voice.record(VoiceBatch(GUILD, "C1", 91, snapshots=(fixing,))).corrections == 3
