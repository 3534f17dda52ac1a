"""The PDF's Settlement section (who sends whom how much when several sellers hold the haul)
and its Refining section (the session's refinery jobs). Nothing here imports fpdf2."""

from __future__ import annotations

from sunday_mining.domain.handles import NO_HANDLE
from sunday_mining.domain.prices import format_auec
from sunday_mining.domain.refining import short_terminal_name
from sunday_mining.reports._format import scu
from sunday_mining.reports._layout import GREEN, GREY, RED, RGB, Col, Doc, Row, table
from sunday_mining.reports._parts import heading, note, shown_name
from sunday_mining.reports.model import (
    ReportData,
    ReportRefineryJob,
    ReportSettlement,
    fallback_name,
)

# --- settlement ---------------------------------------------------------------------------

_LISTED_BEFORE = 6  # more transfers sent under earlier versions are summed up, not listed


def _member(name: str, handle: str | None, user_id: str) -> str:
    """A member as whoever sends to them reads it: "Name (handle)" or "Name (no handle yet)"."""
    return f"{shown_name(name, fallback_name(user_id))} ({handle or NO_HANDLE})"


def _fee_rate(fee_bp: int) -> str:
    return f"{fee_bp / 100:g} %"


def settlement(doc: Doc, data: ReportData) -> None:
    plan = data.settlement
    if plan is None:
        return
    count = len(plan.transfers)
    heading(doc, f"Settlement ({count} transfer{'' if count == 1 else 's'})", count + 1)
    note(doc, _intro(plan))
    if plan.sent_before:
        note(doc, _sent_before(plan))
    if plan.transfers:
        _transfers(doc, plan)
    _holdings(doc, plan)


def _sent_before(plan: ReportSettlement) -> str:
    """What was sent under the versions this one replaced: this plan asks only for the rest."""
    moved = plan.sent_before
    under = ", ".join(f"v{n}" for n in sorted({t.sent_under or 0 for t in moved}))
    said = f"Already sent under {under}: {len(moved)} transfer{'' if len(moved) == 1 else 's'}, "
    said += f"{format_auec(sum(t.received for t in moved))} arrived"
    fees = sum(t.fee for t in moved)
    said += f" (fees {fees:,} paid by their senders)" if fees else ""
    if len(moved) <= _LISTED_BEFORE:
        listed = (
            f"{shown_name(t.sender, fallback_name(t.sender_id))} → "
            f"{shown_name(t.receiver, fallback_name(t.receiver_id))} {t.received:,}"
            for t in moved
        )
        said += ": " + " · ".join(listed)
    if not plan.transfers:
        return said + ". Nothing more is to send."
    return said + ". The transfers below are only what was still missing after them."


def _intro(plan: ReportSettlement) -> str:
    sellers = sum(1 for h in plan.holdings if h.holds)
    held = sum(h.holds for h in plan.holdings)
    said = f"{sellers} members sold the haul and hold its {format_auec(held)}. "
    said += "The transfers below leave every payee holding their payout"
    said += f" (the org's cut with the treasurer, {plan.treasurer})." if plan.treasurer else "."
    if plan.fee_bp:
        said += f" Each sender pays the {_fee_rate(plan.fee_bp)} transfer fee on top, so the "
        said += "receiver gets exactly what they are owed; the payouts above carry no fee."
    else:
        said += " There is no transfer fee: each sender sends exactly what is owed."
    return said


def _transfers(doc: Doc, plan: ReportSettlement) -> None:
    cols = (
        Col("From", 50),
        Col("To", 50),
        Col("Send", 24, "R"),
        Col("Fee", 18, "R"),
        Col("Arrives", 24, "R"),
        Col("Status", 20),
    )
    rows = [
        Row(
            (
                _member(t.sender, t.sender_handle, t.sender_id),
                _member(t.receiver, t.receiver_handle, t.receiver_id),
                f"{t.sent:,}",
                f"{t.fee:,}",
                f"{t.received:,}",
                "paid" if t.paid else "to send",
            ),
            colours=(None,) * 5 + ((GREEN if t.paid else RED),),
        )
        for t in plan.transfers
    ]
    total = (
        "Total",
        "",
        f"{sum(t.sent for t in plan.transfers):,}",
        f"{plan.fees:,}",
        f"{sum(t.received for t in plan.transfers):,}",
        f"{sum(t.paid for t in plan.transfers)}/{len(plan.transfers)} paid",
    )
    rows.append(Row(total, bold=True, rule_above=True))
    table(doc, cols, rows)


