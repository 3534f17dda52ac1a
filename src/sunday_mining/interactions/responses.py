"""Interaction responses, built so that Discord's limits hold by construction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

EPHEMERAL = 1 << 6
NO_MENTIONS: dict[str, Any] = {"parse": []}

MAX_CONTENT = 2000
MAX_EMBED_DESCRIPTION = 4096
MAX_FIELD_VALUE = 1024
MAX_FIELDS = 25
MAX_OPTIONS = 25
MAX_LABEL = 80
MAX_OPTION_TEXT = 100

COLOUR_OK = 0x2ECC71
COLOUR_INFO = 0x3498DB
COLOUR_WARN = 0xE67E22
COLOUR_ERROR = 0xE74C3C


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Embed:
    title: str
    description: str = ""
    colour: int = COLOUR_INFO
    fields: list[tuple[str, str, bool]] = field(default_factory=list)
    footer: str | None = None

    def add(self, name: str, value: str, *, inline: bool = False) -> Embed:
        if len(self.fields) < MAX_FIELDS:
            self.fields.append((clip(name, 256), clip(value or "—", MAX_FIELD_VALUE), inline))
        return self

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"title": clip(self.title, 256), "color": self.colour}
        if self.description:
            body["description"] = clip(self.description, MAX_EMBED_DESCRIPTION)
        if self.fields:
            body["fields"] = [{"name": n, "value": v, "inline": i} for n, v, i in self.fields]
        if self.footer:
            body["footer"] = {"text": clip(self.footer, 2048)}
        return body


def button(label: str, custom_id: str, *, style: int = 2, disabled: bool = False) -> dict[str, Any]:
    return {
        "type": 2,
        "style": style,
        "label": clip(label, MAX_LABEL),
        "custom_id": custom_id,
        "disabled": disabled,
    }


def select(
    custom_id: str, options: Sequence[tuple[str, str, str | None]], *, placeholder: str
) -> dict[str, Any]:
    """A string select; ``options`` are (label, value, description), at most 25."""
    return {
        "type": 3,
        "custom_id": custom_id,
        "placeholder": clip(placeholder, 150),
        "min_values": 1,
        "max_values": 1,
        "options": [
            {
                "label": clip(label, MAX_OPTION_TEXT),
                "value": value,
                **({"description": clip(description, MAX_OPTION_TEXT)} if description else {}),
            }
            for label, value, description in options[:MAX_OPTIONS]
        ],
    }


def row(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(components)}


def _message(
    content: str | None,
    embeds: list[Embed] | None,
    components: list[dict[str, Any]] | None,
    ephemeral: bool,
) -> dict[str, Any]:
    data: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
    if content:
        data["content"] = clip(content, MAX_CONTENT)
    if embeds:
        data["embeds"] = [e.to_json() for e in embeds[:10]]
    data["components"] = components or []
    if ephemeral:
        data["flags"] = EPHEMERAL
    return data


def pong() -> dict[str, Any]:
    return {"type": 1}


def message(
    content: str | None = None,
    *,
    embeds: list[Embed] | None = None,
    components: list[dict[str, Any]] | None = None,
    ephemeral: bool = False,
) -> dict[str, Any]:
    return {"type": 4, "data": _message(content, embeds, components, ephemeral)}


def update(
    content: str | None = None,
    *,
    embeds: list[Embed] | None = None,
    components: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Replace the message a component sits on (type 7)."""
    data = _message(content, embeds, components, False)
    # Clear whatever the old message showed that the new one does not replace.
    if "embeds" in data:
        data.setdefault("content", "")
    elif "content" in data:
        data["embeds"] = []
    return {"type": 7, "data": data}


def deferred(*, ephemeral: bool) -> dict[str, Any]:
    return {"type": 5, "data": {"flags": EPHEMERAL} if ephemeral else {}}


def error(text: str) -> dict[str, Any]:
    """The one shape every refusal takes: a short ephemeral sentence saying what to do."""
    return message(clip(text, MAX_CONTENT), ephemeral=True)


def choices(items: list[tuple[str, str]]) -> dict[str, Any]:
    """Autocomplete result: (name, value) pairs, at most 25."""
    return {
        "type": 8,
        "data": {
            "choices": [
                {"name": clip(name, MAX_OPTION_TEXT) or "?", "value": value[:MAX_OPTION_TEXT]}
                for name, value in items[:MAX_OPTIONS]
            ]
        },
    }


def text_input(
    custom_id: str,
    label: str,
    *,
    value: str | None = None,
    placeholder: str | None = None,
    required: bool = True,
    max_length: int = 100,
    paragraph: bool = False,
) -> dict[str, Any]:
    """A text input wrapped in a Label (the current modal shape)."""
    inner: dict[str, Any] = {
        "type": 4,
        "custom_id": custom_id,
        "style": 2 if paragraph else 1,
        "required": required,
        "max_length": max_length,
    }
    if value:
        inner["value"] = value[:max_length]
    if placeholder:
        inner["placeholder"] = clip(placeholder, 100)
    return {"type": 18, "label": clip(label, 45), "component": inner}


def modal(custom_id: str, title: str, components: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": 9,
        "data": {"custom_id": custom_id, "title": clip(title, 45), "components": components[:5]},
    }
