"""Whose display name an interaction leaves behind: the caller of an accepted interaction, and
nobody whose request was refused (names are personal data, kept 400 days)."""

from __future__ import annotations

from tests.e2e.conftest import Discord


def test_a_refused_admin_command_stores_no_name(discord: Discord) -> None:
    ben = discord.member("ben")
    refused = discord.command("ben", "mining-admin settings show")
    assert refused.ephemeral
    assert "Only members with Manage Server" in refused.content
    assert discord.services.names.lookup(discord.guild_id, [ben.id]) == {}
    assert discord.services.store.query_all(f"G#{discord.guild_id}#MEMBER") == []


def test_a_refused_stop_and_a_stale_button_store_no_name(discord: Discord) -> None:
    discord.setup_guild()
    started = discord.command("lead", "mining start")
    refused = discord.command("ben", "mining stop")
    assert refused.ephemeral
    assert "Only op leaders" in refused.content
    stale = discord.sim.payloads.component(
        discord.member("cy"), started.message or {}, "sm1:status"
    )
    stale["data"]["custom_id"] = "sm0:gone"
    answer = discord.sim.send(stale)
    assert answer.ephemeral
    assert "older message" in answer.content
    ids = [discord.member(n).id for n in ("ben", "cy")]
    assert discord.services.names.lookup(discord.guild_id, ids) == {}


def test_an_accepted_command_stores_its_caller_s_name(discord: Discord) -> None:
    discord.setup_guild()
    discord.command("lead", "mining start")
    lead = discord.member("lead")
    assert discord.services.names.lookup(discord.guild_id, [lead.id]) == {
        lead.id: lead.nick or lead.global_name or lead.username
    }
