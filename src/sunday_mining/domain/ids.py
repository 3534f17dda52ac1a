"""Identifiers: ours, which sort by creation time and cannot be guessed, and the numbers and
Discord snowflakes read from what users send.

Layout of ours (like a ULID): 48 bits of epoch milliseconds then 80 random bits, written in
Crockford's base32 as 26 characters. Lexical order is time order, which the store's sort keys
rely on.

Numbers from a payload (a select's value, a custom id's index, a user id) are read by
:func:`ascii_number` alone: ``str.isdigit()`` accepts "²" and "٣", which ``int()`` then refuses
or reads, and either way such a value has no business in a key or an index.
"""

from __future__ import annotations

import re
import secrets

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ID_RE = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
_ASCII_DIGITS = frozenset("0123456789")
SNOWFLAKE_DIGITS = 20  # Discord's ids are 64-bit: at most 20 decimal digits


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
    return _ID_RE.fullmatch(text) is not None


def id_time_ms(identifier: str) -> int:
    """The creation time encoded in an id."""
    value = 0
    for char in identifier[:10]:
        value = value * 32 + _ALPHABET.index(char)
    return value


def ascii_number(text: object, max_digits: int = 9) -> int | None:
    """The value of ``text`` when it is 1 to ``max_digits`` ASCII digits and nothing else (no
    sign, space or underscore), else None."""
    if not isinstance(text, str) or not 0 < len(text) <= max_digits:
        return None
    if not _ASCII_DIGITS.issuperset(text):
        return None
    return int(text)


def is_snowflake(text: object) -> bool:
    """Whether ``text`` has the shape of a Discord id (a user, a channel, a guild…)."""
    return ascii_number(text, SNOWFLAKE_DIGITS) is not None
