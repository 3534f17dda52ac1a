"""The standard payroll, counted click by click through the simulator over HTTP (every answer
checked against Discord's contract): one sale total, the org cut from the settings, no
corrections; then everyone marked paid in one confirmed step. And what the flow says about
prices and names on the way."""

from __future__ import annotations

from tests.e2e.conftest import Discord
from tests.support.payroll_flow import (
    QUANTAINIUM,
    custom_id,
    member_action,
    member_card,
    modal_submit,
    option_labels,
    stopped_op,
    text,
)

from sunday_mining.reports.csv_export import render_csv
from sunday_mining.reports.data import build_report_data
from sunday_mining.services.payroll import PayrollStatus
from sunday_mining_dev.simulator import Exchange

MOST_CLICKS = 6


class Clicks:
    """The purser's interactions after /mining payroll, each one counted."""

    def __init__(self, discord: Discord) -> None:
        self.discord = discord
        self.count = 0

    def select(self, view: Exchange, prefix: str, values: list[str]) -> Exchange:
        self.count += 1
        return self.discord.select("purser", view, custom_id(view, prefix), values)

    def click(self, view: Exchange, prefix: str, label: str | None = None) -> Exchange:
        self.count += 1
        return self.discord.click("purser", view, custom_id(view, prefix, label))

    def submit(self, opened: Exchange, fields: dict[str, str]) -> Exchange:
        self.count += 1
        return modal_submit(self.discord, "purser", opened, fields)


def _final(discord: Discord) -> tuple[Exchange, Clicks]:
    ids = [discord.member(who).id for who in ("ana", "ben")]
    session_id = stopped_op(discord, {ids[0]: 120, ids[1]: 60})
    clicks = Clicks(discord)
    picker = discord.command("purser", "mining payroll")
    view = clicks.select(picker, "sm1:ppick", [session_id])
    opened = clicks.click(view, "sm1:psale:")
    view = clicks.submit(opened, {"label": "ARC-L1", "total": "2 000 000"})
    view = clicks.click(view, "sm1:pgo:", "Preview")
    confirm = clicks.click(view, "sm1:pask:")
    final = clicks.click(confirm, "sm1:pfin:")
    return final, clicks


def test_a_standard_payroll_is_final_within_six_interactions_after_the_command(
    discord: Discord,
) -> None:
    final, clicks = _final(discord)
    assert "· final" in final.data["embeds"][0]["title"]
    assert clicks.count <= MOST_CLICKS
    (session,) = discord.services.sessions.recent(discord.guild_id)[0]
    version = discord.services.payroll.open(discord.guild_id, session.session_id, "0")
    assert version.status is PayrollStatus.FINAL
    assert version.result is not None
    # 2,000,000 less the 10 % org cut from the settings, split 2 h : 1 h.
    ana, ben = discord.member("ana").id, discord.member("ben").id
    assert version.result.payouts_by_payee() == {"org": 200_000, ana: 1_200_000, ben: 600_000}


def test_mark_all_paid_asks_first_and_the_org_is_never_owed(discord: Discord) -> None:
    final, _ = _final(discord)
    ana, ben = discord.member("ana").id, discord.member("ben").id
    assert "still owed **1,800,000 aUEC**" in text(final)  # the org's 200,000 is not owed
    assert set(option_labels(final, "sm1:ppaid:")) == {ana, ben}

    before = discord.store_items()
    refused = discord.click("ben", final, custom_id(final, "sm1:pall:"))
    assert refused.ephemeral
    assert "Only payroll officers" in refused.content
    asked = discord.click("purser", final, custom_id(final, "sm1:pall:"))
    assert asked.data["embeds"][0]["title"] == "Mark all 2 members of 'Halo run' paid?"
    assert "**1,800,000 aUEC** still owed" in text(asked)
    assert discord.store_items() == before  # asking marks nothing
    refused = discord.click("ben", asked, custom_id(asked, "sm1:pallok:"))
    assert "Only payroll officers" in refused.content
    assert discord.store_items() == before

    paid = discord.click("purser", asked, custom_id(asked, "sm1:pallok:"))
    assert "2 of 2 members marked paid · still owed **0 aUEC**" in text(paid)
    assert "sm1:pall:" not in str(paid.data["components"])  # nothing left to mark
    owed = discord.click("purser", paid, custom_id(paid, "sm1:pgo:", "Still owed"))
    assert text(owed) == "Everyone has been paid. ✅"


def test_the_payments_view_shows_each_payees_handle_or_that_they_have_none(
    discord: Discord,
) -> None:
    discord.command("ana", "mining handle set", handle="Ana_Rocks")
    final, _ = _final(discord)
    ana, ben = discord.member("ana"), discord.member("ben")
    shown = text(final)
    assert f"{ana.display_name} (Ana\\_Rocks) — **1,200,000 aUEC**" in shown  # markdown-safe
    assert f"{ben.display_name} (no handle yet) — **600,000 aUEC**" in shown
    owed = discord.click("purser", final, custom_id(final, "sm1:pgo:", "Still owed"))
    assert f"{ana.display_name} (Ana\\_Rocks) — **1,200,000 aUEC**" in text(owed)
    assert f"{ben.display_name} (no handle yet) — **600,000 aUEC**" in text(owed)
    assert "the org (" not in text(final) + text(owed)  # nobody pays the org


