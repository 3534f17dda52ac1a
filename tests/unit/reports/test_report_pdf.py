"""The PDF report: says what the payroll says, in every script, the same bytes every time."""

from __future__ import annotations

import dataclasses
import io
import subprocess
import sys
import time
import unicodedata

from pypdf import PdfReader

from sunday_mining.domain.prices import format_auec
from sunday_mining.domain.session import SessionType
from sunday_mining.reports.model import ReportData, ReportStatus, content_hash
from sunday_mining.reports.pdf import render_pdf
from sunday_mining.reports.sample import sample_report


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _text(data: ReportData) -> str:
    return "\n".join(_pages(render_pdf(data)))


def _found(name: str, text: str) -> bool:
    """Is the name in the extracted text? A right-to-left name is drawn in visual order, and
    pypdf turns the right-to-left runs back but not the runs' order, so for those each word must
    be there (a digit after Hebrew is drawn to its left, as a Hebrew reader expects)."""
    if name in text:
        return True
    rtl = any(unicodedata.bidirectional(c) in ("R", "AL") for c in name)
    return rtl and all(word in text for word in name.split())


def _renamed(data: ReportData, *names: str) -> ReportData:
    payees = tuple(dataclasses.replace(p, name=n) for p, n in zip(data.payees, names, strict=False))
    return dataclasses.replace(data, payees=payees + data.payees[len(names) :])


def test_is_a_pdf() -> None:
    assert render_pdf(sample_report(5)).startswith(b"%PDF-")


def test_same_data_gives_the_same_bytes() -> None:
    assert render_pdf(sample_report(12)) == render_pdf(sample_report(12))


def test_bytes_do_not_depend_on_what_was_rendered_before() -> None:
    # The font and width caches are per process; they must never leak into the output.
    first = render_pdf(sample_report(12))
    render_pdf(_renamed(sample_report(20, seed=3), "Ñ山🚀ß", "Ωмέ"))
    assert render_pdf(sample_report(12)) == first


def test_every_payee_name_can_be_found_in_the_text() -> None:
    data = sample_report(16)
    text = _text(data)
    for payee in data.payees:
        assert _found(payee.name, text)


def test_names_in_every_script_are_drawn_not_dropped() -> None:
    names = (
        "Zoë Ñandú-Müller",
        "Борис Годунов",
        "Ωμέγα Κάππα",
        "山田太郎",
        "김민준",
        "Rocky 🚀⛏",
        "Chloé 👩\u200d🚀",
        "שלום עליכם",
    )
    text = _text(_renamed(sample_report(12), *names))
    for name in names:
        assert name in text


def test_control_characters_are_stripped_and_unknown_characters_shown_as_replacement() -> None:
    text = _text(_renamed(sample_report(5), "Bell\x07Ringer", "Private\U000f0000Use"))
    assert "BellRinger" in text
    assert "Private\ufffdUse" in text


def test_a_very_long_name_is_cut_with_an_ellipsis() -> None:
    text = _text(_renamed(sample_report(5), "Maximilian" * 40))
    assert "Maximilian" * 2 in text
    assert "Maximilian" * 40 not in text
    assert "\u2026" in text


def test_shows_the_gross_and_totals_that_add_up_to_it() -> None:
    data = sample_report(30)
    text = _text(data)
    assert f"Gross {format_auec(data.gross)}" in text
    assert f"Total {sum(p.share for p in data.payees):,}" in text
    assert f"{data.fees:,} {data.paid_out:,}" in text
    assert f"Payouts {format_auec(data.paid_out)}" in text
    assert f"+ transfer fees {format_auec(data.fees)}" in text
    assert f"+ unclaimed expenses {format_auec(data.deducted)}" in text
    assert f"equals the gross {format_auec(data.gross)}" in text


def test_a_payroll_that_does_not_balance_says_so() -> None:
    data = dataclasses.replace(sample_report(5), gross=sample_report(5).gross + 1)
    assert "does not balance" in _text(data)


def test_header_has_the_session_and_who_finalized_it() -> None:
    data = sample_report(5)
    text = _text(data)
    for fact in (data.guild_name, data.session_name, data.finalized_by, "Europe/Berlin"):
        assert fact in text
    assert "Sun 2026-06-07, 20:00:00 \u2013 23:50:00 CEST" in text
    assert "2 \u2014 FINAL" in text


def test_a_sunday_op_is_headed_as_a_sunday_op() -> None:
    data = dataclasses.replace(sample_report(5), session_type=SessionType.SUNDAY)
    text = _text(data)
    assert f"Payroll report — Sunday op: {data.session_name}" in text
    assert "Adhoc" not in text


def test_an_adhoc_session_is_headed_as_one() -> None:
    data = dataclasses.replace(sample_report(5), session_type=SessionType.ADHOC)
    assert f"Payroll report — Adhoc session: {data.session_name}" in _text(data)


def test_internal_ids_are_in_the_footer_not_the_header() -> None:
    data = sample_report(5)
    first = _pages(render_pdf(data))[0]
    header, _, footer = first.partition("The haul")
    assert data.session_id not in header
    assert data.payroll_id not in header
    assert data.session_id in footer


def test_a_long_deduction_detail_is_shown_whole() -> None:
    data = sample_report(5)
    detail = "of the pool of 16,359,216 aUEC"
    cut = dataclasses.replace(data.deductions[3], detail=detail)
    data = dataclasses.replace(data, deductions=(*data.deductions[:3], cut, *data.deductions[4:]))
    text = _text(data)
    assert detail in text
    assert "nobody: unclaimed" in text
    assert "…" not in text.partition("Deductions")[2].partition("Payouts")[0]


