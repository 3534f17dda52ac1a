"""Credited time: invariants over generated observations, and a model-based check of the fold."""

from __future__ import annotations

from dataclasses import dataclass, replace

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from sunday_mining.domain.presence import (
    Gap,
    Observation,
    Source,
    VoiceEvent,
    VoiceSnapshot,
    Window,
    build_records,
    credited_ms,
    session_length_ms,
)

TRACKED = ("A", "B")
CHANNELS = (*TRACKED, "X")  # X is a voice channel the session does not track
USERS = ("u1", "u2", "u3")
BOTS = ("b1", "b2")
MEMBER = "m"  # the member a scenario follows; noise comes from USERS

FEW = settings(max_examples=150, deadline=None)

times = st.integers(0, 200)
conns = st.sampled_from(["c1", "c2"])
channel_ids = st.sampled_from(CHANNELS)

events = st.sampled_from(USERS + BOTS).flatmap(
    lambda user: st.builds(
        VoiceEvent,
        t_ms=times,
        conn=conns,
        seq=st.integers(0, 20),
        user_id=st.just(user),
        channel_id=st.none() | channel_ids,
        is_bot=st.just(user in BOTS),  # the gateway always says who is a bot
    )
)
snapshots = st.builds(
    VoiceSnapshot,
    t_ms=times,
    conn=conns,
    seq=st.integers(0, 20),
    channels=st.dictionaries(channel_ids, st.frozensets(st.sampled_from(USERS + BOTS))),
    bots=st.just(frozenset(BOTS)),
    source=st.sampled_from([Source.SNAPSHOT, Source.SESSION_START]),
)
# Anything a worker might send, true or not, including two observations claiming one identity.
observation_lists = st.lists(st.one_of(events, snapshots), max_size=40)
gap_lists = st.lists(
    st.builds(lambda start, length: Gap(start, start + length), times, st.integers(0, 40)),
    max_size=3,
)


@st.composite
def window_lists(draw: st.DrawFn) -> list[Window]:
    """One to three windows in order, as stop/reopen produces them; the last may be running."""
    points = sorted(draw(st.lists(st.integers(0, 220), min_size=2, max_size=6, unique=True)))
    windows = [Window(points[i], points[i + 1]) for i in range(0, len(points) - 1, 2)]
    if len(points) % 2 and draw(st.booleans()):
        windows.append(Window(points[-1], None))
    return windows


def last_moment(windows: list[Window], now_ms: int) -> int:
    """When the session last counted: a window's stop, or now while one runs."""
    ends = (now_ms if w.stop_ms is None else w.stop_ms for w in windows)
    return max(windows[0].start_ms, *ends)


def within_windows(start: int, end: int, windows: list[Window], now_ms: int) -> int:
    """How much of [start, end) falls inside the windows (they never overlap here)."""
    total = 0
    for w in windows:
        stop = now_ms if w.stop_ms is None else w.stop_ms
        total += max(0, min(end, stop) - max(start, w.start_ms))
    return total


@given(observation_lists, window_lists(), st.integers(0, 250), gap_lists)
@FEW
def test_credited_time_never_exceeds_the_session_length(
    observations: list[Observation], windows: list[Window], now_ms: int, gaps: list[Gap]
) -> None:
    records = build_records(
        windows=windows, channels=TRACKED, observations=observations, now_ms=now_ms, gaps=gaps
    )

    length = session_length_ms(windows, now_ms)
    assert all(ms <= length for ms in credited_ms(records).values())
    assert all(r.channel_id in TRACKED and r.user_id not in BOTS for r in records)


@given(observation_lists, window_lists(), st.integers(0, 250), gap_lists)
@FEW
def test_a_flag_marks_a_reconciled_record_or_one_that_reaches_a_gap(
    observations: list[Observation], windows: list[Window], now_ms: int, gaps: list[Gap]
) -> None:
    records = build_records(
        windows=windows, channels=TRACKED, observations=observations, now_ms=now_ms, gaps=gaps
    )

    for r in records:
        if r.end_source is Source.RECONCILE:
            assert r.gap
        elif r.gap:
            # Flagged for a gap: the record runs into it or starts after it began (a member the
            # first observation after the gap found seated, or missed).
            assert any(r.end_ms >= g.start_ms and g.end_ms > g.start_ms for g in gaps)
        if not gaps:
            assert r.gap == (r.end_source is Source.RECONCILE)


@given(observation_lists, window_lists(), st.integers(0, 250), gap_lists, st.data())
@FEW
def test_duplicated_and_reordered_observations_change_nothing(
    observations: list[Observation],
    windows: list[Window],
    now_ms: int,
    gaps: list[Gap],
    data: st.DataObject,
) -> None:
    replayed = data.draw(st.lists(st.sampled_from(observations))) if observations else []
    # A replay arrives as new objects that are equal to the first delivery, not the same objects.
    replayed = [replace(o) for o in replayed]
    shuffled = data.draw(st.permutations(observations + replayed))

    def build(given: list[Observation]) -> object:
        return build_records(
            windows=windows, channels=TRACKED, observations=given, now_ms=now_ms, gaps=gaps
        )

    assert build(shuffled) == build(observations)


