"""Voice presence → credited time.

The worker reports what it saw (events and snapshots); this module folds those observations, in
one deterministic order, into voice records: who sat in which tracked channel, from when to when,
clipped to the session's active windows. Credited time is the measure of the union of a member's
records, so moving between tracked channels is seamless and nothing is counted twice.

Snapshots are the ground truth and events refine them. A member a snapshot misses is closed at
the last time they were known present; every record closed that way (source RECONCILE) or
overlapping a worker gap is flagged for the officer.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import chain, compress, count, islice
from operator import attrgetter, eq
from typing import ClassVar, TypeAlias


class Source(StrEnum):
    """How the start or the end of a voice record was observed."""

    GATEWAY = "gateway"
    SNAPSHOT = "snapshot"
    RECONCILE = "reconcile"
    SESSION_START = "session_start"
    SESSION_STOP = "session_stop"
    MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class VoiceEvent:
    """The worker saw a member's voice channel change; ``channel_id`` None means they left."""

    t_ms: int
    conn: str
    seq: int
    user_id: str
    channel_id: str | None
    is_bot: bool = False

    _kind: ClassVar[int] = 0


@dataclass(frozen=True, slots=True)
class VoiceSnapshot:
    """Full membership of the listed channels at ``t_ms``; an empty channel maps to frozenset()."""

    t_ms: int
    conn: str
    seq: int
    channels: Mapping[str, frozenset[str]]
    bots: frozenset[str] = frozenset()
    source: Source = Source.SNAPSHOT

    # After an event with the same time, connection and sequence: the snapshot is ground truth.
    _kind: ClassVar[int] = 1


Observation: TypeAlias = VoiceEvent | VoiceSnapshot


@dataclass(frozen=True)
class Window:
    """An active window of a session; ``stop_ms`` None while it is still running."""

    start_ms: int
    stop_ms: int | None


@dataclass(frozen=True)
class Gap:
    """A stretch in which the worker was not reporting (stale heartbeat or disconnect)."""

    start_ms: int
    end_ms: int


@dataclass(frozen=True, slots=True)
class VoiceRecord:
    """A member's stay in one tracked channel within one window.

    While open, ``end_source`` is None and ``end_ms`` is the provisional "now".
    """

    user_id: str
    channel_id: str
    start_ms: int
    end_ms: int
    start_source: Source
    end_source: Source | None
    gap: bool

    @property
    def open(self) -> bool:
        return self.end_source is None


@dataclass(frozen=True)
class Participant:
    user_id: str
    credited_seconds: int
    below_minimum: bool
    gap_affected: bool
    channels: tuple[str, ...]


# --- ordering observations --------------------------------------------------------------------

_TIME = attrgetter("t_ms")
# What makes two observations the same one (and the store's sort key): a replayed batch repeats
# them exactly, time included, because the worker stamps each observation once, when it sees it.
_IDENTITY = attrgetter("t_ms", "conn", "seq", "_kind")


def _content_key(observation: Observation) -> str:
    """A canonical text of what an observation says, to choose between two with one identity."""
    if isinstance(observation, VoiceEvent):
        o = observation
        return repr((o.user_id, o.channel_id or "", o.channel_id is None, o.is_bot))
    members = sorted((c, sorted(users)) for c, users in observation.channels.items())
    return repr((members, sorted(observation.bots), observation.source.value))


def _settle(same_time: list[Observation]) -> list[Observation]:
    """Observations of one millisecond: one per identity, in (connection, sequence) order."""
    unique: dict[tuple[int, str, int, int], Observation] = {}
    for o in same_time:
        kept = unique.setdefault(_IDENTITY(o), o)
        # Two different observations claiming one identity: the same one wins in any input order.
        if kept != o and _content_key(o) < _content_key(kept):
            unique[_IDENTITY(o)] = o
    return [unique[key] for key in sorted(unique)]


def _tie_runs(times: list[int]) -> Iterator[tuple[int, int]]:
    """(first, last) index of each run of equal times in a sorted list, runs of one left out."""
    ties = list(compress(count(), map(eq, times, islice(times, 1, None))))
    k = 0
    while k < len(ties):
        first = last = ties[k]
        while k < len(ties) and ties[k] == last:
            k, last = k + 1, last + 1
        yield first, last


