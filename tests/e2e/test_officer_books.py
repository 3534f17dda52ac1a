"""The org's books for officers through the simulator over HTTP: /mining ledger (and its CSV
link), /mining stats and /mining owed on the golden example of a member across three payrolls
(one amended after everyone was paid, one partly paid, one owed); marking lines paid across
payrolls with a confirmation; stale picks; and the refusals for members without the role on
every command, button and menu."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.e2e.conftest import Discord
from tests.support.books_flow import Golden, finalized, golden_books, second_op
from tests.support.member_view import problems
from tests.support.payroll_flow import custom_id, stopped_op, text

from sunday_mining.adapters.local_blobs import FolderBlobs
from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.entrypoints.factories import ReportSetup, build_services
from sunday_mining.entrypoints.local_server import free_port, running_app
from sunday_mining.interactions import books_commands
from sunday_mining.interactions.books_commands import OWED_PAGE
from sunday_mining.interactions.commands import command_json
from sunday_mining.reports.links import ReportLinks
from sunday_mining.web.app import create_app
from sunday_mining_dev.simulator import DevKeyPair, DiscordSimulator, Exchange

_TIME = re.compile(r"<t:\d+:[dR]>")


def shown(answer: Exchange) -> str:
    """What the officer reads, Discord's timestamps as <t>; the answer keeps every rule (an
    update keeps the officer's own message, shown to them alone)."""
    assert answer.ephemeral or answer.response_type == 7
    assert problems(answer.data, public=False) == []
    return _TIME.sub("<t>", text(answer))


def refused(answer: Exchange) -> str:
    """A refusal: one short ephemeral sentence and nothing else."""
    assert answer.ephemeral
    assert not answer.data.get("embeds")
    assert not answer.data.get("components")
    return str(answer.data["content"])


@pytest.fixture
def golden(discord: Discord) -> Golden:
    return golden_books(discord)


# --- /mining ledger -------------------------------------------------------------------------


def test_the_ledger_counts_each_op_once_as_its_newest_final_version(
    discord: Discord, golden: Golden
) -> None:
    answer = discord.command("purser", "mining ledger")
    assert shown(answer) == (
        "From 3 final payrolls (an amendment replaces what it supersedes), in aUEC: the org "
        "took **420,000** (cuts 420,000, donations 0) of 4,200,000 gross; expenses reimbursed "
        "0; transfer fees 0.\n\n"
        "📅 **2026-11** · 3 payrolls — gross 4,200,000 · cuts 420,000 · donations 0 · "
        "reimbursed 0 · fees 0\n"
        "• **Halo run** v2 · <t> — gross 2,000,000 · cuts 200,000 · donations 0 · "
        "reimbursed 0 · fees 0\n"
        "• **Second run** · <t> — gross 1,000,000 · cuts 100,000 · donations 0 · "
        "reimbursed 0 · fees 0\n"
        "• **Third run** · <t> — gross 1,200,000 · cuts 120,000 · donations 0 · "
        "reimbursed 0 · fees 0"
    )
    assert answer.data["embeds"][0]["title"] == "The org's books — every month"
    # No report links on this installation: no CSV button either.
    assert answer.data["components"] == []


def test_a_leader_reads_one_month_and_an_empty_month_says_so(
    discord: Discord, golden: Golden
) -> None:
    november = discord.command("lead", "mining ledger", month="2026-11")
    assert november.data["embeds"][0]["title"] == "The org's books — 2026-11"
    assert "From 3 final payrolls" in shown(november)
    october = discord.command("lead", "mining ledger", month=" 2026-10 ")
    assert shown(october) == "No final payroll in 2026-10: nothing to add up."


@pytest.mark.parametrize("typed", ["2026-13", "11/2026", "November"])
def test_a_month_typed_otherwise_is_answered_with_the_format(
    discord: Discord, golden: Golden, typed: str
) -> None:
    answer = discord.command("purser", "mining ledger", month=typed)
    assert refused(answer) == "Type the month as YYYY-MM, for example 2026-06."


# --- /mining stats --------------------------------------------------------------------------


