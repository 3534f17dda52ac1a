"""What happened, in order: interactions sent to the app and the REST calls the app made back.

Both kinds share one sequence counter, so a transcript interleaves them the way they happened even
though the REST sink records from its own thread. Interaction tokens are shortened on the way out:
they are credentials on real Discord and a transcript is meant to be shared.

The text form is the record of what Discord would have shown: each message whole (content, embed
titles, descriptions, fields and footers, buttons), with mentions written as the names Discord
shows in their place. The JSON form keeps every payload exactly as sent.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sunday_mining_dev.simulator.model import SimGuild
from sunday_mining_dev.simulator.objects import JSON

_SEQUENCE = itertools.count(1)
_TOKEN_IN_PATH = re.compile(r"(/(?:webhooks|interactions)/\d+/)([^/?]{12,})")
_MENTION = re.compile(r"<(@!?|@&|#)(\d+)>")
_TIMESTAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
_INDENT = "      "
Names = Callable[[str], str]  # text with mentions -> the same text with names

CALLBACK_NAMES = {
    1: "PONG",
    4: "CHANNEL_MESSAGE_WITH_SOURCE",
    5: "DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE",
    6: "DEFERRED_UPDATE_MESSAGE",
    7: "UPDATE_MESSAGE",
    8: "APPLICATION_COMMAND_AUTOCOMPLETE_RESULT",
    9: "MODAL",
}


def next_seq() -> int:
    # itertools.count's __next__ is atomic under the GIL: safe across the sink's thread.
    return next(_SEQUENCE)


def redact_path(path: str) -> str:
    return _TOKEN_IN_PATH.sub(lambda m: m.group(1) + redact_token(m.group(2)), path)


def redact_token(token: str) -> str:
    # Real tokens all start with base64("interaction:"); the tail tells them apart.
    return "…" + token[-6:]


def names_in(guild: SimGuild | None) -> Names:
    """Mentions (<@id>, <#id>, <@&id>) replaced by @member, #channel and @role, as Discord
    shows them; an id the guild does not know stays as it is."""
    if guild is None:
        return str
    members = {m.id: "@" + m.display_name for m in guild.members}
    channels = {c.id: "#" + c.name for c in guild.channels}
    roles = {r.id: "@" + r.name for r in guild.roles}

    def named(match: re.Match[str]) -> str:
        kind, ident = match.group(1), match.group(2)
        table = channels if kind == "#" else roles if kind == "@&" else members
        return table.get(ident, match.group(0))

    return lambda text: _TIMESTAMP.sub(_utc, _MENTION.sub(named, text))


def _utc(match: re.Match[str]) -> str:
    # Discord shows <t:…> in the reader's own time zone; a shared record says UTC. The long
    # time style (T) is the one that shows seconds, and Discord shows it without the date.
    when = datetime.fromtimestamp(int(match.group(1)), UTC)
    if match.group(2) == "T":
        return f"{when:%H:%M:%S} UTC"
    return f"{when:%Y-%m-%d %H:%M} UTC"


def message_lines(body: Any) -> list[str]:
    """A message, modal or list of choices as lines of text, whole and in the order shown."""
    if not isinstance(body, dict):
        return []
    lines = str(body.get("content") or "").splitlines()
    if body.get("title"):  # a modal
        lines.append(f"[form] {body['title']}")
    for embed in body.get("embeds") or []:
        if embed.get("title"):
            lines.append(f"[{embed['title']}]")
        lines += str(embed.get("description") or "").splitlines()
        for shown in embed.get("fields") or []:
            lines.append(f"{shown.get('name')}:")
            lines += ["  " + line for line in str(shown.get("value") or "").splitlines()]
        footer = (embed.get("footer") or {}).get("text")
        if footer:
            lines.append(f"({footer})")
    lines += _component_lines(body.get("components") or [])
    if body.get("choices"):
        lines.append("choices: " + ", ".join(str(c.get("name")) for c in body["choices"]))
    return [line.replace("**", "").rstrip() for line in lines if line.strip()]


def _component_lines(components: Iterable[JSON]) -> list[str]:
    found: list[str] = []
    buttons: list[str] = []
    for component in components:
        kind = component.get("type")
        if kind == 10:
            found += str(component.get("content", "")).splitlines()
        elif kind == 2 and component.get("label"):
            buttons.append(f"[{component['label']}]")
        elif kind in (3, 5, 6, 7, 8):
            found.append(f"<{component.get('placeholder') or 'choose'}>")
        elif kind == 18 and component.get("label"):
            found.append(f"{component['label']}:")
        found += _component_lines(component.get("components") or [])
        child = component.get("component")
        if isinstance(child, dict):
            found += _component_lines([child])
    if buttons:
        found.append(" ".join(buttons))
    return found


def _with_body(head: str, body: Any, names: Names) -> str:
    """The head line, the message's first line after it and the rest indented below."""
    lines = [names(line) for line in message_lines(body)]
    if not lines:
        return head
    return head + ": " + "\n".join([lines[0], *(_INDENT + line for line in lines[1:])])


@dataclass
class Exchange:
    """One signed POST to the app's interactions endpoint and what came back."""

    seq: int
    kind: str
    label: str
    user: str | None
    payload: JSON
    status: int
    response: Any | None
    response_text: str
    tamper: str | None = None
    elapsed_ms: float = 0.0
    # The message the response created or updated (types 4 and 7), as Discord would hold it.
    message: JSON | None = None
    # What Discord would object to: wrong callback type, rejected message, missed deadline.
    problems: list[str] = field(default_factory=list)
    # The initial response came through POST /interactions/{id}/{token}/callback (HTTP 202).
    via_callback: bool = False

    @property
    def token(self) -> str:
        return str(self.payload.get("token", ""))

    @property
    def response_type(self) -> int | None:
        if isinstance(self.response, dict) and isinstance(self.response.get("type"), int):
            return int(self.response["type"])
        return None

    @property
    def data(self) -> JSON:
        """The response's ``data`` (message fields, modal, or choices); empty when absent."""
        if isinstance(self.response, dict) and isinstance(self.response.get("data"), dict):
            return dict(self.response["data"])
        return {}

    @property
    def content(self) -> str:
        return str(self.data.get("content") or "")

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.data.get("flags") or 0) & 64)

    @property
    def choices(self) -> list[JSON]:
        return list(self.data.get("choices") or [])

    def summary(self, names: Names = str) -> str:
        who = f"{self.user} " if self.user else ""
        head = f"[{self.seq}] {who}→ {names(self.label)}"
        if self.tamper:
            head += f" (tampered: {self.tamper})"
        name = CALLBACK_NAMES.get(self.response_type or 0, "")
        tail = f" ⇐ {self.status} {name}".rstrip()
        if self.ephemeral:
            tail += " ephemeral"
        line = _with_body(head + tail, self.data, names)
        return line + "".join(f"\n{_INDENT}! {problem}" for problem in self.problems)

    def as_dict(self) -> JSON:
        payload = dict(self.payload)
        if "token" in payload:
            payload["token"] = redact_token(str(payload["token"]))
        return {
            "seq": self.seq,
            "kind": "interaction",
            "interaction_type": self.kind,
            "label": self.label,
            "user": self.user,
            "tamper": self.tamper,
            "payload": payload,
            "status": self.status,
            "response": self.response,
            "elapsed_ms": round(self.elapsed_ms, 2),
            "via_callback": self.via_callback,
            "problems": self.problems,
        }


