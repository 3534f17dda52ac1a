"""In-game handles: what a member types as their Star Citizen handle, and how a member is shown
where they are paid.

The game's rule for a handle: ASCII letters, digits, ``-`` and ``_``, 3 to 60 characters. A
handle is checked with an explicit character class and ``fullmatch``: ``\\w`` and ``\\d`` also
accept letters and digits of other scripts, which the game refuses. Case is kept as typed.
Standard library only.
"""

from __future__ import annotations

import re

from sunday_mining.domain.errors import ValidationError

HANDLE_MIN = 3
HANDLE_MAX = 60
HANDLE_RULE = (
    f"A handle is {HANDLE_MIN} to {HANDLE_MAX} characters of ASCII letters (A-Z, a-z), "
    "digits, '-' and '_', with no spaces."
)
_HANDLE = re.compile(rf"[A-Za-z0-9_-]{{{HANDLE_MIN},{HANDLE_MAX}}}")
NO_HANDLE = "no handle yet"


def normalize_handle(raw: str) -> str:
    """The handle as typed, without the spaces (and line ends) a paste brings around it."""
    return raw.strip()


def is_handle(text: str) -> bool:
    """Whether ``text`` follows the game's rule for a handle, as it stands."""
    return _HANDLE.fullmatch(text) is not None


def parse_handle(raw: str) -> str:
    """The normalized handle, or ValidationError saying the rule in one sentence."""
    handle = normalize_handle(raw)
    if not is_handle(handle):
        raise ValidationError(HANDLE_RULE)
    return handle


def with_handle(display_name: str, handle: str | None) -> str:
    """The member as shown where they are paid: "Display Name (handle)", or
    "Display Name — no handle yet" for a member without one."""
    if handle:
        return f"{display_name} ({handle})"
    return f"{display_name} \u2014 {NO_HANDLE}"