def test_stats_give_ops_time_and_pay_per_member_over_the_last_30_days(
    discord: Discord, golden: Golden
) -> None:
    discord.command("ben", "mining handle set", handle="Ben_SC")
    answer = discord.command("lead", "mining stats")
    assert answer.data["embeds"][0]["title"] == "Attendance and pay — the last 30 days"
    assert shown(answer).split("\n\n")[1] == (
        "**Ana** · 3 ops · 4:30:00 · 2,060,000 aUEC, 810,000 aUEC still owed\n"
        "**Ben** (`Ben_SC`) · 3 ops · 3:00:00 · 1,320,000 aUEC, 870,000 aUEC still owed\n"
        "**cy** · 1 op · 1:00:00 · 400,000 aUEC, all paid"
    )


def test_stats_list_who_attended_before_but_not_in_the_period(
    discord: Discord, golden: Golden
) -> None:
    answer = discord.command("purser", "mining stats", period="1d")
    assert shown(answer).split("\n\n")[1] == (
        "**Ana** · 1 op · 1:30:00 · 810,000 aUEC, 810,000 aUEC still owed\n"
        "**Ben** · 1 op · 0:30:00 · 270,000 aUEC, 270,000 aUEC still owed\n"
        "**cy** · not seen since <t>"
    )
    first_op = discord.services.sessions.recent(discord.guild_id)[0][-1]
    assert f"not seen since <t:{first_op.started_ms // 1000}:d>" in text(answer)
    assert "2 members attended or were paid in the last day" in text(answer)


def test_stats_of_a_month(discord: Discord, golden: Golden) -> None:
    answer = discord.command("lead", "mining stats", period="2026-11")
    assert "**Ana** · 3 ops · 4:30:00" in shown(answer)
    october = discord.command("lead", "mining stats", period="2026-10")
    assert shown(october) == ("Nobody attended an op with a final payroll in 2026-10 or before.")


def test_a_period_typed_otherwise_is_answered_with_both_forms(
    discord: Discord, golden: Golden
) -> None:
    answer = discord.command("lead", "mining stats", period="last week")
    assert refused(answer) == (
        "Type the period as a month (YYYY-MM, for example 2026-11) or a number of days "
        "(for example 90d)."
    )


# --- /mining owed ---------------------------------------------------------------------------


def test_still_owed_lists_every_unpaid_line_oldest_first_with_handles(
    discord: Discord, golden: Golden
) -> None:
    discord.command("ben", "mining handle set", handle="Ben_SC")
    answer = discord.command("purser", "mining owed")
    assert shown(answer) == (
        "4 lines still owed, **1,680,000 aUEC** in all, oldest first. Tick the lines you have "
        "paid in the menu, then confirm.\n\n"
        "**Ben** (`Ben_SC`) — **150,000 aUEC** (450,000 aUEC paid earlier) · Halo run v2 · "
        "since <t>\n"
        "**Ben** (`Ben_SC`) — **450,000 aUEC** · Second run · since <t>\n"
        "**Ana** (⚠️ no handle — ask them) — **810,000 aUEC** · Third run · since <t>\n"
        "**Ben** (`Ben_SC`) — **270,000 aUEC** · Third run · since <t>"
    )
    assert f"since <t:{golden.amended_ms // 1000}:R>" in text(answer)
    (menu,) = answer.data["components"][0]["components"]
    assert [(o["label"], o["description"]) for o in menu["options"]] == [
        ("Ben (Ben_SC)", "150,000 aUEC · Halo run v2"),
        ("Ben (Ben_SC)", "450,000 aUEC · Second run"),
        ("Ana — no handle", "810,000 aUEC · Third run"),
        ("Ben (Ben_SC)", "270,000 aUEC · Third run"),
    ]
    assert menu["max_values"] == 4


def owed_values(answer: Exchange) -> list[str]:
    (menu,) = answer.data["components"][0]["components"]
    return [str(o["value"]) for o in menu["options"]]


