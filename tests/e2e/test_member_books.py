"""/mining me through the simulator: a member's own pay across payrolls (one paid, one partly
paid after an amendment, one owed), their recent sessions, their handle, the pager, and the
rules every response keeps (it is shown to the member alone)."""

from __future__ import annotations

import re

from tests.e2e.conftest import Discord
from tests.support.books_flow import finalized, golden_books, second_op
from tests.support.member_view import problems
from tests.support.payroll_flow import (
    custom_id,
    member_action,
    modal_submit,
    stopped_op,
    text,
)

from sunday_mining.interactions.me_commands import LINES_PAGE
from sunday_mining_dev.simulator import Exchange

_TIME = re.compile(r"<t:\d+:[dR]>")
SWITCHES_ON = (
    "Your messages\nDirect messages from the bot — payouts: **on**, refinery jobs: **on**."
)


def shown(answer: Exchange) -> str:
    """What the member reads, with Discord's timestamps as <t> (their values are checked apart)."""
    return _TIME.sub("<t>", text(answer))


def test_a_member_with_no_payroll_yet_sees_their_sessions_and_is_asked_for_a_handle(
    discord: Discord,
) -> None:
    ana, ben = discord.member("ana").id, discord.member("ben").id
    stopped_op(discord, {ana: 120, ben: 45})
    answer = discord.command("ben", "mining me")
    assert answer.ephemeral
    assert problems(answer.data, public=False) == []
    assert shown(answer) == (
        "No final payroll pays you yet. You have no in-game handle yet: set one with "
        "`/mining handle set` so whoever sends your aUEC knows where to send it.\n"
        "Your recent sessions\n"
        "**Halo run** · <t> · 0:45:00 · stopped, not paid yet\n"
        f"{SWITCHES_ON}"
    )
    (switches,) = answer.data["components"]
    assert [b["label"] for b in switches["components"]] == [
        "Turn payout messages off",
        "Turn refinery messages off",
    ]


def test_a_member_across_payrolls_one_paid_one_partly_paid_one_owed(discord: Discord) -> None:
    ana, ben = discord.member("ana").id, discord.member("ben").id
    first = stopped_op(discord, {ana: 120, ben: 60})
    # v1: 2,000,000 less the 10 % cut, 2 h : 1 h = 1,200,000 and 600,000; both marked paid.
    final = finalized(discord, first, "2000000")
    final = discord.select("purser", final, custom_id(final, "sm1:ppaid:"), [ana, ben])
    paid_ms = discord.clock.now_ms()
    # v2: Ben was there 30 minutes longer: 771,429 for him, 171,429 more than he was paid.
    discord.clock.advance(minutes=10)
    view = discord.click("purser", final, custom_id(final, "sm1:pamend:"))
    opened = member_action(discord, "purser", view, ben, "Adjust time or multiplier…")
    view = modal_submit(discord, "purser", opened, {"mult": "1", "adj": "+30", "why": "Log gap"})
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Preview"))
    confirm = discord.click("purser", view, custom_id(view, "sm1:pask:"))
    discord.click("purser", confirm, custom_id(confirm, "sm1:pfin:"))
    amended_ms = discord.clock.now_ms()
    # A second op, 1,000,000 split 1 h : 1 h after the cut: 450,000 each, nobody paid yet.
    second = second_op(discord, {ana: 60, ben: 60}, "Second run")
    finalized(discord, second, "1000000")
    discord.command("ben", "mining handle set", handle="Ben_SC")

    answer = discord.command("ben", "mining me")
    assert answer.ephemeral
    assert problems(answer.data, public=False) == []
    assert shown(answer) == (
        "Still owed to you: **621,429 aUEC** from 2 payrolls. Your in-game handle: `Ben_SC`. "
        "Final payrolls credit you with **1,221,429 aUEC** in 2 payrolls.\n"
        "Your recent sessions\n"
        "**Second run** · <t> · 1:00:00 · payroll final\n"
        "**Halo run** · <t> · 1:30:00 · payroll final\n"
        "Your payouts\n"
        "**Second run** · <t> — **450,000 aUEC** · ⏳ owed since <t>\n"
        "**Halo run** v2 · <t> — **771,429 aUEC** · 600,000 aUEC paid earlier, "
        "⏳ **171,429 aUEC** still owed since <t>\n"
        f"{SWITCHES_ON}"
    )
    payouts = answer.data["embeds"][0]["fields"][1]["value"]
    assert f"still owed since <t:{amended_ms // 1000}:R>" in payouts
    assert paid_ms < amended_ms

    over = discord.command("ana", "mining me")
    assert "**Halo run** v2 · <t> — **1,028,571 aUEC** · over-paid 171,429 aUEC earlier" in (
        shown(over)
    )
    assert "Still owed to you: **450,000 aUEC** from 1 payroll." in shown(over)


