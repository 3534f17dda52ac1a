"""The domain's CPU-bound work: credited time for 100 / 1,000 / 10,000 members x 50 records and
payroll for 1,000 payees, with the growth per 10x members and the machine's speed as floor.

DESIGN's bars here are absolute (1 s, 50 ms), set on a machine where a 10M-iteration ``for`` add
loop takes about 0.85 s; that loop, timed in the same run, is the floor: a figure's ratio to it
says how the code would fare on the reference machine whatever this one's speed at the moment.
"""

from __future__ import annotations

from itertools import pairwise

from bench import credited_time, payroll
from bench.results import Row, Section, Verdict, judged, ms

REFERENCE_LOOP_S = 0.85
SERIES = (100, 1_000, 10_000)
QUICK_SERIES = (10, 100)
RECORDS = 50


def _floor(quick: bool) -> float:
    """Best of three: the loop's own noise should not move every ratio. Quick: a tenth of the
    loop, once, times ten."""
    if quick:
        return 10 * credited_time.yardstick(1_000_000)
    return min(credited_time.yardstick() for _ in range(3))


def section(quick: bool = False) -> Section:
    series, records = (QUICK_SERIES, 5) if quick else (SERIES, RECORDS)
    floor = _floor(quick)
    s = Section(
        title="Credited time and payroll (domain)",
        bars="credited time for 10,000 \u00d7 50 \u2264 1 s; payroll for 1,000 payees \u2264 50 ms",
        method=(
            "Credited time: `bench/credited_time.py`'s `measure()` — `build_records` + "
            "`credited_ms` on a realistic four-hour session (two active windows, six tracked "
            "channels, moves, detours, worker gaps, snapshots every 60 s), observations read back "
            "as the summary reads them from the store; best of 3. Payroll: `domain.payroll."
            "compute` on 1,000 participants with every step in play (ore and sale lines, "
            "expenses, flats, percentages, multipliers, donations re-split, exclusions, a 0.5 % "
            f"transfer fee; `bench/payroll.py`); median of {payroll.REPEATS}."
        ),
        floor=(
            "the machine itself: a 10M-iteration `for` add loop at module level (best of 3), "
            f"which takes about {REFERENCE_LOOP_S} s on the machine DESIGN's absolute bars were "
            "set on. Ratio = figure / loop; growth is compared with linear "
            "(\u00d7 10 per 10\u00d7 members)."
        ),
    )
    s.rows.append(Row("floor: 10M-iteration add loop", ms(floor), bar="~850 ms reference"))
    walls: list[float] = []
    for members in series:
        m = credited_time.measure(members, records)
        walls.append(m["wall_s"])
        big = members == 10_000 and records == RECORDS
        s.rows.append(
            Row(
                f"credited time, {members:,} members \u00d7 {records} records "
                f"({int(m['records']):,} records)",
                ms(m["wall_s"]),
                ms(floor),
                m["wall_s"] / floor,
                f"≤ 1 s (\u2248 {1 / REFERENCE_LOOP_S:.2f} \u00d7 the loop)" if big else "—",
                judged(m["wall_s"] <= 1.0) if big else Verdict.NONE,
            )
        )
    for (small, a), (large, b) in pairwise(zip(series, walls, strict=True)):
        growth = b / a
        s.rows.append(
            Row(
                f"growth {small:,} → {large:,} members",
                f"\u00d7 {growth:.1f}",
                f"\u00d7 {large / small:.0f} (linear)",
                growth / (large / small),
            )
        )
    payees = 10 if quick else payroll.PAYEES
    p = payroll.measure(payees, 3 if quick else payroll.REPEATS)
    full = payees == payroll.PAYEES
    s.rows.append(
        Row(
            f"payroll, {payees:,} payees ({p['lines']:,} payout lines)",
            ms(p["median_s"]),
            ms(floor),
            p["median_s"] / floor,
            f"≤ 50 ms (\u2248 {0.05 / REFERENCE_LOOP_S:.3f} \u00d7 the loop)" if full else "—",
            judged(p["median_s"] <= payroll.BAR_SECONDS) if full else Verdict.NONE,
        )
    )
    scale = REFERENCE_LOOP_S / floor
    if not quick:
        s.notes.append(
            f"This machine's loop took {floor:.2f} s against the reference's {REFERENCE_LOOP_S} s; "
            f"scaled to the reference, credited time for 10,000 members would be "
            f"{walls[-1] * scale:.2f} s and payroll {p['median_s'] * scale * 1000:.1f} ms. The "
            "verdicts above use the measured figures, unscaled."
        )
    return s
