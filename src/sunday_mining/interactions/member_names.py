"""The display names an interaction reveals: its caller's, and those of the users it resolves.

Besides the worker's voice batches, interactions are the only place the app sees names, so each
one is passed to `MemberNames`. It costs a read per name and a write only when a name changed;
it never fails the interaction, whose answer matters more than a name for a report.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sunday_mining.interactions.payload import Interaction, InteractionType
from sunday_mining.services.names import MemberNames

log = logging.getLogger(__name__)


def remember_names(interaction: Interaction, names: MemberNames) -> None:
    """Record the names an interaction carries; log any failure and carry on."""
    # Autocomplete fires on every keystroke, and the command that follows names the same caller.
    if interaction.guild_id is None or interaction.type is InteractionType.AUTOCOMPLETE:
        return
    try:
        seen = interaction_names(interaction.raw)
        if seen:
            names.remember(interaction.guild_id, seen, source="interaction")
    except Exception:
        log.warning(
            "member names not recorded",
            exc_info=True,
            extra={"interaction_id": interaction.id, "guild_id": interaction.guild_id},
        )


def interaction_names(raw: Mapping[str, Any]) -> dict[str, str]:
    """User id -> display name (nick, else global name, else username) of the calling member
    and of the non-bot users in ``data.resolved``. Anything malformed is skipped."""
    found: dict[str, str] = {}
    member = _mapping(raw.get("member"))
    _add(found, _mapping(member.get("user")), member)
    data = _mapping(raw.get("data"))
    resolved = _mapping(data.get("resolved"))
    users = _mapping(resolved.get("users"))
    members = _mapping(resolved.get("members"))
    for user_id, user in users.items():
        _add(found, _mapping(user), _mapping(members.get(user_id)))
    return found


def _add(found: dict[str, str], user: Mapping[str, Any], member: Mapping[str, Any]) -> None:
    user_id = user.get("id")
    if not isinstance(user_id, str) or user.get("bot") is True:
        return
    for candidate in (member.get("nick"), user.get("global_name"), user.get("username")):
        if isinstance(candidate, str) and candidate:
            found[user_id] = candidate
            return


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