def test_marking_lines_paid_across_payrolls_asks_first_then_writes_the_payrolls_marks(
    discord: Discord, golden: Golden
) -> None:
    listed = discord.command("purser", "mining owed")
    values = owed_values(listed)
    asked = discord.select("purser", listed, "sm1:bown:0", [values[0], values[2]])
    assert shown(asked) == (
        "2 lines, **960,000 aUEC** in all. Nothing is marked until you press **Mark paid**.\n\n"
        "**Ben** (⚠️ no handle — ask them) — **150,000 aUEC** (450,000 aUEC paid earlier) · "
        "Halo run v2 · since <t>\n"
        "**Ana** (⚠️ no handle — ask them) — **810,000 aUEC** · Third run · since <t>"
    )
    assert discord.services.books.still_owed(discord.guild_id)[0].owed == 150_000  # not yet
    done = discord.click("purser", asked, custom_id(asked, "sm1:bpay:", "Mark paid"))
    assert shown(done).startswith(
        "✅ Marked 2 lines paid (960,000 aUEC).\n\n2 lines still owed, **720,000 aUEC** in all"
    )
    # The same marks the per-payroll view shows: Ben's Halo run line and Ana's Third run.
    payroll_id, ben = values[0].split(".")
    assert ben in discord.services.payroll.get(discord.guild_id, payroll_id).paid
    mine = discord.command("ben", "mining me")
    assert "Still owed to you: **720,000 aUEC** from 2 payrolls." in text(mine)

    # Pressing the same confirmation again marks nothing and says why.
    again = discord.click("purser", asked, custom_id(asked, "sm1:bpay:", "Mark paid"))
    assert shown(again).startswith(
        "⚠️ Nothing was marked: 2 lines changed since you picked it (already marked paid, or "
        "its payroll amended): Ben in Halo run, Ana in Third run. Pick again below."
    )
    assert "2 lines still owed, **720,000 aUEC** in all" in text(again)


def test_a_line_paid_in_the_payroll_meanwhile_makes_the_pick_stale(
    discord: Discord, golden: Golden
) -> None:
    listed = discord.command("purser", "mining owed")
    values = owed_values(listed)
    asked = discord.select("purser", listed, "sm1:bown:0", values[1:2])
    payroll_id, ben = values[1].split(".")
    discord.services.payroll.set_paid(discord.guild_id, payroll_id, "1", [ben], [ben])
    answer = discord.click("purser", asked, custom_id(asked, "sm1:bpay:", "Mark paid"))
    assert "⚠️ Nothing was marked: 1 line changed since you picked it" in shown(answer)
    # A menu shown before the payment offers a line that is no longer owed: nothing is picked.
    stale = discord.select("purser", listed, "sm1:bown:0", values[1:3])
    assert shown(stale).startswith("⚠️ Nothing was picked: the list changed since it was shown")


def test_a_stale_note_names_three_lines_and_counts_the_rest(
    discord: Discord, golden: Golden
) -> None:
    listed = discord.command("purser", "mining owed")
    values = owed_values(listed)
    asked = discord.select("purser", listed, "sm1:bown:0", values)
    first = discord.click("purser", asked, custom_id(asked, "sm1:bpay:", "Mark paid"))
    assert shown(first).startswith("✅ Marked 4 lines paid (1,680,000 aUEC).")
    again = discord.click("purser", asked, custom_id(asked, "sm1:bpay:", "Mark paid"))
    assert shown(again).startswith(
        "⚠️ Nothing was marked: 4 lines changed since you picked it (already marked paid, or "
        "its payroll amended): Ben in Halo run, Ben in Second run, Ana in Third run and 1 more. "
        "Pick again below."
    )


def test_back_from_the_confirmation_marks_nothing(discord: Discord, golden: Golden) -> None:
    listed = discord.command("purser", "mining owed")
    asked = discord.select("purser", listed, "sm1:bown:0", owed_values(listed)[:1])
    back = discord.click("purser", asked, custom_id(asked, "sm1:bowed:", "Back"))
    assert shown(back) == shown(listed)


def test_another_officers_confirmation_is_refused(discord: Discord, golden: Golden) -> None:
    listed = discord.command("purser", "mining owed")
    asked = discord.select("purser", listed, "sm1:bown:0", owed_values(listed)[:1])
    answer = discord.click("admin", asked, custom_id(asked, "sm1:bpay:", "Mark paid"))
    assert refused(answer) == (
        "That confirmation belongs to another officer; run /mining owed to pick your own."
    )
    assert len(discord.services.books.still_owed(discord.guild_id)) == 4


