"""/mining payroll from pick to paid, driven through the simulator over HTTP; every answer is
checked against Discord's contract."""

from __future__ import annotations

import pytest
from tests.e2e.conftest import Discord
from tests.support.discord_box import checked
from tests.support.payroll_flow import (
    LARANITE,
    QUANTAINIUM,
    Crew,
    components,
    custom_id,
    member_action,
    modal_submit,
    option_labels,
    stopped_op,
    text,
)

from sunday_mining.services.payroll import PayrollStatus


def test_an_officer_takes_a_stopped_session_from_pick_to_final_to_paid(discord: Discord) -> None:
    ids = {name: discord.member(name).id for name in ("ana", "ben", "cy", "lead")}
    session_id = stopped_op(
        discord, {ids["ana"]: 120, ids["ben"]: 90, ids["lead"]: 60, ids["cy"]: 5}
    )

    # 1. pick the session
    picker = discord.command("purser", "mining payroll")
    assert picker.ephemeral
    (option,) = next(components(picker))["options"]
    assert option["label"] == "Halo run"
    assert "2 h 00 min" in option["description"]
    assert "4 participants" in option["description"]
    view = discord.select("purser", picker, "sm1:ppick", [session_id])
    assert view.response_type == 7
    assert "4 listed, 3 paid" in text(view)  # cy sat 5 minutes: below the minimum

    # 2. participants, each by name: exclude the lead, ben donates, ana x1.5 and 30 minutes more
    name = {who: discord.member(who).display_name for who in ids}
    labels = option_labels(view, "sm1:pmem:")
    assert labels[ids["ana"]] == f"{name['ana']} · 2:00:00"
    assert labels[ids["cy"]] == f"{name['cy']} · 0:05:00  🕒"
    view = member_action(discord, "purser", view, ids["lead"], "Exclude")
    assert "4 listed, 2 paid" in text(view)
    assert f"Excluded {name['lead']}: listed, not paid." in text(view)
    view = member_action(discord, "purser", view, ids["ben"], "Donates their share")
    opened = member_action(discord, "purser", view, ids["ana"], "Adjust time or multiplier…")
    assert opened.data["title"] == name["ana"]
    view = modal_submit(
        discord, "purser", opened, {"mult": "1.5", "adj": "+30", "why": "Hauled the ore home"}
    )
    assert "\u00d71.5" in text(view)  # the multiplication sign
    assert "Hauled the ore home" in text(view)
    assert "💝 donor" in text(view)

    # 3. the haul: the bundled prices are months old, so they must be accepted first
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Haul"))
    opened = discord.select("purser", view, custom_id(view, "sm1:pore:"), [QUANTAINIUM])
    refused = modal_submit(discord, "purser", opened, {f"o{QUANTAINIUM}": "32.5"})
    assert refused.ephemeral
    assert "days old" in refused.content
    view = discord.click("purser", view, custom_id(view, "sm1:pstale:"))
    opened = discord.select("purser", view, custom_id(view, "sm1:pore:"), [QUANTAINIUM, LARANITE])
    assert len(opened.data["components"]) == 2
    view = modal_submit(
        discord, "purser", opened, {f"o{QUANTAINIUM}": "32.5", f"o{LARANITE}": "120 avg"}
    )
    assert "**Quantainium** — 32.5 SCU" in text(view)
    before = discord.store_items()
    opened = discord.click("purser", view, custom_id(view, "sm1:ppaste:"))
    refused = modal_submit(discord, "purser", opened, {"list": "QUAN 10, Gld 8, LARA ten"})
    assert refused.ephemeral
    assert "'Gld 8' (no ore called 'Gld')" in refused.content
    assert "'LARA ten'" in refused.content
    assert "nothing was saved" in refused.content
    assert discord.store_items() == before
    view = modal_submit(discord, "purser", opened, {"list": "Gold 8 @ 6100\nBeryl 20"})
    assert "**Gold** — 8 SCU \u00d7 6,100 aUEC (typed price) = 48,800 aUEC" in text(view)

    # 4. expenses and the org cut (prefilled from the server's setting)
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Expenses & cuts"))
    assert "**Org cut** — 10 % to the org" in text(view)
    opened = discord.click("purser", view, custom_id(view, "sm1:pexp:"))
    fields = {"label": "Refinery fee", "amount": "150,000", "who": [discord.member("ana")]}
    cuts_view = view = modal_submit(discord, "purser", opened, fields)
    assert f"**Refinery fee** — 150,000 aUEC, reimbursed to {name['ana']}" in text(view)

    # 5. preview, then finalize in a second, explicit step
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Preview"))
    preview = text(view)
    assert "Gross **" in preview
    assert "largest remainders" in preview
    assert f"{name['ana']} — **" in preview
    assert "the org — **" in preview
    # who is not paid, in the words the report prints (one wording, services.payroll.text)
    assert f"{name['lead']} — excluded by the officer" in preview
    assert f"{name['cy']} — below the 15-minute minimum" in preview
    # the price source is said once, in words, not on every line
    assert "Prices: " in preview
    assert preview.count("snapshot of") == 0
    assert "snapshot:" not in preview
    confirm = discord.click("purser", view, custom_id(view, "sm1:pask:"))
    assert confirm.data["embeds"][0]["title"].startswith("Finalize version 1")
    final = discord.click("purser", confirm, custom_id(confirm, "sm1:pfin:"))
    assert "· final" in final.data["embeds"][0]["title"]
    version = discord.services.payroll.open(discord.guild_id, session_id, ids["cy"])
    assert version.status is PayrollStatus.FINAL
    assert version.result is not None
    assert [p for p, _ in version.payees()] == [ids["ana"], "org"]  # ben donated his share

    # 6. mark payments and see who is still owed: the org's cut is kept, nobody owes it
    paid_select = custom_id(final, "sm1:ppaid:")
    assert set(option_labels(final, "sm1:ppaid:")) == {ids["ana"]}
    paid = discord.select("purser", final, paid_select, [ids["ana"]])
    assert "1 of 1 member marked paid · still owed **0 aUEC**" in text(paid)
    owed = discord.click("purser", paid, custom_id(paid, "sm1:pgo:", "Still owed"))
    owed_text = text(owed)
    assert "Everyone has been paid. ✅" in owed_text
    assert "the org" not in owed_text

    # a draft button from before finalizing gets a polite answer and changes nothing
    before = discord.store_items()
    stale = discord.click("purser", cuts_view, custom_id(cuts_view, "sm1:pexp:"))
    assert stale.ephemeral
    assert "was finalized by" in stale.content
    assert discord.store_items() == before


