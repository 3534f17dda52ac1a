"""/mining-admin through the simulator: channels, roles, settings, and who may use them."""

from __future__ import annotations

import pytest
from tests.e2e.conftest import Discord

from sunday_mining.interactions.commands import command_json


def test_channels_are_added_listed_and_removed(discord: Discord) -> None:
    guild = discord.sim.guild
    added = discord.command(
        "admin", "mining-admin channels add", channel=guild.channel("Mining 1"), dispatch=True
    )
    assert added.ephemeral
    assert "dispatch channel" in added.content
    discord.command("manager", "mining-admin channels add", channel=guild.channel("Mining 2"))
    listing = discord.command("admin", "mining-admin channels list")
    description = listing.data["embeds"][0]["description"]
    assert description == (
        f"<#{guild.channel('Mining 1').id}> — 📡 dispatch\n<#{guild.channel('Mining 2').id}>"
    )
    removed = discord.command(
        "admin", "mining-admin channels remove", channel=guild.channel("Mining 2")
    )
    assert "no longer a mining channel" in removed.content
    assert discord.services.guilds.get(discord.guild_id).channel_ids == (
        guild.channel("Mining 1").id,
    )


def test_a_text_channel_cannot_be_a_mining_channel(discord: Discord) -> None:
    refused = discord.command(
        "admin", "mining-admin channels add", channel=discord.sim.guild.channel("general")
    )
    assert "is not a voice channel" in refused.content
    assert discord.store_items() == []


def test_adding_a_channel_twice_is_refused(discord: Discord) -> None:
    channel = discord.sim.guild.channel("Mining 1")
    discord.command("admin", "mining-admin channels add", channel=channel)
    before = discord.store_items()
    again = discord.command("admin", "mining-admin channels add", channel=channel)
    assert again.content == "That channel is already a mining channel."
    assert discord.store_items() == before


def test_roles_are_granted_listed_and_revoked(discord: Discord) -> None:
    leader = discord.sim.guild.role("Leader")
    discord.command("admin", "mining-admin roles add", kind="leader", role=leader)
    listing = discord.command("admin", "mining-admin roles list")
    fields = {f["name"].split(" — ")[0]: f["value"] for f in listing.data["embeds"][0]["fields"]}
    assert fields == {"leader": f"<@&{leader.id}>", "payroll": "none", "adhoc": "none"}
    discord.command("admin", "mining-admin roles remove", kind="leader", role=leader)
    refused = discord.command("admin", "mining-admin roles remove", kind="leader", role=leader)
    assert refused.content == "That role is not one of the leader roles."


def test_settings_are_validated_and_shown(discord: Discord) -> None:
    changed = discord.command("admin", "mining-admin settings set", name="org-cut", value="12.5")
    assert changed.content == "org-cut is now 12.5 %."
    discord.command("admin", "mining-admin settings set", name="time-zone", value="Europe/Berlin")
    shown = discord.command("admin", "mining-admin settings show")
    fields = {f["name"]: f["value"] for f in shown.data["embeds"][0]["fields"]}
    assert fields["org-cut"] == "12.5 %"
    assert fields["time-zone"] == "Europe/Berlin"
    assert fields["minimum-participation"] == "15 minutes"


def test_adding_channels_counts_them_in_words(discord: Discord) -> None:
    guild = discord.sim.guild
    first = discord.command(
        "admin", "mining-admin channels add", channel=guild.channel("Dispatch"), dispatch=True
    )
    assert first.content == (
        f"<#{guild.channel('Dispatch').id}> is now a mining channel and the dispatch channel: "
        "the bot sits there during an op. Sunday ops track 1 channel."
    )
    second = discord.command(
        "admin", "mining-admin channels add", channel=guild.channel("Mining 1")
    )
    assert second.content == (
        f"<#{guild.channel('Mining 1').id}> is now a mining channel. Sunday ops track 2 channels."
    )


@pytest.mark.parametrize(
    ("kind", "can"),
    [
        ("leader", "start and stop Sunday ops and stop any session"),
        ("payroll", "run payroll"),
        ("adhoc", "start adhoc sessions"),
    ],
)
def test_granting_a_role_says_what_its_members_can_now_do(
    discord: Discord, kind: str, can: str
) -> None:
    role = discord.sim.guild.role("Adhoc")
    added = discord.command("admin", "mining-admin roles add", kind=kind, role=role)
    assert added.content == f"Members with <@&{role.id}> can now {can}."
    removed = discord.command("admin", "mining-admin roles remove", kind=kind, role=role)
    assert removed.content == f"<@&{role.id}> no longer lets its members {can}."


def test_a_value_ending_in_a_full_stop_gets_no_second_one(discord: Discord) -> None:
    named = discord.command(
        "admin", "mining-admin settings set", name="org-name", value="Sunday Mining Co."
    )
    assert named.content == "org-name is now Sunday Mining Co."


