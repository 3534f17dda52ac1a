"""`make demo` end to end, twice in one folder: the second run must not trip over the first."""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader
from tests.support.member_view import (
    PHONE_LINES,
    problems,
    screen_lines,
    transcript_messages,
)

from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.prices import format_auec
from sunday_mining.domain.session import SessionStatus, SessionType, StopReason
from sunday_mining.entrypoints.factories import Services, build_services
from sunday_mining_dev import cli as dev_cli
from sunday_mining_dev.demo import DEMO_DIR, DemoResult, run
from sunday_mining_dev.demo.crew import demo_guild
from sunday_mining_dev.demo.stack import START_MS
from sunday_mining_dev.simulator.transcript import names_in

# Well after the op and its payroll: the store is read as it was left.
AFTERWARDS_MS = START_MS + 6 * 3_600_000


@dataclass(frozen=True)
class Played:
    first_out: str
    first_sessions: set[str]
    result: DemoResult
    out: str
    workdir: Path


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Played:
    """`sunday-mining-dev demo` as `make demo` runs it, then once more in the same folder."""
    workdir = tmp_path_factory.mktemp("fresh-clone")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(workdir)
        first = io.StringIO()
        with contextlib.redirect_stdout(first):
            assert dev_cli.main(["demo"]) == 0
        first_sessions = _session_ids(workdir / DEMO_DIR / "demo.sqlite3")
        second = io.StringIO()
        with contextlib.redirect_stdout(second):
            result = run(DEMO_DIR)
    return Played(first.getvalue(), first_sessions, result, second.getvalue(), workdir)


@contextlib.contextmanager
def opened(path: Path) -> Iterator[Services]:
    """The demo's store, opened again after the demo closed it."""
    store = SqliteStore(path)
    try:
        yield build_services(store, FixedClock(AFTERWARDS_MS))
    finally:
        store.close()


def _session_ids(path: Path) -> set[str]:
    with opened(path) as services:
        sessions, _ = services.sessions.recent(demo_guild().id)
    return {s.session_id for s in sessions}


def test_the_op_had_about_forty_participants_and_the_gap_is_flagged(played: Played) -> None:
    result = played.result
    with opened(played.workdir / result.store) as services:
        summary = services.summaries.summary(result.guild_id, result.session_id)
    assert 35 <= len(summary.participants) <= 45
    assert summary.gap_affected
    assert "⚠️ Check these times: @Rook, @Echo, @Shale and 1 more" in played.out


def test_the_adhoc_session_exists_and_stopped(played: Played) -> None:
    result = played.result
    with opened(played.workdir / result.store) as services:
        adhoc = services.sessions.get(result.guild_id, result.adhoc_id)
    assert adhoc.type is SessionType.ADHOC
    assert adhoc.status is SessionStatus.STOPPED
    assert adhoc.stop_reason is StopReason.IDLE_TIMEOUT


def test_the_payout_table_totals_equal_the_gross(played: Played) -> None:
    result = played.result
    with opened(played.workdir / result.store) as services:
        version = services.payroll.get(result.guild_id, result.payroll_id)
    assert version.result is not None
    table = result.table
    assert table.gross == version.result.gross > 0
    assert table.total + table.fees + table.unclaimed == table.gross
    assert sum(row.payout for row in table.rows) == table.total
    gross = format_auec(table.gross)
    assert any("= gross" in line and gross in line for line in played.out.splitlines())


def test_the_second_run_starts_from_a_clean_folder(played: Played) -> None:
    result = played.result
    with opened(played.workdir / result.store) as services:
        sessions, _ = services.sessions.recent(result.guild_id)
    assert {s.session_id for s in sessions}.isdisjoint(played.first_sessions)
    assert [s.type for s in sessions].count(SessionType.SUNDAY) == 1
    assert "= gross" in played.first_out  # the first run went all the way too


