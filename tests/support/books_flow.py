"""Final payrolls made through the simulator, for the books' tests: an op's sale finalized, a
later op, and the golden example of a member across three payrolls (one amended after everyone
was paid, one partly paid, one owed)."""

from __future__ import annotations

from dataclasses import dataclass

from tests.support.discord_box import Discord
from tests.support.payroll_flow import Crew, custom_id, member_action, modal_submit, stopped_op

from sunday_mining_dev.simulator import Exchange


def finalized(discord: Discord, session_id: str, total: str) -> Exchange:
    """The purser sells the haul for ``total`` and finalizes the payroll."""
    view = discord.command("purser", "mining payroll", session=session_id)
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Haul"))
    opened = discord.click("purser", view, custom_id(view, "sm1:psale:"))
    view = modal_submit(discord, "purser", opened, {"label": "ARC-L1", "total": total})
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Preview"))
    confirm = discord.click("purser", view, custom_id(view, "sm1:pask:"))
    return discord.click("purser", confirm, custom_id(confirm, "sm1:pfin:"))


def amended(discord: Discord, final: Exchange, user_id: str, minutes: str) -> Exchange:
    """Amend a final payroll: ``user_id`` gets ``minutes`` more, and the amendment is final."""
    view = discord.click("purser", final, custom_id(final, "sm1:pamend:"))
    opened = member_action(discord, "purser", view, user_id, "Adjust time or multiplier…")
    view = modal_submit(discord, "purser", opened, {"mult": "1", "adj": minutes, "why": "Log gap"})
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Preview"))
    confirm = discord.click("purser", view, custom_id(view, "sm1:pask:"))
    return discord.click("purser", confirm, custom_id(confirm, "sm1:pfin:"))


def second_op(discord: Discord, minutes: dict[str, int], name: str) -> str:
    """Another op a day after the last (stopped_op sets the guild up once)."""
    discord.clock.advance(minutes=60 * 24)
    crew = Crew(discord)
    crew.seq = discord.clock.now_ms() // 1000  # above every earlier batch's number
    crew.move(list(minutes), discord.sim.guild.channel("Mining 1").id)
    discord.command("lead", "mining start", name=name)
    start = discord.clock.now_ms()
    for user, length in sorted(minutes.items(), key=lambda item: item[1]):
        discord.clock.set(start + length * 60_000)
        crew.move([user], None)
    discord.command("lead", "mining stop")
    (session, *_) = discord.services.sessions.recent(discord.guild_id)[0]
    return session.session_id


@dataclass(frozen=True)
class Golden:
    ana: str
    ben: str
    cy: str
    amended_ms: int  # when the first op's amendment was finalized
    second_ms: int  # when the second op's payroll was finalized
    third_ms: int


def golden_books(discord: Discord) -> Golden:
    """Three ops a day apart, each with a 10 % org cut:

    - "Halo run": Ana 2 h, Ben 1 h, Cy 1 h; 2,000,000 sold, everyone marked paid (900,000,
      450,000, 450,000); then amended, Ben +30 min: Ana 800,000 and Cy 400,000 (both paid more
      before), Ben 600,000 of which 450,000 was paid, 150,000 owed.
    - "Second run": Ana and Ben 1 h each; 1,000,000: 450,000 each, Ana marked paid.
    - "Third run": Ana 1 h 30, Ben 30 min; 1,200,000: 810,000 and 270,000, nobody paid.
    """
    ana, ben, cy = (discord.member(n).id for n in ("ana", "ben", "cy"))
    final = finalized(discord, stopped_op(discord, {ana: 120, ben: 60, cy: 60}), "2000000")
    final = discord.select("purser", final, custom_id(final, "sm1:ppaid:"), [ana, ben, cy])
    discord.clock.advance(minutes=10)
    amended(discord, final, ben, "+30")
    amended_ms = discord.clock.now_ms()
    final = finalized(discord, second_op(discord, {ana: 60, ben: 60}, "Second run"), "1000000")
    discord.select("purser", final, custom_id(final, "sm1:ppaid:"), [ana])
    second_ms = discord.clock.now_ms()
    finalized(discord, second_op(discord, {ana: 90, ben: 30}, "Third run"), "1200000")
    return Golden(ana, ben, cy, amended_ms, second_ms, discord.clock.now_ms())
