"""The simulated guild: its channels, roles and members, with Discord-like ids from a seed."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TypeVar

from sunday_mining_dev.simulator.permissions import (
    DEFAULT_BOT_PERMISSIONS,
    DEFAULT_MEMBER_PERMISSIONS,
    Permission,
    effective,
)
from sunday_mining_dev.simulator.snowflakes import SnowflakeGen

_JOINED_AT = "2025-01-01T00:00:00.000000+00:00"


class ChannelType(IntEnum):
    GUILD_TEXT = 0
    DM = 1
    GUILD_VOICE = 2
    GUILD_CATEGORY = 4
    GUILD_STAGE_VOICE = 13


@dataclass(frozen=True)
class SimChannel:
    id: str
    name: str
    type: ChannelType
    position: int = 0
    parent_id: str | None = None
    # The bot's permissions here; None means the guild-wide bot permissions.
    app_permissions: int | None = None
    user_limit: int = 0

    @property
    def is_voice(self) -> bool:
        return self.type in (ChannelType.GUILD_VOICE, ChannelType.GUILD_STAGE_VOICE)


@dataclass(frozen=True)
class SimRole:
    id: str
    name: str
    permissions: int = 0
    position: int = 1
    color: int = 0


@dataclass(frozen=True)
class SimUser:
    """A guild member as the interaction payload shows them (``member`` and ``member.user``)."""

    id: str
    username: str
    global_name: str | None = None
    role_ids: tuple[str, ...] = ()
    # Granted directly; role permissions and @everyone's are added by the guild.
    permissions: int = 0
    nick: str | None = None
    joined_at: str = _JOINED_AT
    bot: bool = False
    locale: str = "en-US"

    @property
    def display_name(self) -> str:
        return self.nick or self.global_name or self.username


@dataclass
class SimGuild:
    id: str
    name: str
    ids: SnowflakeGen
    locale: str = "en-US"
    bot_permissions: int = int(DEFAULT_BOT_PERMISSIONS)
    channels: list[SimChannel] = field(default_factory=list)
    roles: list[SimRole] = field(default_factory=list)
    members: list[SimUser] = field(default_factory=list)

    @classmethod
    def create(cls, name: str, *, seed: int = 0) -> SimGuild:
        ids = SnowflakeGen(seed)
        guild = cls(id=ids.next(), name=name, ids=ids)
        # @everyone shares the guild's id, as on Discord.
        everyone = SimRole(guild.id, "@everyone", int(DEFAULT_MEMBER_PERMISSIONS), position=0)
        guild.roles.append(everyone)
        return guild

    @property
    def everyone(self) -> SimRole:
        return self.roles[0]

    def add_text_channel(self, name: str, *, app_permissions: int | None = None) -> SimChannel:
        return self._add_channel(name, ChannelType.GUILD_TEXT, app_permissions, 0)

    def add_voice_channel(
        self, name: str, *, app_permissions: int | None = None, user_limit: int = 0
    ) -> SimChannel:
        return self._add_channel(name, ChannelType.GUILD_VOICE, app_permissions, user_limit)

    def _add_channel(
        self, name: str, kind: ChannelType, app_permissions: int | None, user_limit: int
    ) -> SimChannel:
        position = sum(1 for c in self.channels if c.type == kind)
        perms = None if app_permissions is None else int(app_permissions)
        channel = SimChannel(self.ids.next(), name, kind, position, None, perms, user_limit)
        self.channels.append(channel)
        return channel

    def add_role(self, name: str, permissions: int = 0, *, color: int = 0) -> SimRole:
        role = SimRole(self.ids.next(), name, int(permissions), len(self.roles), color)
        self.roles.append(role)
        return role

    def add_member(
        self,
        username: str,
        *,
        roles: Iterable[SimRole] = (),
        permissions: int = 0,
        global_name: str | None = None,
        nick: str | None = None,
        bot: bool = False,
        locale: str = "en-US",
    ) -> SimUser:
        role_ids = tuple(role.id for role in roles)
        user = SimUser(
            self.ids.next(),
            username,
            global_name,
            role_ids,
            int(permissions),
            nick,
            bot=bot,
            locale=locale,
        )
        self.members.append(user)
        return user

    def grant_roles(self, user: SimUser, *roles: SimRole) -> SimUser:
        """Give a member more roles; returns the new value to use from now on."""
        role_ids = user.role_ids + tuple(r.id for r in roles if r.id not in user.role_ids)
        return self.replace_member(dataclasses.replace(user, role_ids=role_ids))

    def replace_member(self, updated: SimUser) -> SimUser:
        index = next(i for i, m in enumerate(self.members) if m.id == updated.id)
        self.members[index] = updated
        return updated

    def channel(self, name: str) -> SimChannel:
        return _by_name(self.channels, name)

    def role(self, name: str) -> SimRole:
        return _by_name(self.roles, name)

    def member(self, username: str) -> SimUser:
        found = [m for m in self.members if m.username == username]
        if not found:
            raise KeyError(f"no member named {username!r}")
        return found[0]

    def text_channels(self) -> list[SimChannel]:
        return [c for c in self.channels if c.type == ChannelType.GUILD_TEXT]

    def voice_channels(self) -> list[SimChannel]:
        return [c for c in self.channels if c.is_voice]

    def permissions_of(self, user: SimUser) -> Permission:
        """Guild-level permissions: @everyone, then the member's roles, then direct grants."""
        total = self.everyone.permissions | user.permissions
        for role in self.roles:
            if role.id in user.role_ids:
                total |= role.permissions
        return effective(total)

    def app_permissions_in(self, channel: SimChannel | None) -> Permission:
        if channel is not None and channel.app_permissions is not None:
            return effective(channel.app_permissions)
        return effective(self.bot_permissions)


_Named = TypeVar("_Named", SimChannel, SimRole)


def _by_name(items: Iterable[_Named], name: str) -> _Named:
    for item in items:
        if item.name == name:
            return item
    raise KeyError(f"nothing named {name!r}")