def test_the_transcript_of_what_discord_showed_is_saved(played: Played) -> None:
    transcript = played.workdir / played.result.transcript
    text = transcript.read_text(encoding="utf-8")
    for step in ("/mining-admin channels add", "/mining start", "/mining adhoc new", "sm1:pfin:"):
        assert step in text
    assert transcript.with_suffix(".json").is_file()
    assert f"Transcript:  {played.result.transcript}" in played.out


def test_the_transcript_is_what_discord_showed_with_names_and_whole_lines(played: Played) -> None:
    text = (played.workdir / played.result.transcript).read_text(encoding="utf-8")
    assert "SimUser(" not in text
    assert re.search(r"<(@|#|@&)\d+>", text) is None  # mentions read as the names Discord shows
    assert "started by @Op Lead." in text
    assert "who=[@Harbor]" in text
    # whole messages, not a first line cut at 80 characters
    assert "stopped by itself: nobody was in the channel for 10 minutes." in text
    assert "(+2 min: Left 19:52, in the worker gap)" in text


def test_the_report_pdf_names_the_sunday_op_and_holds_the_adjustment_reasons(
    played: Played,
) -> None:
    report = played.result.report
    assert report is not None
    assert report.pdf is not None
    pdf = PdfReader(played.workdir / report.pdf)
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert "Payroll report — Sunday op: Aaron Halo Sunday" in text
    assert "Adhoc" not in text
    assert "Reason: Left 19:52, in the worker gap" in text
    assert "time +2 min — by Purser" in text
    assert "bundled sample of" in text
    assert "UEX average sell" not in text
    assert "Stale prices:" in text


def test_finalizing_left_a_pdf_and_csv_and_a_working_link(played: Played) -> None:
    report = played.result.report
    assert report is not None, played.out
    assert report.pdf is not None
    assert (played.workdir / report.pdf).is_file()
    assert report.csv is not None
    assert (played.workdir / report.csv).is_file()
    assert "/reports/" in report.link
    assert "?sig=" in report.link
    assert report.link_check.startswith("HTTP 200")
    assert f"Report PDF:  {report.pdf}" in played.out


def test_the_lead_sees_every_diagnostics_check(played: Played) -> None:
    (start,) = [i for i, line in enumerate(played.out.splitlines()) if " diagnose " in line]
    shown = "\n".join(played.out.splitlines()[start : start + 30])
    for area in ("Database", "Schema", "Prices", "Voice worker", "Discord", "Bot token"):
        assert f"{area} — " in shown
    assert "✅ Commands — registered and current" in shown
    assert "✅ Reports — " in shown
    assert "✅ Recent errors — none in the last day" in shown
    assert "❌" not in shown


def test_the_adhoc_session_that_stopped_itself_was_announced_in_its_channel(
    played: Played,
) -> None:
    transcript = (played.workdir / played.result.transcript).read_text(encoding="utf-8")
    assert "stopped by itself: nobody was in the chan" in transcript


def test_every_message_of_the_evening_reads_well_on_a_phone(played: Played) -> None:
    """Every message, form and list of choices the evening showed, as a member reads it: a
    public message fits one phone screen, and no message shows a raw id, an internal token or
    a "(s)" plural."""
    transcript = played.workdir / played.result.transcript.with_suffix(".json")
    entries = json.loads(transcript.read_text(encoding="utf-8"))
    names = names_in(demo_guild())
    shown = list(transcript_messages(entries))
    assert len(shown) > 30
    found = [
        f"{seen}: {problem}"
        for seen, body, public in shown
        for problem in problems(body, public=public, names=names)
    ]
    assert found == []
    (stop,) = [body for seen, body, public in shown if public and "/mining stop" in seen]
    assert len(screen_lines(stop, names)) <= PHONE_LINES


def test_the_final_payroll_reaches_the_report_channel_for_everyone(played: Played) -> None:
    transcript = played.workdir / played.result.transcript.with_suffix(".json")
    entries = json.loads(transcript.read_text(encoding="utf-8"))
    channel = demo_guild().channel("mining-ops").id
    (posted,) = [
        e
        for e in entries
        if e["kind"] == "rest"
        and e["path"] == f"/api/v10/channels/{channel}/messages"
        and e["files"]
    ]
    assert posted["request"]["allowed_mentions"] == {"parse": []}
    assert posted["files"][0]["filename"].endswith(".pdf")
    assert "Every payout is in the report" in posted["request"]["content"]


