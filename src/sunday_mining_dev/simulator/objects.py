"""Discord JSON objects (user, member, channel, role, partial guild) rendered from the model.

Field sets follow ``D:resources/user``, ``D:resources/guild#guild-member-object``,
``D:resources/channel`` and ``D:interactions/receiving-and-responding#interaction-object-resolved-
data-structure``. Nullable fields are present with ``None`` the way Discord sends them, so an app
that reads them with ``payload["field"]`` fails here as it would in production.
"""

from __future__ import annotations

from typing import Any

from sunday_mining_dev.simulator.model import SimChannel, SimGuild, SimRole, SimUser
from sunday_mining_dev.simulator.permissions import as_string

JSON = dict[str, Any]


def user_object(user: SimUser) -> JSON:
    return {
        "id": user.id,
        "username": user.username,
        "global_name": user.global_name,
        "discriminator": "0",
        "avatar": None,
        "avatar_decoration_data": None,
        "bot": user.bot,
        "public_flags": 0,
        "primary_guild": None,
        "collectibles": None,
    }


def member_object(guild: SimGuild, user: SimUser, *, partial: bool = False) -> JSON:
    """The invoking member (with ``user``), or the resolved form, which lacks user/deaf/mute."""
    member: JSON = {
        "roles": list(user.role_ids),
        "nick": user.nick,
        "avatar": None,
        "banner": None,
        "joined_at": user.joined_at,
        "premium_since": None,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
        "unusual_dm_activity_until": None,
        "permissions": as_string(guild.permissions_of(user)),
    }
    if not partial:
        member.update({"user": user_object(user), "deaf": False, "mute": False})
    return member


def channel_object(guild: SimGuild, channel: SimChannel, member: SimUser | None) -> JSON:
    """The ``channel`` of an interaction: a partial channel with the member's permissions."""
    obj: JSON = {
        "id": channel.id,
        "type": int(channel.type),
        "guild_id": guild.id,
        "name": channel.name,
        "parent_id": channel.parent_id,
        "position": channel.position,
        "flags": 0,
        "nsfw": False,
        "last_message_id": None,
        "rate_limit_per_user": 0,
    }
    if channel.is_voice:
        obj.update({"bitrate": 64000, "user_limit": channel.user_limit, "rtc_region": None})
    else:
        obj["topic"] = None
    if member is not None:
        obj["permissions"] = as_string(guild.permissions_of(member))
    return obj


def resolved_channel(guild: SimGuild, channel: SimChannel, member: SimUser | None) -> JSON:
    """A resolved channel: id, name, type, permissions, plus ``app_permissions`` (2026-07-16)."""
    obj: JSON = {
        "id": channel.id,
        "name": channel.name,
        "type": int(channel.type),
        "guild_id": guild.id,
        "parent_id": channel.parent_id,
        "flags": 0,
        "app_permissions": as_string(guild.app_permissions_in(channel)),
    }
    if member is not None:
        obj["permissions"] = as_string(guild.permissions_of(member))
    return obj


def role_object(role: SimRole) -> JSON:
    return {
        "id": role.id,
        "name": role.name,
        "description": None,
        "color": role.color,
        "colors": {"primary_color": role.color, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": role.position,
        "permissions": as_string(role.permissions),
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def partial_guild(guild: SimGuild) -> JSON:
    """The ``guild`` field of an interaction: only id, locale and features."""
    return {"id": guild.id, "locale": guild.locale, "features": []}


class Resolved:
    """Collects ``resolved`` data for options and selects; ids are keys, as on Discord."""

    def __init__(self, guild: SimGuild, member: SimUser | None) -> None:
        self._guild = guild
        self._member = member
        self._data: dict[str, dict[str, JSON]] = {}

    def add_user(self, user: SimUser) -> str:
        self._data.setdefault("users", {})[user.id] = user_object(user)
        members = self._data.setdefault("members", {})
        members[user.id] = member_object(self._guild, user, partial=True)
        return user.id

    def add_channel(self, channel: SimChannel) -> str:
        obj = resolved_channel(self._guild, channel, self._member)
        self._data.setdefault("channels", {})[channel.id] = obj
        return channel.id

    def add_role(self, role: SimRole) -> str:
        self._data.setdefault("roles", {})[role.id] = role_object(role)
        return role.id

    def add(self, item: SimUser | SimChannel | SimRole) -> str:
        if isinstance(item, SimUser):
            return self.add_user(item)
        if isinstance(item, SimChannel):
            return self.add_channel(item)
        return self.add_role(item)

    def find(self, snowflake: str) -> SimUser | SimChannel | SimRole:
        """The guild's member, channel or role with this id."""
        known: list[SimUser | SimChannel | SimRole] = [
            *self._guild.members,
            *self._guild.channels,
            *self._guild.roles,
        ]
        for item in known:
            if item.id == snowflake:
                return item
        raise ValueError(f"{snowflake!r} is no member, channel or role of the guild")

    def as_json(self) -> JSON | None:
        return dict(self._data) if self._data else None
