"""Credited time does not depend on how the worker's observations reach the app.

The same observations go through the real app over HTTP twice, in separate guilds: once on the
worker's ideal cadence (each second's batch right after it), once split into other batches,
delayed by up to eight minutes, out of order and partly twice. Both must give every member the
same credited milliseconds and the same flags as each other, and the milliseconds of the oracle
in tests/support/voice_timing.py, which walks each member's observations apart from the app.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.voice_timing import (
    MINUTE,
    SECOND,
    T0,
    Batch,
    Move,
    Seen,
    TimingApp,
    batches_every_second,
    every_minute,
    observe,
    oracle_credited_ms,
    play,
    timing_app,
)

ROCK, HAUL, LOUNGE = "811", "812", "819"
CHANNELS = (ROCK, HAUL, LOUNGE)
CREW = ("901", "902", "903", "904")
CONN = "1795366800000-1a2b3c4d"
_guilds = itertools.count(5000)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TimingApp]:
    with timing_app(Path(tmp_path_factory.mktemp("timing"))) as running:
        yield running


moves_of_one = st.lists(
    st.tuples(
        st.integers(-20 * 60, 55 * 60),  # seconds from T0
        st.sampled_from([ROCK, HAUL, LOUNGE, None]),
        st.sampled_from([False] * 6 + [True]),  # now and then the worker misses one
    ),
    max_size=6,
)


@st.composite
def scripts(draw: st.DrawFn) -> tuple[list[Move], list[int]]:
    moves = []
    for n, member in enumerate(CREW):
        for second, channel, missed in draw(moves_of_one):
            # Distinct stamps: the worker sees one thing at a time.
            moves.append(Move(T0 + second * SECOND + 37 * n + 3, member, channel, missed))
    phase = draw(st.integers(0, 59_999))
    return moves, every_minute(T0 - 25 * MINUTE + phase, T0 + 70 * MINUTE)


def on_time(seen: list[Seen]) -> list[tuple[int, str, Batch]]:
    batches = batches_every_second(seen)
    return [
        ((max(o.t_ms for o in b.observations) // SECOND + 1) * SECOND + 700, CONN, b)
        for b in batches
    ]


def messy(seen: list[Seen], rng: random.Random) -> list[tuple[int, str, Batch]]:
    """Other batch boundaries, arrival delays from 0.3 s to 8 min, and some batches twice."""
    deliveries = []
    ordered = sorted(seen, key=lambda o: o.t_ms)
    n = 0
    while ordered:
        size = rng.randint(1, 6)
        chunk, ordered = ordered[:size], ordered[size:]
        n += 1
        batch = Batch(n, tuple(chunk))
        last = max(o.t_ms for o in chunk)
        late = rng.random() < 0.15
        delay = rng.randint(30 * SECOND, 8 * MINUTE) if late else rng.randint(300, 5 * SECOND)
        deliveries.append((last + delay, CONN, batch))
        if rng.random() < 0.1:
            deliveries.append((last + delay + rng.randint(0, 3 * MINUTE), CONN, batch))
    return deliveries


class Session:
    def __init__(self, app: TimingApp, guild: str, adhoc: bool) -> None:
        self.app, self.guild, self.adhoc, self.session_id = app, guild, adhoc, ""
        if not adhoc:
            app.services.guilds.add_channel(guild, ROCK)
            app.services.guilds.add_channel(guild, HAUL)

    def commands(self, windows: list[tuple[int, int]]) -> list[tuple[int, Callable[[], None]]]:
        sessions = self.app.services.sessions

        def start() -> None:
            if self.adhoc:
                self.session_id = sessions.start_adhoc(self.guild, CREW[0], ROCK).session_id
            else:
                self.session_id = sessions.start_sunday(self.guild, "lead").session_id

        def stop() -> None:
            sessions.stop(self.guild, self.session_id)

        def reopen() -> None:
            sessions.reopen(self.guild, self.session_id)

        found: list[tuple[int, Callable[[], None]]] = []
        for n, (begin, end) in enumerate(windows):
            found += [(begin, reopen if n else start), (end, stop)]
        return found

    def result(self) -> tuple[dict[str, int], set[str]]:
        return (
            self.app.credited_ms(self.guild, self.session_id),
            self.app.flagged(self.guild, self.session_id),
        )


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    script=scripts(),
    start=st.integers(0, 5 * MINUTE),
    length=st.integers(10 * MINUTE, 25 * MINUTE),
    reopen_after=st.none() | st.integers(12 * MINUTE, 20 * MINUTE),
    seed=st.integers(0, 2**32),
)
def test_delivery_never_changes_credited_time(
    app: TimingApp,
    script: tuple[list[Move], list[int]],
    start: int,
    length: int,
    reopen_after: int | None,
    seed: int,
) -> None:
    moves, snapshot_times = script
    seen = observe(CHANNELS, moves, snapshot_times)
    windows = [(T0 + start, T0 + start + length)]
    if reopen_after is not None:
        begin = windows[0][1] + reopen_after
        windows.append((begin, begin + length))
    adhoc = reopen_after is not None
    tracked = (ROCK,) if adhoc else (ROCK, HAUL)

    results = []
    for deliveries in (on_time(seen), messy(seen, random.Random(seed))):
        session = Session(app, str(next(_guilds)), adhoc)
        app.rewind(T0 - 60 * MINUTE)
        play(app, session.guild, deliveries, session.commands(windows))
        results.append(session.result())

    (ideal, ideal_flags), (late, late_flags) = results
    assert ideal == late
    assert ideal_flags == late_flags
    assert ideal == oracle_credited_ms(seen, tracked, windows)