@dataclass(frozen=True)
class Read:
    """One message of the evening as a member reads it: who acted (the bot, for what the app
    posted by itself), on what, and its lines with names for mentions and times in UTC."""

    seq: int
    user: str
    action: str
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _read(played: Played) -> list[Read]:
    transcript = played.workdir / played.result.transcript.with_suffix(".json")
    entries = json.loads(transcript.read_text(encoding="utf-8"))
    names = names_in(demo_guild())
    read = []
    for entry in sorted(entries, key=lambda e: int(e["seq"])):
        if entry["kind"] == "interaction":
            body = (entry.get("response") or {}).get("data") or {}
            user, action = str(entry["user"]), str(entry["label"])
        elif entry["method"] == "POST" and isinstance(entry.get("request"), dict):
            # what the bot posted by itself; a channel's messages read as "#channel"
            body, user = entry["request"], "bot"
            action = names(_CHANNEL_POST.sub(r"<#\1>", entry["path"]))
        else:
            continue
        read.append(Read(int(entry["seq"]), user, action, screen_lines(body, names)))
    return read


_CHANNEL_POST = re.compile(r"^/api/v10/channels/(\d+)/messages$")


def _pdf_text(played: Played) -> str:
    report = played.result.report
    assert report is not None
    assert report.pdf is not None
    pdf = PdfReader(played.workdir / report.pdf)
    return " ".join(" ".join(page.extract_text() for page in pdf.pages).split())


def test_members_set_their_handles_and_the_purser_pays_by_them(played: Played) -> None:
    read = _read(played)
    (harbor,) = [r for r in read if r.user == "harbor" and "/mining handle set" in r.action]
    assert "Your in-game handle is now `Harbor-Hauls`: payouts show it beside your name." in (
        harbor.text
    )
    final = [r for r in read if r.user == "purser" and "· final]" in r.text]
    assert final
    payments = final[0].text
    assert "Harbor (Harbor-Hauls) — " in payments
    assert "Kite (Kite-SC) — " in payments
    assert "Op Lead (no handle yet) — " in payments
    assert "Harbor (Harbor-Hauls)" in _pdf_text(played)


def test_the_bot_says_once_that_the_refinery_job_is_ready_then_it_is_collected(
    played: Played,
) -> None:
    read = _read(played)
    (added,) = [r for r in read if r.user == "harbor" and "sm1:rfadd:" in r.action]
    assert "ARC-L1 · Dinyx Solventation · cost 62,400 aUEC · ready 2026-11-22 21:15 UTC" in (
        added.text
    )
    ready = "@Harbor Your refinery job at ARC-L1 (Quantainium, Gold) is ready to collect."
    notices = [r for r in read if ready in r.text]
    assert [(r.user, r.action) for r in notices] == [("bot", "#Dispatch")]
    assert "21:15  refinery  the bot in #Dispatch: " + ready in played.out
    # and once to the owner, by direct message (Harbor kept refinery messages on)
    told = "the bot in a direct message to @Harbor: Your refinery job at ARC-L1 (Quantainium, Gold)"
    assert played.out.count(told) == 1
    (collected,) = [r for r in read if r.user == "harbor" and "Collected at ARC-L1" in r.text]
    assert "Collected at ARC-L1: Quantainium 44, Gold 58 SCU." in collected.text
    assert added.seq < notices[0].seq < collected.seq