def test_the_payouts_show_exact_credited_time_and_explain_the_rounding() -> None:
    data = sample_report(12)
    text = " ".join(_text(data).split())
    payee = next(p for p in data.payees if p.credited_s)
    seconds = payee.credited_s or 0
    assert f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}" in text
    assert "rounded by largest remainder" in text
    assert "two payees with the same time may differ by 1 aUEC" in text


def test_the_decisions_say_what_who_when_and_why_in_full() -> None:
    data = sample_report(12)
    text = " ".join(_text(data).split())
    assert "Decisions" in text
    for decision in data.decisions:
        assert f"{decision.what} — by {decision.by}" in text
        if decision.reason:
            assert decision.reason in text


def test_prices_from_the_bundled_sample_say_so_with_its_date() -> None:
    text = _text(sample_report(5))
    assert "best sell, bundled sample of 2026-04-28" in text
    assert "UEX best sell" not in text


def test_stale_prices_say_how_old_they_were_and_who_accepted_them() -> None:
    data = sample_report(5)
    text = " ".join(_text(data).split())
    assert "Stale prices: the snapshot of 2026-04-28 20:00 CEST was 40 days old" in text
    assert "when Quartermaster Ĝabriela accepted it" in text


def test_a_superseded_version_is_marked_on_every_page() -> None:
    data = dataclasses.replace(sample_report(60), status=ReportStatus.SUPERSEDED)
    pages = _pages(render_pdf(data))
    assert len(pages) > 1
    assert all("SUPERSEDED" in page for page in pages)
    assert "FINAL" not in "".join(pages)


def test_every_page_has_the_footer_with_report_id_hash_and_page_count() -> None:
    # ids as long as real ones: a guild snowflake and two sortable ids
    data = dataclasses.replace(
        sample_report(60),
        report_id="1323802875084959745-01M82J2N00786KEHRV6MRFHGR6",
        session_id="01M826ME80K1A1Y4KZQWSTVW3N",
    )
    pages = _pages(render_pdf(data))
    digest = content_hash(data)[:16]
    for number, page in enumerate(pages, start=1):
        assert f"Report {data.report_id} · session {data.session_id}" in page
        assert f"content {digest}" in page
        assert "generated 2026-06-08 00:31 CEST" in page
        assert f"page {number} of {len(pages)}" in page


def test_unpaid_members_are_listed_with_their_reasons() -> None:
    data = sample_report(5)
    text = _text(data)
    for unpaid in data.unpaid:
        assert f"{unpaid.name} {unpaid.reason}" in text


def test_the_timeline_is_labelled_in_the_guild_time_zone() -> None:
    text = _text(sample_report(5))
    assert "Participation timeline" in text
    assert "20:00 20:20 20:40" in text  # 18:00 UTC is 20:00 in Berlin in June


def test_an_unknown_time_zone_falls_back_to_utc_and_says_so() -> None:
    text = _text(dataclasses.replace(sample_report(5), time_zone="Mars/Olympus_Mons"))
    assert "UTC (the guild's time zone 'Mars/Olympus_Mons' is unknown)" in text
    assert "18:00:00 \u2013 21:50:00 UTC" in text


def test_a_big_op_continues_the_timeline_over_pages_and_is_timed() -> None:
    data = sample_report(300)
    render_pdf(sample_report(12))  # fonts parsed: time the build, not the first-use loading
    started = time.perf_counter()
    pdf = render_pdf(data)
    elapsed = time.perf_counter() - started
    print(f"300-payee PDF built in {elapsed * 1000:.0f} ms ({len(pdf):,} bytes)")
    text = "\n".join(_pages(pdf))
    assert "Participation timeline (continued)" in text
    assert all(_found(p.name, text) for p in data.payees)


def test_importing_the_reports_package_does_not_load_fpdf2() -> None:
    code = (
        "import sys, sunday_mining.reports, sunday_mining.reports.model, "
        "sunday_mining.reports.csv_export, sunday_mining.reports.sample; "
        "sys.exit('fpdf' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_a_report_with_nothing_in_it_still_renders() -> None:
    empty = dataclasses.replace(
        sample_report(3),
        guild_name="",
        time_zone="",
        channels=(),
        income=(),
        gross=0,
        deductions=(),
        payees=(),
        unpaid=(),
        deducted=0,
        timeline=(),
        windows=(),
        gaps=(),
        names={},
    )
    text = _text(empty)
    assert "Payouts (0 payees)" in text
    assert "equals the gross 0 aUEC" in text


def test_a_name_with_nothing_visible_shows_the_fallback_name() -> None:
    data = _renamed(sample_report(5), "x", "\u200b\u200d \x00")
    assert data.payees[1].user_id != "org"
    assert f"user {data.payees[1].user_id}" in _text(data)


def test_channels_past_the_palette_get_colours_of_their_own() -> None:
    from sunday_mining.reports._layout import CHANNEL_COLOURS, channel_colour

    colours = [channel_colour(i) for i in range(3 * len(CHANNEL_COLOURS))]
    assert colours[: len(CHANNEL_COLOURS)] == list(CHANNEL_COLOURS)  # the palette comes first
    assert len(set(colours)) == len(colours)  # 24 channels, 24 colours
    assert all(0 <= part <= 255 for colour in colours for part in colour)
