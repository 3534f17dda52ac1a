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

import gc
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from itertools import accumulate, compress, count, islice, pairwise, repeat
from operator import add, attrgetter, eq, ge, gt, le, lt, ne, sub
from typing import Any, ClassVar, NamedTuple, TypeAlias, cast


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
    """An active window of a session; ``stop_ms`` None while it is still running.

    ``seed`` is what the app knew at the start (see ``seed_events``): where each member sat,
    stamped with the observation that told it."""

    start_ms: int
    stop_ms: int | None
    seed: tuple[VoiceEvent, ...] = ()


@dataclass(frozen=True)
class Gap:
    """A stretch in which the worker was not reporting (stale heartbeat or disconnect)."""

    start_ms: int
    end_ms: int


class VoiceRecord(NamedTuple):
    """A member's stay in one tracked channel within one window.

    While open, ``end_source`` is None and ``end_ms`` is the provisional "now".

    A named tuple rather than a frozen dataclass because a session makes hundreds of thousands of
    them and a tuple is built several times faster. It still behaves like the dataclass it was:
    equal only to another record (never to a bare tuple), hashed on its fields, immutable.
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

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return tuple.__eq__(self, other)
        # A bare tuple would otherwise answer for itself, field by field; anything else may try.
        return False if isinstance(other, tuple) else NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return tuple.__hash__(self)


@dataclass(frozen=True)
class Participant:
    user_id: str
    credited_seconds: int
    below_minimum: bool
    gap_affected: bool
    channels: tuple[str, ...]


# Observations stamped this long before a window's start are read with it: an event the worker
# saw just before the start may reach the app after it, and tells where the member sat then.
PRESTART_MARGIN_MS = 15 * 60_000
# And observations up to this long after a stop, for the first snapshot after it.
POSTSTOP_MARGIN_MS = 3 * 60_000


def read_range(start_ms: int, stop_ms: int | None, now_ms: int) -> tuple[int, int]:
    """The stamps of the observations a window reads: from the margin before its start to the
    margin after its stop (to now while it runs)."""
    high = now_ms if stop_ms is None else stop_ms + POSTSTOP_MARGIN_MS
    return start_ms - PRESTART_MARGIN_MS, high


def read_ranges(windows: Iterable[tuple[int, int | None]], now_ms: int) -> list[tuple[int, int]]:
    """The windows' read ranges (start, stop pairs in time order), merged where they overlap:
    read one by one, they give every observation once and in order."""
    merged: list[tuple[int, int]] = []
    for start, stop in windows:
        low, high = read_range(start, stop, now_ms)
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def seed_events(
    start_ms: int, seated: Mapping[str, tuple[str | None, int]]
) -> tuple[VoiceEvent, ...]:
    """The app's knowledge at a window's start as observations: each member's channel (None:
    out of voice), stamped when it was observed (never after the start). They sort before the
    worker's observations of the same millisecond, and anything the worker saw later, however
    late it arrives, takes over from them."""
    return tuple(
        VoiceEvent(min(t_ms, start_ms), "", n, user, channel)
        for n, (user, (channel, t_ms)) in enumerate(sorted(seated.items()))
    )


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


def _in_order(observations: list[Observation]) -> list[Observation]:
    """Distinct observations in the order they happened: duplicates and shuffles change nothing.

    Sorting on time alone is cheap; only runs that share a millisecond and are out of
    (connection, sequence) order, or repeat an observation, need more care.
    """
    items = sorted(observations, key=_TIME)
    times = list(map(_TIME, items))
    same = list(map(eq, times, islice(times, 1, None)))  # same[i]: i and i + 1 share a time
    firsts = map(_IDENTITY, compress(items, same))
    seconds = map(_IDENTITY, compress(islice(items, 1, None), same))
    unsettled = compress(compress(count(), same), map(ge, firsts, seconds))
    ordered: list[Observation] = []
    done = 0
    for i in unsettled:
        if i >= done:
            first, last = bisect_left(times, times[i]), bisect_right(times, times[i])
            ordered += items[done:first]
            ordered += _settle(items[first:last])
            done = last
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
    """Worker gaps merged and sorted, so one lookup finds those a stretch overlaps."""

    def __init__(self, gaps: Sequence[Gap]) -> None:
        merged = _merge(sorted((g.start_ms, g.end_ms) for g in gaps if g.end_ms > g.start_ms))
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]

    def within(self, start_ms: int, end_ms: int) -> list[tuple[int, int]]:
        """The gaps that overlap [start_ms, end_ms], as (start, end), in order."""
        i = bisect_right(self.ends, start_ms)
        found = []
        while i < len(self.starts) and self.starts[i] < end_ms:
            found.append((self.starts[i], self.ends[i]))
            i += 1
        return found


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Run without the cyclic garbage collector, which would otherwise walk the whole heap
    again and again as the records pile up: a session of 10,000 members makes half a million
    objects that stay (and as many that do not), and with the collector running build_records
    took about twice as long (measured with bench/credited_time.py). Nothing made inside has a
    reference cycle (tuples, lists, sets and dicts of strings and numbers), so reference
    counting frees all of it and pausing loses nothing. The collector resumes on the way out;
    its next young collection then looks at the new records once, as it would have anyway.
    Left alone if it is already off (a caller, or another thread in here, paused it)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# --- the fold: guild presence over time -------------------------------------------------------

# A record's fields, in order.
_Fields: TypeAlias = tuple[str, str, int, int, Source, Source | None, bool]
# A voice channel as the fold knows it: its id, who sits in it, and whether it is tracked.
_Room: TypeAlias = tuple[str, set[str], bool]
# Everything the fold keeps about one member, in one list: where they sit (the room, or None
# when they are not in voice), since when and how that was observed, their id (the one string
# the fold uses for it), when they last toggled mute or the like, then their records so far in
# time order, each as (channel, start, end, start source, end source, gap).
_Member: TypeAlias = list[Any]
_ROOM, _SINCE, _SOURCE, _ID, _TOGGLED, _RECORDS = range(6)
_UNSEEN: Any = object()  # a channel the fold has no room for yet

# A record straight from its fields: tuple.__new__ without the generated __new__'s Python call.
_record = cast("Callable[[type[VoiceRecord], _Fields], VoiceRecord]", tuple.__new__)


class _Fold:
    """Replays observations in order, turning each finished stay in a tracked channel into
    records clipped to the windows. Untracked channels are followed too, so that a move out of
    one and into a tracked channel is seen for what it is.

    A member is known by the first string seen for their id, and a channel by its room: ids
    decoded from the store are a new string per observation, and with one object per id the set
    operations succeed on identity, and the hot loop looks nothing up but the member and the
    room.
    """

    def __init__(self, tracked: Collection[str], spans: list[_Span]) -> None:
        self.tracked = frozenset(tracked)
        self.rooms: dict[str | None, _Room | None] = {None: None}  # None: not in voice
        self.members: dict[str, _Member] = {}
        self.spans = spans
        # Where the run loop's constants change: a window's start (when the windows do not
        # overlap; otherwise every stay is clipped the general way).
        self.apart = all(a[1] <= b[0] for a, b in pairwise(spans))
        self.starts = [s[0] for s in spans]
        self.marks = self.starts if self.apart else []
        # When a member was last known present is the latest of: when they sat down, their last
        # event in the same channel (a mute toggle), and the last snapshot that covered the
        # channel (it listed them, or they would no longer sit there). Kept that way rather
        # than per member, so that a snapshot costs nothing for those it merely confirms.
        self.covered: dict[str, int] = {}

    def run(self, observations: list[Observation]) -> bool:
        """Replay observations that are in order already, as the store returns them; stop and
        answer False at the first one out of order (or repeated), True when all are done.

        One pass, touching each observation once: at this size a read of memory that is not in
        the cache costs more than the work done with it, so checking the order, clipping and
        flagging all happen here rather than in passes of their own. This loop runs once per
        observation, often 10^6 times: everything is local, and a stay is clipped and flagged
        with two comparisons. Until the time passes ``mark``, a stay that began in [lo, hi] and
        ends there is one record, closed by the gateway; any other stay takes the general way
        (``_credit``). Worker gaps are looked at afterwards (``_gap_stretches``).
        """
        members, member_of, room_of = self.members, self.members.get, self.rooms.get
        credit, on_snapshot, identity, unseen = self._credit, self._on_snapshot, _IDENTITY, _UNSEEN
        event_type, snapshot_type, gateway = VoiceEvent, VoiceSnapshot, Source.GATEWAY
        lo = hi = 0
        last, mark, previous = -_FOREVER, -_FOREVER, None
        o: Any
        # Members are indexed by number below (a constant is cheaper than a global name):
        # 0 room, 1 since, 2 source, 3 id, 4 toggled (see _Member); a room is (id, seated, tracked).
        for o in observations:
            t = o.t_ms
            if t <= last and (t < last or identity(previous) >= identity(o)):
                return False
            last, previous = t, o
            if t > mark:
                lo, hi, mark = self._constants(t)
            if type(o) is not event_type and isinstance(o, snapshot_type):
                on_snapshot(o)
                continue
            if o.is_bot:
                continue
            user = o.user_id
            room = room_of(o.channel_id, unseen)
            if room is unseen:
                room = self._room(cast("str", o.channel_id))  # not None: rooms has None
            member = member_of(user)
            if member is None:
                if room is not None:
                    members[user] = [room, t, gateway, user, t]
                    room[1].add(user)
                continue
            here = member[0]
            if here is room:
                # Mute, deafen, stream toggles: the member did not move, so nothing splits.
                # (Or a leave while away: then the time is never read.)
                member[4] = t
                continue
            user = member[3]
            if here is not None:
                here[1].discard(user)
                if here[2]:
                    start = member[1]
                    if lo <= start < t <= hi:
                        member.append((here[0], start, t, member[2], gateway, False))
                    else:
                        credit(member, t, gateway)
            member[0] = room
            if room is not None:
                member[1] = t
                member[2] = gateway
                room[1].add(user)
        return True

    def channels_now(self) -> dict[str, str | None]:
        """Where each member the fold knows sits now (None: out of voice)."""
        return {m[_ID]: None if m[_ROOM] is None else m[_ROOM][0] for m in self.members.values()}

    def tracked_changes(self, o: Observation) -> tuple[dict[str, bool], bool]:
        """Whom ``o`` concerns, and whether it says each sits in a tracked channel; and whether
        it covers every tracked channel (then it speaks for everyone)."""
        if isinstance(o, VoiceEvent):
            if o.is_bot:
                return {}, False
            return {o.user_id: o.channel_id in self.tracked}, False
        changes: dict[str, bool] = {}
        for channel, users in o.channels.items():
            tracked = channel in self.tracked
            room = self.rooms.get(channel)
            if tracked and room is not None:
                changes.update(dict.fromkeys(room[1] - users, False))
            changes.update(dict.fromkeys(users - o.bots, tracked))
        return changes, self.tracked.issubset(o.channels)

    def _room(self, channel: str) -> _Room:
        room = self.rooms.get(channel)
        if room is None:
            room = self.rooms[channel] = (channel, set(), channel in self.tracked)
        return room

    def _constants(self, t_ms: int) -> tuple[int, int, int]:
        """The run loop's (lo, hi) for stays ending at ``t_ms``, and until when they hold: the
        window such stays end in, if they all lie inside it (otherwise an empty one)."""
        spans, marks = self.spans, self.marks
        w = bisect_left(self.starts, t_ms) - 1
        lo, hi = (spans[w][0], spans[w][1]) if self.apart and w >= 0 else (_FOREVER, 0)
        m = bisect_left(marks, t_ms)
        return lo, hi, marks[m] if m < len(marks) else _FOREVER

    def _on_snapshot(self, snapshot: VoiceSnapshot) -> None:
        t, bots = snapshot.t_ms, snapshot.bots
        listed = {
            c: members if bots.isdisjoint(members) else members - bots
            for c, members in snapshot.channels.items()
        }
        confirmed = set()
        # Sorted, so a member listed in two channels (a racy snapshot) always ends in the same one.
        for channel in sorted(listed):
            members, room = listed[channel], self._room(channel)
            for user in members - room[1]:
                self._sit(user, room, t, snapshot.source)
            # Everyone listed now sits here; if nobody else does, nobody here is missing (later
            # channels can only take members away).
            if len(room[1]) == len(members):
                confirmed.add(channel)
        for channel, members in listed.items():
            if channel in confirmed:
                continue
            for user in self._room(channel)[1] - members:
                # The leave was lost: credit only up to the last time they were known to be there.
                member = self.members[user]
                sat = member[_SINCE]
                self._leave(member, max(sat, member[_TOGGLED], self.covered.get(channel, sat)))
        self.covered.update(dict.fromkeys(listed, t))

    def _sit(self, user: str, room: _Room, t_ms: int, source: Source) -> None:
        """A snapshot lists the member where the fold does not have them."""
        member = self.members.get(user)
        if member is None:
            member = self.members[user] = [None, t_ms, source, user, t_ms]
        elif member[_ROOM] is not None:
            # A move the worker missed. Between tracked channels it is seamless; out of them it
            # is a leave like any unseen one, at the last time they were known where they were
            # (so a snapshot that lists them in the lounge and one that omits the lounge agree).
            left = member[_ROOM]
            last = max(member[_SINCE], member[_TOGGLED], self.covered.get(left[0], member[_SINCE]))
            self._leave(member, t_ms if room[2] and left[2] else last)
        member[_ROOM], member[_SINCE], member[_SOURCE] = room, t_ms, source
        room[1].add(member[_ID])

    def _leave(self, member: _Member, t_ms: int) -> None:
        """A snapshot does not list the member where the fold has them."""
        room = member[_ROOM]
        room[1].discard(member[_ID])
        if room[2]:
            self._credit(member, t_ms, Source.RECONCILE)
        member[_ROOM] = None

    def _credit(self, member: _Member, end: int, end_source: Source) -> None:
        """Records for the parts of one stay inside the windows; between windows nothing counts."""
        room, start, start_source = member[_ROOM], member[_SINCE], member[_SOURCE]
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
            member.append((room[0], lo, hi, opened_by, closed_by, gap))

    def finish(
        self, flagged: Mapping[str, list[tuple[int, int]]] | None = None
    ) -> list[VoiceRecord]:
        """Close the stays still running (at a stop, or open at now); records grouped per member.

        The records are made here, member after member, so that they lie in memory in the order
        they are handed over, and so do their start and end times: those are copied (``+ 0``
        makes a new int) rather than shared with the observations they came from, which lie in
        time order. Whoever reads the records next (credited_ms first) then reads memory in
        order instead of hopping about, which at this size costs more than the reading itself.
        ``flagged``: per member, stretches whose records get the gap flag (_replay_across_gaps).
        """
        members = self.members
        for member in members.values():
            if member[_ROOM] is not None and member[_ROOM][2]:
                # Not a real end: past every window, so each record ends at a stop or stays open.
                self._credit(member, _FOREVER, Source.SESSION_STOP)
        made: list[VoiceRecord] = []
        zero = repeat(0)
        for user in sorted(members):
            rows = members[user][_RECORDS:]
            if flagged and user in flagged:
                rows = [_flag(row, flagged[user]) for row in rows]
            if rows:
                # The rows are let go of while they are still in the cache, not all at the end.
                del members[user][_RECORDS:]
                channels, starts, ends, opened, closed, gaps = zip(*rows, strict=True)
                del rows
                fresh_starts, fresh_ends = map(add, starts, zero), map(add, ends, zero)
                fields = zip(repeat(user), channels, fresh_starts, fresh_ends, opened, closed, gaps)
                made += map(_record, repeat(VoiceRecord), cast("Iterator[_Fields]", fields))
        return made


def _flag(row: tuple[Any, ...], stretches: list[tuple[int, int]]) -> tuple[Any, ...]:
    """A record row (channel, start, end, opened by, closed by, gap) flagged when it touches one
    of the stretches."""
    if row[5] or not any(row[1] <= b and row[2] >= a for a, b in stretches):
        return row
    return (*row[:5], True)


def build_records(
    *,
    windows: Sequence[Window],
    channels: Collection[str],
    observations: Iterable[Observation],
    now_ms: int,
    gaps: Sequence[Gap] = (),
) -> list[VoiceRecord]:
    """The voice records of a session: grouped by member (sorted by id), each in time order.

    Each window is replayed on its own, from its seed and the observations stamped from
    ``PRESTART_MARGIN_MS`` before its start to its end, so that what happened while the session
    was stopped, or in a later window, never changes an earlier one. A stopped window also reads
    on to the worker's first snapshot of every tracked channel after the stop (within
    ``POSTSTOP_MARGIN_MS``): a member it no longer lists left, unseen, before the stop, when
    they were last known there.
    """
    items = observations if isinstance(observations, list) else list(observations)
    gap_index = _GapIndex(gaps)
    made: list[VoiceRecord] = []
    spans = _spans(windows, now_ms)
    times = list(map(_TIME, items))
    if not all(map(le, times, islice(times, 1, None))):
        # Out of time order (a replay, another reader): one sort for all windows. Within a
        # millisecond the fold checks the order as it goes (see _window_records).
        items = _in_order(items)
        times = list(map(_TIME, items))
    tracked = frozenset(channels)
    with _collector_paused():
        for window in windows:
            span = next((s for s in spans if s[0] == window.start_ms), None)
            if span is None:
                continue  # a window of no length counts nothing
            stopped = window.stop_ms is not None
            low, high = read_range(span[0], window.stop_ms, span[1])
            first, last = bisect_left(times, low), bisect_right(times, high)
            if stopped:
                last = _through_resync(items, bisect_right(times, span[1]), last, tracked)
            part = items if first == 0 and last == len(items) else items[first:last]
            if window.seed:
                # The seed lies at or before the start: only the margin before it is merged.
                k = bisect_left(times, span[0], first, last) - first
                part = [*_in_order([*window.seed, *part[:k]]), *part[k:]]
            made += _window_records(channels, span, part, gap_index)
    if len(windows) > 1:
        made.sort(key=_USER)  # stable: each member's records stay in time order
    return made


def _through_resync(
    ordered: Sequence[Observation], begin: int, end: int, tracked: frozenset[str]
) -> int:
    """The index just past the first snapshot of every tracked channel in ordered[begin:end],
    or ``end`` when there is none."""
    for i in range(begin, end):
        o = ordered[i]
        if isinstance(o, VoiceSnapshot) and tracked.issubset(o.channels):
            return i + 1
    return end


def _window_records(
    channels: Collection[str], span: _Span, seen: list[Observation], gap_index: _GapIndex
) -> list[VoiceRecord]:
    gaps = gap_index.within(span[0], span[1])
    # What the store returns is in order already (its sort key is the identity) and has no
    # duplicates: it is replayed as it is. Anything else is put in order first.
    fold = _Fold(channels, [span])
    if not gaps:
        if fold.run(seen):
            return fold.finish()
        fold = _Fold(channels, [span])
        replayed = fold.run(_in_order(seen))
        assert replayed, "observations put in order are in order"
        return fold.finish()
    flagged = _replay_across_gaps(fold, seen, gaps)
    if flagged is None:
        fold = _Fold(channels, [span])
        flagged = _replay_across_gaps(fold, _in_order(seen), gaps)
        assert flagged is not None, "observations put in order are in order"
    return fold.finish(flagged)


def _replay_across_gaps(
    fold: _Fold, ordered: list[Observation], gaps: list[tuple[int, int]]
) -> dict[str, list[tuple[int, int]]] | None:
    """Replay ``ordered`` into ``fold`` and find whom each worker gap could have cost time.

    A member is flagged for a gap when an observation stamped inside it concerns them, or when
    the first observation after it that concerns them disagrees with where they sat just before
    it: it has them in a tracked channel when they were not in one, or out of the tracked
    channels when they were in one (a resumed connection replays the changes it missed, stamped
    when they arrive, so such a change may have happened at any time in the gap), or it is an
    event that "moves" them to the channel they were already in (the worker sends changes only,
    so one in between was missed). A move between two tracked channels changes no time. Those
    who sat in a tracked channel when it began and of whom nothing after it speaks are flagged
    too. Everyone else kept their seat, or their absence, across the gap, which then cannot have
    changed their time. Returns, per flagged member, the stretches (from the gap's start to that
    first observation) whose records get the flag; None (the fold half done) when the
    observations turn out not to be in order.
    """
    stretches: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
    times = list(map(_TIME, ordered))
    pos = 0
    in_order = True
    previous: Observation | None = None
    for n, (g0, g1) in enumerate(gaps):
        upto = bisect_right(times, g0)
        if upto > pos:
            in_order &= fold.run(ordered[pos:upto])
            pos = upto
        before = fold.channels_now()
        decided: set[str] = set()
        next_gap = gaps[n + 1][0] if n + 1 < len(gaps) else _FOREVER
        while pos < len(ordered) and ordered[pos].t_ms <= next_gap:
            o = ordered[pos]
            if previous is not None and o.t_ms == previous.t_ms:
                in_order &= _IDENTITY(previous) < _IDENTITY(o)
            previous = o
            inside = o.t_ms < g1
            changes, full = fold.tracked_changes(o)
            for user, tracked in changes.items():
                if user in decided:
                    continue
                decided.add(user)
                if inside:
                    flagged = True
                else:
                    was = before.get(user)
                    flagged = (was in fold.tracked) != tracked
                    if isinstance(o, VoiceEvent):
                        flagged = flagged or was == o.channel_id
                if flagged:
                    stretches[user].append((g0, max(g1, o.t_ms)))
            in_order &= fold.run([o])
            pos += 1
            if full and not inside:
                break  # a snapshot of every tracked channel speaks for everyone
        else:
            # Nothing after the gap spoke for those who sat in a tracked channel when it began.
            for user, channel in before.items():
                if channel in fold.tracked and user not in decided:
                    stretches[user].append((g0, _FOREVER))
    in_order &= fold.run(ordered[pos:])
    return dict(stretches) if in_order else None


# --- credited time ----------------------------------------------------------------------------

_STRETCH = attrgetter("user_id", "start_ms", "end_ms")
_USER, _START, _END = attrgetter("user_id"), attrgetter("start_ms"), attrgetter("end_ms")


def _merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted intervals merged where they overlap or touch."""
    merged: list[tuple[int, int]] = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _union_sweep(records: Iterable[VoiceRecord]) -> dict[str, int]:
    """Per member, the measure of the union of their records, for records in any order."""
    credited: dict[str, int] = {}
    user: str | None = None
    total = reach = 0
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


