"""Driving /mining payroll through the simulator: an op stopped with members seated for their
minutes, modal submits as the Discord client sends them, and reading components and embeds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.support.discord_box import Discord, checked

from sunday_mining.domain.presence import VoiceEvent
from sunday_mining.services.voice import VoiceBatch
from sunday_mining_dev.simulator import Exchange

QUANTAINIUM, LARANITE = "58", "47"


class Crew:
    """Seats members through the voice ingest the way the worker reports them."""

    def __init__(self, discord: Discord) -> None:
        self.discord = discord
        self.seq = 0

    def move(self, users: list[str], channel: str | None) -> None:
        now = self.discord.clock.now_ms()
        events = []
        for user in users:
            self.seq += 1
            events.append(VoiceEvent(now, "C1", self.seq, user, channel))
        # The worker names the members it sees, as the gateway does (a name a test stored
        # on purpose is left as it is).
        known = {m.id: m.display_name for m in self.discord.sim.guild.members}
        stored = self.discord.services.names.lookup(self.discord.guild_id, users)
        names = {user: known[user] for user in users if user in known and user not in stored}
        self.discord.services.voice.record(
            VoiceBatch(self.discord.guild_id, "C1", self.seq, events=tuple(events), names=names)
        )


def modal_submit(discord: Discord, who: str, opened: Exchange, fields: dict[str, Any]) -> Exchange:
    """Submit the modal ``opened`` showed, as the Discord client would."""
    assert opened.response_type == 9, opened.content
    exchange = discord.sim.submit_modal(
        discord.member(who), opened.data["custom_id"], fields, modal=opened
    )
    return checked(exchange)


def components(exchange: Exchange) -> Iterator[dict[str, Any]]:
    for action_row in exchange.data.get("components", []):
        yield from action_row["components"]


def custom_id(exchange: Exchange, prefix: str, label: str | None = None) -> str:
    for component in components(exchange):
        cid = str(component.get("custom_id", ""))
        if cid.startswith(prefix) and (label is None or component.get("label") == label):
            return cid
    raise AssertionError(
        f"no {prefix!r} {label or ''} in {[c.get('custom_id') for c in components(exchange)]}"
    )


def member_card(discord: Discord, who: str, view: Exchange, user_id: str) -> Exchange:
    """Pick a member in the participants menu: their card, with one button per action."""
    return discord.select(who, view, custom_id(view, "sm1:pmem:"), [user_id])


def member_action(discord: Discord, who: str, view: Exchange, user_id: str, label: str) -> Exchange:
    """Pick a member, then press one of their card's buttons (a form opens for Adjust…)."""
    card = member_card(discord, who, view, user_id)
    action = next(c for c in components(card) if c.get("label") == label)
    return discord.click(who, card, str(action["custom_id"]))


def option_labels(exchange: Exchange, prefix: str) -> dict[str, str]:
    """Value -> label of the options of the select whose custom id starts with ``prefix``."""
    for component in components(exchange):
        if str(component.get("custom_id", "")).startswith(prefix):
            return {str(o["value"]): str(o["label"]) for o in component["options"]}
    raise AssertionError(f"no {prefix!r} select")


def text(exchange: Exchange) -> str:
    embed = exchange.data["embeds"][0]
    fields = [f"{f['name']}\n{f['value']}" for f in embed.get("fields", [])]
    return "\n".join([embed.get("description", ""), *fields])


def stopped_op(discord: Discord, minutes: dict[str, int]) -> str:
    """A Sunday op on Mining 1: everyone sits from the start and leaves after their minutes."""
    discord.setup_guild()
    discord.command("admin", "mining-admin settings set", name="org-cut", value="10")
    crew = Crew(discord)
    channel = discord.sim.guild.channel("Mining 1").id
    crew.move(list(minutes), channel)
    started = discord.command("lead", "mining start", name="Halo run")
    assert "started" in started.content
    start = discord.clock.now_ms()
    for user, length in sorted(minutes.items(), key=lambda item: item[1]):
        discord.clock.set(start + length * 60_000)
        crew.move([user], None)
    stopped = discord.command("lead", "mining stop")
    assert "has stopped" in stopped.data["embeds"][0]["title"]
    (session,) = discord.services.sessions.recent(discord.guild_id)[0]
    return session.session_id
