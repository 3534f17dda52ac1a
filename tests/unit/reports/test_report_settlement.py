"""The report's Settlement and Refining parts: in the PDF (names and handles, never ids), in the
CSV (tables a spreadsheet reads) and in the JSON (schema version 2, read back whole)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pypdf import PdfReader

from sunday_mining.reports.csv_export import (
    HEADER,
    MEMBER_HEADER,
    REFINERY_HEADER,
    TRANSFER_HEADER,
    render_csv,
)
from sunday_mining.reports.json_export import read_json, render_json, report_document
from sunday_mining.reports.model import ReportData, content_hash
from sunday_mining.reports.pdf import render_pdf
from sunday_mining.reports.sample import sample_report
from sunday_mining.reports.sample_settled import sample_settled_report

DOC = Path(__file__).resolve().parents[3] / "docs" / "report-formats.md"
_JSON_BLOCK = re.compile(r"### JSON Schema\n.*?```json\n(.*?)```", re.S)


@pytest.fixture(scope="module")
def settled() -> ReportData:
    return sample_settled_report(8)


@pytest.fixture(scope="module")
def pdf_text(settled: ReportData) -> str:
    pages = PdfReader(io.BytesIO(render_pdf(settled))).pages
    return "\n".join(page.extract_text() for page in pages)


def _tables(raw: bytes) -> list[list[list[str]]]:
    """The CSV as a spreadsheet opens it, cut into its tables at the empty rows."""
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    tables: list[list[list[str]]] = [[]]
    for row in rows:
        if row:
            tables[-1].append(row)
        else:
            tables.append([])
    return tables


def _schema() -> dict[str, Any]:
    found = _JSON_BLOCK.search(DOC.read_text(encoding="utf-8"))
    assert found
    schema: dict[str, Any] = json.loads(found[1])
    return schema


def _closed(schema: Any) -> Any:
    if isinstance(schema, dict):
        closed = {key: _closed(value) for key, value in schema.items()}
        if "properties" in closed:
            closed["additionalProperties"] = False
        return closed
    if isinstance(schema, list):
        return [_closed(value) for value in schema]
    return schema


# --- the sample itself -----------------------------------------------------------------------


def test_the_settled_sample_balances_and_every_seller_ends_with_their_payout_less_fees(
    settled: ReportData,
) -> None:
    plan = settled.settlement
    assert plan is not None
    assert settled.balances
    assert sum(h.holds for h in plan.holdings) == settled.gross
    for holding in plan.holdings:
        assert holding.keeps == holding.payout - holding.fees
    for transfer in plan.transfers:
        assert transfer.sent == transfer.received + transfer.fee


# --- PDF -------------------------------------------------------------------------------------


def test_the_pdf_lists_each_transfer_by_name_and_handle_with_its_amounts(
    settled: ReportData, pdf_text: str
) -> None:
    plan = settled.settlement
    assert plan is not None
    assert f"Settlement ({len(plan.transfers)} transfers)" in pdf_text
    for t in plan.transfers:
        sender = f"{t.sender} ({t.sender_handle or 'no handle yet'})"
        receiver = f"{t.receiver} ({t.receiver_handle or 'no handle yet'})"
        status = "paid" if t.paid else "to send"
        line = f"{sender} {receiver} {t.sent:,} {t.fee:,} {t.received:,} {status}"
        assert line in pdf_text
    assert f"the treasurer, {plan.treasurer}" in pdf_text.replace("\n", " ")


def test_the_pdf_says_how_many_transfers_are_paid(settled: ReportData, pdf_text: str) -> None:
    plan = settled.settlement
    assert plan is not None
    paid = sum(t.paid for t in plan.transfers)
    assert 0 < paid < len(plan.transfers)
    assert f"{paid}/{len(plan.transfers)} paid" in pdf_text


def test_the_pdf_says_who_sold_each_line_of_the_haul(settled: ReportData, pdf_text: str) -> None:
    text = pdf_text.replace("\n", " ")
    assert "Who sold what — " in text
    sellers: dict[str, list[str]] = {}
    for line in settled.income:
        sellers.setdefault(line.seller, []).append(line.name)
    for seller, lines in sellers.items():
        assert f"{seller}: {', '.join(lines)}" in text


def test_the_pdf_gives_each_sender_s_totals(settled: ReportData, pdf_text: str) -> None:
    plan = settled.settlement
    assert plan is not None
    senders = [h for h in plan.holdings if h.sends]
    assert len(senders) == 3
    for h in senders:
        figures = (h.holds, h.payout, h.sends, h.fees, h.receives, h.keeps)
        assert " ".join(f"{n:,}" for n in figures) in pdf_text


def test_the_pdf_s_seller_table_leaves_out_members_who_only_receive(
    settled: ReportData, pdf_text: str
) -> None:
    plan = settled.settlement
    assert plan is not None
    receivers = [h for h in plan.holdings if not h.holds]
    assert receivers
    for h in receivers:
        figures = (h.holds, h.payout, h.sends, h.fees, h.receives, h.keeps)
        assert " ".join(f"{n:,}" for n in figures) not in pdf_text
    sellers = [h for h in plan.holdings if h.holds]
    assert f"Total {sum(h.holds for h in sellers):,} {sum(h.payout for h in sellers):,}" in pdf_text


def test_the_pdf_lists_the_refinery_jobs(settled: ReportData, pdf_text: str) -> None:
    assert "Refining (3 jobs)" in pdf_text
    assert "CRU-L1 Dinyx Solventation Quantainium 60 31.5 61,250" in pdf_text
    assert "ARC-L1 Ferron Exchange Bexalite 92 48.75 118,400" in pdf_text
    assert "Laranite 117.25 62.1" in pdf_text
    assert "MIC-L1 Cormack Agricium 24 — 9,800" in pdf_text
    assert "not collected" in pdf_text
    assert "Quantainium (refined)" in pdf_text
    assert "From refinery jobs: Quantainium at CRU-L1; Bexalite, Laranite at ARC-L1" in pdf_text


def test_the_pdf_names_members_and_never_prints_their_ids(
    settled: ReportData, pdf_text: str
) -> None:
    plan = settled.settlement
    assert plan is not None
    ids = {p.user_id for p in settled.payees if p.user_id != "org"}
    ids |= {h.user_id for h in plan.holdings} | {j.owner_id for j in settled.refining}
    assert ids
    assert not [user_id for user_id in ids if user_id in pdf_text]


def test_a_report_with_one_seller_and_no_jobs_has_neither_section() -> None:
    text = "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(render_pdf(sample_report(8)))).pages
    )
    assert "Settlement" not in text
    assert "Refining" not in text


def test_the_content_hash_of_a_report_without_the_new_parts_is_what_it_was_before() -> None:
    # Printed before the settlement and refining parts existed (footer of the old golden PDF).
    assert content_hash(sample_report(12)).startswith("2ca4b10d20b217ff")


# --- CSV -------------------------------------------------------------------------------------


def test_the_csv_opens_as_payees_transfers_members_and_jobs(settled: ReportData) -> None:
    payees, transfers, members, jobs = _tables(render_csv(settled))
    assert tuple(payees[0]) == HEADER
    assert tuple(transfers[0]) == TRANSFER_HEADER
    assert tuple(members[0]) == MEMBER_HEADER
    assert tuple(jobs[0]) == REFINERY_HEADER
    plan = settled.settlement
    assert plan is not None
    body, total = transfers[1:-1], transfers[-1]
    assert [(r[0], r[2], int(r[4]), int(r[5]), int(r[6]), r[7]) for r in body] == [
        (t.sender, t.receiver, t.sent, t.fee, t.received, "yes" if t.paid else "no")
        for t in plan.transfers
    ]
    assert total[0] == f"Total ({len(plan.transfers)} transfers)"
    assert int(total[5]) == plan.fees == sum(int(r[5]) for r in body)
    assert total[7] == f"{sum(t.paid for t in plan.transfers)} of {len(plan.transfers)}"
    keeps = {r[0]: int(r[7]) for r in members[1:-1]}
    assert keeps == {h.name: h.keeps for h in plan.holdings}
    assert members[-1][0] == f"Total ({len(plan.holdings)} members)"
    assert int(members[-1][2]) == settled.gross


def test_the_csv_names_members_by_name_and_handle_never_by_id(settled: ReportData) -> None:
    plan = settled.settlement
    assert plan is not None
    _, transfers, members, jobs = _tables(render_csv(settled))
    cells = {cell for table in (transfers, members, jobs) for row in table for cell in row}
    ids = {h.user_id for h in plan.holdings} | {j.owner_id for j in settled.refining}
    assert not [cell for cell in cells if any(user_id in cell for user_id in ids)]
    handles = {t.receiver: t.receiver_handle or "no handle yet" for t in plan.transfers}
    assert {(r[2], r[3]) for r in transfers[1:-1]} == set(handles.items())


def test_the_csv_job_table_adds_up_to_the_jobs_cost(settled: ReportData) -> None:
    *_, jobs = _tables(render_csv(settled))
    rows = [dict(zip(REFINERY_HEADER, row, strict=True)) for row in jobs[1:-1]]
    assert [(r["ore"], r["raw_scu"], r["refined_scu"]) for r in rows] == [
        ("Quantainium", "60", "31.5"),
        ("Bexalite", "92", "48.75"),
        ("Laranite", "117.25", "62.1"),
        ("Agricium", "24", ""),
    ]
    costs = sum(int(r["cost_auec"]) for r in rows if r["cost_auec"])
    assert costs == sum(j.cost for j in settled.refining) == int(jobs[-1][5])
    assert jobs[-1][0] == f"Total ({len(settled.refining)} jobs)"
    assert [r["run_by"] for r in rows] == [j.owner for j in settled.refining for _ in j.ores]


def test_a_csv_without_settlement_or_jobs_is_the_payee_table_alone() -> None:
    assert len(_tables(render_csv(sample_report(8)))) == 1


# --- JSON ------------------------------------------------------------------------------------


def test_the_json_validates_against_the_documented_version_2_schema(settled: ReportData) -> None:
    schema = _closed(_schema())
    jsonschema.Draft202012Validator.check_schema(schema)
    doc = json.loads(render_json(settled))
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert doc["schema_version"] == 2
    assert len(doc["settlement"]["transfers"]) == len(settled.settlement.transfers)  # type: ignore[union-attr]
    assert [j["state"] for j in doc["refining"]] == ["collected", "collected", "open"]


def test_the_json_reads_back_to_the_same_report(settled: ReportData) -> None:
    assert read_json(render_json(settled)) == settled


def test_a_version_1_document_still_reads() -> None:
    data = sample_report(5)
    doc = report_document(data)
    for key in ("settlement", "refining"):
        doc.pop(key)
    for line in doc["income"]:
        for key in ("seller_id", "seller", "refined_at"):
            line.pop(key)
    doc["schema_version"] = 1
    assert read_json(json.dumps(doc).encode()) == data


def test_reading_refuses_a_transfer_whose_fee_does_not_add_up(settled: ReportData) -> None:
    doc = json.loads(render_json(settled))
    doc["settlement"]["transfers"][0]["fee_auec"] += 1
    with pytest.raises(ValueError, match="fee"):
        read_json(json.dumps(doc).encode())


def test_reading_refuses_what_a_member_keeps_when_it_does_not_add_up(settled: ReportData) -> None:
    doc = json.loads(render_json(settled))
    doc["settlement"]["members"][0]["keeps_auec"] += 1
    with pytest.raises(ValueError, match="settlement"):
        read_json(json.dumps(doc).encode())
