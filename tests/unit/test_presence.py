"""Voice presence → voice records and credited time: exact cases."""

from __future__ import annotations

from sunday_mining.domain.presence import (
    Gap,
    Observation,
    Participant,
    Source,
    VoiceEvent,
    VoiceRecord,
    VoiceSnapshot,
    Window,
    build_records,
    credited_ms,
    seed_events,
    session_length_ms,
    summarize,
)

T0 = 1_795_370_400_000  # Sunday 2026-11-22 18:00 UTC
MIN = 60_000
A, B, LOUNGE = "101", "102", "900"  # A and B are mining channels; the lounge is not
TRACKED = (A, B)
ALICE, BOB, BOT = "1", "2", "99"


class Worker:
    """Stamps observations the way the voice worker does: one connection, rising sequence."""

    def __init__(self, conn: str = "01CONN") -> None:
        self.conn = conn
        self.seq = 0
        self.seen: list[Observation] = []

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def event(self, minute: float, user: str, channel: str | None, *, bot: bool = False) -> None:
        t = T0 + int(minute * MIN)
        self.seen.append(VoiceEvent(t, self.conn, self._next(), user, channel, is_bot=bot))

    def snapshot(
        self,
        minute: float,
        channels: dict[str, set[str]],
        *,
        bots: frozenset[str] = frozenset(),
        source: Source = Source.SNAPSHOT,
    ) -> None:
        members = {c: frozenset(users) for c, users in channels.items()}
        t = T0 + int(minute * MIN)
        self.seen.append(VoiceSnapshot(t, self.conn, self._next(), members, bots, source))


def at(minute: float) -> int:
    return T0 + int(minute * MIN)


def records(
    worker: Worker,
    *,
    windows: tuple[tuple[float, float | None], ...] = ((0, 60),),
    now: float = 90,
    gaps: tuple[Gap, ...] = (),
) -> list[VoiceRecord]:
    return build_records(
        windows=[Window(at(s), None if e is None else at(e)) for s, e in windows],
        channels=TRACKED,
        observations=worker.seen,
        now_ms=at(now),
        gaps=gaps,
    )


def record(
    user: str,
    channel: str,
    start: float,
    end: float,
    start_source: Source,
    end_source: Source | None,
    *,
    gap: bool = False,
) -> VoiceRecord:
    return VoiceRecord(user, channel, at(start), at(end), start_source, end_source, gap)


def test_a_member_seated_through_the_whole_session_gets_its_length() -> None:
    w = Worker()
    w.event(-5, ALICE, A)
    w.snapshot(0, {A: {ALICE}, B: set()}, source=Source.SESSION_START)
    w.event(70, ALICE, None)

    assert records(w) == [record(ALICE, A, 0, 60, Source.SESSION_START, Source.SESSION_STOP)]
    assert credited_ms(records(w)) == {ALICE: 60 * MIN}


def test_the_seed_snapshot_alone_opens_a_record_at_the_start() -> None:
    w = Worker()
    w.snapshot(0, {A: {ALICE}}, source=Source.SESSION_START)
    w.event(30, ALICE, None)

    assert records(w) == [record(ALICE, A, 0, 30, Source.SESSION_START, Source.GATEWAY)]


def test_a_lost_leave_is_closed_by_a_snapshot_at_the_last_time_seen_and_flagged() -> None:
    w = Worker()
    w.event(5, ALICE, A)
    w.snapshot(6, {A: {ALICE}})
    w.snapshot(7, {A: {ALICE}})
    # Alice left at some point after minute 7, but the worker never saw it.
    w.snapshot(8, {A: set()})

    assert records(w) == [record(ALICE, A, 5, 7, Source.GATEWAY, Source.RECONCILE, gap=True)]


def test_a_missed_join_is_opened_by_a_snapshot() -> None:
    w = Worker()
    w.snapshot(10, {A: {ALICE}})
    w.event(20, ALICE, None)

    assert records(w) == [record(ALICE, A, 10, 20, Source.SNAPSHOT, Source.GATEWAY)]


def test_a_missed_move_is_closed_at_the_snapshot_and_flagged() -> None:
    w = Worker()
    w.event(5, ALICE, A)
    w.snapshot(10, {A: set(), B: {ALICE}})
    w.event(20, ALICE, None)

    assert records(w) == [
        record(ALICE, A, 5, 10, Source.GATEWAY, Source.RECONCILE, gap=True),
        record(ALICE, B, 10, 20, Source.SNAPSHOT, Source.GATEWAY),
    ]


def test_a_snapshot_leaves_members_of_channels_it_does_not_cover_alone() -> None:
    w = Worker()
    w.event(5, ALICE, A)
    w.event(5, BOB, B)
    w.snapshot(10, {B: {BOB}})
    w.event(20, ALICE, None)
    w.event(20, BOB, None)

    assert credited_ms(records(w)) == {ALICE: 15 * MIN, BOB: 15 * MIN}
    assert not any(r.gap for r in records(w))


