"""What the report says, section by section, laid out on A4 pages: the header, the haul,
the session's refinery jobs, the deductions, the payouts with a totals row that adds up to the
gross, the settlement between several sellers, who was not paid, the officers' decisions (the
audit trail), the participation timeline and the footers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from zoneinfo import ZoneInfo

from sunday_mining.domain.durations import age_text, duration_text, hms
from sunday_mining.domain.payroll import ORG_PAYEE_ID
from sunday_mining.domain.prices import format_auec
from sunday_mining.domain.session import SessionType
from sunday_mining.reports import _fonts
from sunday_mining.reports._format import (
    clock,
    local_date,
    local_time,
    multiplier,
    scu,
    when_line,
    zone,
    zone_label,
)
from sunday_mining.reports._layout import (
    BLACK,
    BODY_BOTTOM,
    CONTENT_W,
    GAP_FILL,
    GREEN,
    GREY,
    LIGHT,
    MARGIN,
    PAGE_H,
    PT,
    RED,
    RGB,
    ROW_H,
    WHITE,
    ZEBRA,
    Col,
    Doc,
    Line,
    Rect,
    Row,
    channel_colour,
    em_width,
    table,
    wrap,
)
from sunday_mining.reports._parts import heading, note, shown_name
from sunday_mining.reports._settle_sections import refining, settlement
from sunday_mining.reports._timeline import Timeline, layout_ticks
from sunday_mining.reports.model import (
    DeductionKind,
    ReportData,
    ReportIncome,
    ReportPayee,
    ReportStatus,
    content_hash,
    fallback_name,
)

# --- sections -----------------------------------------------------------------------------------


def _paid_as(payee: ReportPayee) -> str:
    """The payee with their in-game handle (or that they have none yet), where they are paid."""
    shown = shown_name(payee.name, fallback_name(payee.user_id))
    return replace(payee, name=shown).paid_as


_KIND_OF_SESSION = {SessionType.SUNDAY: "Sunday op", SessionType.ADHOC: "Adhoc session"}


def _header(doc: Doc, data: ReportData) -> None:
    doc.text(MARGIN, doc.y + 6, data.guild_name, size=16, bold=True, width=CONTENT_W)
    doc.y += 9
    kind = _KIND_OF_SESSION[data.session_type]
    title = f"Payroll report — {kind}: {data.session_name}"
    doc.text(MARGIN, doc.y + 4.5, title, size=11, width=CONTENT_W)
    doc.y += 8
    status = "SUPERSEDED" if data.status is ReportStatus.SUPERSEDED else "FINAL"
    status_colour = RED if data.status is ReportStatus.SUPERSEDED else GREEN
    tz = zone(data.time_zone)
    windows = len(data.windows)
    length = duration_text(data.length_s) + (f" in {windows} windows" if windows > 1 else "")
    channels = ", ".join(c.name for c in data.channels) or "none recorded"
    facts: list[tuple[str, str, RGB]] = [
        ("When", when_line(data.started_ms, data.stopped_ms, tz), BLACK),
        ("Time zone", zone_label(data.time_zone), BLACK),
        ("Length", length, BLACK),
        ("Finalized by", f"{data.finalized_by}, {local_time(data.finalized_ms, tz)}", BLACK),
        ("Version", f"{data.version} — {status}", status_colour),
    ]
    for label, value, colour in facts:
        doc.text(MARGIN, doc.y + 3.2, label, size=8.5, colour=GREY)
        bold = colour is not BLACK
        doc.text(MARGIN + 28, doc.y + 3.2, value, size=8.5, bold=bold, colour=colour, width=158)
        doc.y += 4.6
    doc.text(MARGIN, doc.y + 3.2, "Channels", size=8.5, colour=GREY)
    for line in wrap(channels, _fonts.REGULAR, 158 / (8.5 * PT), 3):
        doc.text(MARGIN + 28, doc.y + 3.2, line, size=8.5)
        doc.y += 4.2
    doc.y += 2


def _haul(doc: Doc, data: ReportData) -> None:
    heading(doc, "The haul", len(data.income) + 1)
    tz = zone(data.time_zone)
    cols = (
        Col("Ore / sale", 50),
        Col("SCU", 15, "R"),
        Col("aUEC/SCU", 19, "R"),
        Col("Price source", 74),
        Col("Value", 28, "R"),
    )
    rows = [
        Row(
            (
                line.name + (" (refined)" if line.refined_at else ""),
                scu(line.scu_centi) if line.scu_centi is not None else "—",
                f"{line.price_per_scu:,}" if line.price_per_scu is not None else "—",
                _price_source(line, tz),
                format_auec(line.value),
            )
        )
        for line in data.income
    ]
    rows.append(Row(("Gross", "", "", "", format_auec(data.gross)), bold=True, rule_above=True))
    table(doc, cols, rows)
    refined = _refined_note(data.income)
    if refined:
        note(doc, refined)
    if data.settlement is not None:
        note(doc, _sold_by_note(data.income))
    stale = data.stale_prices
    if stale is not None:
        age = f"{age_text(stale.age_ms)} old" if stale.age_ms is not None else "more than a day old"
        when = f" on {local_time(stale.accepted_ms, tz)}" if stale.accepted_ms else ""
        said = f"Stale prices: the snapshot of {local_time(stale.snapshot_ms, tz)} was {age} "
        said += f"when {stale.accepted_by} accepted it for this payroll{when}."
        note(doc, said, colour=RED)


def _price_source(line: ReportIncome, tz: ZoneInfo) -> str:
    if line.snapshot_ms is None:
        return line.source
    if line.bundled:
        return f"{line.source}, bundled sample of {local_date(line.snapshot_ms, tz)}"
    return f"{line.source}, snapshot {local_time(line.snapshot_ms, tz)}"


def _refined_note(income: Sequence[ReportIncome]) -> str:
    """Which haul lines came from the session's refinery jobs, and from which refineries."""
    by_place: dict[str, list[str]] = {}
    for line in income:
        if line.refined_at:
            by_place.setdefault(line.refined_at, []).append(line.name)
    if not by_place:
        return ""
    said = "; ".join(f"{', '.join(names)} at {place}" for place, names in by_place.items())
    return (
        f"From refinery jobs: {said}. Each such line is the total of that ore the session's "
        "collected jobs gave (see Refining)."
    )


