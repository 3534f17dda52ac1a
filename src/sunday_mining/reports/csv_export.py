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
- When several members sold the haul, the settlement follows as two more tables (the transfers,
  then what each member holds, sends and keeps; after an amendment, the transfers sent under the
  versions it replaced in between), and the session's refinery jobs as one more;
  each table is one empty row below the one before and starts with its own header row. These
  tables name members by display name and in-game handle, what a member sending aUEC in the
  game needs; the JSON export carries their ids.

Standard library only; the same data gives the same bytes.
"""

from __future__ import annotations

import csv
import io

from sunday_mining.domain.durations import hms
from sunday_mining.domain.handles import NO_HANDLE
from sunday_mining.reports.cells import text_cell as _text
from sunday_mining.reports.model import (
    ReportData,
    ReportPayee,
    ReportRefineryJob,
    ReportSettlement,
    fallback_name,
)

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
TRANSFER_HEADER = (
    "transfer_from",
    "from_handle",
    "to",
    "to_handle",
    "send_auec",
    "fee_auec",
    "arrives_auec",
    "paid",
)
MEMBER_HEADER = (
    "settlement_member",
    "handle",
    "holds_auec",
    "payout_auec",
    "sends_auec",
    "fees_auec",
    "receives_auec",
    "keeps_auec",
)
REFINERY_HEADER = (
    "refinery",
    "method",
    "ore",
    "raw_scu",
    "refined_scu",
    "cost_auec",
    "run_by",
    "state",
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
    plan = data.settlement
    if plan is not None and (plan.transfers or plan.sent_before):
        writer.writerows(((), TRANSFER_HEADER, *_transfers(plan)))
        if plan.sent_before:
            writer.writerows(((), TRANSFER_HEADER, *_sent_before(plan)))
        writer.writerows(((), _member_header(plan), *_members(plan)))
    if data.refining:
        writer.writerows(((), REFINERY_HEADER, *_jobs(data.refining)))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _person(user_id: str, name: str, handle: str | None) -> tuple[str, str]:
    """A member as a sender reads them: display name, then the handle to send to."""
    return _text(name or fallback_name(user_id)), handle or NO_HANDLE


def _transfers(plan: ReportSettlement) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = [
        (
            *_person(t.sender_id, t.sender, t.sender_handle),
            *_person(t.receiver_id, t.receiver, t.receiver_handle),
            str(t.sent),
            str(t.fee),
            str(t.received),
            "yes" if t.paid else "no",
        )
        for t in plan.transfers
    ]
    sent, arrives = sum(t.sent for t in plan.transfers), sum(t.received for t in plan.transfers)
    count = len(plan.transfers)
    total = f"{TOTAL} ({count} transfer{'' if count == 1 else 's'})"
    paid = f"{sum(t.paid for t in plan.transfers)} of {count}"
    rows.append((total, "", "", "", str(sent), str(plan.fees), str(arrives), paid))
    return rows


def _sent_before(plan: ReportSettlement) -> list[tuple[str, ...]]:
    """An amendment's history: the transfers sent under the versions it replaced, which the
    plan above counts as made; ``paid`` says under which version."""
    moved = plan.sent_before
    rows: list[tuple[str, ...]] = [
        (
            *_person(t.sender_id, t.sender, t.sender_handle),
            *_person(t.receiver_id, t.receiver, t.receiver_handle),
            str(t.sent),
            str(t.fee),
            str(t.received),
            f"sent under v{t.sent_under}",
        )
        for t in moved
    ]
    total = f"{TOTAL} ({len(moved)} sent under earlier versions)"
    sums = (sum(t.sent for t in moved), sum(t.fee for t in moved), sum(t.received for t in moved))
    rows.append((total, "", "", "", *map(str, sums), ""))
    return rows


_MEMBER_FIGURES = ("holds", "payout", "sends", "fees", "receives", "keeps")
_WITH_BEFORE = ("holds", "before", "payout", "sends", "fees", "receives", "keeps")


def _figures(plan: ReportSettlement) -> tuple[str, ...]:
    """The member table's figures; ``before`` (what earlier versions' transfers brought them
    less what they sent) only after an amendment that counts some."""
    return _WITH_BEFORE if any(h.before for h in plan.holdings) else _MEMBER_FIGURES


def _member_header(plan: ReportSettlement) -> tuple[str, ...]:
    return ("settlement_member", "handle", *(f"{figure}_auec" for figure in _figures(plan)))


def _members(plan: ReportSettlement) -> list[tuple[str, ...]]:
    figures = _figures(plan)
    rows: list[tuple[str, ...]] = [
        (
            *_person(h.user_id, h.name, h.handle),
            *(str(getattr(h, figure)) for figure in figures),
        )
        for h in plan.holdings
    ]
    count = len(plan.holdings)
    sums = (sum(getattr(h, figure) for h in plan.holdings) for figure in figures)
    rows.append((f"{TOTAL} ({count} member{'' if count == 1 else 's'})", "", *map(str, sums)))
    return rows


def _jobs(jobs: tuple[ReportRefineryJob, ...]) -> list[tuple[str, ...]]:
    """One row per ore of each job; the job's cost on its first row only, so a column sum is
    the jobs' total cost."""
    rows: list[tuple[str, ...]] = []
    for job in jobs:
        for index, ore in enumerate(job.ores):
            refined = "" if ore.refined_centi is None else _decimal_centi(ore.refined_centi)
            rows.append(
                (
                    _text(job.refinery),
                    job.method,
                    ore.name,
                    _decimal_centi(ore.raw_centi),
                    refined,
                    str(job.cost) if index == 0 else "",
                    _text(job.owner or fallback_name(job.owner_id)),
                    job.state,
                )
            )
    count = len(jobs)
    total = f"{TOTAL} ({count} job{'' if count == 1 else 's'})"
    rows.append((total, "", "", "", "", str(sum(j.cost for j in jobs)), "", ""))
    return rows


def _decimal_centi(centi: int) -> str:
    whole, rest = divmod(centi, 100)
    return f"{whole}.{rest:02d}".rstrip("0").rstrip(".")


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
