"""The JSON export: the shape docs/report-formats.md documents (schema version 2), read back to
the same report, ids as strings and every amount an exact integer."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from sunday_mining.reports.csv_export import (
    HEADER,
    MEMBER_HEADER,
    REFINERY_HEADER,
    TRANSFER_HEADER,
)
from sunday_mining.reports.json_export import (
    SCHEMA,
    SCHEMA_VERSION,
    read_json,
    render_json,
    report_document,
)
from sunday_mining.reports.model import ReportData, content_hash
from sunday_mining.reports.sample import sample_report

DOC = Path(__file__).resolve().parents[3] / "docs" / "report-formats.md"
_JSON_BLOCK = re.compile(r"### JSON Schema\n.*?```json\n(.*?)```", re.S)
_ID_FIELDS = ("report_id", "guild_id", "session_id", "payroll_id", "user_id", "channel_id")


def _documented_schema() -> dict[str, Any]:
    found = _JSON_BLOCK.search(DOC.read_text(encoding="utf-8"))
    assert found, "docs/report-formats.md has no JSON Schema block"
    schema: dict[str, Any] = json.loads(found[1])
    return schema


def _closed(schema: Any) -> Any:
    """The schema with every object closed, so a field the document does not list fails."""
    if isinstance(schema, dict):
        closed = {key: _closed(value) for key, value in schema.items()}
        if "properties" in closed:
            closed["additionalProperties"] = False
        return closed
    if isinstance(schema, list):
        return [_closed(value) for value in schema]
    return schema


def _validate(raw: bytes, schema: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    validator.check_schema(schema)
    validator.validate(json.loads(raw))


def _walk(value: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _walk(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [pair for i, v in enumerate(value) for pair in _walk(v, f"{path}[{i}]")]
    return [(path, value)]


@pytest.mark.parametrize("payees", [3, 12, 40])
def test_the_export_validates_against_the_documented_schema_with_no_field_left_out(
    payees: int,
) -> None:
    _validate(render_json(sample_report(payees)), _closed(_documented_schema()))


def test_every_documented_field_is_in_the_export() -> None:
    required = set(_documented_schema()["required"])
    assert set(report_document(sample_report(5))) == required


def test_a_document_with_a_field_of_the_wrong_type_fails_the_schema() -> None:
    doc = json.loads(render_json(sample_report(5)))
    doc["payees"][0]["user_id"] = int(doc["payees"][1]["user_id"])
    with pytest.raises(jsonschema.ValidationError):
        _validate(json.dumps(doc).encode(), _documented_schema())


def test_it_reads_back_to_the_same_report() -> None:
    data = sample_report(12)
    assert read_json(render_json(data)) == data


def test_a_report_without_stale_prices_gaps_or_decisions_reads_back_too() -> None:
    data = dataclasses.replace(
        sample_report(3), stale_prices=None, gaps=(), decisions=(), unpaid=(), timeline=()
    )
    raw = render_json(data)
    _validate(raw, _closed(_documented_schema()))
    assert read_json(raw) == data


def test_the_same_report_gives_the_same_bytes() -> None:
    assert render_json(sample_report(12)) == render_json(sample_report(12))


def test_it_is_utf8_without_a_byte_order_mark_and_names_are_not_escaped() -> None:
    raw = render_json(sample_report(12))
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert raw.endswith(b"}\n")
    assert "Борис Годунов".encode() in raw


def test_it_names_its_schema_and_version() -> None:
    doc = json.loads(render_json(sample_report(3)))
    assert doc["schema"] == SCHEMA == "sunday-mining/payroll-report"
    assert doc["schema_version"] == SCHEMA_VERSION == 2


def test_every_id_is_a_string_and_a_19_digit_id_stays_whole() -> None:
    data = sample_report(12)
    big = "1323803338001645617"
    payees = (dataclasses.replace(data.payees[-1], user_id=big), *data.payees[:-1])
    doc = json.loads(render_json(dataclasses.replace(data, payees=payees)))
    ids = [(path, value) for path, value in _walk(doc) if path.endswith(_ID_FIELDS)]
    assert len(ids) > 3 * len(data.payees)
    assert all(isinstance(value, str) for _path, value in ids)
    assert big in [p["user_id"] for p in doc["payees"]]
    assert all(isinstance(key, str) for key in doc["names"])


def test_every_number_is_an_exact_integer() -> None:
    data = sample_report(40)
    raw = render_json(data)
    doc = json.loads(raw, parse_float=lambda text: pytest.fail(f"a float: {text}"))
    numbers = [v for _p, v in _walk(doc) if isinstance(v, int | float) and not isinstance(v, bool)]
    assert numbers
    assert all(type(v) is int for v in numbers)
    assert doc["gross_auec"] == data.gross
    assert [p["payout_auec"] for p in doc["payees"]] == [p.payout for p in data.payees]
    assert [i["value_auec"] for i in doc["income"]] == [i.value for i in data.income]


def test_amounts_beyond_a_double_s_precision_survive_the_round_trip() -> None:
    data = sample_report(3)
    huge = 2**53 + 1  # a double would read this as 2**53
    payee = dataclasses.replace(data.payees[0], payout=huge, share=huge, other=0, fee=0)
    bigger = dataclasses.replace(data, payees=(payee, *data.payees[1:]))
    assert read_json(render_json(bigger)).payees[0].payout == huge
    assert b"9007199254740993" in render_json(bigger)


def test_the_payouts_fees_and_unclaimed_expenses_add_up_to_the_gross() -> None:
    doc = json.loads(render_json(sample_report(12)))
    payees = doc["payees"]
    assert (
        sum(p["payout_auec"] for p in payees)
        + sum(p["fee_auec"] for p in payees)
        + doc["unclaimed_expenses_auec"]
        == doc["gross_auec"]
    )
    for p in payees:
        assert p["payout_auec"] == p["share_auec"] + p["other_auec"] - p["fee_auec"]
    assert doc["totals"]["payout_auec"] == sum(p["payout_auec"] for p in payees)


def test_the_content_hash_is_the_one_the_pdf_footer_prints_the_start_of() -> None:
    data = sample_report(12)
    assert json.loads(render_json(data))["content_hash"] == content_hash(data)


def _tampered(data: ReportData, change: Any) -> bytes:
    doc = json.loads(render_json(data))
    change(doc)
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda d: d.update(schema_version=3), "schema version"),
        (lambda d: d.update(schema="something-else"), "not a"),
        (lambda d: d["payees"][0].update(payout_auec=1.5), "whole number"),
        (lambda d: d["payees"][0].update(user_id=123), "not a string"),
        (lambda d: d["payees"][0].update(paid=1), "true or false"),
        (lambda d: d["totals"].update(payout_auec=d["totals"]["payout_auec"] + 1), "totals"),
        (lambda d: d.update(gross_auec=d["gross_auec"] + 1), "content hash"),
    ],
)
def test_reading_refuses_another_version_wrong_types_and_figures_that_do_not_match(
    change: Any, said: str
) -> None:
    with pytest.raises(ValueError, match=said):
        read_json(_tampered(sample_report(5), change))


def test_reading_ignores_fields_added_later_within_the_version() -> None:
    data = sample_report(5)
    raw = _tampered(data, lambda d: d.update(crew_notes=["a field from a later release"]))
    _validate(raw, _documented_schema())
    assert read_json(raw) == data


@pytest.mark.parametrize(
    ("table", "header"),
    [
        ("### Payees", HEADER),
        ("### Transfers", TRANSFER_HEADER),
        ("### Settlement members", MEMBER_HEADER),
        ("### Refinery jobs", REFINERY_HEADER),
    ],
)
def test_the_document_lists_each_csv_table_s_columns_as_the_export_writes_them(
    table: str, header: tuple[str, ...]
) -> None:
    text = DOC.read_text(encoding="utf-8")
    csv_part = text[text.index("## CSV") :]
    part = csv_part[csv_part.index(table) + len(table) :]
    part = re.split(r"^#{2,3} ", part, maxsplit=1, flags=re.M)[0]  # up to the next heading
    listed = re.findall(r"^\| `([a-z_]+)` \|", part, re.M)
    assert tuple(listed) == header


def test_the_document_lists_every_field_of_the_schema_in_its_tables() -> None:
    text = DOC.read_text(encoding="utf-8")
    tables = text[: text.index("### JSON Schema")]
    schema = copy.deepcopy(_documented_schema())
    fields = set(schema["properties"])
    for part in schema["$defs"].values():
        fields |= set(part.get("properties", {}))
    missing = {f for f in fields if f"| `{f}` |" not in tables}
    assert not missing
