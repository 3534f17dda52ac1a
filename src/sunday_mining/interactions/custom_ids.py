"""Versioned custom ids: ``sm1:<action>:<arg>:<arg>…``, at most 100 characters.

The version lets a later release recognise — and politely refuse — buttons from an older one.
Arguments are ids or small integers; anything bigger lives in a stored flow keyed by an id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "sm1"
MAX_LENGTH = 100
_ARG = re.compile(r"[0-9A-Za-z_-]{0,40}")


@dataclass(frozen=True)
class CustomId:
    action: str
    args: tuple[str, ...]

    def arg(self, index: int) -> str:
        return self.args[index] if index < len(self.args) else ""


def make(action: str, *args: str | int) -> str:
    parts = [PREFIX, action, *(str(a) for a in args)]
    for part in parts[1:]:
        if not _ARG.fullmatch(part):
            raise ValueError(f"unsafe custom id part: {part!r}")
    text = ":".join(parts)
    if len(text) > MAX_LENGTH:
        raise ValueError("custom id too long")
    return text


def parse(text: str) -> CustomId | None:
    """The custom id's action and arguments, or None when it is not one of ours (or stale)."""
    if len(text) > MAX_LENGTH:
        return None
    parts = text.split(":")
    if len(parts) < 2 or parts[0] != PREFIX or not all(_ARG.fullmatch(p) for p in parts[1:]):
        return None
    return CustomId(parts[1], tuple(parts[2:]))