def _sold_by_note(income: Sequence[ReportIncome]) -> str:
    """Who sold which lines, sellers in the order of their first line: what they hold until the
    settlement's transfers are made."""
    by_seller: dict[str, list[str]] = {}
    for line in income:
        seller = shown_name(line.seller, "not recorded") if line.seller_id else "not recorded"
        by_seller.setdefault(seller, []).append(line.name)
    said = "; ".join(f"{seller}: {', '.join(names)}" for seller, names in by_seller.items())
    return (
        f"Who sold what — {said}. Each seller holds the aUEC of what they sold until the "
        "transfers under Settlement are made."
    )


_KIND_LABEL = {
    DeductionKind.EXPENSE: "Expense",
    DeductionKind.FLAT: "Flat amount",
    DeductionKind.PERCENTAGE: "Percentage",
    DeductionKind.FEE: "Transfer fees",
    DeductionKind.DONATION: "Donation",
}


def _deductions(doc: Doc, data: ReportData) -> None:
    heading(doc, "Deductions", len(data.deductions))
    if not data.deductions:
        doc.text(MARGIN, doc.y + 3.5, "None: the whole gross was shared by time.", size=8.5)
        doc.y += 7
        return
    cols = (
        Col("Kind", 22),
        Col("What", 42),
        Col("To", 36),
        Col("Detail", 56),
        Col("Amount", 30, "R"),
    )
    rows = [
        Row(
            (
                _KIND_LABEL.get(d.kind, str(d.kind)),
                d.label,
                d.party or _nobody(d.kind),
                d.detail,
                format_auec(d.amount),
            )
        )
        for d in data.deductions
    ]
    table(doc, cols, rows)
    said = "The pool is the gross less expenses and flat amounts. Donations and transfer fees "
    said += "come out of the payees' lines below; percentages, flat amounts and claimed expenses "
    said += "are paid as the payees' 'other'."
    note(doc, said)


