"""Geometry of the participation timeline: where each stretch, gap and clock tick falls on the
page. The x axis is the session's windows laid side by side (a reopened session does not waste
width on the hours it was closed), each as wide as its share of the counted time. Pure
arithmetic, no fpdf2, so it can be reasoned about apart from the drawing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sunday_mining.reports.model import ReportData, Span, TimelineBar, fallback_name

WINDOW_SEPARATION = 2.0  # mm of white between two windows
_STEPS_MIN = (5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 720, 1440)
_MAX_TICKS = 12
_MINUTE = 60_000


@dataclass(frozen=True)
class Segment:
    """One window and the stretch of the axis it occupies."""

    start_ms: int
    end_ms: int
    x: float
    w: float

    def x_of(self, ms: int) -> float:
        return self.x + self.w * (ms - self.start_ms) / (self.end_ms - self.start_ms)


@dataclass(frozen=True)
class Timeline:
    segments: tuple[Segment, ...]
    members: tuple[str, ...]  # user ids, top to bottom
    names: dict[str, str]
    bars: dict[str, tuple[TimelineBar, ...]]
    gaps: tuple[Span, ...]
    time_zone: str

    @classmethod
    def of(cls, data: ReportData, x0: float, width: float) -> Timeline:
        bars: dict[str, list[TimelineBar]] = {}
        for bar in sorted(data.timeline, key=lambda b: (b.user_id, b.start_ms, b.channel_id)):
            bars.setdefault(bar.user_id, []).append(bar)
        payees = [p.user_id for p in data.payees if p.user_id in bars]
        rest = sorted(set(bars) - set(payees), key=lambda uid: (bars[uid][0].start_ms, uid))
        payee_names = {p.user_id: p.name for p in data.payees}
        names = {
            uid: data.names.get(uid) or payee_names.get(uid) or fallback_name(uid) for uid in bars
        }
        return cls(
            segments=_segments(data, x0, width),
            members=tuple(payees + rest),
            names=names,
            bars={uid: tuple(b) for uid, b in bars.items()},
            gaps=data.gaps,
            time_zone=data.time_zone,
        )

    def clip(self, start_ms: int, end_ms: int) -> Iterator[tuple[float, float]]:
        """(x, width) of the time between start and end, one piece per window it overlaps."""
        for seg in self.segments:
            start, end = max(start_ms, seg.start_ms), min(end_ms, seg.end_ms)
            if end > start:
                x = seg.x_of(start)
                yield x, seg.x_of(end) - x

    def bars_of(self, user_id: str) -> Iterator[tuple[TimelineBar, float, float]]:
        for bar in self.bars.get(user_id, ()):
            for x, w in self.clip(bar.start_ms, bar.end_ms):
                yield bar, x, w

    def gap_spans(self) -> list[tuple[float, float]]:
        return [piece for gap in self.gaps for piece in self.clip(gap.start_ms, gap.end_ms)]

    def window_edges(self) -> list[tuple[float, float]]:
        return [(seg.x, seg.x + seg.w) for seg in self.segments]


def _segments(data: ReportData, x0: float, width: float) -> tuple[Segment, ...]:
    windows = sorted(
        (w for w in data.windows if w.end_ms > w.start_ms), key=lambda w: (w.start_ms, w.end_ms)
    )
    if not windows:
        windows = [Span(data.started_ms, max(data.stopped_ms, data.started_ms + _MINUTE))]
    total = sum(w.end_ms - w.start_ms for w in windows)
    usable = width - WINDOW_SEPARATION * (len(windows) - 1)
    segments: list[Segment] = []
    x = x0
    for window in windows:
        w = usable * (window.end_ms - window.start_ms) / total
        segments.append(Segment(window.start_ms, window.end_ms, x, w))
        x += w + WINDOW_SEPARATION
    return tuple(segments)


def layout_ticks(timeline: Timeline, tz: ZoneInfo) -> list[tuple[float, int]]:
    """(x, time) of round local clock times: every 5 minutes to every day, whichever keeps the
    axis to about a dozen labels."""
    total_min = sum(s.end_ms - s.start_ms for s in timeline.segments) / _MINUTE
    step = next((s for s in _STEPS_MIN if total_min / s <= _MAX_TICKS), _STEPS_MIN[-1])
    ticks: list[tuple[float, int]] = []
    for seg in timeline.segments:
        base = seg.start_ms - seg.start_ms % _MINUTE
        local = datetime.fromtimestamp(base / 1000, tz)
        ahead = (-(local.hour * 60 + local.minute)) % step
        tick = base + ahead * _MINUTE
        if tick < seg.start_ms:
            tick += step * _MINUTE
        while tick <= seg.end_ms:
            ticks.append((seg.x_of(tick), tick))
            tick += step * _MINUTE
    return ticks
