"""Corrections officers make to a payroll, through the simulator over HTTP (every answer checked
against Discord's contract): members added by hand, discarding a draft, and an amendment that
keeps what was paid."""

from __future__ import annotations

from tests.e2e.conftest import Discord
from tests.support.payroll_flow import (
    components,
    custom_id,
    member_action,
    modal_submit,
    stopped_op,
    text,
)

from sunday_mining_dev.simulator import Exchange

BY_HAND = "\u270d\ufe0f"


def _user_select(view: Exchange) -> dict[str, object]:
    (picker,) = [c for c in components(view) if c["type"] == 5]
    return picker


def test_an_officer_adds_a_member_who_was_not_in_voice_and_pays_them(discord: Discord) -> None:
    ana, ben = discord.member("ana").id, discord.member("ben").id
    dee = discord.sim.guild.add_member("dee", global_name="Dee").id
    bot = discord.sim.guild.add_member("orebot", bot=True).id
    session_id = stopped_op(discord, {ana: 120, ben: 60})
    view = discord.command("purser", "mining payroll", session=session_id)
    assert "2 listed, 2 paid" in text(view)

    adding = discord.click("purser", view, custom_id(view, "sm1:padd:"))
    assert adding.response_type == 7
    picker = _user_select(adding)
    assert picker["max_values"] == 25
    view = discord.select("purser", adding, str(picker["custom_id"]), [dee, bot, ana])
    shown = text(view)
    purser, ana_name = discord.member("purser").display_name, discord.member("ana").display_name
    assert "3 listed, 3 paid" in shown
    assert f"Dee — 0:00:00 {BY_HAND} added by {purser}" in shown
    assert f"Skipped <@{bot}> (bots are never paid) and {ana_name} (already listed)." in shown

    # Dee gets an hour with the existing adjustment, with a reason, like anyone else.
    opened = member_action(discord, "purser", view, dee, "Adjust time or multiplier…")
    view = modal_submit(
        discord, "purser", opened, {"mult": "1", "adj": "+60", "why": "Voice broke, mined all op"}
    )
    assert "Dee — 1:00:00 (+1 h 00 min: Voice broke, mined all op)" in text(view)
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Haul"))
    opened = discord.click("purser", view, custom_id(view, "sm1:psale:"))
    view = modal_submit(discord, "purser", opened, {"label": "ARC-L1", "total": "1 000 000"})
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Preview"))
    # 1,000,000 less the 10 % org cut = 900,000 split 2 h : 1 h : 1 h.
    ben_name = discord.member("ben").display_name
    assert f"{ana_name} — **450,000 aUEC**" in text(view)
    assert f"Dee {BY_HAND} — **225,000 aUEC**" in text(view)
    assert f"{ben_name} — **225,000 aUEC**" in text(view)

    log = [e.action for e in discord.services.payroll.audit_log(discord.guild_id)]
    assert log[:3] == ["sale", "member", "add"]  # newest first


def test_bad_picks_stale_buttons_and_other_members_change_nothing(discord: Discord) -> None:
    ana, ben = discord.member("ana").id, discord.member("ben").id
    dee = discord.sim.guild.add_member("dee").id
    bot = discord.sim.guild.add_member("orebot", bot=True).id
    session_id = stopped_op(discord, {ana: 120, ben: 60})
    view = discord.command("purser", "mining payroll", session=session_id)
    adding = discord.click("purser", view, custom_id(view, "sm1:padd:"))
    picker = str(_user_select(adding)["custom_id"])
    before = discord.store_items()

    for values, said in (
        ([bot], "Bots are never paid; pick the members who mined with the crew."),
        ([ana], f"<@{ana}> is already on this payroll; adjust their time from the list instead."),
    ):
        refused = discord.select("purser", adding, picker, values)
        assert refused.ephemeral
        assert refused.content == said
    for who in ("ben", "lead"):  # no payroll role: refused on the button and on the select
        refused = discord.click(who, view, custom_id(view, "sm1:padd:"))
        assert "Only payroll officers" in refused.content
        refused = discord.select(who, adding, picker, [dee])
        assert refused.ephemeral
        assert "Only payroll officers" in refused.content
    assert discord.store_items() == before

    # Finalized meanwhile: the old button and the old select are refused politely.
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Haul"))
    opened = discord.click("purser", view, custom_id(view, "sm1:psale:"))
    view = modal_submit(discord, "purser", opened, {"label": "ARC-L1", "total": "1000"})
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Preview"))
    confirm = discord.click("purser", view, custom_id(view, "sm1:pask:"))
    discord.click("purser", confirm, custom_id(confirm, "sm1:pfin:"))
    before = discord.store_items()
    stale = discord.select("purser", adding, picker, [dee])
    assert stale.ephemeral
    assert "was finalized by" in stale.content
    assert "\n" not in stale.content
    assert discord.store_items() == before


