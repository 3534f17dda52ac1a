"""The member's message switches under /mining me, through the simulator: each turns the
presser's own payout or refinery messages off and on, says how they stand, and a button
pressed by someone else changes only theirs."""

from __future__ import annotations

import copy

from tests.e2e.conftest import Discord
from tests.support.member_view import problems
from tests.support.payroll_flow import custom_id, text


def test_a_member_turns_payout_messages_off_and_on_again(discord: Discord) -> None:
    discord.setup_guild()
    ben = discord.member("ben").id
    answer = discord.command("ben", "mining me")
    off = discord.click("ben", answer, custom_id(answer, "sm1:mepref:", "Turn payout messages off"))
    assert off.response_type == 7  # the same private message, updated
    assert problems(off.data, public=False) == []
    assert "payouts: **off**, refinery jobs: **on**" in text(off)
    prefs = discord.services.prefs.get(discord.guild_id, ben)
    assert (prefs.payout_dms, prefs.refinery_dms) == (False, True)

    on = discord.click("ben", off, custom_id(off, "sm1:mepref:", "Turn payout messages on"))
    assert "payouts: **on**, refinery jobs: **on**" in text(on)
    assert discord.services.prefs.get(discord.guild_id, ben).payout_dms


def test_a_member_turns_refinery_messages_off(discord: Discord) -> None:
    discord.setup_guild()
    answer = discord.command("ana", "mining me")
    off = discord.click(
        "ana", answer, custom_id(answer, "sm1:mepref:", "Turn refinery messages off")
    )
    assert "payouts: **on**, refinery jobs: **off**" in text(off)
    assert not discord.services.prefs.get(discord.guild_id, discord.member("ana").id).refinery_dms


def test_a_switch_pressed_by_another_member_changes_only_the_pressers_own(
    discord: Discord,
) -> None:
    discord.setup_guild()
    ana, ben = discord.member("ana").id, discord.member("ben").id
    answer = discord.command("ben", "mining me")
    pressed = discord.click(
        "ana", answer, custom_id(answer, "sm1:mepref:", "Turn payout messages off")
    )
    assert "payouts: **off**" in text(pressed)
    assert not discord.services.prefs.get(discord.guild_id, ana).payout_dms
    assert discord.services.prefs.get(discord.guild_id, ben).payout_dms


def test_a_tampered_switch_changes_nothing(discord: Discord) -> None:
    discord.setup_guild()
    answer = discord.command("ben", "mining me")
    # The message as a tampering client would show it: the switch's button with another id.
    assert answer.message is not None
    message = copy.deepcopy(dict(answer.message))
    message["components"][0]["components"][0]["custom_id"] = "sm1:mepref:all:off:0"
    before = discord.store_items()
    refused = discord.sim.click(discord.member("ben"), message, "sm1:mepref:all:off:0")
    assert refused.ephemeral
    assert "run /mining me again" in refused.content
    assert discord.store_items() == before
