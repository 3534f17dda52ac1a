"""`make bench`: every benchmark, each against its floor, written to BENCHMARKS.md.

    python -m bench.run                  # everything (a few minutes on two cores)
    python -m bench.run --quick --output /tmp/b.md   # smallest sizes: does it all still run?
    python -m bench.run --only domain pdf

A benchmark that raises (something is broken) is reported in the file and makes the run exit
non-zero after the file is written; a slow machine never does. A missing part (the PDF
renderer) is reported as not available.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository's `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import cold_import, domain, interactions, pdf, store_cost, worker_ingest
from bench.report import Machine, load_average, render
from bench.results import Section

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS: dict[str, tuple[str, Callable[[bool], Section]]] = {
    "cold": ("Interactions cold start", cold_import.section),
    "interactions": ("Warm signed interactions", interactions.section),
    "domain": ("Credited time and payroll (domain)", domain.section),
    "pdf": ("Payroll report PDF", pdf.section),
    "worker": ("Worker ingest at 200 events/s", worker_ingest.section),
    "store": ("Store cost of an op", store_cost.section),
}


def run(names: list[str], *, quick: bool) -> tuple[list[Section], list[str]]:
    """The sections, in order, and the names of those that broke."""
    sections: list[Section] = []
    broken: list[str] = []
    for name in names:
        title, section = BENCHMARKS[name]
        print(f"bench: {title} ...", flush=True)
        started = time.perf_counter()
        try:
            result = section(quick)
        except Exception as failure:  # reported in the file, then exit 1
            traceback.print_exc()
            broken.append(name)
            result = Section(title, "", "", skipped=f"FAILED: {type(failure).__name__}: {failure}")
        print(f"bench: {title} done in {time.perf_counter() - started:.1f} s", flush=True)
        for row in result.rows:
            print(f"    {row.measure}: {row.figure}  (floor {row.floor})  {row.verdict}")
        if result.skipped:
            print(f"    {result.skipped}")
        sections.append(result)
    return sections, broken


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smallest sizes only")
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), default=list(BENCHMARKS))
    args = parser.parse_args(argv)
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_before = load_average()
    started = time.perf_counter()
    sections, broken = run(args.only, quick=args.quick)
    text = render(
        sections,
        machine=Machine.this_one(),
        date=date,
        duration_s=time.perf_counter() - started,
        load_before=load_before,
        load_after=load_average(),
    )
    args.output.write_text(text, encoding="utf-8")
    print(f"bench: wrote {args.output}")
    if broken:
        print(f"bench: broken: {', '.join(broken)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
