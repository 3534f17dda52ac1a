"""The domain's CPU-bound work: credited time for 100 / 1,000 / 10,000 members x 50 records and
payroll for 1,000 payees, with the growth per 10x members and the machine's speed as floor.

DESIGN's bars here are absolute (1 s, 50 ms), set on a machine where a 10M-iteration ``for`` add
loop takes about 0.85 s; that loop, timed in the same run, is the floor: a figure's ratio to it
says how the code would fare on the reference machine whatever this one's speed at the moment.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from itertools import pairwise
from typing import TypeVar

from bench import credited_time, payroll
from bench.results import Row, Section, Verdict, judged, ms

REFERENCE_LOOP_S = 0.85
SERIES = (100, 1_000, 10_000)
QUICK_SERIES = (10, 100)
RECORDS = 50

_T = TypeVar("_T")


def _loop(quick: bool) -> float:
    """The floor once. Quick: a hundredth of the loop, times a hundred."""
    return 100 * credited_time.yardstick(100_000) if quick else credited_time.yardstick()


def _beside(quick: bool, work: Callable[[], _T]) -> tuple[_T, float]:
    """``work()``'s result and the floor timed right before and right after it (their mean):
    on a shared machine the load changes within a minute, and the ratio must see the same."""
    before = _loop(quick)
    result = work()
    return result, (before + _loop(quick)) / 2


def section(quick: bool = False) -> Section:
    series, records = (QUICK_SERIES, 5) if quick else (SERIES, RECORDS)
    s = Section(
        title="Credited time and payroll (domain)",
        bars="credited time for 10,000 \u00d7 50 \u2264 1 s; payroll for 1,000 payees \u2264 50 ms",
        method=(
            "Credited time: `bench/credited_time.py`'s `measure()` — `build_records` + "
            "`credited_ms` on a realistic four-hour session (two active windows, six tracked "
            "channels, moves, detours, worker gaps, snapshots every 60 s), observations read back "
            "as the summary reads them from the store; best of 3, wall time (the process's CPU "
            "time beside it). Payroll: `domain.payroll.compute` on 1,000 participants with every "
            "step in play (ore and sale lines, expenses, flats, percentages, multipliers, "
            "donations re-split, exclusions, a 0.5 % transfer fee; `bench/payroll.py`); median "
            f"of {payroll.REPEATS}."
        ),
        floor=(
            "the machine itself: a 10M-iteration `for` add loop at module level, timed right "
            "before and right after each figure (the mean of the two), which takes about "
            f"{REFERENCE_LOOP_S} s on the machine DESIGN's absolute bars were set on. Ratio = "
            "figure / loop; growth is compared with linear (\u00d7 10 per 10\u00d7 members)."
        ),
    )
    walls: list[float] = []
    floors: list[float] = []
    for members in series:
        m, floor = _beside(quick, partial(credited_time.measure, members, records))
        walls.append(m["wall_s"])
        floors.append(floor)
        big = members == 10_000 and records == RECORDS
        s.rows.append(
            Row(
                f"credited time, {members:,} members \u00d7 {records} records "
                f"({int(m['records']):,} records)",
                f"{ms(m['wall_s'])} (CPU {ms(m['cpu_s'])})",
                ms(floor),
                m["wall_s"] / floor,
                f"\u2264 1 s (\u2248 {1 / REFERENCE_LOOP_S:.2f} \u00d7 the loop)" if big else "—",
                judged(m["wall_s"] <= 1.0) if big else Verdict.NONE,
            )
        )
    for (small, a), (large, b) in pairwise(zip(series, walls, strict=True)):
        growth = b / a
        s.rows.append(
            Row(
                f"growth {small:,} \u2192 {large:,} members",
                f"\u00d7 {growth:.1f}",
                f"\u00d7 {large / small:.0f} (linear)",
                growth / (large / small),
            )
        )
    payees = 10 if quick else payroll.PAYEES
    p, floor = _beside(quick, partial(payroll.measure, payees, 3 if quick else payroll.REPEATS))
    full = payees == payroll.PAYEES
    s.rows.append(
        Row(
            f"payroll, {payees:,} payees ({p['lines']:,} payout lines)",
            ms(p["median_s"]),
            ms(floor),
            p["median_s"] / floor,
            f"\u2264 50 ms (\u2248 {0.05 / REFERENCE_LOOP_S:.3f} \u00d7 the loop)" if full else "—",
            judged(p["median_s"] <= payroll.BAR_SECONDS) if full else Verdict.NONE,
        )
    )
    if not quick:
        loops = [*floors, floor]
        s.notes.append(
            f"The loop took {min(loops):.2f}\u2013{max(loops):.2f} s during this section against "
            f"the reference's {REFERENCE_LOOP_S} s. Scaled to the reference machine (figure / "
            f"loop \u00d7 {REFERENCE_LOOP_S} s), credited time for 10,000 members would be "
            f"{walls[-1] / floors[-1] * REFERENCE_LOOP_S:.2f} s and payroll "
            f"{p['median_s'] / floor * REFERENCE_LOOP_S * 1000:.1f} ms. The verdicts above use "
            "the measured figures, unscaled. The loop runs in the CPU's cache; credited time "
            "for 10,000 members works through half a million records, so memory traffic from "
            "other processes on a shared machine moves it more than it moves the floor."
        )
    return s
