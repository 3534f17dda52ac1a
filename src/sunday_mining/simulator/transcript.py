"""What happened, in order: interactions sent to the app and the REST calls the app made back.

Both kinds share one sequence counter, so a transcript interleaves them the way they happened even
though the REST sink records from its own thread. Interaction tokens are shortened on the way out:
they are credentials on real Discord and a transcript is meant to be shared.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sunday_mining.simulator.objects import JSON

_SEQUENCE = itertools.count(1)
_TOKEN_IN_PATH = re.compile(r"(/(?:webhooks|interactions)/\d+/)([^/?]{12,})")

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


def preview(body: Any, limit: int = 80) -> str:
    """A one-line hint of a message body: content, else an embed title, else text displays."""
    if not isinstance(body, dict):
        return ""
    text = body.get("content") or ""
    if not text and body.get("embeds"):
        text = "[embed] " + str(body["embeds"][0].get("title") or "")
    if not text and body.get("components"):
        text = " / ".join(_texts(body["components"]))
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _texts(components: Iterable[JSON]) -> list[str]:
    found: list[str] = []
    for component in components:
        if component.get("type") == 10:
            found.append(str(component.get("content", "")))
        found.extend(_texts(component.get("components") or []))
    return found


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

    def summary(self) -> str:
        who = f"{self.user} " if self.user else ""
        head = f"[{self.seq}] {who}→ {self.label}"
        if self.tamper:
            head += f" (tampered: {self.tamper})"
        name = CALLBACK_NAMES.get(self.response_type or 0, "")
        tail = f" ⇐ {self.status} {name}".rstrip()
        if self.ephemeral:
            tail += " ephemeral"
        hint = preview(self.data)
        line = head + tail + (f': "{hint}"' if hint else "")
        return line + "".join(f"\n      ! {problem}" for problem in self.problems)

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

    def summary(self) -> str:
        line = f"[{self.seq}]     REST {self.method} {redact_path(self.path)} → {self.status}"
        if self.fault:
            line += f" (injected {self.fault})"
        hint = preview(self.request)
        if hint:
            line += f': "{hint}"'
        if self.files:
            names = ", ".join(f"{f['filename']} ({f['size']} B)" for f in self.files)
            line += f" files: {names}"
        return line

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

    def __init__(self, rest_log: RestLog | None = None) -> None:
        self.rest_log = rest_log
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
        return "\n".join(entry.summary() for entry in self.entries())

    def to_json(self) -> str:
        return json.dumps([e.as_dict() for e in self.entries()], indent=2, ensure_ascii=False)

    def save(self, path: Path) -> None:
        path.write_text(self.to_json() + "\n", encoding="utf-8")
