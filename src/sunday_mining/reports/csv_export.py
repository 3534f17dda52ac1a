"""The payroll as a spreadsheet: one row per payee, for officers who settle in a sheet.

UTF-8 with a byte-order mark, because spreadsheet programs otherwise guess a legacy encoding and
mangle accented and non-Latin names. Display names are untrusted input: one that starts like a
formula (= + - @, or a tab or carriage return that some programs skip first) gets a leading
apostrophe so it is shown as text, never evaluated. Standard library only; the same data gives
the same bytes.
"""

from __future__ import annotations

import csv
import io

from sunday_mining.reports._format import h_mm
from sunday_mining.reports.model import ReportData, ReportPayee, fallback_name

HEADER = (
    "payee_id",
    "name",
    "credited_seconds",
    "credited_time",
    "multiplier",
    "share_auec",
    "other_auec",
    "fee_auec",
    "payout_auec",
    "donated",
    "paid",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def render_csv(data: ReportData) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180 line ends, as spreadsheets expect
    writer.writerow(HEADER)
    writer.writerows(_row(payee) for payee in data.payees)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _row(payee: ReportPayee) -> tuple[str, ...]:
    credited = payee.credited_s
    multiplier = payee.multiplier_milli
    return (
        _text(payee.user_id),
        _text(payee.name or fallback_name(payee.user_id)),
        "" if credited is None else str(credited),
        "" if credited is None else h_mm(credited),
        "" if multiplier is None else _decimal_milli(multiplier),
        str(payee.share),
        str(payee.other),
        str(payee.fee),
        str(payee.payout),
        "yes" if payee.donated else "no",
        "yes" if payee.paid else "no",
    )


def _decimal_milli(milli: int) -> str:
    whole, frac = divmod(milli, 1000)
    return f"{whole}.{frac:03d}".rstrip("0").rstrip(".")


def _text(value: str) -> str:
    """A cell a spreadsheet shows as typed. Lone surrogates cannot be written as UTF-8, so they
    become the replacement character; NUL is dropped because some readers stop at it."""
    value = value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")
    return "'" + value if value.startswith(_FORMULA_STARTS) else value
