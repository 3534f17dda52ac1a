"""`make bench` keeps running: every benchmark at its smallest size, in-process, and the report
they make. Nothing here is about speed — a slow machine passes; broken bench code does not."""

from __future__ import annotations

from pathlib import Path

from bench import credited_time, run
from bench.results import Verdict


def test_every_benchmark_runs_at_its_smallest_size_and_writes_the_report(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"

    sections, broken = run.run(list(run.BENCHMARKS), quick=True)
    assert broken == []
    for section in sections:
        assert section.rows or section.skipped, section.title
        if section.skipped:  # only the PDF may be missing, while its renderer is being built
            assert section.title == "Payroll report PDF"
            assert section.skipped.startswith("not available")
        assert all(isinstance(row.verdict, Verdict) for row in section.rows)

    assert run.main(["--quick", "--only", "pdf", "--output", str(output)]) == 0
    text = output.read_text(encoding="utf-8")
    assert "## Machine" in text
    assert "## Payroll report PDF" in text


def test_credited_time_keeps_its_measure_api() -> None:
    figures = credited_time.measure(5, 3)
    assert figures["members"] == 5
    assert figures["records"] > 0
    assert figures["wall_s"] >= 0