def _nobody(kind: DeductionKind) -> str:
    if kind is DeductionKind.EXPENSE:
        return "nobody: unclaimed"
    return "each payee" if kind is DeductionKind.FEE else ""


def _payouts(doc: Doc, data: ReportData) -> None:
    heading(doc, f"Payouts ({len(data.payees)} payees)", len(data.payees) + 1)
    cols = (
        Col("Payee", 50),
        Col("Time", 17, "R"),
        Col("Mult.", 12, "R"),
        Col("Share", 22, "R"),
        Col("Other", 20, "R"),
        Col("Fee", 15, "R"),
        Col("Payout (aUEC)", 26, "R"),
        Col("Status", 24),
    )
    rows = [_payee_row(p) for p in data.payees]
    totals = (
        "Total",
        "",
        "",
        f"{sum(p.share for p in data.payees):,}",
        f"{sum(p.other for p in data.payees):,}",
        f"{data.fees:,}",
        f"{data.paid_out:,}",
        f"{sum(p.paid for p in data.payees)}/{len(data.payees)} paid",
    )
    rows.append(Row(totals, bold=True, rule_above=True))
    table(doc, cols, rows)
    note(doc, ROUNDING_NOTE)
    _balance(doc, data)


ROUNDING_NOTE = (
    "Time is credited time after the officers' adjustments (h:mm:ss). Shares are rounded by "
    "largest remainder: each payee first gets the whole aUEC of their exact share, and the few "
    "aUEC left over go one each to the largest fractions (ties by member id), so the payouts add "
    "up to the gross exactly and two payees with the same time may differ by 1 aUEC."
)


def _payee_row(payee: ReportPayee) -> Row:
    status = "donated · " if payee.donated else ""
    status += "kept" if payee.user_id == ORG_PAYEE_ID else "paid" if payee.paid else "owed"
    return Row(
        (
            _paid_as(payee),
            hms(payee.credited_s) if payee.credited_s is not None else "—",
            multiplier(payee.multiplier_milli),
            f"{payee.share:,}",
            f"{payee.other:,}",
            f"{payee.fee:,}",
            f"{payee.payout:,}",
            status,
        ),
        colours=(None,) * 7 + ((GREEN if payee.paid else RED),),
    )


def _balance(doc: Doc, data: ReportData) -> None:
    """The addition a reader can check by hand: payouts + fees + unclaimed expenses = gross."""
    total = data.paid_out + data.fees + data.deducted
    lines = [
        ("Payouts", data.paid_out),
        ("+ transfer fees", data.fees),
        ("+ unclaimed expenses", data.deducted),
        ("= total", total),
    ]
    doc.ensure(ROW_H * 6)
    left, width = MARGIN + CONTENT_W - 90, 90.0
    for label, amount in lines:
        doc.text(left, doc.y + 3, label, size=8.5, bold=label.startswith("="))
        doc.text(left, doc.y + 3, format_auec(amount), size=8.5, width=width, align="R")
        doc.y += 4.2
    if data.balances:
        verdict, colour = f"equals the gross {format_auec(data.gross)} ✓", GREEN
    else:
        verdict = f"≠ the gross {format_auec(data.gross)}: this payroll does not balance"
        colour = RED
    doc.text(
        MARGIN, doc.y + 3, verdict, size=8.5, bold=True, colour=colour, width=CONTENT_W, align="R"
    )
    doc.y += 7


