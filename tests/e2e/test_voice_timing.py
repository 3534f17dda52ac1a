"""Credited time under the worker's real timing, over HTTP: a batch every second, a snapshot
every 60 s, every observation stamped when the worker saw it and delivered later, and officers'
commands landing between an observation and its batch. Each scenario is checked against the
oracle in tests/support/voice_timing.py as well as against the exact figure."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.support.voice_timing import (
    MINUTE,
    SECOND,
    T0,
    Batch,
    Move,
    TimingApp,
    batches_every_second,
    every_minute,
    heartbeat,
    observe,
    oracle_credited_ms,
    play,
    timing_app,
)

ROCK, HAUL, LOUNGE = "801", "802", "809"
CHANNELS = (ROCK, HAUL, LOUNGE)
ANA, BEN, CARL, DANA = "701", "702", "703", "704"
CONN = "1795366800000-0a0b0c0d"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[TimingApp]:
    with timing_app(tmp_path) as running:
        yield running


def tracked_guild(app: TimingApp, guild: str) -> None:
    app.services.guilds.add_channel(guild, ROCK)
    app.services.guilds.add_channel(guild, HAUL)


def last_seen(batch: Batch) -> int:
    return max(o.t_ms for o in batch.observations)


def on_time(batches: list[Batch], conn: str = CONN) -> list[tuple[int, str, Batch]]:
    """Each batch sent at the end of its second and answered 700 ms later."""
    return [((last_seen(b) // SECOND + 1) * SECOND + 700, conn, b) for b in batches]


class Op:
    """An officer's commands on one session, run by ``play`` at their times."""

    def __init__(self, app: TimingApp, guild: str) -> None:
        self.app, self.guild, self.session_id = app, guild, ""
        self.after_first_stop: dict[str, int] = {}

    def start_sunday(self) -> None:
        self.session_id = self.app.services.sessions.start_sunday(self.guild, "lead").session_id

    def start_adhoc(self) -> None:
        sessions = self.app.services.sessions
        self.session_id = sessions.start_adhoc(self.guild, ANA, ROCK).session_id

    def stop(self) -> None:
        self.app.services.sessions.stop(self.guild, self.session_id)
        if not self.after_first_stop:
            self.after_first_stop = self.app.credited_ms(self.guild, self.session_id)

    def reopen(self) -> None:
        self.app.services.sessions.reopen(self.guild, self.session_id)

    def credited(self) -> dict[str, int]:
        return self.app.credited_ms(self.guild, self.session_id)

    def flagged(self) -> set[str]:
        return self.app.flagged(self.guild, self.session_id)


def test_a_join_just_before_the_start_counts_from_the_start(app: TimingApp) -> None:
    tracked_guild(app, "3001")
    op = Op(app, "3001")
    moves = [Move(T0 - 20 * MINUTE, ANA, ROCK), Move(T0 - 300, BEN, ROCK)]  # 0.3 s before start
    seen = observe(CHANNELS, moves, every_minute(T0 - 10 * MINUTE + 500, T0 + 31 * MINUTE))

    play(
        app,
        "3001",
        on_time(batches_every_second(seen)),
        [(T0, op.start_sunday), (T0 + 30 * MINUTE, op.stop)],
    )

    window = [(T0, T0 + 30 * MINUTE)]
    assert op.credited() == {ANA: 30 * MINUTE, BEN: 30 * MINUTE}
    assert op.credited() == oracle_credited_ms(seen, (ROCK, HAUL), window)
    assert op.flagged() == set()


def test_a_reopen_never_changes_the_first_window(app: TimingApp) -> None:
    op = Op(app, "3002")
    moves = [
        Move(T0 - 5 * MINUTE, ANA, ROCK),
        Move(T0 - 4 * MINUTE, BEN, ROCK),
        Move(T0 + 25 * MINUTE, BEN, None),  # leaves while the session is stopped
    ]
    seen = observe(CHANNELS, moves, every_minute(T0 - 10 * MINUTE + 500, T0 + 70 * MINUTE))

    play(
        app,
        "3002",
        on_time(batches_every_second(seen)),
        [
            (T0, op.start_adhoc),
            (T0 + 20 * MINUTE, op.stop),
            (T0 + 40 * MINUTE, op.reopen),
            (T0 + 60 * MINUTE, op.stop),
        ],
    )

    windows = [(T0, T0 + 20 * MINUTE), (T0 + 40 * MINUTE, T0 + 60 * MINUTE)]
    assert op.after_first_stop == {ANA: 20 * MINUTE, BEN: 20 * MINUTE}
    assert op.credited() == {ANA: 40 * MINUTE, BEN: 20 * MINUTE}
    assert op.credited() == oracle_credited_ms(seen, (ROCK,), windows)
    assert op.flagged() == set()