@dataclass
class Scenario:
    """The member's true movements, told by a worker that sees every change, plus snapshots."""

    observations: list[Observation]
    joined_ms: int
    left_ms: int | None
    moves: list[tuple[int, str]]  # (time, channel after the change), the join first


@st.composite
def scenarios(
    draw: st.DrawFn, *, start_ms: int, stop_ms: int, present_throughout: bool = False
) -> Scenario:
    """The member joins a tracked channel, moves among tracked channels, toggles mute, and
    leaves (or not); truthful snapshots are taken along the way."""
    if present_throughout:
        joined = draw(st.integers(start_ms - 20, start_ms))
        left = draw(st.none() | st.integers(stop_ms, stop_ms + 20))
    else:
        joined = draw(st.integers(start_ms - 20, stop_ms + 20))
        left = draw(st.none() | st.integers(joined, stop_ms + 20))
    end = stop_ms + 20 if left is None else left
    channels = st.sampled_from(TRACKED)
    steps = draw(st.lists(st.tuples(st.integers(joined, end), st.none() | channels), max_size=12))
    where = draw(channels)
    seen: list[Observation] = [VoiceEvent(joined, "c1", 0, MEMBER, where)]
    moves = [(joined, where)]
    for seq, (t, move) in enumerate(sorted(steps, key=lambda s: s[0]), start=1):
        if move is None:
            listed = {c: frozenset({MEMBER}) if c == where else frozenset() for c in CHANNELS}
            seen.append(VoiceSnapshot(t, "c1", seq, listed))
        else:
            # Moving to the channel one is in is a mute toggle.
            where = move
            seen.append(VoiceEvent(t, "c1", seq, MEMBER, move))
            moves.append((t, move))
    if left is not None:
        seen.append(VoiceEvent(left, "c1", len(steps) + 1, MEMBER, None))
    return Scenario(seen, joined, left, moves)


_FAR = 10**6
noise = st.lists(events.filter(lambda e: e.conn != "c1"), max_size=15)


@given(st.data(), window_lists(), st.integers(0, 250), noise)
@FEW
def test_moving_between_tracked_channels_loses_nothing(
    data: st.DataObject, windows: list[Window], now_ms: int, others: list[VoiceEvent]
) -> None:
    first, last = windows[0].start_ms, last_moment(windows, now_ms)
    scenario = data.draw(scenarios(start_ms=first, stop_ms=last))

    records = build_records(
        windows=windows,
        channels=TRACKED,
        observations=[*scenario.observations, *others],
        now_ms=now_ms,
    )

    left = _FAR if scenario.left_ms is None else scenario.left_ms
    expected = within_windows(scenario.joined_ms, left, windows, now_ms)
    assert credited_ms(records).get(MEMBER, 0) == expected


@given(st.data(), window_lists(), st.integers(0, 250), noise)
@FEW
def test_a_member_present_from_before_start_to_after_stop_gets_the_session_length(
    data: st.DataObject, windows: list[Window], now_ms: int, others: list[VoiceEvent]
) -> None:
    first, last = windows[0].start_ms, last_moment(windows, now_ms)
    scenario = data.draw(scenarios(start_ms=first, stop_ms=last, present_throughout=True))

    records = build_records(
        windows=windows,
        channels=TRACKED,
        observations=[*scenario.observations, *others],
        now_ms=now_ms,
    )

    assert credited_ms(records).get(MEMBER, 0) == session_length_ms(windows, now_ms)


@given(st.data(), window_lists(), st.integers(0, 250))
@FEW
def test_a_member_caught_only_by_the_seed_snapshot_gets_the_session_length(
    data: st.DataObject, windows: list[Window], now_ms: int
) -> None:
    first, last = windows[0].start_ms, last_moment(windows, now_ms)
    scenario = data.draw(scenarios(start_ms=first, stop_ms=last, present_throughout=True))
    # The worker missed the join; the session's seed, taken from guild presence, has them.
    seated = [channel for t, channel in scenario.moves if t < first] or [scenario.moves[0][1]]
    seed = VoiceSnapshot(
        first, "c0", 0, {seated[-1]: frozenset({MEMBER})}, source=Source.SESSION_START
    )

    records = build_records(
        windows=windows,
        channels=TRACKED,
        observations=[seed, *scenario.observations[1:]],
        now_ms=now_ms,
    )

    assert credited_ms(records).get(MEMBER, 0) == session_length_ms(windows, now_ms)