def _in_order(observations: Iterable[Observation]) -> list[Observation]:
    """Distinct observations in the order they happened: duplicates and shuffles change nothing.

    Sorting on time alone is cheap; only the runs that share a millisecond need more care.
    """
    items = sorted(observations, key=_TIME)
    ordered: list[Observation] = []
    done = 0
    for first, last in _tie_runs(list(map(_TIME, items))):
        ordered += items[done:first]
        ordered += _settle(items[first : last + 1])
        done = last + 1
    ordered += items[done:]
    return ordered


# --- windows and gaps -------------------------------------------------------------------------

_FOREVER = 2**63

# A window as a closed stretch (start, end, running): a running one ends at "now", and the
# records it cuts there stay open.
_Span: TypeAlias = tuple[int, int, bool]


def _spans(windows: Sequence[Window], now_ms: int) -> list[_Span]:
    spans = (
        (w.start_ms, now_ms if w.stop_ms is None else w.stop_ms, w.stop_ms is None) for w in windows
    )
    return sorted(s for s in spans if s[1] > s[0])


class _GapIndex:
    """Worker gaps merged and sorted, so one lookup tells whether a stretch overlaps any."""

    def __init__(self, gaps: Sequence[Gap]) -> None:
        merged = _merge(sorted((g.start_ms, g.end_ms) for g in gaps if g.end_ms > g.start_ms))
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]

    def overlaps(self, start_ms: int, end_ms: int) -> bool:
        i = bisect_right(self.ends, start_ms)
        return i < len(self.starts) and self.starts[i] < end_ms


# --- the fold: guild presence over time -------------------------------------------------------

# Where a member sits: channel, since when, and how that was observed.
_Seat: TypeAlias = tuple[str, int, Source]


class _Fold:
    """Replays observations in order, turning each finished stay in a tracked channel into
    records clipped to the windows. Untracked channels are followed too, so that a move out of
    one and into a tracked channel is seen for what it is."""

    def __init__(self, tracked: Collection[str], spans: list[_Span], gaps: _GapIndex) -> None:
        self.tracked = frozenset(tracked)
        self.spans = spans
        self.gaps = gaps if gaps.starts else None
        self.seats: dict[str, _Seat] = {}
        # Who sits in each channel: a snapshot is checked against it with set operations.
        self.seated: defaultdict[str, set[str]] = defaultdict(set)
        self.last_seen: dict[str, int] = {}  # the last time a seated member was known present
        self.records: defaultdict[str, list[VoiceRecord]] = defaultdict(list)

    def run(self, ordered: Iterable[Observation]) -> None:
        # The event case is inlined: this loop runs once per observation, often 10^6 times.
        seats, seated, last_seen, tracked = self.seats, self.seated, self.last_seen, self.tracked
        for o in ordered:
            if isinstance(o, VoiceSnapshot):
                self._on_snapshot(o)
                continue
            if o.is_bot:
                continue
            user, channel, t = o.user_id, o.channel_id, o.t_ms
            seat = seats.get(user)
            if seat is not None:
                if seat[0] == channel:
                    # Mute, deafen, stream toggles: the member did not move, so nothing splits.
                    last_seen[user] = t
                    continue
                del seats[user]
                seated[seat[0]].discard(user)
                if seat[0] in tracked:
                    self._credit(user, seat, t, Source.GATEWAY)
            if channel is not None:
                seats[user] = (channel, t, Source.GATEWAY)
                seated[channel].add(user)
                last_seen[user] = t

    def _on_snapshot(self, snapshot: VoiceSnapshot) -> None:
        t = snapshot.t_ms
        listed = {c: members - snapshot.bots for c, members in snapshot.channels.items()}
        # Sorted, so a member listed in two channels (a racy snapshot) always ends in the same one.
        for channel in sorted(listed):
            for user in listed[channel] - self.seated[channel]:
                if user in self.seats:
                    self._leave(user, t, Source.RECONCILE)
                self._sit(user, channel, t, snapshot.source)
            self.last_seen.update(dict.fromkeys(listed[channel], t))
        for channel, members in listed.items():
            for user in self.seated[channel] - members:
                # The leave was lost: credit only up to the last time they were known to be there.
                self._leave(user, self.last_seen[user], Source.RECONCILE)

    def _sit(self, user: str, channel: str, t_ms: int, source: Source) -> None:
        self.seats[user] = (channel, t_ms, source)
        self.seated[channel].add(user)
        self.last_seen[user] = t_ms

    def _leave(self, user: str, t_ms: int, source: Source) -> None:
        seat = self.seats.pop(user)
        self.seated[seat[0]].discard(user)
        if seat[0] in self.tracked:
            self._credit(user, seat, t_ms, source)

    def _credit(self, user: str, seat: _Seat, end: int, end_source: Source) -> None:
        """Records for the parts of one stay inside the windows; between windows nothing counts."""
        channel, start, start_source = seat
        out = self.records[user]
        closed_by: Source | None
        for span_start, span_end, running in self.spans:
            lo = start if start > span_start else span_start
            hi = end if end < span_end else span_end
            if hi <= lo:
                continue
            if end <= span_end:
                closed_by, gap = end_source, end_source is Source.RECONCILE
            else:
                closed_by, gap = (None if running else Source.SESSION_STOP), False
            opened_by = start_source if start >= span_start else Source.SESSION_START
            gap = gap or (self.gaps is not None and self.gaps.overlaps(lo, hi))
            out.append(VoiceRecord(user, channel, lo, hi, opened_by, closed_by, gap))

    def finish(self) -> list[VoiceRecord]:
        """Close the stays still running (at a stop, or open at now); records grouped per member."""
        for user, seat in self.seats.items():
            if seat[0] in self.tracked:
                # Not a real end: past every window, so each record ends at a stop or stays open.
                self._credit(user, seat, _FOREVER, Source.SESSION_STOP)
        return list(chain.from_iterable(self.records[user] for user in sorted(self.records)))