def test_the_report_channel_is_picked_from_the_text_channels(discord: Discord) -> None:
    (admin,) = [c for c in command_json() if c["name"] == "mining-admin"]
    settings = next(g for g in admin["options"] if g["name"] == "settings")
    picker = next(s for s in settings["options"] if s["name"] == "report-channel")
    (option,) = picker["options"]
    assert option["type"] == 7  # CHANNEL: picked from a list, never typed as an id
    assert option["channel_types"] == [0, 5]  # text and announcement channels
    typed = next(s for s in settings["options"] if s["name"] == "set")["options"][0]
    assert "report-channel" not in [c["value"] for c in typed["choices"]]

    channel = discord.sim.guild.channel("mining-ops")
    picked = discord.command("admin", "mining-admin settings report-channel", channel=channel)
    assert picked.ephemeral
    assert f"now posted in <#{channel.id}>" in picked.content
    assert discord.services.guilds.get(discord.guild_id).settings.report_channel_id == channel.id
    shown = discord.command("admin", "mining-admin settings show")
    fields = {f["name"]: f["value"] for f in shown.data["embeds"][0]["fields"]}
    assert fields["report-channel"] == f"<#{channel.id}>"

    cleared = discord.command("admin", "mining-admin settings report-channel")
    assert cleared.content.startswith("Final payroll reports are no longer posted in a channel")
    assert discord.services.guilds.get(discord.guild_id).settings.report_channel_id is None


def test_the_treasurer_is_picked_from_the_members_and_shown(discord: Discord) -> None:
    (admin,) = [c for c in command_json() if c["name"] == "mining-admin"]
    settings = next(g for g in admin["options"] if g["name"] == "settings")
    picker = next(s for s in settings["options"] if s["name"] == "treasurer")
    assert [o["type"] for o in picker["options"]] == [6]  # USER: picked, never typed as an id

    ana = discord.member("ana")
    picked = discord.command("admin", "mining-admin settings treasurer", member=ana)
    assert picked.ephemeral
    assert picked.content.startswith(f"<@{ana.id}> is now the treasurer")
    assert discord.services.guilds.get(discord.guild_id).settings.treasurer_id == ana.id
    shown = discord.command("admin", "mining-admin settings show")
    fields = {f["name"]: f["value"] for f in shown.data["embeds"][0]["fields"]}
    assert fields["treasurer"] == f"<@{ana.id}>"

    cleared = discord.command("admin", "mining-admin settings treasurer")
    assert cleared.content.startswith("Nobody holds the org's cut now")
    assert discord.services.guilds.get(discord.guild_id).settings.treasurer_id is None


def test_a_voice_channel_cannot_be_the_report_channel(discord: Discord) -> None:
    voice = discord.sim.guild.channel("Mining 1")
    refused = discord.command("admin", "mining-admin settings report-channel", channel=voice)
    assert refused.ephemeral
    assert refused.content == f"<#{voice.id}> is not a text channel; pick a text channel."
    assert discord.store_items() == []


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("org-cut", "150", "org-cut must be between 0 and 100 percent."),
        ("minimum-participation", "lots", "'lots' is not a number"),
        ("time-zone", "Moon/Base", "'Moon/Base' is not a time zone I know"),
        ("donation-policy", "keep", "donation-policy must be 'org' or 'resplit'."),
    ],
)
def test_bad_settings_change_nothing(discord: Discord, name: str, value: str, message: str) -> None:
    refused = discord.command("admin", "mining-admin settings set", name=name, value=value)
    assert refused.ephemeral
    assert refused.content.startswith(message)
    assert discord.store_items() == []


@pytest.mark.parametrize(
    ("path", "options"),
    [
        ("mining-admin channels add", {"channel": "Mining 1"}),
        ("mining-admin channels remove", {"channel": "Mining 1"}),
        ("mining-admin channels list", {}),
        ("mining-admin roles add", {"kind": "leader", "role": "Leader"}),
        ("mining-admin roles list", {}),
        ("mining-admin settings set", {"name": "org-cut", "value": "50"}),
        ("mining-admin settings show", {}),
        ("mining-admin settings report-channel", {"channel": "general"}),
    ],
)
@pytest.mark.parametrize("who", ["lead", "purser", "ben"])
def test_admin_commands_are_rechecked_on_the_server(
    discord: Discord, path: str, options: dict[str, str], who: str
) -> None:
    # Discord hides /mining-admin from these members, but a forged or stale client could still
    # send it: the server must refuse by itself.
    guild = discord.sim.guild
    resolved = {
        k: guild.channel(v) if k == "channel" else guild.role(v) if k == "role" else v
        for k, v in options.items()
    }
    refused = discord.command(who, path, **resolved)
    assert refused.ephemeral
    assert refused.content == "Only members with Manage Server can change Sunday Mining's setup."
    assert discord.store_items() == []