def test_a_record_with_an_observation_inside_a_worker_gap_is_flagged() -> None:
    w = Worker()
    w.event(5, ALICE, A)
    w.event(10, ALICE, None)
    w.snapshot(11.5, {A: set(), B: set()})  # the worker's resync after the gap
    w.event(30, ALICE, A)
    w.event(40, ALICE, None)
    w.event(12, BOB, A)
    w.event(15, BOB, None)

    got = records(w, gaps=(Gap(at(9), at(11)),))

    assert got == [
        record(ALICE, A, 5, 10, Source.GATEWAY, Source.GATEWAY, gap=True),
        record(ALICE, A, 30, 40, Source.GATEWAY, Source.GATEWAY),
        record(BOB, A, 12, 15, Source.GATEWAY, Source.GATEWAY),
    ]


def test_a_record_that_only_touches_a_gap_is_not_flagged() -> None:
    w = Worker()
    w.snapshot(5, {A: set(), B: set()})  # the resync after the first gap
    w.event(5, ALICE, A)
    w.event(10, ALICE, None)
    w.snapshot(12, {A: set(), B: set()})  # the resync after the second

    assert records(w, gaps=(Gap(at(10), at(12)), Gap(at(1), at(5)))) == [
        record(ALICE, A, 5, 10, Source.GATEWAY, Source.GATEWAY)
    ]


def test_only_members_a_gap_could_have_cost_time_are_flagged() -> None:
    w = Worker()
    carl, dana, erin = "3", "4", "5"
    w.snapshot(0, {A: {ALICE, BOB, carl}, B: {dana}}, source=Source.SESSION_START)
    w.snapshot(9, {A: {ALICE, BOB, carl}, B: {dana}})
    # The worker is away from minute 10 to 17; it resumes, replays what it missed (stamped
    # when it arrives), then sends its resync snapshot.
    w.event(17, erin, B)  # joined some time in the gap
    w.event(17.1, carl, B)  # a move between tracked channels costs no time
    w.snapshot(17.2, {A: {ALICE}, B: {dana, erin, carl}})  # Bob left in the gap, unseen
    w.event(30, dana, None)  # a leave after the resync is an ordinary leave

    got = records(w, gaps=(Gap(at(10), at(17)),))

    flagged = {r.user_id for r in got if r.gap}
    assert flagged == {BOB, erin}
    assert summarize(got, minimum_seconds=0)[0].gap_affected is False


def test_a_reopened_session_does_not_count_the_time_between_windows() -> None:
    w = Worker()
    w.event(-1, ALICE, A)
    w.event(50, ALICE, None)
    # What the app knew at the reopen: Alice in A since minute -1.
    reopened = Window(at(30), at(40), seed=seed_events(at(30), {ALICE: (A, at(-1))}))

    got = build_records(
        windows=[Window(at(0), at(10)), reopened],
        channels=TRACKED,
        observations=w.seen,
        now_ms=at(90),
    )

    assert got == [
        record(ALICE, A, 0, 10, Source.SESSION_START, Source.SESSION_STOP),
        record(ALICE, A, 30, 40, Source.SESSION_START, Source.SESSION_STOP),
    ]
    assert credited_ms(got) == {ALICE: 20 * MIN}
    assert session_length_ms([Window(at(0), at(10)), Window(at(30), at(40))], at(90)) == 20 * MIN


def test_a_running_window_ends_open_records_at_now() -> None:
    w = Worker()
    w.event(5, ALICE, A)
    w.event(7, BOB, A)
    w.event(9, BOB, None)

    got = records(w, windows=((0, None),), now=15)

    assert got == [
        record(ALICE, A, 5, 15, Source.GATEWAY, None),
        record(BOB, A, 7, 9, Source.GATEWAY, Source.GATEWAY),
    ]
    assert got[0].open
    assert not got[1].open
    assert session_length_ms([Window(at(0), None)], at(15)) == 15 * MIN


def test_a_member_still_seated_at_stop_is_closed_at_the_stop() -> None:
    w = Worker()
    w.event(50, ALICE, A)

    assert records(w, now=120) == [record(ALICE, A, 50, 60, Source.GATEWAY, Source.SESSION_STOP)]


def test_bots_never_count() -> None:
    w = Worker()
    w.event(1, BOT, A, bot=True)
    w.snapshot(2, {A: {BOT, ALICE}}, bots=frozenset({BOT}))
    w.event(3, BOT, None, bot=True)
    w.event(4, ALICE, None)

    got = records(w)

    assert [r.user_id for r in got] == [ALICE]
    assert credited_ms(got) == {ALICE: 2 * MIN}