def test_a_member_without_the_payroll_role_is_refused_on_clicks_and_modal_submits(
    discord: Discord,
) -> None:
    ids = {name: discord.member(name).id for name in ("ana", "ben")}
    session_id = stopped_op(discord, {ids["ana"]: 60, ids["ben"]: 60})
    view = discord.command("purser", "mining payroll", session=session_id)
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Expenses & cuts"))
    opened = discord.click("purser", view, custom_id(view, "sm1:pexp:"))
    before = discord.store_items()

    clicked = discord.click("ben", view, custom_id(view, "sm1:pexp:"))
    assert clicked.ephemeral
    assert "Only payroll officers" in clicked.content
    submitted = modal_submit(discord, "ben", opened, {"label": "Fuel", "amount": "10"})
    assert submitted.ephemeral
    assert "Only payroll officers" in submitted.content
    listed = discord.command("ben", "mining payroll")
    assert "Only payroll officers" in listed.content
    assert discord.store_items() == before


def test_a_120_member_op_never_shows_more_than_25_options_per_select(discord: Discord) -> None:
    crew = [str(10**17 + n) for n in range(120)]
    session_id = stopped_op(discord, {user: 20 + n for n, user in enumerate(crew)})
    view = discord.command("purser", "mining payroll", session=session_id)
    seen = set()
    for page in range(6):
        rows = view.data["components"]
        assert len(rows) <= 5
        selects = [c for c in components(view) if c["type"] == 3]
        assert len(selects) == 1
        assert all(len(s["options"]) <= 25 for s in selects)
        seen |= {o["value"] for o in selects[0]["options"]}
        if page < 5:
            view = discord.click("purser", view, custom_id(view, "sm1:pv:", "Next ▶"))
    assert seen == set(crew)
    # the last page's menu works like the first's, and the answer stays on that page
    first_on_page = next(components(view))["options"][0]["value"]
    view = member_action(discord, "purser", view, first_on_page, "Exclude")
    assert "120 listed, 119 paid" in text(view)
    assert "Page 6 of 6" in str(view.data["embeds"][0]["footer"])