def test_many_payouts_are_paged_and_the_pager_shows_the_pressers_own(discord: Discord) -> None:
    ana, ben = discord.member("ana").id, discord.member("ben").id
    first = stopped_op(discord, {ana: 60, ben: 60})
    finalized(discord, first, "100000")
    sessions = [second_op(discord, {ana: 30, ben: 30}, f"Run {n}") for n in range(LINES_PAGE)]
    for session_id in sessions:
        finalized(discord, session_id, "100000")
    answer = discord.command("ben", "mining me")
    assert problems(answer.data, public=False) == []
    assert "Your payouts (1/2)" in text(answer)
    older = custom_id(answer, "sm1:me:", "Older ▶")
    next_page = discord.click("ben", answer, older)
    assert "Your payouts (2/2)" in text(next_page)
    assert "**Halo run** · " in text(next_page)
    # Ana pressing Ben's button sees her own books, never his.
    hers = discord.click("ana", answer, older)
    assert "You have no in-game handle yet" in text(hers)
    discord.command("ben", "mining handle set", handle="Ben_SC")
    assert "`Ben_SC`" in text(discord.click("ben", answer, older))
    assert "`Ben_SC`" not in text(discord.click("ana", answer, older))


def test_the_golden_member_across_three_payrolls_one_amended_one_partly_paid(
    discord: Discord,
) -> None:
    """The golden example (tests/support/books_flow.py), as Ben and Ana read it."""
    golden = golden_books(discord)
    ben = discord.command("ben", "mining me")
    assert shown(ben) == (
        "Still owed to you: **870,000 aUEC** from 3 payrolls. You have no in-game handle yet: "
        "set one with `/mining handle set` so whoever sends your aUEC knows where to send it. "
        "Final payrolls credit you with **1,320,000 aUEC** in 3 payrolls.\n"
        "Your recent sessions\n"
        "**Third run** · <t> · 0:30:00 · payroll final\n"
        "**Second run** · <t> · 1:00:00 · payroll final\n"
        "**Halo run** · <t> · 1:30:00 · payroll final\n"
        "Your payouts\n"
        "**Third run** · <t> — **270,000 aUEC** · ⏳ owed since <t>\n"
        "**Second run** · <t> — **450,000 aUEC** · ⏳ owed since <t>\n"
        "**Halo run** v2 · <t> — **600,000 aUEC** · 450,000 aUEC paid earlier, "
        "⏳ **150,000 aUEC** still owed since <t>\n"
        "Your messages\n"
        "Direct messages from the bot — payouts: **on**, refinery jobs: **on**."
    )
    assert f"still owed since <t:{golden.amended_ms // 1000}:R>" in text(ben)
    ana = discord.command("ana", "mining me")
    assert shown(ana) == (
        "Still owed to you: **810,000 aUEC** from 1 payroll. You have no in-game handle yet: "
        "set one with `/mining handle set` so whoever sends your aUEC knows where to send it. "
        "Final payrolls credit you with **2,060,000 aUEC** in 3 payrolls.\n"
        "Your recent sessions\n"
        "**Third run** · <t> · 1:30:00 · payroll final\n"
        "**Second run** · <t> · 1:00:00 · payroll final\n"
        "**Halo run** · <t> · 2:00:00 · payroll final\n"
        "Your payouts\n"
        "**Third run** · <t> — **810,000 aUEC** · ⏳ owed since <t>\n"
        "**Second run** · <t> — **450,000 aUEC** · ✅ paid <t>\n"
        "**Halo run** v2 · <t> — **800,000 aUEC** · over-paid 100,000 aUEC earlier: settle it "
        "in game\n"
        "Your messages\n"
        "Direct messages from the bot — payouts: **on**, refinery jobs: **on**."
    )
    assert f"paid <t:{golden.second_ms // 1000}:R>" in text(ana)