def test_mute_and_deafen_toggles_never_split_a_record() -> None:
    w = Worker()
    w.event(5, ALICE, A)
    for minute in (6, 7, 8, 9):
        w.event(minute, ALICE, A)
    w.event(20, ALICE, None)

    assert records(w) == [record(ALICE, A, 5, 20, Source.GATEWAY, Source.GATEWAY)]


def test_moving_between_mining_channels_loses_nothing() -> None:
    w = Worker()
    w.event(5, ALICE, A)
    w.event(15, ALICE, B)
    w.event(25, ALICE, A)
    w.event(35, ALICE, None)

    got = records(w)

    assert [(r.channel_id, r.start_ms, r.end_ms) for r in got] == [
        (A, at(5), at(15)),
        (B, at(15), at(25)),
        (A, at(25), at(35)),
    ]
    assert credited_ms(got) == {ALICE: 30 * MIN}


def test_time_in_a_channel_that_is_not_tracked_does_not_count() -> None:
    w = Worker()
    w.event(5, ALICE, A)
    w.event(15, ALICE, LOUNGE)
    w.event(25, ALICE, B)
    w.event(35, ALICE, None)

    assert credited_ms(records(w)) == {ALICE: 20 * MIN}


def test_replayed_and_reordered_observations_change_nothing() -> None:
    w = Worker()
    w.event(5, ALICE, A)
    w.snapshot(10, {A: {ALICE}})
    w.event(15, ALICE, B)
    w.event(25, ALICE, None)
    expected = records(w)

    w.seen = list(reversed(w.seen)) + w.seen[1:3]

    assert records(w) == expected


def test_two_different_observations_with_one_identity_resolve_the_same_either_way() -> None:
    first = VoiceEvent(at(5), "01CONN", 1, ALICE, A)
    second = VoiceEvent(at(5), "01CONN", 1, ALICE, B)
    leave = VoiceEvent(at(10), "01CONN", 2, ALICE, None)

    def build(observations: list[Observation]) -> list[VoiceRecord]:
        return build_records(
            windows=[Window(at(0), at(60))], channels=TRACKED, observations=observations, now_ms=0
        )

    assert build([first, second, leave]) == build([second, leave, first])
    assert len(build([first, second, leave])) == 1


def test_a_later_connection_sorts_after_an_earlier_one_at_the_same_time() -> None:
    old, new = Worker("01AAAA"), Worker("01BBBB")
    old.event(5, ALICE, A)
    new.event(10, ALICE, B)
    old.event(10, ALICE, None)  # the old connection's last word, at the same millisecond

    w = Worker()
    w.seen = old.seen + new.seen

    assert credited_ms(records(w)) == {ALICE: 55 * MIN}
    assert records(w)[-1].channel_id == B


def test_credited_time_is_the_union_of_overlapping_records() -> None:
    manual = [
        VoiceRecord(ALICE, A, 0, 10_000, Source.MANUAL, Source.MANUAL, gap=False),
        VoiceRecord(ALICE, B, 5_000, 12_000, Source.MANUAL, Source.MANUAL, gap=False),
        VoiceRecord(ALICE, A, 20_000, 21_000, Source.MANUAL, Source.MANUAL, gap=False),
        VoiceRecord(BOB, A, 0, 1_000, Source.MANUAL, Source.MANUAL, gap=False),
    ]

    assert credited_ms(reversed(manual)) == {ALICE: 13_000, BOB: 1_000}


def test_overlapping_windows_count_once_in_the_session_length() -> None:
    windows = [Window(at(0), at(10)), Window(at(5), at(15)), Window(at(20), at(20))]

    assert session_length_ms(windows, at(30)) == 15 * MIN


def test_summary_lists_everyone_most_credited_first_and_marks_who_is_below_the_minimum() -> None:
    w = Worker()
    w.event(0, ALICE, A)
    w.event(10, ALICE, B)
    w.event(40, ALICE, None)
    w.event(0, BOB, B)
    w.event(5, BOB, None)
    w.event(6, "3", A)
    w.snapshot(7, {A: {ALICE, "3"}})
    w.snapshot(8, {A: {ALICE}})

    got = summarize(records(w), minimum_seconds=10 * 60)

    assert got == [
        Participant(ALICE, 40 * 60, below_minimum=False, gap_affected=False, channels=(A, B)),
        Participant(BOB, 5 * 60, below_minimum=True, gap_affected=False, channels=(B,)),
        Participant("3", 60, below_minimum=True, gap_affected=True, channels=(A,)),
    ]


def test_summary_breaks_ties_by_user_id() -> None:
    w = Worker()
    w.event(0, BOB, A)
    w.event(0, ALICE, B)

    got = summarize(records(w), minimum_seconds=0)

    assert [p.user_id for p in got] == [ALICE, BOB]
