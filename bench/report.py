"""BENCHMARKS.md: the machine, the date, and each benchmark's table with its floor and bars."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path

from bench.results import Section, Verdict, ratio_text

# Above this load average (per core) the machine was doing other work during the run.
BUSY_LOAD_PER_CORE = 0.25


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    python: str
    system: str

    @classmethod
    def this_one(cls) -> Machine:
        return cls(
            cpu=_cpu_model(),
            cores=os.cpu_count() or 1,
            python=f"{platform.python_implementation()} {platform.python_version()}",
            system=f"{platform.system()} {platform.release()} ({platform.machine()}"
            + (f", {'-'.join(platform.libc_ver())}" if platform.libc_ver()[0] else "")
            + ")",
        )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> tuple[float, float, float] | None:
    try:
        return os.getloadavg()
    except (AttributeError, OSError):
        return None


def _load_text(load: tuple[float, float, float] | None) -> str:
    return "unknown" if load is None else " / ".join(f"{x:.2f}" for x in load)


def _busy(
    before: tuple[float, float, float] | None, after: tuple[float, float, float] | None, cores: int
) -> bool:
    """Whether other work ran beside the benchmarks: the 1-minute load before the run, or after
    it less the one core the benchmarks themselves kept busy."""
    limit = BUSY_LOAD_PER_CORE * cores
    return (before is not None and before[0] > limit) or (
        after is not None and after[0] - 1 > limit
    )


def render(
    sections: list[Section],
    *,
    machine: Machine,
    date: str,
    duration_s: float,
    load_before: tuple[float, float, float] | None,
    load_after: tuple[float, float, float] | None,
) -> str:
    out = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`bench/run.py`) on {date}; do not edit by hand. Every figure "
        "is measured against its floor in the same run (DESIGN.md, quality bars), and the "
        "ratio is figure ÷ floor. Benchmarks are not tests: a miss is reported here, never "
        "hidden, and never fails the build. One benchmark alone: `.venv/bin/python -m "
        "bench.run --only cold|interactions|domain|pdf|worker --output b.md`, or each "
        "module's own `python -m bench.<module>`.",
        "",
        "## Machine",
        "",
        f"- CPU: {machine.cpu}, {machine.cores} cores",
        f"- Python: {machine.python}",
        f"- OS: {machine.system}",
        f"- Load average (1 / 5 / 15 min): {_load_text(load_before)} before the run, "
        f"{_load_text(load_after)} after it; the run took {duration_s:.0f} s.",
    ]
    if _busy(load_before, load_after, machine.cores):
        out.append(
            "- Other processes were running on this machine during the run (a shared machine; "
            "see the load average), so absolute figures are noisier than the ratios."
        )
    verdicts = [v for section in sections for _, v in section.verdicts()]
    missed = sum(v is Verdict.MISS for v in verdicts)
    not_run = sum(1 for section in sections if section.skipped)
    out += [
        "",
        "## The bars",
        "",
        f"{len(verdicts) - missed} pass, **{missed} missed**"
        + (f", {not_run} benchmark(s) not run" if not_run else "")
        + ".",
        "",
        "| Bar (DESIGN.md) | Measure | Verdict |",
        "|---|---|---|",
    ]
    for section in sections:
        if section.skipped:
            out.append(
                f"| {section.bars or '—'} | {section.title}: {section.skipped} | "
                f"{Verdict.SKIPPED} |"
            )
        for row in section.rows:
            if row.verdict is not Verdict.NONE:
                figure = (
                    f"{row.figure} ({ratio_text(row.ratio)} floor)" if row.ratio else row.figure
                )
                out.append(
                    f"| {row.bar} | {section.title}: {row.measure} = {figure} | {row.verdict} |"
                )
    for section in sections:
        out += ["", f"## {section.title}", "", section.method, "", f"Floor: {section.floor}", ""]
        if section.skipped:
            out += [f"**{section.skipped}**"]
            continue
        out += ["| Measure | Figure | Floor | Ratio | Bar | Verdict |", "|---|--:|--:|--:|---|---|"]
        for row in section.rows:
            out.append(
                f"| {row.measure} | {row.figure} | {row.floor} | {ratio_text(row.ratio)} | "
                f"{row.bar} | {row.verdict} |"
            )
        if section.notes:
            out.append("")
            out += [f"- {note}" for note in section.notes]
    out.append("")
    return "\n".join(out)
