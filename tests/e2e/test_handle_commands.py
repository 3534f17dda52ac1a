"""/mining handle set|clear through the simulator: a member's own handle, an officer's for a
member (audit-logged), the game's rule, and who may change whose."""

from __future__ import annotations

import pytest
from tests.e2e.conftest import Discord

from sunday_mining.domain.handles import HANDLE_RULE
from sunday_mining.services import keys
from sunday_mining_dev.simulator import Exchange


def said(answer: Exchange) -> str:
    (embed,) = answer.data["embeds"]
    return str(embed["description"])


def handle_of(discord: Discord, who: str) -> str | None:
    return discord.services.handles.get(discord.guild_id, discord.member(who).id)


def audit(discord: Discord) -> list[dict[str, object]]:
    return [i for i in discord.store_items() if str(i["sk"]).startswith(keys.AUDIT_PREFIX)]


def test_a_member_sets_their_own_handle_in_private(discord: Discord) -> None:
    answer = discord.command("ben", "mining handle set", handle="  Ben_Miner-7 ")
    assert answer.ephemeral
    assert said(answer) == (
        "Your in-game handle is now `Ben_Miner-7`: payouts show it beside your name."
    )
    assert handle_of(discord, "ben") == "Ben_Miner-7"
    assert audit(discord) == []  # one's own handle is not an officer's decision


def test_setting_again_replaces_and_clear_removes_it(discord: Discord) -> None:
    discord.command("ben", "mining handle set", handle="OldName")
    discord.command("ben", "mining handle set", handle="NewName")
    assert handle_of(discord, "ben") == "NewName"
    assert said(discord.command("ben", "mining handle clear")) == (
        "Your in-game handle is cleared."
    )
    assert handle_of(discord, "ben") is None
    assert said(discord.command("ben", "mining handle clear")) == (
        "Your in-game handle was not set; nothing changed."
    )


@pytest.mark.parametrize("typed", ["ab", "Ben Miner", "Bén", "x" * 61, "kite!"])
def test_a_handle_against_the_rule_is_refused_with_the_rule(discord: Discord, typed: str) -> None:
    discord.command("ben", "mining handle set", handle="Kept_One")
    answer = discord.command("ben", "mining handle set", handle=typed)
    assert answer.ephemeral
    assert answer.content == HANDLE_RULE
    assert handle_of(discord, "ben") == "Kept_One"


@pytest.mark.parametrize("officer", ["purser", "lead", "admin"])
def test_an_officer_sets_and_clears_a_members_handle_and_the_audit_log_keeps_it(
    discord: Discord, officer: str
) -> None:
    discord.setup_guild()
    ben = discord.member("ben")
    answer = discord.command(officer, "mining handle set", handle="Ben_SC", member=ben)
    assert answer.ephemeral
    assert said(answer) == f"<@{ben.id}>'s in-game handle is now `Ben_SC` (noted in the audit log)."
    assert handle_of(discord, "ben") == "Ben_SC"
    assert handle_of(discord, officer) is None
    discord.clock.advance(seconds=1)
    cleared = discord.command(officer, "mining handle clear", member=ben)
    assert said(cleared) == f"<@{ben.id}>'s in-game handle is cleared (noted in the audit log)."
    entries = audit(discord)
    assert [(e["action"], e["by"], e["detail"]) for e in entries] == [
        ("handle", discord.member(officer).id, f"set the handle to Ben_SC for <@{ben.id}>"),
        ("handle", discord.member(officer).id, f"cleared the handle for <@{ben.id}>"),
    ]


@pytest.mark.parametrize("path", ["mining handle set", "mining handle clear"])
@pytest.mark.parametrize("who", ["ben", "ana", "cy"])
def test_a_member_cannot_change_another_members_handle(
    discord: Discord, path: str, who: str
) -> None:
    discord.setup_guild()
    discord.command("ben" if who != "ben" else "ana", "mining handle set", handle="Theirs")
    victim = "ben" if who != "ben" else "ana"
    options = {"member": discord.member(victim)}
    if path.endswith("set"):
        options["handle"] = "Hijacked"
    answer = discord.command(who, path, **options)
    assert answer.ephemeral
    assert answer.content.startswith("Only payroll officers and op leaders can change another")
    assert handle_of(discord, victim) == "Theirs"
    assert audit(discord) == []


def test_naming_oneself_as_the_member_is_ones_own_change(discord: Discord) -> None:
    answer = discord.command(
        "ben", "mining handle set", handle="Self_Named", member=discord.member("ben")
    )
    assert said(answer).startswith("Your in-game handle is now")
    assert handle_of(discord, "ben") == "Self_Named"


def test_handles_of_one_guild_are_invisible_from_another(discord: Discord) -> None:
    discord.command("ben", "mining handle set", handle="Ben_SC")
    ben = discord.member("ben").id
    assert discord.services.handles.lookup("1" * 18, [ben]) == {}
    assert discord.services.handles.lookup(discord.guild_id, [ben]) == {ben: "Ben_SC"}