def test_the_payroll_button_on_the_stop_summary_opens_the_draft(discord: Discord) -> None:
    ana = discord.member("ana").id
    discord.setup_guild()
    Crew(discord).move([ana], discord.sim.guild.channel("Mining 1").id)
    discord.command("lead", "mining start")
    discord.clock.advance(minutes=30)
    stopped = discord.command("lead", "mining stop")
    opened = discord.click("purser", stopped, custom_id(stopped, "sm1:payroll:"))
    assert opened.ephemeral
    assert opened.response_type == 4
    assert "1 listed, 1 paid" in text(opened)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("-5", "can't be negative"),
        ("0", "must be more than 0"),
        ("lots", "isn't an amount"),
        ("1.234", "at most two decimals"),
        ("100001", "more than the 100,000 SCU one line may hold"),
    ],
)
def test_bad_scu_is_refused_with_one_sentence_and_the_draft_unchanged(
    discord: Discord, typed: str, reason: str
) -> None:
    ana = discord.member("ana").id
    session_id = stopped_op(discord, {ana: 60})
    view = discord.command("purser", "mining payroll", session=session_id)
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Haul"))
    view = discord.click("purser", view, custom_id(view, "sm1:pstale:"))
    opened = discord.select("purser", view, custom_id(view, "sm1:pore:"), [LARANITE])
    before = discord.store_items()
    refused = modal_submit(discord, "purser", opened, {f"o{LARANITE}": typed})
    assert refused.ephemeral
    assert reason in refused.content
    assert refused.content.startswith("Laranite")
    assert "\n" not in refused.content
    assert discord.store_items() == before


def test_a_120_member_payroll_previews_and_pays_page_by_page(discord: Discord) -> None:
    crew = [str(10**17 + n) for n in range(120)]
    session_id = stopped_op(discord, {user: 20 + n for n, user in enumerate(crew)})
    view = discord.command("purser", "mining payroll", session=session_id)
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Haul"))
    opened = discord.click("purser", view, custom_id(view, "sm1:psale:"))
    view = modal_submit(discord, "purser", opened, {"label": "ARC-L1", "total": "12 345 678"})
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Preview"))
    assert "Payouts (1/9)" in text(view)  # 120 members and the org, 15 to a page
    view = discord.click("purser", view, custom_id(view, "sm1:pv:", "Next ▶"))
    assert "Payouts (2/9)" in text(view)
    view = discord.click("purser", view, custom_id(view, "sm1:pask:"))
    final = discord.click("purser", view, custom_id(view, "sm1:pfin:"))
    paid_select = next(c for c in components(final) if c["type"] == 3)
    assert len(paid_select["options"]) == 14  # the org's line is on the page, not in the menu
    everyone = [o["value"] for o in paid_select["options"]]
    paid = discord.select("purser", final, paid_select["custom_id"], everyone)
    assert "14 of 120 members marked paid" in text(paid)
    owed = discord.click("purser", paid, custom_id(paid, "sm1:pgo:", "Still owed"))
    assert "106 members still owed" in text(owed)


def test_the_session_option_autocompletes_stopped_sessions(discord: Discord) -> None:
    ana = discord.member("ana").id
    session_id = stopped_op(discord, {ana: 30})
    suggestions = discord.autocomplete("purser", "mining payroll", "session", "halo")
    assert [(c["name"], c["value"]) for c in suggestions.choices] == [
        ("Halo run · payroll none", session_id)
    ]


def test_an_adhoc_sessions_creator_runs_its_payroll_but_nobody_elses(discord: Discord) -> None:
    discord.setup_guild()
    ana, ben = discord.member("ana").id, discord.member("ben").id
    channel = discord.sim.guild.channel("Dispatch")
    Crew(discord).move([ana, ben], channel.id)
    discord.command("ben", "mining adhoc new", channel=channel, name="Bens rocks")
    discord.clock.advance(minutes=45)
    discord.command("ben", "mining stop")

    picker = discord.command("ben", "mining payroll")
    (option,) = next(components(picker))["options"]
    assert option["label"] == "Bens rocks"
    view = discord.select("ben", picker, "sm1:ppick", [option["value"]])
    assert "2 listed, 2 paid" in text(view)
    refused = discord.click("cy", view, custom_id(view, "sm1:pgo:", "Haul"))
    assert refused.ephemeral
    assert "Only payroll officers" in refused.content
    assert "Only payroll officers" in discord.command("cy", "mining payroll").content


def test_a_day_old_draft_button_still_works_after_a_cold_start(discord: Discord) -> None:
    ana = discord.member("ana").id
    session_id = stopped_op(discord, {ana: 30})
    view = discord.command("purser", "mining payroll", session=session_id)
    haul = custom_id(view, "sm1:pgo:", "Haul")

    # A new process on the same database, a day later: nothing was kept in memory.
    discord.clock.advance(minutes=24 * 60)
    with discord.cold_start() as fresh:
        page = checked(fresh.click(discord.member("purser"), view, haul))
    assert page.response_type == 7
    assert page.data["embeds"][0]["title"] == "Payroll v1 — Halo run · haul"