def test_nothing_owed_says_so(discord: Discord) -> None:
    ana = discord.member("ana").id
    final = finalized(discord, stopped_op(discord, {ana: 60}), "100000")
    discord.select("purser", final, custom_id(final, "sm1:ppaid:"), [ana])
    answer = discord.command("purser", "mining owed")
    assert shown(answer) == (
        "Nobody is owed anything: every line of every final payroll is marked paid. ✅"
    )
    assert answer.data["components"] == []


def test_many_owed_lines_are_paged_and_each_page_has_its_own_menu(discord: Discord) -> None:
    ana, ben = discord.member("ana").id, discord.member("ben").id
    finalized(discord, stopped_op(discord, {ana: 60, ben: 60}), "100000")
    for n in range(OWED_PAGE // 2):
        finalized(discord, second_op(discord, {ana: 30, ben: 30}, f"Run {n}"), "100000")
    first = discord.command("purser", "mining owed")
    assert first.data["embeds"][0]["footer"]["text"] == "Page 1 of 2"
    assert len(owed_values(first)) == OWED_PAGE
    more = discord.click("purser", first, custom_id(first, "sm1:bowed:", "More ▶"))
    assert more.data["embeds"][0]["footer"]["text"] == "Page 2 of 2"
    assert shown(more).endswith("**45,000 aUEC** · Run 4 · since <t>")
    asked = discord.select("purser", more, "sm1:bown:1", owed_values(more))
    done = discord.click("purser", asked, custom_id(asked, "sm1:bpay:", "Mark paid"))
    assert shown(done).startswith("✅ Marked 2 lines paid (90,000 aUEC).")
    assert "footer" not in done.data["embeds"][0]  # ten lines left: one page


# --- who may ---------------------------------------------------------------------------------


def test_members_without_the_role_are_refused_every_command(
    discord: Discord, golden: Golden
) -> None:
    books = (
        "Only payroll officers and op leaders can read the org's books; an admin can add your "
        "role with /mining-admin roles add."
    )
    owed = (
        "Only payroll officers can see and mark what is still owed; an admin can add your role "
        "with /mining-admin roles add kind:payroll."
    )
    assert refused(discord.command("ben", "mining ledger")) == books
    assert refused(discord.command("ben", "mining stats")) == books
    assert refused(discord.command("ben", "mining owed")) == owed
    assert refused(discord.command("lead", "mining owed")) == owed  # leaders read, not mark


@pytest.fixture
def short_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two entries a page, so the golden example's ledger and stats need a pager."""
    monkeypatch.setattr(books_commands, "LEDGER_PAGE", 2)
    monkeypatch.setattr(books_commands, "STATS_PAGE", 2)


@pytest.mark.usefixtures("short_pages")
def test_the_ledger_and_stats_page_through_their_entries(discord: Discord, golden: Golden) -> None:
    ledger = discord.command("purser", "mining ledger")
    assert "**Second run**" not in shown(ledger)
    more = discord.click("purser", ledger, custom_id(ledger, "sm1:bldg:all:", "More ▶"))
    assert more.data["embeds"][0]["footer"]["text"] == "Page 2 of 2"
    assert "• **Second run** · <t>" in shown(more)
    assert "From 3 final payrolls" in shown(more)  # the totals head every page
    stats = discord.command("lead", "mining stats", period="1d")
    more = discord.click("lead", stats, custom_id(stats, "sm1:bst:1d:", "More ▶"))
    assert shown(more).split("\n\n")[1] == "**cy** · not seen since <t>"


@pytest.mark.usefixtures("short_pages")
def test_members_without_the_role_are_refused_every_button_and_menu(
    discord: Discord, golden: Golden
) -> None:
    ledger = discord.command("purser", "mining ledger")
    stats = discord.command("purser", "mining stats")
    listed = discord.command("purser", "mining owed")
    values = owed_values(listed)
    asked = discord.select("purser", listed, "sm1:bown:0", values[:1])
    pay = custom_id(asked, "sm1:bpay:", "Mark paid")
    for answer in (
        discord.select("ben", listed, "sm1:bown:0", values[:1]),
        discord.click("ben", asked, pay),
        discord.click("ben", asked, custom_id(asked, "sm1:bowed:", "Back")),
        discord.click("ben", ledger, custom_id(ledger, "sm1:bldg:", "More ▶")),
        discord.click("ben", stats, custom_id(stats, "sm1:bst:", "More ▶")),
    ):
        assert refused(answer).startswith("Only payroll officers")
    assert len(discord.services.books.still_owed(discord.guild_id)) == 4


# --- the ledger's CSV -----------------------------------------------------------------------


@pytest.fixture
def linked(tmp_path: Path) -> Iterator[tuple[Discord, str]]:
    """The app with report links on (a reports folder and a link key, no job runner)."""
    keys = DevKeyPair.generate()
    clock = FixedClock(1_795_370_400_000)
    store = SqliteStore(tmp_path / "e2e.sqlite3")
    port = free_port("127.0.0.1")
    base_url = f"http://127.0.0.1:{port}"
    setup = ReportSetup(
        blobs=FolderBlobs(tmp_path / "reports"), links=ReportLinks(b"s" * 32, base_url)
    )
    services = build_services(store, clock, reports=setup)
    app = create_app(services, public_key_hex=keys.public_key_hex)
    with (
        running_app(app, port=port) as base,
        DiscordSimulator.over_http(base, keys=keys, definitions=command_json()) as sim,
    ):
        yield Discord(sim, services, clock), base
    store.close()


def csv_link(answer: Exchange) -> str:
    (link,) = [c for r in answer.data["components"] for c in r["components"] if c.get("style") == 5]
    assert link["label"] == "CSV (spreadsheet)"
    return str(link["url"])


def test_the_ledgers_csv_opens_with_the_same_rows_and_totals(
    linked: tuple[Discord, str],
) -> None:
    discord, base = linked
    golden_books(discord)
    answer = discord.command("purser", "mining ledger", month="2026-11")
    assert problems(answer.data, public=False) == []
    url = csv_link(answer)
    assert url.startswith(f"{base}/books/ledger-{discord.guild_id}-2026-11?sig=")
    opened = httpx.get(url)
    assert opened.status_code == 200
    assert opened.headers["content-disposition"] == 'attachment; filename="ledger-2026-11.csv"'
    rows = list(csv.reader(io.StringIO(opened.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["row", "month", "payroll"]
    assert [r[:7] for r in rows[1:]] == [
        ["payroll", "2026-11", "Halo run", "2", "2026-11-22", "1", "2000000"],
        ["payroll", "2026-11", "Second run", "1", "2026-11-23", "1", "1000000"],
        ["payroll", "2026-11", "Third run", "1", "2026-11-24", "1", "1200000"],
        ["month", "2026-11", "", "", "", "3", "4200000"],
        ["total", "", "", "", "", "3", "4200000"],
    ]
    assert [r[7] for r in rows[1:]] == ["200000", "100000", "120000", "420000", "420000"]


def test_a_session_name_that_looks_like_a_formula_is_text_in_the_csv(
    linked: tuple[Discord, str],
) -> None:
    discord, _ = linked
    ana = discord.member("ana").id
    stopped_op(discord, {ana: 60})
    finalized(discord, second_op(discord, {ana: 60}, "=HYPERLINK(1)"), "100000")
    rows = list(
        csv.reader(
            io.StringIO(
                httpx.get(csv_link(discord.command("lead", "mining ledger"))).content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert rows[1][2] == "'=HYPERLINK(1)"


def test_a_tampered_or_foreign_ledger_link_is_refused(linked: tuple[Discord, str]) -> None:
    discord, base = linked
    golden_books(discord)
    url = csv_link(discord.command("purser", "mining ledger", month="2026-11"))
    other_month = url.replace("-2026-11?", "-2026-10?")
    for wrong in (other_month, url[:-3] + "abc", f"{base}/books/ledger-1-all?sig=1.abc"):
        answer = httpx.get(wrong)
        assert answer.status_code == 403
        assert answer.text == "This report link is not valid."
    discord.clock.advance(minutes=60 * 24 * 40)
    expired = httpx.get(url)
    assert (expired.status_code, expired.text) == (
        403,
        "This ledger link has expired; run /mining ledger in Discord for a fresh one.",
    )