def test_a_late_batch_counts_where_its_observations_belong(app: TimingApp) -> None:
    tracked_guild(app, "3003")
    op = Op(app, "3003")
    carl_leaves, dana_joins = T0 + 10 * MINUTE + 250, T0 + 15 * MINUTE + 250
    moves = [
        Move(T0 - 5 * MINUTE, CARL, ROCK),
        Move(T0 - 5 * MINUTE + 10, DANA, LOUNGE),
        Move(carl_leaves, CARL, LOUNGE),  # tracked -> afk, in a batch that comes late
        Move(carl_leaves + 2 * SECOND, CARL, None),
        Move(dana_joins, DANA, ROCK),  # afk -> tracked, in a batch that comes late
        Move(dana_joins + 20 * SECOND, DANA, LOUNGE),
    ]
    seen = observe(CHANNELS, moves, every_minute(T0 - 10 * MINUTE + 500, T0 + 41 * MINUTE))
    deliveries = []
    for arrives, conn, batch in on_time(batches_every_second(seen)):
        held = any(o.t_ms in (carl_leaves, dana_joins) for o in batch.observations)
        deliveries.append((arrives + (45 * SECOND if held else 0), conn, batch))

    play(app, "3003", deliveries, [(T0, op.start_sunday), (T0 + 40 * MINUTE, op.stop)])

    window = [(T0, T0 + 40 * MINUTE)]
    assert op.credited() == {CARL: 10 * MINUTE + 250, DANA: 20 * SECOND}
    assert op.credited() == oracle_credited_ms(seen, (ROCK, HAUL), window)
    assert op.flagged() == set()


def test_after_a_worker_outage_only_members_it_could_have_cost_are_flagged(
    app: TimingApp,
) -> None:
    tracked_guild(app, "3004")
    op = Op(app, "3004")
    crew = [str(7100 + n) for n in range(40)]
    moves = [
        Move(T0 - 5 * MINUTE + n * 100, m, ROCK if n % 2 else HAUL) for n, m in enumerate(crew)
    ]
    outage = (T0 + 20 * MINUTE + 1_000, T0 + 27 * MINUTE)
    leaver = crew[7]
    moves.append(Move(T0 + 23 * MINUTE, leaver, None, missed=True))  # the worker was away
    snapshot_times = every_minute(T0 - 4 * MINUTE + 500, T0 + 20 * MINUTE)
    snapshot_times.append(outage[1] + 200)  # the resync on the new connection
    snapshot_times += every_minute(T0 + 28 * MINUTE + 500, T0 + 41 * MINUTE)
    seen = observe(CHANNELS, moves, snapshot_times)
    before = [b for b in batches_every_second(seen) if last_seen(b) < outage[0]]
    after = [b for b in batches_every_second(seen) if last_seen(b) > outage[1]]
    reconnected = "1795372020000-0e0f1011"

    def beat(conn: str, gaps: list[tuple[int, int]]) -> Callable[[], None]:
        return lambda: heartbeat(app, "3004", conn, gaps)

    # A heartbeat every 15 s while connected; the first after the outage reports it.
    beats = [(t, beat(CONN, [])) for t in range(T0 - 5 * MINUTE, outage[0], 15 * SECOND)]
    beats.append((outage[1] + 100, beat(reconnected, [outage])))
    beats += [
        (t, beat(reconnected, []))
        for t in range(outage[1] + 15 * SECOND, T0 + 41 * MINUTE, 15 * SECOND)
    ]
    play(
        app,
        "3004",
        on_time(before) + on_time(after, reconnected),
        [(T0, op.start_sunday), *beats, (T0 + 40 * MINUTE, op.stop)],
    )

    assert op.credited() == oracle_credited_ms(seen, (ROCK, HAUL), [(T0, T0 + 40 * MINUTE)])
    assert op.credited()[crew[0]] == 40 * MINUTE
    assert op.flagged() == {leaver}