def test_a_session_nobody_was_heard_in_can_still_be_paid_by_adding_the_crew(
    discord: Discord,
) -> None:
    ana = discord.member("ana").id
    session_id = stopped_op(discord, {})
    view = discord.command("purser", "mining payroll", session=session_id)
    assert "Nobody sat in the channels." in text(view)
    adding = discord.click("purser", view, custom_id(view, "sm1:padd:"))
    view = discord.select("purser", adding, str(_user_select(adding)["custom_id"]), [ana])
    assert "1 listed, 1 paid" in text(view)


def _sale(discord: Discord, view: Exchange, total: str) -> Exchange:
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Haul"))
    opened = discord.click("purser", view, custom_id(view, "sm1:psale:"))
    return modal_submit(discord, "purser", opened, {"label": "ARC-L1", "total": total})


def _payroll_items(discord: Discord) -> list[dict[str, object]]:
    return [i for i in discord.store_items() if str(i["sk"]).startswith("PAYROLL#")]


def test_an_officer_discards_a_draft_in_two_clicks_and_starts_over(discord: Discord) -> None:
    ana = discord.member("ana").id
    session_id = stopped_op(discord, {ana: 60})
    view = _sale(discord, discord.command("purser", "mining payroll", session=session_id), "900")
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Participants"))

    confirm = discord.click("purser", view, custom_id(view, "sm1:pdel:"))
    assert confirm.data["embeds"][0]["title"] == "Discard version 1 of 'Halo run'?"
    assert "(1 participant, 1 income line, 1 cut)" in text(confirm)
    assert len(_payroll_items(discord)) == 1  # asking changes nothing
    back = discord.click("purser", confirm, custom_id(confirm, "sm1:pgo:"))
    assert "1 listed, 1 paid" in text(back)
    gone = discord.click("purser", confirm, custom_id(confirm, "sm1:pdelok:"))
    assert gone.response_type == 7
    assert "has no payroll now; run `/mining payroll` to start again" in text(gone)
    assert gone.data["components"] == []
    assert _payroll_items(discord) == []
    session = discord.services.sessions.get(discord.guild_id, session_id)
    assert session.payroll_state.value == "none"

    picker = discord.command("purser", "mining payroll")
    (option,) = next(components(picker))["options"]
    assert "draft started" not in option["description"]
    view = discord.select("purser", picker, "sm1:ppick", [session_id])
    assert view.data["embeds"][0]["title"] == "Payroll v1 — Halo run · participants"
    haul = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Haul"))
    assert "No income yet." in text(haul)

    # The old confirmation, clicked again: the draft is gone, one sentence, nothing changes.
    before = discord.store_items()
    again = discord.click("purser", confirm, custom_id(confirm, "sm1:pdelok:"))
    assert again.ephemeral
    assert again.content == "I can't find that payroll in this server; run /mining payroll again."
    assert discord.store_items() == before


def test_a_discard_is_refused_to_others_after_an_edit_and_after_finalize(discord: Discord) -> None:
    ana = discord.member("ana").id
    session_id = stopped_op(discord, {ana: 60})
    view = discord.command("purser", "mining payroll", session=session_id)
    confirm = discord.click("purser", view, custom_id(view, "sm1:pdel:"))
    before = discord.store_items()
    for who in ("ben", "lead"):
        for shown, prefix in ((view, "sm1:pdel:"), (confirm, "sm1:pdelok:")):
            refused = discord.click(who, shown, custom_id(shown, prefix))
            assert refused.ephemeral
            assert "Only payroll officers" in refused.content
    assert discord.store_items() == before

    view = _sale(discord, view, "900")  # an edit after the confirmation was shown
    before = discord.store_items()
    stale = discord.click("purser", confirm, custom_id(confirm, "sm1:pdelok:"))
    assert stale.ephemeral
    assert "changed this draft after you asked to discard it" in stale.content
    assert discord.store_items() == before

    confirm = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Participants"))
    confirm = discord.click("purser", confirm, custom_id(confirm, "sm1:pdel:"))
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Preview"))
    finalize = discord.click("purser", view, custom_id(view, "sm1:pask:"))
    discord.click("purser", finalize, custom_id(finalize, "sm1:pfin:"))
    before = discord.store_items()
    stale = discord.click("purser", confirm, custom_id(confirm, "sm1:pdelok:"))
    assert stale.ephemeral
    assert "was finalized by" in stale.content
    assert "\n" not in stale.content
    assert discord.store_items() == before


