"""The payroll as a spreadsheet: one row per payee and a totals row, for officers who settle in a
sheet.

UTF-8 with a byte-order mark, because spreadsheet programs otherwise guess a legacy encoding and
mangle accented and non-Latin names. Every field is quoted. What a spreadsheet would change:

- A Discord id has 19 digits; as a number a spreadsheet keeps 15 and rounds the rest away. Ids are
  written the way Discord writes a mention, ``<@1323803338001645617>``: text to every
  spreadsheet, and pasted into Discord it names the member.
- Display names are untrusted input. A spreadsheet whose list separator is ``;`` or a tab (common
  in Europe) splits a field the file quotes as one, so every part that could be split off on
  ``,``, ``;``, a tab or a line end and then starts like a formula (= + - @) gets an apostrophe
  before it, so it is shown as text, never evaluated.
- The in-game handle has its own column, the one to pay to; a member who has not set one reads
  ``no handle yet`` (a handle never holds a space), the org's line is empty.
- Credited time is given in seconds, the number to compute with, and as h:mm:ss for reading.
  Measured seconds are voice time as measured; credited seconds include the officer's
  adjustments and are what the share was computed from.

Standard library only; the same data gives the same bytes.
"""

from __future__ import annotations

import csv
import io

from sunday_mining.domain.durations import hms
from sunday_mining.domain.handles import NO_HANDLE
from sunday_mining.reports.cells import text_cell as _text
from sunday_mining.reports.model import ReportData, ReportPayee, fallback_name

HEADER = (
    "payee_id",
    "name",
    "handle",
    "measured_seconds",
    "credited_seconds_after_adjustments",
    "credited_time_after_adjustments",
    "multiplier",
    "share_auec",
    "other_auec",
    "fee_auec",
    "payout_auec",
    "donated",
    "paid",
)
TOTAL = "Total"


def render_csv(data: ReportData) -> bytes:
    out = io.StringIO()
    # RFC 4180 line ends, as spreadsheets expect; every field quoted so no program has to guess
    # where one ends.
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(HEADER)
    writer.writerows(_row(payee) for payee in data.payees)
    writer.writerow(_totals(data))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _row(payee: ReportPayee) -> tuple[str, ...]:
    credited = payee.credited_s
    measured = payee.measured_s if payee.measured_s is not None else credited
    multiplier = payee.multiplier_milli
    return (
        payee_cell(payee.user_id),
        _text(payee.name or fallback_name(payee.user_id)),
        _handle(payee),
        "" if measured is None else str(measured),
        "" if credited is None else str(credited),
        "" if credited is None else hms(credited),
        "" if multiplier is None else _decimal_milli(multiplier),
        str(payee.share),
        str(payee.other),
        str(payee.fee),
        str(payee.payout),
        "yes" if payee.donated else "no",
        "yes" if payee.paid else "no",
    )


def _handle(payee: ReportPayee) -> str:
    # A handle never holds a space, so "no handle yet" cannot be mistaken for one.
    if payee.user_id == "org":
        return ""
    return payee.handle or NO_HANDLE


def _totals(data: ReportData) -> tuple[str, ...]:
    payees = data.payees
    return (
        "",
        f"{TOTAL} ({len(payees)} payees)",
        "",
        "",
        "",
        "",
        "",
        str(sum(p.share for p in payees)),
        str(sum(p.other for p in payees)),
        str(data.fees),
        str(data.paid_out),
        "",
        f"{sum(p.paid for p in payees)} of {len(payees)}",
    )


def payee_cell(user_id: str) -> str:
    """A Discord id as a mention, which a spreadsheet keeps as text; "org" as it is."""
    return f"<@{user_id}>" if user_id.isdigit() else _text(user_id)


def _decimal_milli(milli: int) -> str:
    whole, frac = divmod(milli, 1000)
    return f"{whole}.{frac:03d}".rstrip("0").rstrip(".")
