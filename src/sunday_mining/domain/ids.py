"""Identifiers that sort by creation time and cannot be guessed.

Layout (like a ULID): 48 bits of epoch milliseconds then 80 random bits, written in Crockford's
base32 as 26 characters. Lexical order is time order, which the store's sort keys rely on.
"""

from __future__ import annotations

import re
import secrets

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


def new_id(now_ms: int) -> str:
    """A new id for something created at ``now_ms``."""
    if not 0 <= now_ms < 2**48:
        raise ValueError("timestamp out of range for an id")
    value = (now_ms << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def is_id(text: str) -> bool:
    """Whether ``text`` has the shape of an id made by :func:`new_id`."""
    return bool(_ID_RE.match(text))


def id_time_ms(identifier: str) -> int:
    """The creation time encoded in an id."""
    value = 0
    for char in identifier[:10]:
        value = value * 32 + _ALPHABET.index(char)
    return value
