"""The report's exact bytes for a fixed 12-payee sample, so any change to what the org keeps is
seen in review.

A legitimate change (layout, wording, fpdf2 or fontTools upgrade) is accepted by regenerating:

    SM_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -p no:cacheprovider tests/unit/reports

then looking at the new tests/fixtures/reports/sample-12.pdf before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sunday_mining.reports.csv_export import render_csv
from sunday_mining.reports.pdf import render_pdf
from sunday_mining.reports.sample import sample_report
from sunday_mining.reports.sample_settled import sample_settled_report

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "reports"
UPDATE = os.environ.get("SM_UPDATE_GOLDEN") == "1"


def _matches_golden(name: str, produced: bytes) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(produced)
        return
    if not path.exists():
        pytest.fail(f"{path} is missing; create it with SM_UPDATE_GOLDEN=1 (see module docstring)")
    expected = path.read_bytes()
    assert produced == expected, (
        f"{name} differs from the golden file ({len(produced)} vs {len(expected)} bytes); if the "
        "change is intended, regenerate with SM_UPDATE_GOLDEN=1 and review the new file"
    )


def test_pdf_of_the_12_payee_sample_matches_the_golden_file() -> None:
    _matches_golden("sample-12.pdf", render_pdf(sample_report(12)))


def test_csv_of_the_12_payee_sample_matches_the_golden_file() -> None:
    _matches_golden("sample-12.csv", render_csv(sample_report(12)))


def test_pdf_of_the_settled_sample_with_refinery_jobs_matches_the_golden_file() -> None:
    _matches_golden("sample-settled-8.pdf", render_pdf(sample_settled_report(8)))


def test_csv_of_the_settled_sample_with_refinery_jobs_matches_the_golden_file() -> None:
    _matches_golden("sample-settled-8.csv", render_csv(sample_settled_report(8)))
