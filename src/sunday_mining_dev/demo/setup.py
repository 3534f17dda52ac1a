"""The admin's part: ``/mining-admin`` sets the server up before the first op."""

from __future__ import annotations

import re

from sunday_mining_dev.demo.clicks import Member, between, embed_text, named, shown
from sunday_mining_dev.demo.crew import OP_CHANNELS
from sunday_mining_dev.demo.progress import Progress
from sunday_mining_dev.simulator import DiscordSimulator

DISPATCH = "Dispatch"
ROLES = (("leader", "Leader"), ("payroll", "Payroll"), ("adhoc", "Adhoc"))
ORG_CUT = "10"
ORG_NAME = "Sunday Mining Co."
# Where the final payroll is posted for everyone: the channel the op is run from.
REPORT_CHANNEL = "mining-ops"
# Who holds the org's cut when several members sold the haul.
TREASURER = "purser"


def configure_guild(sim: DiscordSimulator, progress: Progress) -> None:
    """The six mining channels (the bot sits in Dispatch during an op), who may lead, pay and
    run adhoc sessions, the org's default cut, its name (the reports' heading) and the channel
    where everyone reads the final payroll; then what the app lists back."""
    admin, guild = Member(sim, "admin"), sim.guild
    for name in OP_CHANNELS:
        channel = guild.channel(name)
        admin.command("mining-admin channels add", channel=channel, dispatch=name == DISPATCH)
    for kind, role in ROLES:
        admin.command("mining-admin roles add", kind=kind, role=guild.role(role))
    cut = admin.command("mining-admin settings set", name="org-cut", value=ORG_CUT)
    admin.command("mining-admin settings set", name="org-name", value=ORG_NAME)
    admin.command("mining-admin settings report-channel", channel=guild.channel(REPORT_CHANNEL))
    treasurer = admin.command("mining-admin settings treasurer", member=guild.member(TREASURER))
    channels = embed_text(admin.command("mining-admin channels list"))
    roles = embed_text(admin.command("mining-admin roles list"))
    _show(sim, progress, channels, roles, shown(cut))
    progress.detail(named(guild, shown(treasurer)))


def _show(sim: DiscordSimulator, progress: Progress, channels: str, roles: str, cut: str) -> None:
    guild = sim.guild
    dispatch = named(guild, between(channels, r"(<#\d+>)[^\n]*dispatch"))
    count = channels.count("<#")
    progress.say("setup", f"/mining-admin: {count} mining channels, the bot's seat {dispatch}")
    granted = re.findall(r"(\w+) — [^\n]*\n(<@&\d+>)", roles)
    progress.detail("roles: " + named(guild, ", ".join(f"{k} {r}" for k, r in granted)))
    progress.detail(named(guild, cut))
