"""A member's adhoc session on a mining channel stands in the way of the Sunday op: the refused
/mining start offers the leader a button that stops it (leaders only, checked on the click),
after which the op starts. Real HTTP, real signatures, every answer checked."""

from __future__ import annotations

from tests.e2e.conftest import Discord
from tests.support.payroll_flow import custom_id


def test_a_leader_stops_the_adhoc_session_that_blocks_the_op_then_starts_it(
    discord: Discord,
) -> None:
    discord.setup_guild()
    mining_two = discord.sim.guild.channel("Mining 2")
    discord.command("ben", "mining adhoc new", channel=mining_two, name="Bens rocks")

    refused = discord.command("lead", "mining start", name="Halo run")
    assert refused.ephemeral
    assert "already tracked by 'Bens rocks'" in refused.content
    stop_it = custom_id(refused, "sm1:stopfor:", "Stop Bens rocks")

    # Only a leader may press it, and the click is checked on its own.
    denied = discord.click("cy", refused, stop_it)
    assert denied.ephemeral
    assert "Only op leaders" in denied.content
    assert len(discord.services.sessions.active(discord.guild_id)) == 1

    stopped = discord.click("lead", refused, stop_it)
    assert not stopped.ephemeral  # ben sees his session stopped, and its Payroll button
    assert "to make way for the Sunday op" in stopped.content
    assert "has stopped" in stopped.data["embeds"][0]["title"]
    assert discord.services.sessions.active(discord.guild_id) == []

    again = discord.click("lead", refused, stop_it)
    assert again.ephemeral
    assert "has stopped already" in again.content

    started = discord.command("lead", "mining start", name="Halo run")
    assert "**Halo run** started" in started.content
