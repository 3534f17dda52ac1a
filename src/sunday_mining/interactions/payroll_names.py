"""How the payroll flow names a member: the display name the app remembers (see
services/names.py), so that menus and forms, which cannot show a mention, read as names too.

In message text a known name is written as text; an unknown one stays a mention, which Discord
shows as the name when it knows the member. Menus and forms fall back to the id's last digits.
"""

from __future__ import annotations

from collections.abc import Mapping

from sunday_mining.domain.handles import NO_HANDLE, with_handle
from sunday_mining.domain.payroll import ORG_PAYEE_ID

Names = Mapping[str, str]
NO_NAMES: Names = {}

# Characters Discord's markdown would read in a name ("_kite_" would turn italic).
_MARKDOWN = str.maketrans({c: f"\\{c}" for c in "\\*_~|`>#[]()<:"})


def who(user_id: str, names: Names) -> str:
    """A member in message text: their name, else a mention; the org as "the org"."""
    if user_id == ORG_PAYEE_ID:
        return "the org"
    name = names.get(user_id)
    return name.translate(_MARKDOWN) if name else f"<@{user_id}>"


def paid_as(user_id: str, names: Names, handles: Names) -> str:
    """A payee where someone pays them: their name and in-game handle, or a note that they
    have none yet (so the purser asks)."""
    if user_id == ORG_PAYEE_ID:
        return who(user_id, names)
    handle = handles.get(user_id)
    if handle is None:
        return f"{who(user_id, names)} ({NO_HANDLE})"
    return with_handle(who(user_id, names), handle.translate(_MARKDOWN))


def plain(user_id: str, names: Names) -> str:
    """A member in a menu option or a form title, where a mention shows as raw text."""
    if user_id == ORG_PAYEE_ID:
        return "the org"
    return names.get(user_id) or f"member …{user_id[-6:]}"
