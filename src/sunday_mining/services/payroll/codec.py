"""Payroll items: keys, and conversion between store items and the model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sunday_mining.domain.guild import DonationPolicy
from sunday_mining.domain.payroll import (
    Expense,
    FlatAmount,
    IncomeLine,
    LineKind,
    PayoutLine,
    PayrollResult,
    Percentage,
    UnpaidParticipant,
)
from sunday_mining.domain.session import SessionType
from sunday_mining.domain.settlement import Transfer
from sunday_mining.ports.store import (
    Item,
    Key,
)
from sunday_mining.services import keys
from sunday_mining.services.payroll.model import (
    Member,
    PaidMark,
    PayrollHead,
    PayrollStatus,
    PayrollVersion,
    PriorPayment,
    SentBefore,
    StoredSettlement,
)

HEAD_PREFIX = "PAYHEAD#"
VERSION_PREFIX = "PAYROLL#"
AUDIT_PREFIX = "AUDIT#"


def head_key(guild_id: str, session_id: str) -> Key:
    return keys.guild_pk(guild_id), f"{HEAD_PREFIX}{session_id}"


def version_key(guild_id: str, payroll_id: str) -> Key:
    return keys.guild_pk(guild_id), f"{VERSION_PREFIX}{payroll_id}"


_BELOW, _GAP, _INCLUDED, _DONATES = 1, 2, 4, 8


def _member_row(m: Member) -> list[Any]:
    flags = (
        (_BELOW if m.below_minimum else 0)
        | (_GAP if m.gap_affected else 0)
        | (_INCLUDED if m.included else 0)
        | (_DONATES if m.donates else 0)
    )
    # Rows, not maps: a 1,000-member op must stay far below DynamoDB's 400 KB per item.
    row = [
        m.user_id,
        m.credited_s,
        flags,
        m.multiplier_milli,
        m.adjust_s,
        m.reason,
        m.decided_by,
        m.decided_ms,
    ]
    if m.added_by is not None:
        row += [m.added_by, m.added_ms]  # only members added by hand carry the two extra cells
    return row


def _member_from_row(row: Sequence[Any]) -> Member:
    user_id, credited, flags, multiplier, adjust, reason, by, at = row[:8]
    added_by, added_ms = (row[8], row[9]) if len(row) >= 10 else (None, None)
    return Member(
        str(user_id),
        int(credited),
        bool(flags & _BELOW),
        bool(flags & _GAP),
        bool(flags & _INCLUDED),
        bool(flags & _DONATES),
        int(multiplier),
        int(adjust),
        str(reason),
        by,
        at,
        None if added_by is None else str(added_by),
        None if added_ms is None else int(added_ms),
    )


def _income_to(line: IncomeLine) -> dict[str, Any]:
    seller = {"seller": line.seller_id} if line.seller_id else {}
    if line.sale_total is not None:
        return {"sale": line.sale_total, "label": line.label, **seller}
    return {
        "ore": line.ore_id,
        "name": line.ore_name,
        "scu_centi": line.scu_centi,
        "price": line.price_per_scu,
        "source": line.price_source,
        "snapshot_ms": line.snapshot_ms,
        **seller,
    }


def _income_from(raw: Mapping[str, Any], purser: str) -> IncomeLine:
    # A line stored before lines had sellers was sold by the officer who opened the version.
    seller = str(raw.get("seller") or purser)
    if "sale" in raw:
        return IncomeLine.sale(int(raw["sale"]), str(raw["label"]), seller_id=seller)
    return IncomeLine.ore(
        int(raw["ore"]),
        str(raw["name"]),
        int(raw["scu_centi"]),
        int(raw["price"]),
        str(raw["source"]),
        raw.get("snapshot_ms"),
        seller_id=seller,
    )


def _result_to(result: PayrollResult) -> dict[str, Any]:
    return {
        "gross": result.gross,
        "lines": [
            [x.payee_id, x.kind.value, x.amount, x.fee, x.net, x.explanation] for x in result.lines
        ],
        "explanations": list(result.explanations),
        "unpaid": [[u.user_id, u.reason] for u in result.unpaid],
        "deducted": result.deducted,
        "pool": result.pool,
        "share_pool": result.share_pool,
        "donated": result.donated,
        "policy": result.donation_policy.value,
    }


def _result_from(raw: Mapping[str, Any]) -> PayrollResult:
    return PayrollResult(
        gross=int(raw["gross"]),
        lines=[
            PayoutLine(str(p), LineKind(k), int(a), int(f), int(n), str(e))
            for p, k, a, f, n, e in raw["lines"]
        ],
        explanations=[str(s) for s in raw["explanations"]],
        unpaid=[UnpaidParticipant(str(u), str(r)) for u, r in raw["unpaid"]],
        deducted=int(raw["deducted"]),
        pool=int(raw["pool"]),
        share_pool=int(raw["share_pool"]),
        donated=int(raw["donated"]),
        donation_policy=DonationPolicy(raw["policy"]),
    )


def version_to_item(v: PayrollVersion) -> Item:
    pk, sk = version_key(v.guild_id, v.payroll_id)
    return {
        "pk": pk,
        "sk": sk,
        "guild_id": v.guild_id,
        "payroll_id": v.payroll_id,
        "session_id": v.session_id,
        "session_name": v.session_name,
        "session_type": v.session_type.value,
        "session_creator": v.session_creator,
        "session_version": v.session_version,
        "number": v.number,
        "status": v.status.value,
        "rev": v.rev,
        "created_by": v.created_by,
        "created_ms": v.created_ms,
        "updated_by": v.updated_by,
        "updated_ms": v.updated_ms,
        "donation_policy": v.donation_policy.value,
        "transfer_fee_bp": v.transfer_fee_bp,
        "minimum_s": v.minimum_s,
        "members": [_member_row(m) for m in v.members],
        "income": [_income_to(line) for line in v.income],
        "expenses": [[e.label, e.amount, e.claimant_id] for e in v.expenses],
        "flats": [[f.label, f.payee_id, f.amount] for f in v.flats],
        "percentages": [[p.label, p.payee_id, p.basis_points] for p in v.percentages],
        "stale_accepted_ms": v.stale_accepted_ms,
        "stale_accepted_by": v.stale_accepted_by,
        "stale_accepted_at": v.stale_accepted_at,
        "price_snapshot_ms": v.price_snapshot_ms,
        "supersedes": v.supersedes,
        "superseded_by": v.superseded_by,
        "finalized_by": v.finalized_by,
        "finalized_ms": v.finalized_ms,
        "result": _result_to(v.result) if v.result is not None else None,
        "paid": {payee: {"by": m.by, "at_ms": m.at_ms} for payee, m in sorted(v.paid.items())},
        "paid_before": None
        if v.paid_before is None
        else {
            payee: {"amount": p.amount, "number": p.number, "by": p.by, "at_ms": p.at_ms}
            for payee, p in sorted(v.paid_before.items())
        },
        "settlement": None if v.settlement is None else _settlement_to(v.settlement),
    }


def _settlement_to(s: StoredSettlement) -> dict[str, Any]:
    # One row per transfer, its paid mark in the last two cells (None, None while unpaid).
    rows = []
    for t in s.transfers:
        mark = s.marks.get((t.sender, t.receiver))
        by, at = (mark.by, mark.at_ms) if mark else (None, None)
        rows.append([t.sender, t.receiver, t.amount_received, t.amount_sent, t.fee, by, at])
    stored: dict[str, Any] = {"treasurer": s.treasurer_id, "transfers": rows}
    if s.sent_before:
        stored["sent_before"] = [_sent_row(x) for x in s.sent_before]
    return stored


def _sent_row(x: SentBefore) -> list[Any]:
    t = x.transfer
    return [t.sender, t.receiver, t.amount_received, t.amount_sent, t.fee, x.number, x.by, x.at_ms]


def _sent_before_from(rows: Sequence[Sequence[Any]]) -> tuple[SentBefore, ...]:
    # Absent on a version stored before amendments kept what was sent: nothing was.
    return tuple(
        SentBefore(
            Transfer(str(sender), str(receiver), int(received), int(sent), int(fee), paid=True),
            int(number),
            str(by),
            int(at),
        )
        for sender, receiver, received, sent, fee, number, by, at in rows
    )


def _settlement_from(raw: Mapping[str, Any] | None) -> StoredSettlement | None:
    if not raw:
        return None
    transfers = []
    marks: dict[tuple[str, str], PaidMark] = {}
    for sender, receiver, received, sent, fee, by, at in raw["transfers"]:
        transfers.append(Transfer(str(sender), str(receiver), int(received), int(sent), int(fee)))
        if by is not None:
            marks[(str(sender), str(receiver))] = PaidMark(str(by), int(at))
    treasurer = raw.get("treasurer")
    return StoredSettlement(
        None if treasurer is None else str(treasurer),
        tuple(transfers),
        marks,
        _sent_before_from(raw.get("sent_before") or ()),
    )


def version_from_item(item: Item) -> PayrollVersion:
    result = item.get("result")
    return PayrollVersion(
        guild_id=str(item["guild_id"]),
        payroll_id=str(item["payroll_id"]),
        session_id=str(item["session_id"]),
        session_name=str(item["session_name"]),
        session_type=SessionType(item["session_type"]),
        session_creator=str(item["session_creator"]),
        session_version=int(item["session_version"]),
        number=int(item["number"]),
        status=PayrollStatus(item["status"]),
        rev=int(item["rev"]),
        created_by=str(item["created_by"]),
        created_ms=int(item["created_ms"]),
        updated_by=str(item["updated_by"]),
        updated_ms=int(item["updated_ms"]),
        donation_policy=DonationPolicy(item["donation_policy"]),
        transfer_fee_bp=int(item["transfer_fee_bp"]),
        minimum_s=int(item["minimum_s"]),
        members=tuple(_member_from_row(row) for row in item["members"]),
        income=tuple(_income_from(raw, str(item["created_by"])) for raw in item["income"]),
        expenses=tuple(Expense(str(a), int(b), c) for a, b, c in item["expenses"]),
        flats=tuple(FlatAmount(str(a), str(b), int(c)) for a, b, c in item["flats"]),
        percentages=tuple(Percentage(str(a), str(b), int(c)) for a, b, c in item["percentages"]),
        stale_accepted_ms=item.get("stale_accepted_ms"),
        stale_accepted_by=item.get("stale_accepted_by"),
        stale_accepted_at=item.get("stale_accepted_at"),
        price_snapshot_ms=item.get("price_snapshot_ms"),
        supersedes=item.get("supersedes"),
        superseded_by=item.get("superseded_by"),
        finalized_by=item.get("finalized_by"),
        finalized_ms=item.get("finalized_ms"),
        result=_result_from(result) if result else None,
        paid={
            str(payee): PaidMark(str(mark["by"]), int(mark["at_ms"]))
            for payee, mark in (item.get("paid") or {}).items()
        },
        paid_before=_paid_before_from(item.get("paid_before")),
        settlement=_settlement_from(item.get("settlement")),
    )


def _paid_before_from(raw: Mapping[str, Any] | None) -> dict[str, PriorPayment] | None:
    # None: a version stored before amendments kept payments; its earlier version tells.
    if raw is None:
        return None
    return {
        str(payee): PriorPayment(int(p["amount"]), int(p["number"]), str(p["by"]), int(p["at_ms"]))
        for payee, p in raw.items()
    }


def head_from_item(session_id: str, item: Item | None) -> PayrollHead:
    if item is None:
        return PayrollHead(session_id)
    return PayrollHead(
        session_id=session_id,
        draft_id=item.get("draft_id"),
        final_id=item.get("final_id"),
        version_ids=tuple(item.get("version_ids") or ()),
        participants=item.get("participants"),
        participants_version=item.get("participants_version"),
    )