def credited_ms(records: Iterable[VoiceRecord]) -> dict[str, int]:
    """Per member, the measure of the union of their records across all tracked channels."""
    listed = records if isinstance(records, list) else list(records)
    if not listed:
        return {}
    # What build_records hands over is grouped by member in id order, and a member's records
    # come one after another, never overlapping (one seat at a time): then the union is the
    # sum of the lengths. Checking that it is so, and summing, takes a few passes in C.
    users = list(map(_USER, listed))
    starts = list(map(_START, listed))
    ends = list(map(_END, listed))
    lengths = list(map(sub, ends, starts))
    # Where one member's records end and the next member's begin.
    cuts = [0, *compress(count(1), map(ne, users, islice(users, 1, None))), len(users)]
    # Where a record ends after the next one starts: fine only where the next is someone else's.
    overlaps = compress(count(1), map(gt, ends, islice(starts, 1, None)))
    inner = cuts[1:-1]
    if (
        min(lengths) < 0
        or not set(overlaps).issubset(inner)
        or not all(
            map(
                lt,
                map(users.__getitem__, map(sub, inner, repeat(1))),
                map(users.__getitem__, inner),
            )
        )
    ):
        return _union_sweep(listed)
    totals = list(accumulate(lengths, initial=0))
    return {users[a]: totals[b] - totals[a] for a, b in pairwise(cuts)}


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
