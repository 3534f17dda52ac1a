"""The payroll as JSON, for programs: the same ``ReportData`` as the PDF and the CSV, in a
documented, versioned shape (docs/report-formats.md, schema version 2: version 1 and the
settlement between several sellers, the session's refinery jobs and each income line's seller).

Units are in the field names: ``_auec`` whole aUEC, ``_s`` seconds, ``_ms`` UTC epoch
milliseconds, ``_centi`` centi-SCU, ``_milli`` thousandths, ``_bp`` basis points. Every number
is an integer, so a reader never meets a rounded float; every id (guild, session, payroll,
user, channel) is a string, because a Discord id has 19 digits and a JavaScript number keeps
15 or 16 of them.

A change that could break a reader (a field renamed, removed or given another meaning) raises
``SCHEMA_VERSION``; new fields may be added within a version, so readers ignore fields they do
not know. Standard library only; the same data gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sunday_mining.domain.session import SessionType
from sunday_mining.reports.model import (
    DeductionKind,
    ReportChannel,
    ReportData,
    ReportDecision,
    ReportDeduction,
    ReportHolding,
    ReportIncome,
    ReportPayee,
    ReportRefinedOre,
    ReportRefineryJob,
    ReportSettlement,
    ReportStatus,
    ReportTransfer,
    ReportUnpaid,
    Span,
    StalePrices,
    TimelineBar,
    content_hash,
)

SCHEMA = "sunday-mining/payroll-report"
SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)  # a version 1 document reads as a report with no settlement or jobs
MEDIA_TYPE = "application/json"

Doc = dict[str, Any]


def render_json(data: ReportData) -> bytes:
    """UTF-8 JSON (no byte-order mark), indented, one trailing line end."""
    text = json.dumps(report_document(data), ensure_ascii=False, indent=2, allow_nan=False)
    return (text + "\n").encode("utf-8")


def report_document(data: ReportData) -> Doc:
    """The JSON document as Python values, in the documented field order."""
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "report_id": data.report_id,
        "content_hash": content_hash(data),
        "guild_id": data.guild_id,
        "guild_name": data.guild_name,
        "session_id": data.session_id,
        "session_name": data.session_name,
        "session_type": data.session_type.value,
        "payroll_id": data.payroll_id,
        "version": data.version,
        "status": data.status.value,
        "time_zone": data.time_zone,
        "started_ms": data.started_ms,
        "stopped_ms": data.stopped_ms,
        "length_s": data.length_s,
        "finalized_by": data.finalized_by,
        "finalized_ms": data.finalized_ms,
        "generated_ms": data.generated_ms,
        "channels": [{"channel_id": c.channel_id, "name": c.name} for c in data.channels],
        "windows": [_span(s) for s in data.windows],
        "gaps": [_span(s) for s in data.gaps],
        "income": [_income(line) for line in data.income],
        "gross_auec": data.gross,
        "deductions": [_deduction(d) for d in data.deductions],
        "unclaimed_expenses_auec": data.deducted,
        "payees": [_payee(p) for p in data.payees],
        "totals": _totals(data),
        "unpaid": [{"name": u.name, "reason": u.reason} for u in data.unpaid],
        "decisions": [_decision(d) for d in data.decisions],
        "stale_prices": _stale(data.stale_prices),
        "timeline": [_bar(b) for b in data.timeline],
        "names": dict(sorted(data.names.items())),
        "settlement": _settlement(data.settlement),
        "refining": [_job(job) for job in data.refining],
    }


def _span(span: Span) -> Doc:
    return {"start_ms": span.start_ms, "end_ms": span.end_ms}


def _income(line: ReportIncome) -> Doc:
    return {
        "name": line.name,
        "value_auec": line.value,
        "scu_centi": line.scu_centi,
        "price_per_scu_auec": line.price_per_scu,
        "source": line.source,
        "snapshot_ms": line.snapshot_ms,
        "bundled": line.bundled,
        "seller_id": line.seller_id,
        "seller": line.seller,
        "refined_at": line.refined_at,
    }


def _deduction(d: ReportDeduction) -> Doc:
    return {
        "kind": d.kind.value,
        "label": d.label,
        "amount_auec": d.amount,
        "party": d.party,
        "detail": d.detail,
    }


def _payee(p: ReportPayee) -> Doc:
    return {
        "user_id": p.user_id,
        "name": p.name,
        "handle": p.handle,
        "payout_auec": p.payout,
        "share_auec": p.share,
        "other_auec": p.other,
        "fee_auec": p.fee,
        "measured_s": p.measured_s,
        "credited_s": p.credited_s,
        "multiplier_milli": p.multiplier_milli,
        "donated": p.donated,
        "paid": p.paid,
    }


def _totals(data: ReportData) -> Doc:
    return {
        "payees": len(data.payees),
        "paid_payees": sum(p.paid for p in data.payees),
        "share_auec": sum(p.share for p in data.payees),
        "other_auec": sum(p.other for p in data.payees),
        "fee_auec": data.fees,
        "payout_auec": data.paid_out,
    }


def _decision(d: ReportDecision) -> Doc:
    return {"subject": d.subject, "what": d.what, "by": d.by, "at_ms": d.at_ms, "reason": d.reason}


def _stale(stale: StalePrices | None) -> Doc | None:
    if stale is None:
        return None
    return {
        "snapshot_ms": stale.snapshot_ms,
        "accepted_by": stale.accepted_by,
        "accepted_ms": stale.accepted_ms,
    }


def _settlement(plan: ReportSettlement | None) -> Doc | None:
    if plan is None:
        return None
    doc: Doc = {
        "fee_bp": plan.fee_bp,
        "treasurer": plan.treasurer,
        "transfers": [_transfer(t) for t in plan.transfers],
        "members": [_holding(h) for h in plan.holdings],
        "fees_auec": plan.fees,
    }
    if plan.sent_before:  # an amendment's history; absent when nothing was sent before
        doc["sent_before"] = [_transfer(t) | {"sent_under": t.sent_under} for t in plan.sent_before]
    return doc


def _transfer(t: ReportTransfer) -> Doc:
    return {
        "sender_id": t.sender_id,
        "sender": t.sender,
        "sender_handle": t.sender_handle,
        "receiver_id": t.receiver_id,
        "receiver": t.receiver,
        "receiver_handle": t.receiver_handle,
        "sent_auec": t.sent,
        "fee_auec": t.fee,
        "received_auec": t.received,
        "paid": t.paid,
    }


def _holding(h: ReportHolding) -> Doc:
    before = {"before_auec": h.before} if h.before else {}  # an amendment's history only
    return {
        "user_id": h.user_id,
        "name": h.name,
        "handle": h.handle,
        "holds_auec": h.holds,
        "payout_auec": h.payout,
        "sends_auec": h.sends,
        "fees_auec": h.fees,
        "receives_auec": h.receives,
        **before,
        "keeps_auec": h.keeps,
    }


def _job(job: ReportRefineryJob) -> Doc:
    return {
        "refinery": job.refinery,
        "method": job.method,
        "owner_id": job.owner_id,
        "owner": job.owner,
        "cost_auec": job.cost,
        "state": job.state,
        "created_ms": job.created_ms,
        "due_ms": job.due_ms,
        "closed_ms": job.closed_ms,
        "ores": [
            {"name": o.name, "raw_centi": o.raw_centi, "refined_centi": o.refined_centi}
            for o in job.ores
        ],
    }


def _bar(bar: TimelineBar) -> Doc:
    return {
        "user_id": bar.user_id,
        "channel_id": bar.channel_id,
        "start_ms": bar.start_ms,
        "end_ms": bar.end_ms,
        "gap": bar.gap,
    }


# --- reading it back ------------------------------------------------------------------------


def read_json(raw: bytes) -> ReportData:
    """The ReportData a document of this schema version says; ValueError for another schema or
    version, a field of the wrong type, or totals and a hash that do not match the rest."""
    doc = json.loads(raw.decode("utf-8"), parse_float=_no_float, parse_constant=_no_float)
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise ValueError(f"not a {SCHEMA} document")
    if doc.get("schema_version") not in READABLE_VERSIONS:
        raise ValueError(f"schema version {doc.get('schema_version')!r} is not one of 1, 2")
    data = _data(doc)
    written = report_document(data)
    if written["totals"] != doc["totals"]:
        raise ValueError("the totals do not add up to the payees")
    if written["settlement"] != doc.get("settlement"):
        raise ValueError("the settlement's fees or what members keep do not add up")
    if content_hash(data) != doc["content_hash"]:
        raise ValueError("the content hash does not match the document")
    return data


def _no_float(text: str) -> Any:
    raise ValueError(f"{text} is not a whole number")


def _data(doc: Mapping[str, Any]) -> ReportData:
    stale = doc["stale_prices"]
    return ReportData(
        report_id=_str(doc["report_id"]),
        guild_id=_str(doc["guild_id"]),
        guild_name=_str(doc["guild_name"]),
        session_id=_str(doc["session_id"]),
        session_name=_str(doc["session_name"]),
        session_type=SessionType(doc["session_type"]),
        payroll_id=_str(doc["payroll_id"]),
        version=_int(doc["version"]),
        status=ReportStatus(doc["status"]),
        time_zone=_str(doc["time_zone"]),
        started_ms=_int(doc["started_ms"]),
        stopped_ms=_int(doc["stopped_ms"]),
        length_s=_int(doc["length_s"]),
        finalized_by=_str(doc["finalized_by"]),
        finalized_ms=_int(doc["finalized_ms"]),
        generated_ms=_int(doc["generated_ms"]),
        channels=tuple(
            ReportChannel(_str(c["channel_id"]), _str(c["name"])) for c in doc["channels"]
        ),
        income=tuple(_income_from(i) for i in doc["income"]),
        gross=_int(doc["gross_auec"]),
        deductions=tuple(_deduction_from(d) for d in doc["deductions"]),
        payees=tuple(_payee_from(p) for p in doc["payees"]),
        unpaid=tuple(ReportUnpaid(_str(u["name"]), _str(u["reason"])) for u in doc["unpaid"]),
        deducted=_int(doc["unclaimed_expenses_auec"]),
        timeline=tuple(_bar_from(b) for b in doc["timeline"]),
        windows=tuple(_span_from(s) for s in doc["windows"]),
        gaps=tuple(_span_from(s) for s in doc["gaps"]),
        names={_str(k): _str(v) for k, v in doc["names"].items()},
        decisions=tuple(_decision_from(d) for d in doc["decisions"]),
        stale_prices=None
        if stale is None
        else StalePrices(
            _int(stale["snapshot_ms"]), _str(stale["accepted_by"]), _opt(stale["accepted_ms"])
        ),
        settlement=_settlement_from(doc.get("settlement")),
        refining=tuple(_job_from(j) for j in doc.get("refining", ())),
    )


def _settlement_from(raw: Mapping[str, Any] | None) -> ReportSettlement | None:
    if raw is None:
        return None
    transfers = tuple(_transfer_from(t) for t in raw["transfers"])
    for t in transfers:
        if t.sent != t.received + t.fee:
            raise ValueError("a transfer's fee is not what is sent less what arrives")
    return ReportSettlement(
        fee_bp=_int(raw["fee_bp"]),
        treasurer=_str(raw["treasurer"]),
        transfers=transfers,
        holdings=tuple(_holding_from(h) for h in raw["members"]),
        sent_before=tuple(
            replace(_transfer_from(t), sent_under=_int(t["sent_under"]))
            for t in raw.get("sent_before", ())
        ),
    )


def _transfer_from(raw: Mapping[str, Any]) -> ReportTransfer:
    return ReportTransfer(
        sender_id=_str(raw["sender_id"]),
        sender=_str(raw["sender"]),
        sender_handle=_opt_str(raw["sender_handle"]),
        receiver_id=_str(raw["receiver_id"]),
        receiver=_str(raw["receiver"]),
        receiver_handle=_opt_str(raw["receiver_handle"]),
        sent=_int(raw["sent_auec"]),
        fee=_int(raw["fee_auec"]),
        received=_int(raw["received_auec"]),
        paid=_bool(raw["paid"]),
    )


def _holding_from(raw: Mapping[str, Any]) -> ReportHolding:
    return ReportHolding(
        user_id=_str(raw["user_id"]),
        name=_str(raw["name"]),
        handle=_opt_str(raw["handle"]),
        holds=_int(raw["holds_auec"]),
        payout=_int(raw["payout_auec"]),
        sends=_int(raw["sends_auec"]),
        fees=_int(raw["fees_auec"]),
        receives=_int(raw["receives_auec"]),
        before=_int(raw.get("before_auec", 0)),
    )


def _job_from(raw: Mapping[str, Any]) -> ReportRefineryJob:
    return ReportRefineryJob(
        refinery=_str(raw["refinery"]),
        method=_str(raw["method"]),
        owner_id=_str(raw["owner_id"]),
        owner=_str(raw["owner"]),
        cost=_int(raw["cost_auec"]),
        state=_str(raw["state"]),
        created_ms=_int(raw["created_ms"]),
        due_ms=_int(raw["due_ms"]),
        closed_ms=_opt(raw["closed_ms"]),
        ores=tuple(
            ReportRefinedOre(_str(o["name"]), _int(o["raw_centi"]), _opt(o["refined_centi"]))
            for o in raw["ores"]
        ),
    )


def _income_from(raw: Mapping[str, Any]) -> ReportIncome:
    return ReportIncome(
        _str(raw["name"]),
        _int(raw["value_auec"]),
        _opt(raw["scu_centi"]),
        _opt(raw["price_per_scu_auec"]),
        _str(raw["source"]),
        _opt(raw["snapshot_ms"]),
        _bool(raw["bundled"]),
        seller_id=_opt_str(raw.get("seller_id")),
        seller=_str(raw.get("seller", "")),
        refined_at=_str(raw.get("refined_at", "")),
    )


def _deduction_from(raw: Mapping[str, Any]) -> ReportDeduction:
    return ReportDeduction(
        DeductionKind(raw["kind"]),
        _str(raw["label"]),
        _int(raw["amount_auec"]),
        _str(raw["party"]),
        _str(raw["detail"]),
    )


def _payee_from(raw: Mapping[str, Any]) -> ReportPayee:
    return ReportPayee(
        user_id=_str(raw["user_id"]),
        name=_str(raw["name"]),
        payout=_int(raw["payout_auec"]),
        share=_int(raw["share_auec"]),
        other=_int(raw["other_auec"]),
        fee=_int(raw["fee_auec"]),
        credited_s=_opt(raw["credited_s"]),
        multiplier_milli=_opt(raw["multiplier_milli"]),
        donated=_bool(raw["donated"]),
        paid=_bool(raw["paid"]),
        measured_s=_opt(raw["measured_s"]),
        handle=_opt_str(raw.get("handle")),
    )


def _decision_from(raw: Mapping[str, Any]) -> ReportDecision:
    return ReportDecision(
        _str(raw["subject"]),
        _str(raw["what"]),
        _str(raw["by"]),
        _opt(raw["at_ms"]),
        _str(raw["reason"]),
    )


def _bar_from(raw: Mapping[str, Any]) -> TimelineBar:
    return TimelineBar(
        _str(raw["user_id"]),
        _str(raw["channel_id"]),
        _int(raw["start_ms"]),
        _int(raw["end_ms"]),
        _bool(raw["gap"]),
    )


def _span_from(raw: Mapping[str, Any]) -> Span:
    return Span(_int(raw["start_ms"]), _int(raw["end_ms"]))


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a string")  # an id written as a number, say
    return value


def _int(value: object) -> int:
    if type(value) is not int:  # bool is an int, and never an amount
        raise ValueError(f"{value!r} is not a whole number")
    return value


def _opt(value: object) -> int | None:
    return None if value is None else _int(value)


def _opt_str(value: object) -> str | None:
    return None if value is None else _str(value)


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not true or false")
    return value