def _unpaid(doc: Doc, data: ReportData) -> None:
    heading(doc, "Not paid", len(data.unpaid))
    if not data.unpaid:
        doc.text(MARGIN, doc.y + 3.5, "Everyone who took part is paid above.", size=8.5)
        doc.y += 7
        return
    rows = [Row((shown_name(u.name, "(no visible name)"), u.reason)) for u in data.unpaid]
    table(doc, (Col("Name", 56), Col("Reason", CONTENT_W - 56)), rows)


def _decisions(doc: Doc, data: ReportData) -> None:
    """The audit trail: what each officer decided, about whom, when and why, in full."""
    tz = zone(data.time_zone)
    heading(doc, "Decisions", min(len(data.decisions), 6))
    if not data.decisions:
        doc.text(
            MARGIN, doc.y + 3.5, "None: everyone was paid by voice time as measured.", size=8.5
        )
        doc.y += 7
        return
    for decision in data.decisions:
        when = f", {local_time(decision.at_ms, tz)}" if decision.at_ms else ""
        head = f"{shown_name(decision.subject, '(no visible name)')}: {decision.what}"
        said = f"{head} — by {decision.by}{when}"
        if decision.reason:
            said += f". Reason: {decision.reason}"
        lines = wrap(said, _fonts.REGULAR, (CONTENT_W - 4) / (8 * PT), 6)
        doc.ensure(3.8 * len(lines) + 1)
        doc.text(MARGIN, doc.y + 2.8, "•", size=8)
        for line in lines:
            doc.text(MARGIN + 4, doc.y + 2.8, line, size=8)
            doc.y += 3.8
        doc.y += 0.8
    doc.y += 2


# --- participation timeline ---------------------------------------------------------------------

NAME_W, TL_ROW, TL_BAR, TL_PT = 40.0, 3.3, 2.3, 6.2
OTHER_CHANNEL: RGB = (60, 60, 60)


