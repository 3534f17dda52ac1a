"""The CSV export: one row per payee, opens right in spreadsheets, never runs a formula."""

from __future__ import annotations

import csv
import dataclasses
import io

from sunday_mining.reports.csv_export import HEADER, render_csv
from sunday_mining.reports.model import ReportData
from sunday_mining.reports.sample import sample_report


def _rows(data: ReportData) -> list[list[str]]:
    text = render_csv(data).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def _renamed(data: ReportData, *names: str) -> ReportData:
    payees = tuple(dataclasses.replace(p, name=n) for p, n in zip(data.payees, names, strict=False))
    return dataclasses.replace(data, payees=payees + data.payees[len(names) :])


def test_starts_with_a_utf8_byte_order_mark() -> None:
    assert render_csv(sample_report(5)).startswith(b"\xef\xbb\xbf")


def test_has_the_header_and_one_row_per_payee_in_report_order() -> None:
    data = sample_report(12)
    rows = _rows(data)
    assert tuple(rows[0]) == HEADER
    assert [r[0] for r in rows[1:]] == [p.user_id for p in data.payees]


def test_amounts_add_up_to_the_gross_with_the_unclaimed_expenses() -> None:
    data = sample_report(30)
    rows = _rows(data)[1:]
    payouts = sum(int(r[HEADER.index("payout_auec")]) for r in rows)
    fees = sum(int(r[HEADER.index("fee_auec")]) for r in rows)
    assert payouts + fees + data.deducted == data.gross


def test_credited_time_is_given_in_seconds_and_as_hours_and_minutes() -> None:
    data = sample_report(12)
    row = next(r for r in _rows(data)[1:] if r[2])
    seconds = int(row[2])
    assert row[3] == f"{seconds // 3600}:{seconds % 3600 // 60:02d}"


def test_names_starting_like_a_formula_get_a_leading_apostrophe() -> None:
    data = _renamed(sample_report(6), "=HYPERLINK(1)", "+1", "-2", "@SUM(A1)")
    names = [r[1] for r in _rows(data)[1:5]]
    assert names == ["'=HYPERLINK(1)", "'+1", "'-2", "'@SUM(A1)"]


def test_accented_cjk_and_emoji_names_survive_the_round_trip() -> None:
    names = ("Zoë Ñandú", "山田太郎", "Chloé 👩\u200d🚀", "Борис")
    data = _renamed(sample_report(6), *names)
    assert [r[1] for r in _rows(data)[1:5]] == list(names)


def test_same_data_gives_the_same_bytes() -> None:
    assert render_csv(sample_report(30)) == render_csv(sample_report(30))
