"""Who sold each income line, through the simulator over HTTP; every answer is checked against
Discord's contract."""

from __future__ import annotations

from tests.e2e.conftest import Discord
from tests.support.payroll_flow import (
    QUANTAINIUM,
    custom_id,
    modal_submit,
    option_labels,
    stopped_op,
    text,
)


def test_each_line_names_its_seller_picked_from_the_members(discord: Discord) -> None:
    ids = {who: discord.member(who).id for who in ("ana", "ben")}
    name = {who: discord.member(who).display_name for who in ("ana", "ben", "purser")}
    session_id = stopped_op(discord, {ids["ana"]: 120, ids["ben"]: 90})
    picker = discord.command("purser", "mining payroll")
    view = discord.select("purser", picker, "sm1:ppick", [session_id])
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Haul"))
    view = discord.click("purser", view, custom_id(view, "sm1:pstale:"))

    # Ore entered with the amounts form is sold by the officer entering it.
    opened = discord.select("purser", view, custom_id(view, "sm1:pore:"), [QUANTAINIUM])
    view = modal_submit(discord, "purser", opened, {f"o{QUANTAINIUM}": "10"})
    assert f"sold by {name['purser']}" in text(view)

    # A sale total names its seller in the form: a member picked from the list.
    opened = discord.click("purser", view, custom_id(view, "sm1:psale:"))
    fields = {"label": "Gold at Levski", "total": "90000", "seller": [discord.member("ana")]}
    view = modal_submit(discord, "purser", opened, fields)
    assert f"**Gold at Levski** — sale total 90,000 aUEC · sold by {name['ana']}" in text(view)

    # Any line's seller can be changed: pick the line, then the member.
    assert option_labels(view, "sm1:pseller:") == {"0": "Quantainium", "1": "Gold at Levski"}
    card = discord.select("purser", view, custom_id(view, "sm1:pseller:"), ["0"])
    assert "Quantainium" in text(card)
    view = discord.select("purser", card, custom_id(card, "sm1:pslu:"), [ids["ben"]])
    assert f"sold by {name['ben']}" in text(view)
    draft = discord.services.payroll.get(
        discord.guild_id, custom_id(view, "sm1:pseller:").split(":")[2]
    )
    assert [line.seller_id for line in draft.income] == [ids["ben"], ids["ana"]]


def test_a_seller_who_did_not_mine_is_refused_and_nothing_changes(discord: Discord) -> None:
    ids = {who: discord.member(who).id for who in ("ana", "cy")}
    session_id = stopped_op(discord, {ids["ana"]: 120})
    picker = discord.command("purser", "mining payroll")
    view = discord.select("purser", picker, "sm1:ppick", [session_id])
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Haul"))
    opened = discord.click("purser", view, custom_id(view, "sm1:psale:"))
    view = modal_submit(discord, "purser", opened, {"label": "Sale", "total": "1000"})
    card = discord.select("purser", view, custom_id(view, "sm1:pseller:"), ["0"])
    before = discord.store_items()
    refused = discord.select("purser", card, custom_id(card, "sm1:pslu:"), [ids["cy"]])
    assert refused.ephemeral
    assert "must be a participant" in refused.content
    assert discord.store_items() == before