def _holdings(doc: Doc, plan: ReportSettlement) -> None:
    """The totals per seller. Every sender is a seller; a member who sold nothing only receives
    their payout, already on the transfer lines, so a 40-member op's table stays a few rows."""
    history = any(h.before for h in plan.holdings)
    sellers = [h for h in plan.holdings if h.holds or h.before < 0]
    widths = _WITH_BEFORE if history else _WIDTHS  # the Before column's room comes from the rest
    figures = tuple(widths)[1:]
    cols = tuple(Col(_HEADS[f], w, "L" if f == "seller" else "R") for f, w in widths.items())
    rows = [
        Row((_member(h.name, h.handle, h.user_id), *(f"{getattr(h, f):,}" for f in figures)))
        for h in sellers
    ]
    sums = [sum(getattr(h, figure) for h in sellers) for figure in figures]
    rows.append(Row(("Total", *(f"{n:,}" for n in sums)), bold=True, rule_above=True))
    table(doc, cols, rows)
    said = "Per seller: what they hold from their sales, their payout (the treasurer's includes "
    said += "the org's cut), what they send (fees included) and receive, and what they keep: "
    said += "their payout less the fees they paid. Sent minus fees equals what arrives. Every "
    said += "other payee sold nothing and receives their payout by the transfers above."
    if history:
        said += " Before: what transfers under earlier versions brought them less what they sent."
    note(doc, said)


_WIDTHS = {
    "seller": 52,
    "holds": 24,
    "payout": 24,
    "sends": 24,
    "fees": 18,
    "receives": 22,
    "keeps": 22,
}
_WITH_BEFORE = {
    "seller": 40,
    "holds": 22,
    "before": 22,
    "payout": 22,
    "sends": 22,
    "fees": 16,
    "receives": 20,
    "keeps": 22,
}
_HEADS = {
    "seller": "Seller",
    "holds": "Holds",
    "before": "Before",
    "payout": "Payout",
    "sends": "Sends",
    "fees": "Fees",
    "receives": "Receives",
    "keeps": "Keeps",
}


# --- refining -----------------------------------------------------------------------------

_STATE: dict[str, tuple[str, RGB]] = {
    "collected": ("collected", GREEN),
    "open": ("not collected", RED),
    "cancelled": ("cancelled", GREY),
}


def refining(doc: Doc, data: ReportData) -> None:
    jobs = data.refining
    if not jobs:
        return
    rows = [row for job in jobs for row in _job_rows(job)]
    count = len(jobs)
    heading(doc, f"Refining ({count} job{'' if count == 1 else 's'})", len(rows) + 1)
    cols = (
        Col("Refinery", 25),
        Col("Method", 35),
        Col("Ore", 22),
        Col("Raw SCU", 17, "R"),
        Col("Refined", 16, "R"),
        Col("Cost", 19, "R"),
        Col("Run by", 30),
        Col("State", 22),
    )
    total = f"{sum(j.cost for j in jobs):,}"
    rows.append(Row(("Total", "", "", "", "", total, "", ""), bold=True, rule_above=True))
    table(doc, cols, rows)
    said = "Raw SCU went into each job; refined SCU is what its owner collected (none until a job "
    said += "is collected). A haul line taken from the jobs is the collected jobs' total of that "
    said += "ore, and a job's cost is paid back to who ran it only where it is an expense above."
    note(doc, said)


def _job_rows(job: ReportRefineryJob) -> list[Row]:
    state, colour = _STATE.get(job.state, (job.state, GREY))
    rows = []
    for index, ore in enumerate(job.ores):
        first = index == 0
        refined = scu(ore.refined_centi) if ore.refined_centi is not None else "—"
        cells = (
            short_terminal_name(job.refinery) if first else "",
            job.method if first else "",
            ore.name,
            scu(ore.raw_centi),
            refined,
            f"{job.cost:,}" if first else "",
            shown_name(job.owner, fallback_name(job.owner_id)) if first else "",
            state if first else "",
        )
        rows.append(Row(cells, colours=(None,) * 7 + (colour,)))
    return rows