def test_discarding_an_amendment_goes_back_to_the_final_payroll(discord: Discord) -> None:
    ana = discord.member("ana").id
    session_id = stopped_op(discord, {ana: 60})
    view = _sale(discord, discord.command("purser", "mining payroll", session=session_id), "900")
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Preview"))
    finalize = discord.click("purser", view, custom_id(view, "sm1:pask:"))
    final = discord.click("purser", finalize, custom_id(finalize, "sm1:pfin:"))
    draft = discord.click("purser", final, custom_id(final, "sm1:pamend:"))
    assert draft.data["embeds"][0]["title"] == "Payroll v2 — Halo run · participants"
    confirm = discord.click("purser", draft, custom_id(draft, "sm1:pdel:"))
    assert "stays as it is, with its paid marks" in text(confirm)
    gone = discord.click("purser", confirm, custom_id(confirm, "sm1:pdelok:"))
    assert "discarded this amendment" in text(gone)
    back = discord.click("purser", gone, custom_id(gone, "sm1:pgo:", "Back to the final payroll"))
    assert back.data["embeds"][0]["title"] == "Payroll v1 — Halo run · final"
    assert len(_payroll_items(discord)) == 1


def test_an_amendment_keeps_paid_marks_and_shows_what_is_left_to_settle(
    discord: Discord,
) -> None:
    ana, ben = discord.member("ana").id, discord.member("ben").id
    session_id = stopped_op(discord, {ana: 120, ben: 60})
    # 2,000,000 less the 10 % org cut: 1,800,000 split 2 h : 1 h = 1,200,000 and 600,000.
    view = _sale(
        discord, discord.command("purser", "mining payroll", session=session_id), "2000000"
    )
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Preview"))
    confirm = discord.click("purser", view, custom_id(view, "sm1:pask:"))
    final = discord.click("purser", confirm, custom_id(confirm, "sm1:pfin:"))
    final = discord.select("purser", final, custom_id(final, "sm1:ppaid:"), [ana, ben])
    assert "2 of 2 members marked paid · still owed **0 aUEC**" in text(final)

    # Ben was there 30 minutes longer: 1,800,000 split 7,200 s : 5,400 s.
    view = discord.click("purser", final, custom_id(final, "sm1:pamend:"))
    opened = member_action(discord, "purser", view, ben, "Adjust time or multiplier…")
    view = modal_submit(discord, "purser", opened, {"mult": "1", "adj": "+30", "why": "Log gap"})
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Preview"))
    confirm = discord.click("purser", view, custom_id(view, "sm1:pask:"))
    second = discord.click("purser", confirm, custom_id(confirm, "sm1:pfin:"))
    shown = text(second)
    ana_name, ben_name = discord.member("ana").display_name, discord.member("ben").display_name
    assert "0 of 2 members marked paid · still owed **171,429 aUEC**" in shown
    assert "🏦 the org — **200,000 aUEC**" in shown  # the org's cut: kept, never marked
    assert f"⏳ {ben_name} (no handle yet) — **771,429 aUEC**" in shown

    owed = discord.click("purser", second, custom_id(second, "sm1:pgo:", "Still owed"))
    shown = text(owed)
    assert "1 member still owed, **171,429 aUEC** in total." in shown
    assert "1 member over-paid under an earlier version, **171,429 aUEC** in total" in shown
    assert (
        f"{ana_name} (no handle yet) — **1,028,571 aUEC** · paid 1,200,000 aUEC under v1 · "
        "over-paid **171,429 aUEC**"
    ) in shown
    assert (
        f"{ben_name} (no handle yet) — **771,429 aUEC** · paid 600,000 aUEC under v1 · "
        "**171,429 aUEC** still owed"
    ) in shown
    assert "the org" not in shown

    # Marking a payee on the replaced version is refused; nothing changes.
    before = discord.store_items()
    stale = discord.select("purser", final, custom_id(final, "sm1:ppaid:"), [ana])
    assert stale.ephemeral
    assert "current final payroll" in stale.content
    assert discord.store_items() == before