class VoiceChannels(RuleBasedStateMachine):
    """Members and bots come and go; the worker reports every change, now and then a truthful
    snapshot, sometimes twice, sometimes over a new connection. The oracle is the true timeline:
    the time each member spent in a tracked channel while the session ran, summed as time passes."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0
        self.conn, self.seq = 1, 0
        self.where: dict[str, str] = {}  # the truth: member -> channel
        self.bots_where: dict[str, str] = {}
        self.seen: list[Observation] = []
        self.oracle: dict[str, int] = {}
        self.windows: list[Window] = []

    @initialize(start=st.integers(0, 60))
    def start_session(self, start: int) -> None:
        # It may start a little later: whatever happens before then is presence, not credit.
        self.windows = [Window(start, None)]

    @precondition(lambda self: self.windows[-1].stop_ms is None)
    @rule()
    def stop_session(self) -> None:
        start = self.windows[-1].start_ms
        self.windows[-1] = Window(start, max(start, self.now))

    @precondition(lambda self: self.windows[-1].stop_ms is not None)
    @rule()
    def reopen_session(self) -> None:
        self.windows.append(Window(self.now, None))

    def _stamp(self) -> tuple[int, str, int]:
        self.seq += 1
        return self.now, f"c{self.conn:03d}", self.seq

    def _report(self, user: str, channel: str | None, *, bot: bool = False) -> None:
        self.seen.append(VoiceEvent(*self._stamp(), user, channel, is_bot=bot))
        truth = self.bots_where if bot else self.where
        if channel is None:
            truth.pop(user, None)
        else:
            truth[user] = channel

    def _pick(self, data: st.DataObject, members: list[str]) -> str:
        return data.draw(st.sampled_from(sorted(members)))

    @precondition(lambda self: len(self.where) < len(USERS))
    @rule(data=st.data(), channel=channel_ids)
    def join(self, data: st.DataObject, channel: str) -> None:
        self._report(self._pick(data, [u for u in USERS if u not in self.where]), channel)

    @precondition(lambda self: self.where)
    @rule(data=st.data())
    def leave(self, data: st.DataObject) -> None:
        self._report(self._pick(data, list(self.where)), None)

    @precondition(lambda self: any(c in TRACKED for c in self.where.values()))
    @rule(data=st.data())
    def move_between_tracked(self, data: st.DataObject) -> None:
        user = self._pick(data, [u for u, c in self.where.items() if c in TRACKED])
        self._report(user, "B" if self.where[user] == "A" else "A")

    @precondition(lambda self: self.where)
    @rule(data=st.data())
    def move_between_tracked_and_untracked(self, data: st.DataObject) -> None:
        user = self._pick(data, list(self.where))
        self._report(
            user, "X" if self.where[user] in TRACKED else data.draw(st.sampled_from(TRACKED))
        )

    @precondition(lambda self: self.where)
    @rule(data=st.data())
    def toggle_mute(self, data: st.DataObject) -> None:
        user = self._pick(data, list(self.where))
        self._report(user, self.where[user])

    @rule(user=st.sampled_from(BOTS), channel=st.none() | channel_ids)
    def bot_moves(self, user: str, channel: str | None) -> None:
        self._report(user, channel, bot=True)

    @rule(covered=st.frozensets(channel_ids))
    def snapshot(self, covered: frozenset[str]) -> None:
        seated = {**self.where, **self.bots_where}
        listed = {c: frozenset(u for u, at in seated.items() if at == c) for c in covered}
        self.seen.append(VoiceSnapshot(*self._stamp(), listed, frozenset(self.bots_where)))

    @precondition(lambda self: self.seen)
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        self.seen.append(data.draw(st.sampled_from(self.seen)))

    @rule()
    def reconnect(self) -> None:
        self.conn, self.seq = self.conn + 1, 0

    @rule(ms=st.integers(0, 40))
    def advance(self, ms: int) -> None:
        window = self.windows[-1]
        counting = window.stop_ms is None
        inside = max(0, self.now + ms - max(self.now, window.start_ms)) if counting else 0
        for user, channel in self.where.items():
            if channel in TRACKED:
                self.oracle[user] = self.oracle.get(user, 0) + inside
        self.now += ms

    @invariant()
    def credited_time_is_the_true_time_in_tracked_channels(self) -> None:
        records = build_records(
            windows=self.windows, channels=TRACKED, observations=self.seen, now_ms=self.now
        )
        assert credited_ms(records) == {u: ms for u, ms in self.oracle.items() if ms > 0}
        assert not any(r.gap for r in records)
        assert credited_ms(records).keys() <= set(USERS)
        running = self.windows[-1].stop_ms is None
        assert all(running and r.end_ms == self.now for r in records if r.open)


TestVoiceChannels = VoiceChannels.TestCase
TestVoiceChannels.settings = settings(max_examples=200, stateful_step_count=40, deadline=None)
