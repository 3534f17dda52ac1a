"""What a member does in the Discord client, through the simulator, and what they read back.

Every action goes out as a signed interaction over HTTP; every answer is checked the way Discord
would take it (status, callback type, message limits). A refused answer stops the demo with the
app's own words, because a demo that carries on past a failure would show made-up results.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sunday_mining_dev.simulator import DiscordSimulator, Exchange, SimGuild, SimUser
from sunday_mining_dev.simulator.components import FieldValue, SelectValue
from sunday_mining_dev.simulator.options import OptionValue
from sunday_mining_dev.simulator.transcript import names_in


class DemoFailed(RuntimeError):
    """The app did not answer as the script expects; the message says what it said."""


class Member:
    """One member of the simulated server, acting in the Discord client."""

    def __init__(self, sim: DiscordSimulator, username: str) -> None:
        self.sim = sim
        self.user: SimUser = sim.guild.member(username)

    def command(self, path: str, **options: OptionValue | None) -> Exchange:
        return checked(self.sim.command(self.user, path, **options))

    def click(self, message: Exchange, custom_id: str) -> Exchange:
        return checked(self.sim.click(self.user, message, custom_id))

    def select(self, message: Exchange, custom_id: str, values: Sequence[SelectValue]) -> Exchange:
        return checked(self.sim.select(self.user, message, custom_id, values))

    def submit(self, opened: Exchange, fields: Mapping[str, FieldValue]) -> Exchange:
        """Fill in and submit the modal that ``opened`` showed."""
        if opened.response_type != 9:
            raise DemoFailed(f"{opened.label}: expected a form, got {shown(opened)!r}")
        custom_id = str(opened.data["custom_id"])
        return checked(self.sim.submit_modal(self.user, custom_id, fields, modal=opened))


def checked(exchange: Exchange) -> Exchange:
    if exchange.status != 200 or exchange.problems:
        why = "; ".join(exchange.problems) or exchange.response_text[:200]
        raise DemoFailed(f"{exchange.label}: HTTP {exchange.status}: {why}")
    return exchange


def refused(exchange: Exchange) -> Exchange:
    """Stop on an ephemeral error where the script expects the flow to move on."""
    if exchange.ephemeral and exchange.content and not exchange.data.get("embeds"):
        raise DemoFailed(f"{exchange.label}: the app said {exchange.content!r}")
    return exchange


def components(exchange: Exchange) -> Iterator[dict[str, Any]]:
    for action_row in exchange.data.get("components", []):
        yield from action_row.get("components", [])


def custom_id(exchange: Exchange, prefix: str, label: str | None = None) -> str:
    """The custom id of the component starting with ``prefix`` (and labelled ``label``)."""
    for component in components(exchange):
        cid = str(component.get("custom_id", ""))
        if cid.startswith(prefix) and (label is None or component.get("label") == label):
            return cid
    raise DemoFailed(f"{exchange.label}: no {prefix} {label or ''} in the answer".rstrip())


def has(exchange: Exchange, prefix: str) -> bool:
    return any(str(c.get("custom_id", "")).startswith(prefix) for c in components(exchange))


def options(exchange: Exchange, prefix: str) -> list[dict[str, Any]]:
    """The options of the select whose custom id starts with ``prefix``."""
    for component in components(exchange):
        if str(component.get("custom_id", "")).startswith(prefix):
            return list(component.get("options", []))
    raise DemoFailed(f"{exchange.label}: no {prefix} select in the answer")


def embed_text(exchange: Exchange) -> str:
    """An embed's description and fields, as one text."""
    embed = exchange.data["embeds"][0]
    fields = [f"{f['name']}\n{f['value']}" for f in embed.get("fields", [])]
    return "\n".join([embed.get("description", ""), *fields])


def shown(exchange: Exchange) -> str:
    """The first line a member reads: the content, else the first embed's title."""
    first = exchange.content.split("\n")[0]
    if not first and exchange.data.get("embeds"):
        first = str(exchange.data["embeds"][0].get("title", ""))
    return first


def named(guild: SimGuild, text: str) -> str:
    """Mentions and times as a Discord client shows them: <@id> → @name, <#id> → #channel,
    <t:…> → the time (in UTC)."""
    text = names_in(guild)(text)
    return re.sub(r"\*\*([^*]*)\*\*", r"\1", text)  # bold markers read as noise in a terminal


def between(text: str, pattern: str) -> str:
    """The first group of ``pattern`` in ``text``: a figure read off the app's answer."""
    found = re.search(pattern, text)
    if found is None:
        raise DemoFailed(f"expected {pattern!r} in the app's answer: {text[:200]!r}")
    return found.group(1)
