"""The org's ledger as a spreadsheet: one row per payroll, a total row per month, and the total.

The same rules as the payroll's CSV (reports/csv_export.py): UTF-8 with a byte-order mark,
every field quoted, RFC 4180 line ends, and a session's name (typed by members) guarded so that
no spreadsheet reads it as a formula (reports/cells.py). Amounts are whole aUEC. The first
column says what a row is, so a sheet can filter the payrolls from the totals.

A link names the ledger it opens by a books id, ``ledger-<guild id>-<YYYY-MM | all>``, signed by
reports/links.py; the CSV is made when the link is opened, from the final payrolls as they are
then.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sunday_mining.domain.books import Ledger, LedgerAmounts
from sunday_mining.reports.cells import text_cell

HEADER = (
    "row",
    "month",
    "payroll",
    "version",
    "op_date",
    "payrolls",
    "gross_auec",
    "org_cut_auec",
    "donations_to_org_auec",
    "to_org_auec",
    "reimbursed_expenses_auec",
    "transfer_fees_auec",
)
MEDIA_TYPE = "text/csv; charset=utf-8"
ALL = "all"
_BOOKS_ID = re.compile(r"ledger-([0-9]{1,20})-([0-9]{4}-[0-9]{2}|all)")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def books_id(guild_id: str, month: str | None) -> str:
    """The id a ledger link is signed for: one guild, one month (or every month)."""
    return f"ledger-{guild_id}-{month or ALL}"


def parse_books_id(text: str) -> tuple[str, str | None] | None:
    """(guild id, month or None for every month), or None when it is not a ledger's id."""
    found = _BOOKS_ID.fullmatch(text)
    if found is None:
        return None
    return found[1], None if found[2] == ALL else found[2]


def filename(month: str | None) -> str:
    return f"ledger-{month or ALL}.csv"


def render_ledger_csv(ledger: Ledger, time_zone: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(HEADER)
    zone = ZoneInfo(time_zone)
    for month in ledger.months:
        for p in (p for p in ledger.payrolls if p.month == month.month):
            day = (_EPOCH + timedelta(milliseconds=p.op_ms)).astimezone(zone).date().isoformat()
            head = ("payroll", p.month, text_cell(p.session_name), str(p.number), day, "1")
            writer.writerow((*head, *_amounts(p.amounts)))
        head = ("month", month.month, "", "", "", str(month.payrolls))
        writer.writerow((*head, *_amounts(month.amounts)))
    total = ("total", "", "", "", "", str(len(ledger.payrolls)))
    writer.writerow((*total, *_amounts(ledger.total)))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _amounts(amounts: LedgerAmounts) -> tuple[str, ...]:
    return tuple(
        str(n)
        for n in (
            amounts.gross,
            amounts.org_cut,
            amounts.donations,
            amounts.to_org,
            amounts.reimbursed,
            amounts.fees,
        )
    )
