"""Benchmark: building the payroll report PDF for 30 and 300 payees.

    python -m bench.pdf

``sunday_mining.reports.sample.sample_report(payees, seed=...)`` makes the report data and
``sunday_mining.reports.pdf.render_pdf(data)`` builds the PDF's bytes. When either is missing
(the renderer not built yet, or fpdf2 not installed) the benchmark says so and does not run.
"""

from __future__ import annotations

import gc
import importlib
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from bench.results import Row, Section, Verdict, judged, median, ms

SIZES = (30, 300)
QUICK_SIZES = (3,)
REPEATS = 5
BAR_SECONDS = 0.5
SEED = 2026


def _renderer() -> tuple[Callable[..., Any], Callable[[Any], bytes]]:
    sample = importlib.import_module("sunday_mining.reports.sample")
    pdf = importlib.import_module("sunday_mining.reports.pdf")
    return sample.sample_report, pdf.render_pdf


def floor_pdf() -> bytes:
    """The least fpdf2 can do: one page, one line in a built-in font."""
    from fpdf import FPDF

    doc = FPDF()
    doc.add_page()
    doc.set_font("Helvetica", size=12)
    doc.cell(text="Sunday Mining")
    return bytes(doc.output())


def _timed(build: Callable[[], bytes], repeats: int) -> tuple[list[float], bytes]:
    took: list[float] = []
    out = b""
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        out = build()
        took.append(time.perf_counter() - started)
    if not out.startswith(b"%PDF"):
        raise RuntimeError("the renderer did not return a PDF")
    return took, out


def measure(sizes: tuple[int, ...] = SIZES, repeats: int = REPEATS) -> dict[str, Any]:
    """Raises ImportError when the renderer is not available. Each build is followed by a
    floor build, so both see the same moment of the machine."""
    sample_report, render_pdf = _renderer()
    (first,), _ = _timed(partial(render_pdf, sample_report(sizes[-1], seed=SEED)), 1)
    _timed(floor_pdf, 1)  # fpdf2's own first document, unmeasured
    floors: list[float] = []
    builds: dict[int, tuple[list[float], int]] = {}
    for payees in sizes:
        data = sample_report(payees, seed=SEED)
        render_pdf(data)  # unmeasured: the figures are a warm process's
        took: list[float] = []
        for _ in range(repeats):
            build, out = _timed(partial(render_pdf, data), 1)
            floor, _ = _timed(floor_pdf, 1)
            took += build
            floors += floor
        builds[payees] = (took, len(out))
    return {"first_s": first, "floor": floors, "builds": builds}


def section(quick: bool = False) -> Section:
    sizes, repeats = (QUICK_SIZES, 1) if quick else (SIZES, REPEATS)
    s = Section(
        title="Payroll report PDF",
        method=(
            "`render_pdf(sample_report(payees, seed=...))` from `sunday_mining.reports`, in one "
            f"warm process: median of {repeats} builds of each size after one unmeasured build "
            "(the report data is made outside the timing). The first build in the process "
            "(fonts loaded, caches cold) is shown apart."
        ),
        bars="PDF for 300 payees \u2264 0.5 s to build",
        floor=(
            "fpdf2's own least: a one-page document with one line in a built-in font, "
            "built right after each report build in the same run."
        ),
    )
    try:
        m = measure(sizes, repeats)
    except ImportError as missing:
        s.skipped = (
            "not available: the PDF renderer could not be imported in this run "
            f"({type(missing).__name__}: {missing}); nothing was measured."
        )
        return s
    floor = median(m["floor"])
    s.rows.append(Row("floor: one-page fpdf2 document", ms(floor)))
    s.rows.append(
        Row(
            f"first build in the process ({sizes[-1]} payees: fonts loaded, as after a cold start)",
            ms(m["first_s"]),
            ms(floor),
            m["first_s"] / floor,
        )
    )
    for payees, (took, size) in m["builds"].items():
        full = payees == SIZES[-1]
        s.rows.append(
            Row(
                f"{payees} payees, warm process ({size / 1024:,.0f} KiB PDF)",
                ms(median(took)),
                ms(floor),
                median(took) / floor,
                "≤ 0.5 s" if full else "—",
                judged(median(took) <= BAR_SECONDS) if full else Verdict.NONE,
            )
        )
    if len(m["builds"]) == 2:
        (small, (a, _)), (large, (b, _)) = m["builds"].items()
        growth = median(b) / median(a)
        s.rows.append(
            Row(
                f"growth {small} → {large} payees",
                f"\u00d7 {growth:.1f}",
                f"\u00d7 {large / small:.0f} (linear)",
                growth / (large / small),
            )
        )
    return s


def main() -> None:
    s = section()
    print(s.skipped or "\n".join(f"{r.measure}: {r.figure}" for r in s.rows))


if __name__ == "__main__":
    main()
