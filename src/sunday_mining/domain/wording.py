"""Small rules of English shared by every message: a count with its noun, never "(s)"."""

from __future__ import annotations


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """ "1 mining channel", "2 mining channels", "3 stretches" (given the plural)."""
    return f"{count:,} {singular if count == 1 else plural or singular + 's'}"
