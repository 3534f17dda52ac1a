"""`make bench` keeps running: every benchmark at its smallest size, in-process, and the report
they make. Nothing here is about speed — a slow machine passes; broken bench code does not."""

from __future__ import annotations

from bench import credited_time, run, store_cost
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


def test_the_store_meter_charges_as_dynamodb_bills() -> None:
    # 3-byte names + values: a 1,500-byte string is two write units, one read unit.
    big = {"pk": "p", "sk": "s", "v": "x" * 1_500}
    assert store_cost.item_size(big) == 2 + 1 + 2 + 1 + 1 + 1_500
    assert store_cost.item_size({"n": 1_795_370_400_000}) == 1 + 8
    assert store_cost.item_size({"m": {"a": [1, None]}}) == 1 + 3 + (1 + 3 + (2 + 1) + (1 + 1) + 1)