def _timeline(doc: Doc, data: ReportData) -> None:
    timeline = Timeline.of(data, MARGIN + NAME_W, CONTENT_W - NAME_W)
    if not timeline.members:
        return
    colours = {c.channel_id: channel_colour(i) for i, c in enumerate(data.channels)}
    index = 0
    while index < len(timeline.members):
        doc.new_page()
        title = "Participation timeline" + (" (continued)" if index else "")
        doc.text(MARGIN, doc.y + 4, title, size=11.5, bold=True)
        doc.y += 7
        _legend(doc, data, colours)
        _axis(doc, timeline, data.time_zone)
        rows = max(1, int((BODY_BOTTOM - doc.y) // TL_ROW))
        chunk = timeline.members[index : index + rows]
        _timeline_rows(doc, timeline, chunk, colours)
        index += rows


def _legend(doc: Doc, data: ReportData, colours: dict[str, RGB]) -> None:
    entries: list[tuple[str, RGB, RGB | None]] = [
        (c.name, colours[c.channel_id], None) for c in data.channels
    ]
    known = {c.channel_id for c in data.channels}
    if any(bar.channel_id not in known for bar in data.timeline):
        entries.append(("a channel no longer tracked", OTHER_CHANNEL, None))
    entries.append(("gap: the worker was not reporting", GAP_FILL, None))
    entries.append(("stretch touched by a gap", WHITE, BLACK))
    x = MARGIN
    for name, fill, stroke in entries:
        label = _fonts.clean(name)
        width = min(em_width(label, _fonts.REGULAR) * 7 * PT, 60.0) + 7
        if x + width > MARGIN + CONTENT_W:
            x = MARGIN
            doc.y += 4.2
        doc.add(Rect(x, doc.y + 0.6, 3.5, 2.6, fill, stroke))
        doc.text(x + 4.5, doc.y + 3, label, size=7, width=width - 6)
        x += width + 2
    doc.y += 6


def _axis(doc: Doc, timeline: Timeline, time_zone: str) -> None:
    """Local clock times along the top, one label per tick that has room."""
    last_end = -1.0
    for x, ms in layout_ticks(timeline, zone(time_zone)):
        label = clock(ms, zone(time_zone))
        width = em_width(label, _fonts.REGULAR) * 6 * PT
        if x - width / 2 > last_end + 1:
            doc.text(x - width / 2, doc.y + 2.5, label, size=6, colour=GREY)
            last_end = x + width / 2
    doc.y += 3.5


def _timeline_rows(
    doc: Doc, timeline: Timeline, members: Sequence[str], colours: dict[str, RGB]
) -> None:
    top, height = doc.y, TL_ROW * len(members)
    for x, w in timeline.gap_spans():
        doc.add(Rect(x, top, w, height, GAP_FILL))
    for x, _ in layout_ticks(timeline, zone(timeline.time_zone)):
        doc.add(Line(x, top, x, top + height, LIGHT, 0.1))
    for x1, x2 in timeline.window_edges():
        doc.add(Line(x1, top, x1, top + height, GREY, 0.2))
        doc.add(Line(x2, top, x2, top + height, GREY, 0.2))
    for row, user_id in enumerate(members):
        y = top + row * TL_ROW
        if row % 2:
            doc.add(Rect(MARGIN, y, NAME_W - 1, TL_ROW, ZEBRA))
        baseline = y + TL_ROW / 2 + TL_PT * PT * 0.36
        name = shown_name(timeline.names[user_id], fallback_name(user_id))
        doc.text(MARGIN + 0.5, baseline, name, size=TL_PT, width=NAME_W - 2)
        for bar, x, w in timeline.bars_of(user_id):
            fill = colours.get(bar.channel_id, OTHER_CHANNEL)
            stroke = BLACK if bar.gap else None
            doc.add(Rect(x, y + (TL_ROW - TL_BAR) / 2, max(w, 0.3), TL_BAR, fill, stroke))
    doc.y = top + height + 2


# --- footers -------------------------------------------------------------------------


def _footers(doc: Doc, data: ReportData) -> None:
    digest = content_hash(data)[:16]
    generated = local_time(data.generated_ms, zone(data.time_zone))
    total = len(doc.pages)
    for number in range(1, total + 1):
        doc.page = number - 1
        y = PAGE_H - 8
        doc.add(Line(MARGIN, y - 3.5, MARGIN + CONTENT_W, y - 3.5, LIGHT, 0.2))
        # Two lines: real ids are long, and a footer cut short can no longer be looked up.
        ids = f"Report {data.report_id} · session {data.session_id}"
        doc.text(MARGIN, y, ids, size=6.5, colour=GREY, width=CONTENT_W - 30)
        said = f"content {digest} · generated {generated}"
        doc.text(MARGIN, y + 3, said, size=6.5, colour=GREY, width=CONTENT_W - 30)
        doc.text(MARGIN, y, f"page {number} of {total}", size=6.5, width=CONTENT_W, align="R")
        if data.status is ReportStatus.SUPERSEDED:
            doc.text(
                MARGIN,
                y + 3,
                "SUPERSEDED",
                size=6.5,
                bold=True,
                colour=RED,
                width=CONTENT_W,
                align="R",
            )


def lay_out(data: ReportData, reorder: Callable[[str], str]) -> Doc:
    """The whole report as pages of draw operations; ``reorder`` puts right-to-left text in
    visual order (fpdf2's bidi algorithm, passed in so this module stays free of fpdf2)."""
    doc = Doc(superseded=data.status is ReportStatus.SUPERSEDED, version=data.version)
    doc.reorder = reorder
    doc.new_page()
    _header(doc, data)
    _haul(doc, data)
    refining(doc, data)
    _deductions(doc, data)
    _payouts(doc, data)
    settlement(doc, data)
    _unpaid(doc, data)
    _decisions(doc, data)
    _timeline(doc, data)
    _footers(doc, data)
    return doc
