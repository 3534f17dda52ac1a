"""A ready-made mining org for the demo and for tests: channels, roles and a small crew."""

from __future__ import annotations

from sunday_mining_dev.simulator.model import SimGuild
from sunday_mining_dev.simulator.permissions import Permission


def sample_guild(seed: int = 0) -> SimGuild:
    """#general and #mining-ops (text); Dispatch, Mining 1, Mining 2 (voice); roles Leader,
    Payroll, Adhoc; members admin (Administrator), lead (Leader), purser (Payroll), manager
    (Manage Server only) and miners ana, ben, cy (Adhoc for ana)."""
    guild = SimGuild.create("Sunday Mining Co", seed=seed)
    for name in ("general", "mining-ops"):
        guild.add_text_channel(name)
    for name in ("Dispatch", "Mining 1", "Mining 2"):
        guild.add_voice_channel(name)
    leader = guild.add_role("Leader", color=0xE67E22)
    payroll = guild.add_role("Payroll", color=0x2ECC71)
    adhoc = guild.add_role("Adhoc")
    guild.add_member("admin", permissions=Permission.ADMINISTRATOR, global_name="The Admin")
    guild.add_member("lead", roles=[leader], global_name="Op Lead")
    guild.add_member("purser", roles=[payroll], global_name="Purser")
    guild.add_member("manager", permissions=Permission.MANAGE_GUILD)
    guild.add_member("ana", roles=[adhoc], global_name="Ana")
    guild.add_member("ben", global_name="Ben")
    guild.add_member("cy")
    return guild