def build_records(
    *,
    windows: Sequence[Window],
    channels: Collection[str],
    observations: Iterable[Observation],
    now_ms: int,
    gaps: Sequence[Gap] = (),
) -> list[VoiceRecord]:
    """The voice records of a session: grouped by member (sorted by id), each in time order."""
    fold = _Fold(channels, _spans(windows, now_ms), _GapIndex(gaps))
    fold.run(_in_order(observations))
    return fold.finish()


# --- credited time ----------------------------------------------------------------------------

_STRETCH = attrgetter("user_id", "start_ms", "end_ms")


def _merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted intervals merged where they overlap or touch."""
    merged: list[tuple[int, int]] = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def credited_ms(records: Iterable[VoiceRecord]) -> dict[str, int]:
    """Per member, the measure of the union of their records across all tracked channels."""
    credited: dict[str, int] = {}
    user: str | None = None
    total = reach = 0
    # build_records hands records over grouped by member and in time order: the sort is linear.
    for who, start, end in sorted(map(_STRETCH, records)):
        if who != user:
            if user is not None:
                credited[user] = total
            user, total, reach = who, 0, start
        if end > reach:
            total += end - (start if start > reach else reach)
            reach = end
    if user is not None:
        credited[user] = total
    return credited


def session_length_ms(windows: Sequence[Window], now_ms: int) -> int:
    """How long the session counted: its windows (a running one up to now), overlaps once."""
    return sum(end - start for start, end in _merge([s[:2] for s in _spans(windows, now_ms)]))


def summarize(records: Sequence[VoiceRecord], *, minimum_seconds: int) -> list[Participant]:
    """One line per member: credited seconds, most first, then by user id."""
    flagged = {r.user_id for r in records if r.gap}
    visited: defaultdict[str, set[str]] = defaultdict(set)
    for r in records:
        visited[r.user_id].add(r.channel_id)
    participants = [
        Participant(
            user_id=user,
            credited_seconds=ms // 1000,
            below_minimum=ms // 1000 < minimum_seconds,
            gap_affected=user in flagged,
            channels=tuple(sorted(visited[user])),
        )
        for user, ms in credited_ms(records).items()
    ]
    participants.sort(key=lambda p: (-p.credited_seconds, p.user_id))
    return participants