def test_the_report_prints_each_payees_handle_or_that_they_have_none(discord: Discord) -> None:
    discord.command("ana", "mining handle set", handle="Ana_Rocks")
    _final(discord)
    (session,) = discord.services.sessions.recent(discord.guild_id)[0]
    version = discord.services.payroll.open(discord.guild_id, session.session_id, "0")
    services = discord.services
    data = build_report_data(
        version,
        session,
        time_zone="UTC",
        records=[],
        gaps=[],
        lookup_names=services.names.lookup,
        lookup_handles=services.handles.lookup,
    )
    ana, ben = discord.member("ana"), discord.member("ben")
    by_id = {p.user_id: p for p in data.payees}
    assert by_id[ana.id].handle == "Ana_Rocks"
    assert by_id[ben.id].handle is None
    assert by_id[ana.id].paid_as == f"{ana.display_name} (Ana_Rocks)"
    assert by_id[ben.id].paid_as == f"{ben.display_name} (no handle yet)"
    assert by_id["org"].paid_as == "the org"
    rows = render_csv(data).decode("utf-8-sig").splitlines()
    assert rows[0].startswith('"payee_id","name","handle",')
    assert f'"<@{ana.id}>","{ana.display_name}","Ana_Rocks",' in "\n".join(rows)
    assert f'"<@{ben.id}>","{ben.display_name}","no handle yet",' in "\n".join(rows)


def test_menus_forms_and_lists_name_the_members(discord: Discord) -> None:
    final, _ = _final(discord)
    ana, ben = discord.member("ana"), discord.member("ben")
    labels = option_labels(final, "sm1:ppaid:")
    assert labels == {ana.id: ana.display_name, ben.id: ben.display_name}
    shown = text(final)
    assert f"{ana.display_name} (no handle yet) — **1,200,000 aUEC**" in shown
    assert "member …" not in str(final.data)

    amended = discord.click("purser", final, custom_id(final, "sm1:pamend:"))
    card = member_card(discord, "purser", amended, ben.id)
    assert card.data["embeds"][0]["title"].endswith(f"· {ben.display_name}")
    opened = member_action(discord, "purser", amended, ben.id, "Adjust time or multiplier…")
    assert opened.data["title"] == ben.display_name


def test_excluding_and_including_again_are_explicit_and_a_bad_button_changes_nothing(
    discord: Discord,
) -> None:
    ana, ben = discord.member("ana").id, discord.member("ben").id
    session_id = stopped_op(discord, {ana: 120, ben: 60})
    view = discord.command("purser", "mining payroll", session=session_id)
    card = member_card(discord, "purser", view, ben)
    assert [c["label"] for c in card.data["components"][0]["components"]] == [
        "Exclude",
        "Donates their share",
        "Adjust time or multiplier…",
    ]
    view = member_action(discord, "purser", view, ben, "Exclude")
    assert "2 listed, 1 paid" in text(view)
    card = member_card(discord, "purser", view, ben)
    assert "Not paid: excluded by the officer." in text(card)
    view = member_action(discord, "purser", view, ben, "Include again")
    assert "2 listed, 2 paid" in text(view)

    # A modified client sends the Exclude button with an action that does not exist.
    before = discord.store_items()
    assert card.message is not None
    exclude = custom_id(card, "sm1:pmset:")
    payload = discord.sim.payloads.component(discord.member("purser"), card.message, exclude)
    payload["data"]["custom_id"] = exclude.rsplit(":", 1)[0] + ":z"
    answer = discord.sim.send(payload, label="forged member action")
    assert answer.ephemeral
    assert "\n" not in answer.content
    assert discord.store_items() == before


def test_the_haul_and_the_preview_say_which_price_was_used_once(discord: Discord) -> None:
    ana = discord.member("ana").id
    session_id = stopped_op(discord, {ana: 60})
    view = discord.command("purser", "mining payroll", session=session_id)
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Haul"))
    haul = text(view)
    # The bundled sample has averages only: the haul says so instead of promising best prices.
    assert "no terminal prices, only the average across terminals" in haul
    assert "the best price is the default" not in haul
    view = discord.click("purser", view, custom_id(view, "sm1:pstale:"))
    opened = discord.select("purser", view, custom_id(view, "sm1:pore:"), [QUANTAINIUM])
    view = modal_submit(discord, "purser", opened, {f"o{QUANTAINIUM}": "10"})
    assert "(average across terminals)" in text(view)

    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Preview"))
    preview = text(view)
    assert "Prices: average across terminals for every ore, from the bundled sample of" in preview
    assert "snapshot:" not in preview
    assert preview.count("Prices:") == 1
    assert "Quantainium: 10 SCU" in preview
