"""What every benchmark hands back: rows of figure, floor, ratio and bar, with the verdict."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class Verdict(StrEnum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    MISS = "**MISS**"
    NONE = "—"  # no bar for this row (a floor, or a figure shown for context)
    SKIPPED = "not run"


@dataclass(frozen=True)
class Row:
    """One measured figure; ``floor`` and ``ratio`` are empty when the row has no floor."""

    measure: str
    figure: str
    floor: str = "—"
    ratio: float | None = None
    bar: str = "—"
    verdict: Verdict = Verdict.NONE


@dataclass
class Section:
    title: str
    method: str  # how it was measured, in a few sentences
    floor: str  # what the floor is, in words
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None  # why it did not run, when it did not
    bars: str = ""  # DESIGN's bars this section checks, in words (shown when it did not run)

    def verdicts(self) -> list[tuple[str, Verdict]]:
        return [(r.measure, r.verdict) for r in self.rows if r.verdict is not Verdict.NONE]


def judged(ok: bool) -> Verdict:
    return Verdict.PASS if ok else Verdict.MISS


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (p99 of 200 samples is the 198th smallest)."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered) - 1e-9)))
    return ordered[rank - 1]


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def ms(seconds: float) -> str:
    """A duration in milliseconds, with the precision its size deserves."""
    value = seconds * 1000
    if value >= 100:
        return f"{value:,.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    return f"{value:.2f} ms"


def ratio_text(ratio: float | None) -> str:
    if ratio is None:
        return "—"
    return f"{ratio:.2f} \u00d7" if ratio >= 0.1 else f"{ratio:.2g} \u00d7"