@dataclass
class RestCall:
    """One request the app made to the REST sink (its stand-in for discord.com/api/v10)."""

    seq: int
    method: str
    path: str
    route: str
    status: int
    request: Any | None = None
    files: list[JSON] = field(default_factory=list)
    response: Any | None = None
    user_agent: str | None = None
    # "bot ok", "bot rejected", or None when the route takes no bot token (webhooks).
    auth: str | None = None
    fault: str | None = None

    def summary(self, names: Names = str) -> str:
        line = f"[{self.seq}]     REST {self.method} {redact_path(self.path)} → {self.status}"
        if self.fault:
            line += f" (injected {self.fault})"
        if self.files:
            files = ", ".join(f"{f['filename']} ({f['size']:,} B)" for f in self.files)
            line += f" files: {files}"
        return _with_body(line, self.request, names)

    def as_dict(self) -> JSON:
        return {
            "seq": self.seq,
            "kind": "rest",
            "method": self.method,
            "path": redact_path(self.path),
            "route": self.route,
            "status": self.status,
            "request": self.request,
            "files": self.files,
            "response": self.response,
            "user_agent": self.user_agent,
            "auth": self.auth,
            "fault": self.fault,
        }


class RestLog:
    """Thread-safe, ordered record of REST calls; the sink appends, tests and transcripts read."""

    def __init__(self) -> None:
        self._calls: list[RestCall] = []
        self._lock = threading.Lock()

    def append(self, call: RestCall) -> None:
        with self._lock:
            self._calls.append(call)

    @property
    def calls(self) -> list[RestCall]:
        with self._lock:
            return list(self._calls)

    def by_route(self, route: str) -> list[RestCall]:
        return [c for c in self.calls if c.route == route]

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()


class Transcript:
    """Exchanges plus, when a sink is attached, its REST calls, merged in the order they ran."""

    def __init__(self, rest_log: RestLog | None = None, guild: SimGuild | None = None) -> None:
        self.rest_log = rest_log
        self.guild = guild
        self._exchanges: list[Exchange] = []

    def add(self, exchange: Exchange) -> None:
        self._exchanges.append(exchange)

    @property
    def exchanges(self) -> list[Exchange]:
        return list(self._exchanges)

    def entries(self) -> list[Exchange | RestCall]:
        rest = self.rest_log.calls if self.rest_log is not None else []
        merged: list[Exchange | RestCall] = [*self._exchanges, *rest]
        return sorted(merged, key=lambda entry: entry.seq)

    def to_text(self) -> str:
        names = names_in(self.guild)
        return "\n".join(entry.summary(names) for entry in self.entries())

    def to_json(self) -> str:
        return json.dumps([e.as_dict() for e in self.entries()], indent=2, ensure_ascii=False)

    def save(self, path: Path) -> None:
        path.write_text(self.to_json() + "\n", encoding="utf-8")