def test_the_payroll_haul_takes_the_collected_refinery_job(played: Played) -> None:
    read = _read(played)
    (taken,) = [r for r in read if r.user == "purser" and "From refinery jobs" in r.action]
    lines = [line for line in taken.lines if " · sold by " in line]
    assert lines[3].startswith("`4.` Quantainium — 44 SCU "), lines
    assert lines[4].startswith("`5.` Gold — 58 SCU "), lines
    cuts = [r for r in read if r.user == "purser" and "Refinery fee, ARC-L1" in r.text]
    assert any("Refinery fee, ARC-L1 — 62,400 aUEC, reimbursed to Harbor" in r.text for r in cuts)
    assert "Refinery fee, ARC-L1" in _pdf_text(played)


def test_the_purser_names_two_sellers_of_different_lines(played: Played) -> None:
    read = _read(played)
    picks = [r for r in read if r.user == "purser" and "sm1:pslu:" in r.action]
    assert len(picks) == 2
    sold_by = {
        line.split(" — ")[0].split(" ", 1)[1]: line.rsplit(" · sold by ", 1)[1]
        for line in picks[-1].lines
        if " · sold by " in line
    }
    assert sold_by == {
        "Bexalite": "Purser",
        "Taranite": "Purser",
        "Laranite": "Kite",
        "Quantainium": "Harbor",
        "Gold": "Harbor",
    }
    assert "Sold by…" in read[read.index(picks[0]) - 1].text


def test_a_member_reads_their_line_owed_then_paid_with_mining_me(played: Played) -> None:
    read = _read(played)
    (ember,) = [row for row in played.result.table.rows if row.name == "Ember"]
    line = f"Aaron Halo Sunday · 2026-11-22 18:00 UTC — {format_auec(ember.payout)} · "
    owed, paid = [r for r in read if r.user == "ember" and r.action == "/mining me"]
    assert f"Still owed to you: {format_auec(ember.payout)} from 1 payroll." in owed.text
    assert "Your in-game handle: `Ember-Rock`." in owed.text
    assert line + "⏳ owed since 2026-11-22 21:20 UTC" in owed.text
    assert "Nobody owes you anything: every payout has been marked paid. ✅" in paid.text
    assert line + "✅ paid 2026-11-22 21:20 UTC" in paid.text
    ticks = [r for r in read if "sm1:ptx:" in r.action]
    assert owed.seq < ticks[0].seq
    assert ticks[-1].seq < paid.seq


def test_the_sellers_settle_by_transfers_until_all_are_sent(played: Played) -> None:
    read = _read(played)
    listed, final = [
        r for r in read if r.user == "purser" and r.action.startswith('click "Transfers"')
    ]
    assert re.match(r"0 of (\d+) transfers sent", listed.lines[1]), listed.lines
    (posted,) = [r for r in read if r.user == "purser" and "sm1:ptpost:" in r.action]
    ticks = [r for r in read if "sm1:ptx:" in r.action]
    assert {r.user for r in ticks} == {"purser", "harbor", "kite"}
    opened = [r for r in read if "sm1:ptmine:" in r.action]
    assert [r.user for r in opened] == ["purser", "harbor", "kite"]
    assert all(posted.seq < r.seq for r in ticks)
    assert ticks[-1].seq < final.seq
    last = final.lines[1]
    found = re.match(r"(\d+) of (\d+) transfers sent · 0 aUEC still to send", last)
    assert found is not None, last
    assert found[1] == found[2], last
    sent = sum(int(n.replace(",", "")) for n in re.findall(r"⏳ ([\d,]+) → ", listed.text))
    assert sent > 0


def test_a_payee_is_told_their_line_and_who_sends_it_by_direct_message(played: Played) -> None:
    (ember,) = [row for row in played.result.table.rows if row.name == "Ember"]
    assert (
        "the bot to @Ember by direct message: 💰 The payroll of **Aaron Halo Sunday** is final: "
        f"your line is **{format_auec(ember.payout)}**." in played.out
    )
    sent = re.escape(format_auec(ember.payout))
    assert re.search(
        rf"It reaches you by transfer: @\w+( \(in game: [\w-]+\))? sends you {sent}\.", (played.out)
    )
    notice = played.out.index("the bot to @Ember by direct message")
    assert notice < played.out.index("@Ember: /mining me")
