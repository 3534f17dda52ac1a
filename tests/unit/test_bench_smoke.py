"""`make bench` keeps running: every benchmark at its smallest size, in-process, and the report
they make. Nothing here is about speed — a slow machine passes; broken bench code does not."""

from __future__ import annotations

from bench import credited_time, run
from bench.report import Machine, render
from bench.results import Verdict


def test_every_benchmark_runs_at_its_smallest_size_and_makes_the_report() -> None:
    sections, broken = run.run(list(run.BENCHMARKS), quick=True)

    assert broken == []
    for section in sections:
        assert section.rows or section.skipped, section.title
        if section.skipped:  # only the PDF may be missing (its renderer is an optional extra)
            assert section.title == "Payroll report PDF"
            assert section.skipped.startswith("not available")
        assert all(isinstance(row.verdict, Verdict) for row in section.rows)
    text = render(
        sections,
        machine=Machine.this_one(),
        date="2026-11-22 18:00 UTC",
        duration_s=1.0,
        load_before=None,
        load_after=(9.0, 9.0, 9.0),
    )
    assert "## Machine" in text
    assert "Other processes were running" in text
    assert all(f"## {section.title}" in text for section in sections)


def test_credited_time_keeps_its_measure_api() -> None:
    figures = credited_time.measure(5, 3)
    assert figures["members"] == 5
    assert figures["records"] > 0
    assert figures["wall_s"] >= 0
