"""A message as a member reads it on a phone, and the rules every message keeps.

Discord renders mentions (<@id>, <#id>, <@&id>) and timestamps (<t:…>) in a message's content,
an embed's description and its field values only; everywhere else (titles, field names,
footers, buttons, menus, forms) they show as the raw text. A public message (one the whole
channel sees) fits one phone screen; a long list goes behind a button or into the report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from sunday_mining_dev.simulator.transcript import message_lines

PHONE_LINES = 15
PHONE_CHARACTERS = 700
_MENTION = re.compile(r"<(?:@!?|@&|#)\d+>|<t:-?\d+(?::[tTdDfFR])?>")
_SNOWFLAKE = re.compile(r"(?<![\w])\d{17,20}(?![\w])")
_INTERNAL = (
    (re.compile(r"snapshot:"), "a price source's internal name"),
    (re.compile(r"\bsm\d+:\w+"), "a custom id"),
    (re.compile(r"\b[A-Z][a-z]+[A-Z]\w*\("), "a Python repr"),
    (re.compile(r"\{'|\['|\bdatetime\.\w+\("), "a Python repr"),
)
_COPY = (
    (re.compile(r"\w\((?:s|es)\)"), 'a "(s)" plural'),
    (re.compile(r"(?<![.])\.\.(?![.])"), "a double full stop"),
    (re.compile(r"\b[Aa] (?!one\b|uni|use|eu)[aeiou]\w"), '"a" before a vowel'),
)

Names = Callable[[str], str]


def texts(body: Any) -> Iterator[tuple[str, str, bool]]:
    """(where, text, Discord renders mentions there) for every piece of text a member sees."""
    if not isinstance(body, dict):
        return
    yield "content", str(body.get("content") or ""), True
    yield "form title", str(body.get("title") or ""), False
    for embed in body.get("embeds") or []:
        yield "embed title", str(embed.get("title") or ""), False
        yield "embed description", str(embed.get("description") or ""), True
        for field in embed.get("fields") or []:
            yield "field name", str(field.get("name") or ""), False
            yield "field value", str(field.get("value") or ""), True
        yield "footer", str((embed.get("footer") or {}).get("text") or ""), False
    yield from _component_texts(body.get("components") or [])
    for choice in body.get("choices") or []:
        yield "choice", str(choice.get("name") or ""), False


def _component_texts(components: list[Any]) -> Iterator[tuple[str, str, bool]]:
    for component in components:
        if not isinstance(component, dict):
            continue
        if component.get("type") == 10:
            yield "text display", str(component.get("content") or ""), True
        for key in ("label", "placeholder", "description"):
            if component.get(key):
                yield f"component {key}", str(component[key]), False
        for option in component.get("options") or []:
            yield "option label", str(option.get("label") or ""), False
            yield "option description", str(option.get("description") or ""), False
        yield from _component_texts(component.get("components") or [])
        if isinstance(component.get("component"), dict):
            yield from _component_texts([component["component"]])


def problems(body: Any, *, public: bool, names: Names = str) -> list[str]:
    """What a member would trip over in this message (empty when nothing)."""
    found: list[str] = []
    for where, text, renders in texts(body):
        if not text:
            continue
        if not renders and _MENTION.search(text):
            found.append(f"{where} shows a raw mention: {text!r}")
        if _SNOWFLAKE.search(_MENTION.sub("", text)):
            found.append(f"{where} shows a bare id: {text!r}")
        for pattern, what in (*_INTERNAL, *_COPY):
            if pattern.search(text):
                found.append(f"{where} shows {what}: {text!r}")
    if public:
        lines = screen_lines(body, names)
        size = sum(len(line) for line in lines)
        if len(lines) > PHONE_LINES or size > PHONE_CHARACTERS:
            found.append(
                f"a public message of {len(lines)} lines and {size} characters is more than "
                f"one phone screen ({PHONE_LINES} lines, {PHONE_CHARACTERS} characters): "
                f"{lines[:3]}"
            )
    return found


def screen_lines(body: Any, names: Names = str) -> list[str]:
    """The lines a member reads, mentions and times shown as Discord shows them."""
    return [names(line) for line in message_lines(body)]


def transcript_messages(entries: list[dict[str, Any]]) -> Iterator[tuple[str, Any, bool]]:
    """(what happened, the message as sent, whether the whole channel sees it) for every
    message, modal and list of choices in a saved transcript (``transcript.json``)."""
    for entry in entries:
        seen = f"[{entry.get('seq')}] {entry.get('label') or entry.get('path')}"
        if entry.get("kind") == "interaction":
            response = entry.get("response") or {}
            body = response.get("data") or {}
            kind = response.get("type")
            if kind == 4:
                yield seen, body, not _ephemeral(body)
            elif kind == 7:  # an update keeps the message's own visibility
                yield seen, body, not _ephemeral(entry["payload"].get("message") or {})
            elif kind in (8, 9):
                yield seen, body, False
        elif entry.get("method") in ("POST", "PATCH") and isinstance(entry.get("request"), dict):
            body = entry["request"]
            if "content" in body or "embeds" in body:
                yield seen, body, not _ephemeral(body)


def _ephemeral(message: dict[str, Any]) -> bool:
    return bool(int(message.get("flags") or 0) & 64)
