"""The ledger's CSV: made by the interactions function when its link is opened, so it must load
without the report renderers that function is built without (infra/Makefile)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from sunday_mining.domain.books import Ledger, LedgerAmounts, LedgerMonth, LedgerPayroll
from sunday_mining.reports.ledger_csv import books_id, parse_books_id, render_ledger_csv

ROOT = Path(__file__).resolve().parents[3]


def stripped_modules() -> list[str]:
    """The reports modules infra/Makefile removes from every function but the reports one."""
    makefile = (ROOT / "infra" / "Makefile").read_text()
    block = makefile.split("define without_report_rendering", 1)[1].split("endef", 1)[0]
    files = re.findall(r"sunday_mining/reports/([a-z_]+)\.py", block)
    assert "csv_export" in files
    return [f"sunday_mining.reports.{name}" for name in files]


def test_the_ledger_csv_and_its_link_load_without_the_report_renderers() -> None:
    blocked = stripped_modules()
    probe = (
        "import sys\n"
        f"for name in {blocked!r}: sys.modules[name] = None\n"
        "import sunday_mining.reports.ledger_csv, sunday_mining.web.reports\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_a_books_id_names_one_guild_and_one_month_or_all() -> None:
    assert parse_books_id(books_id("1000", "2026-11")) == ("1000", "2026-11")
    assert parse_books_id(books_id("1000", None)) == ("1000", None)
    for odd in ("ledger-1000-2026-1", "ledger--all", "ledger-1000-all-x", "1000-all"):
        assert parse_books_id(odd) is None, odd


def test_a_name_that_looks_like_a_formula_is_text() -> None:
    amounts = LedgerAmounts(100, 10, 0, 0, 0)
    row = LedgerPayroll("p", "s", "x;=1+1", 1, 1_795_370_400_000, "2026-11", amounts)
    ledger = Ledger((row,), (LedgerMonth("2026-11", 1, amounts),), amounts)
    text = render_ledger_csv(ledger, "UTC").decode("utf-8-sig")
    assert '"payroll","2026-11","x;\'=1+1","1","2026-11-22","1","100","10","0","10","0","0"' in text
