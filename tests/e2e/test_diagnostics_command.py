"""/mining diagnostics through the simulator: leaders and admins only, one message of checks."""

from __future__ import annotations

from tests.e2e.conftest import Discord


def test_a_leader_sees_every_check_with_fixes(discord: Discord) -> None:
    discord.setup_guild()
    answer = discord.command("lead", "mining diagnostics")
    assert answer.ephemeral
    embed = answer.data["embeds"][0]
    assert embed["title"] == "Sunday Mining diagnostics"
    text = embed["description"]
    for area in (
        "Database",
        "Schema",
        "Prices",
        "Voice worker",
        "Discord",
        "Reports",
        "Recent errors",
    ):
        assert f"**{area}**" in text
    assert "❌ **Voice worker** — never reported" in text
    assert "↳ Start the voice worker" in text


def test_members_who_are_not_leaders_are_refused(discord: Discord) -> None:
    discord.setup_guild()
    refused = discord.command("ben", "mining diagnostics")
    assert refused.ephemeral
    assert refused.content.startswith("Only op leaders can do that")
