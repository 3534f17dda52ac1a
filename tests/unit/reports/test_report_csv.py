"""The CSV export: one row per payee and a totals row, opens right in spreadsheets, never runs
a formula whichever list separator the spreadsheet uses."""

from __future__ import annotations

import csv
import dataclasses
import io
import re

import pytest

from sunday_mining.reports.csv_export import HEADER, TOTAL, render_csv
from sunday_mining.reports.model import ReportData
from sunday_mining.reports.sample import sample_report

FORMULA_STARTS = ("=", "+", "-", "@")
NUMBER = re.compile(r"[+-]?\d+([.,]\d+)?")


def _rows(data: ReportData, delimiter: str = ",") -> list[list[str]]:
    """The cells a spreadsheet set to ``delimiter`` as its list separator would make."""
    text = render_csv(data).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _payee_rows(data: ReportData) -> list[list[str]]:
    return [r for r in _rows(data)[1:] if not r[1].startswith(TOTAL)]


def _column(name: str) -> int:
    return HEADER.index(name)


def _renamed(data: ReportData, *names: str) -> ReportData:
    payees = tuple(dataclasses.replace(p, name=n) for p, n in zip(data.payees, names, strict=False))
    return dataclasses.replace(data, payees=payees + data.payees[len(names) :])


def test_starts_with_a_utf8_byte_order_mark() -> None:
    assert render_csv(sample_report(5)).startswith(b"\xef\xbb\xbf")


def test_has_the_header_one_row_per_payee_in_report_order_and_a_totals_row() -> None:
    data = sample_report(12)
    rows = _rows(data)
    assert tuple(rows[0]) == HEADER
    ids = [r[0] for r in rows[1:-1]]
    assert ids == [p.user_id if p.user_id == "org" else f"<@{p.user_id}>" for p in data.payees]
    assert rows[-1][1] == f"{TOTAL} (12 payees)"


def test_a_19_digit_payee_id_is_written_as_text_a_spreadsheet_keeps_whole() -> None:
    data = sample_report(6)
    payee = next(p for p in data.payees if len(p.user_id) >= 18)
    cell = next(r[0] for r in _payee_rows(data) if payee.user_id in r[0])
    assert cell == f"<@{payee.user_id}>"  # a mention, never a number to round
    assert not NUMBER.fullmatch(cell)


def test_every_field_is_quoted() -> None:
    text = render_csv(sample_report(6)).decode("utf-8-sig")
    for line in text.splitlines():
        assert line.startswith('"')
        assert line.endswith('"')


def test_the_totals_row_adds_up_the_amounts_and_equals_the_gross_with_unclaimed_expenses() -> None:
    data = sample_report(30)
    *payees, total = _rows(data)[1:]
    for column in ("share_auec", "other_auec", "fee_auec", "payout_auec"):
        assert int(total[_column(column)]) == sum(int(r[_column(column)]) for r in payees)
    payouts, fees = int(total[_column("payout_auec")]), int(total[_column("fee_auec")])
    assert payouts + fees + data.deducted == data.gross


def test_measured_and_credited_after_adjustments_are_separate_columns() -> None:
    data = sample_report(12)
    adjusted = next(p for p in data.payees if p.measured_s not in (None, p.credited_s))
    row = next(r for r in _payee_rows(data) if r[0] == f"<@{adjusted.user_id}>")
    assert int(row[_column("measured_seconds")]) == adjusted.measured_s
    assert int(row[_column("credited_seconds_after_adjustments")]) == adjusted.credited_s


def test_credited_time_is_given_in_seconds_and_as_h_mm_ss() -> None:
    data = sample_report(12)
    row = next(r for r in _payee_rows(data) if r[_column("credited_seconds_after_adjustments")])
    seconds = int(row[_column("credited_seconds_after_adjustments")])
    expected = f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    assert row[_column("credited_time_after_adjustments")] == expected


def test_names_starting_like_a_formula_get_a_leading_apostrophe() -> None:
    data = _renamed(sample_report(6), "=HYPERLINK(1)", "+1", "-2", "@SUM(A1)")
    names = [r[1] for r in _rows(data)[1:5]]
    assert names == ["'=HYPERLINK(1)", "'+1", "'-2", "'@SUM(A1)"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize(
    "name",
    ["Bob;=1+1", "Bob,=1+1", "Bob\t=1+1", "Bob; =1+1", 'Bob";=1+1', "a;b;-2+3;@x", "x\n=1"],
)
def test_no_cell_starts_like_a_formula_whatever_the_list_separator(
    delimiter: str, name: str
) -> None:
    data = _renamed(sample_report(6), name)
    for row in _rows(data, delimiter):
        for cell in row:
            stripped = cell.lstrip(' "')
            number = NUMBER.fullmatch(stripped)
            assert number or not stripped.startswith(FORMULA_STARTS), (row, cell)


def test_accented_cjk_and_emoji_names_survive_the_round_trip() -> None:
    names = ("Zoë Ñandú", "山田太郎", "Chloé 👩\u200d🚀", "Борис")
    data = _renamed(sample_report(6), *names)
    assert [r[1] for r in _rows(data)[1:5]] == list(names)


def test_same_data_gives_the_same_bytes() -> None:
    assert render_csv(sample_report(30)) == render_csv(sample_report(30))
