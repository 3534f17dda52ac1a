"""The interaction payload, parsed defensively into what the handlers need.

Everything about the caller (user, roles, permissions, guild) comes from the signed payload and
nowhere else. A payload that does not have the shape Discord sends raises BadPayload, which the
endpoint answers with 400 — never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any, TypeVar

from sunday_mining.domain.ids import SNOWFLAKE_DIGITS, ascii_number, is_snowflake

_E = TypeVar("_E", bound=IntEnum)


class BadPayload(Exception):
    """The body is not an interaction we understand."""


class InteractionType(IntEnum):
    PING = 1
    APPLICATION_COMMAND = 2
    MESSAGE_COMPONENT = 3
    AUTOCOMPLETE = 4
    MODAL_SUBMIT = 5


class OptionType(IntEnum):
    SUB_COMMAND = 1
    SUB_COMMAND_GROUP = 2
    STRING = 3
    INTEGER = 4
    BOOLEAN = 5
    USER = 6
    CHANNEL = 7
    ROLE = 8
    MENTIONABLE = 9
    NUMBER = 10
    ATTACHMENT = 11


class ChannelType(IntEnum):
    GUILD_TEXT = 0
    GUILD_VOICE = 2
    GUILD_CATEGORY = 4
    GUILD_ANNOUNCEMENT = 5
    GUILD_STAGE_VOICE = 13


# Where a mining session can be tracked: voice and stage channels.
VOICE_CHANNEL_TYPES = (ChannelType.GUILD_VOICE, ChannelType.GUILD_STAGE_VOICE)
# Where the org reads its reports: text and announcement channels.
TEXT_CHANNEL_TYPES = (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT)


ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
CONNECT = 1 << 20


@dataclass(frozen=True)
class OptionValue:
    type: OptionType
    value: Any
    focused: bool = False


@dataclass(frozen=True)
class ResolvedChannel:
    id: str
    name: str
    type: int
    app_permissions: int | None = None


@dataclass(frozen=True)
class Interaction:
    type: InteractionType
    id: str
    token: str
    application_id: str
    guild_id: str | None
    channel_id: str | None
    user_id: str
    user_name: str
    roles: frozenset[str]
    permissions: int
    app_permissions: int
    command: tuple[str, ...] = ()
    options: dict[str, OptionValue] = field(default_factory=dict)
    custom_id: str = ""
    values: tuple[str, ...] = ()
    fields: dict[str, str] = field(default_factory=dict)
    channels: dict[str, ResolvedChannel] = field(default_factory=dict)
    message_id: str | None = None
    attachment_size_limit: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def path(self) -> str:
        return " ".join(self.command)

    @property
    def focused(self) -> tuple[str, str] | None:
        for name, option in self.options.items():
            if option.focused:
                return name, str(option.value)
        return None

    def option(self, name: str) -> OptionValue | None:
        return self.options.get(name)

    def string(self, name: str) -> str | None:
        found = self.options.get(name)
        if found is None:
            return None
        if found.type is not OptionType.STRING or not isinstance(found.value, str):
            raise BadPayload(f"option {name} is not a string")
        return found.value

    def user(self, name: str) -> str | None:
        """The id of the member a user option names."""
        found = self.options.get(name)
        if found is None:
            return None
        if found.type is not OptionType.USER or not is_snowflake(found.value):
            raise BadPayload(f"option {name} is not a user")
        return str(found.value)

    def channel(self, name: str) -> ResolvedChannel | None:
        found = self.options.get(name)
        if found is None:
            return None
        if found.type is not OptionType.CHANNEL or not isinstance(found.value, str):
            raise BadPayload(f"option {name} is not a channel")
        return self.channels.get(found.value) or ResolvedChannel(found.value, "", -1)


def _text(value: Any, what: str) -> str:
    if isinstance(value, str) and value:
        return value
    raise BadPayload(f"{what} missing")


def _snowflake(value: Any, what: str) -> str:
    # The interaction id becomes a sort key (services/replays.py): a Discord id and nothing else.
    if is_snowflake(value):
        return str(value)
    raise BadPayload(f"{what} is not a Discord id")


def _enum(enum: type[_E], value: Any, what: str) -> _E:
    # Only a JSON integer: int() would also take true, 1.9, "2" and overflow on 1e400.
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadPayload(f"unknown {what}")
    try:
        return enum(value)
    except ValueError:
        raise BadPayload(f"unknown {what}") from None


def _int(value: Any, what: str) -> int:
    number = ascii_number(value, SNOWFLAKE_DIGITS)  # a permission bit set, sent as a string
    if number is not None:
        return number
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise BadPayload(f"{what} is not a number")


def parse(body: Any) -> Interaction:
    if not isinstance(body, dict):
        raise BadPayload("body is not an object")
    kind = _enum(InteractionType, body.get("type"), "interaction type")
    if kind is InteractionType.PING:
        return Interaction(kind, "", "", "", None, None, "", "", frozenset(), 0, 0, raw=body)
    member = body.get("member")
    user = (member or {}).get("user") if isinstance(member, dict) else body.get("user")
    if not isinstance(user, dict):
        raise BadPayload("no user")
    roles = member.get("roles", []) if isinstance(member, dict) else []
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise BadPayload("roles malformed")
    data = body.get("data") or {}
    if not isinstance(data, dict):
        raise BadPayload("data malformed")
    base = Interaction(
        type=kind,
        id=_snowflake(body.get("id"), "id"),
        token=_text(body.get("token"), "token"),
        application_id=_text(body.get("application_id"), "application_id"),
        guild_id=_optional_text(body.get("guild_id")),
        channel_id=_optional_text(body.get("channel_id")),
        user_id=_text(user.get("id"), "user id"),
        user_name=str(user.get("global_name") or user.get("username") or "someone"),
        roles=frozenset(roles),
        permissions=_int(member.get("permissions", "0"), "permissions")
        if isinstance(member, dict)
        else 0,
        app_permissions=_int(body.get("app_permissions", "0"), "app_permissions"),
        attachment_size_limit=_optional_int(body.get("attachment_size_limit")),
        channels=_resolved_channels(data),
        raw=body,
    )
    if kind in (InteractionType.APPLICATION_COMMAND, InteractionType.AUTOCOMPLETE):
        path, options = _command(data)
        return replace(base, command=path, options=options)
    custom_id = _text(data.get("custom_id"), "custom_id")
    if kind is InteractionType.MESSAGE_COMPONENT:
        values = data.get("values", [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise BadPayload("values malformed")
        message = body.get("message")
        message_id = message.get("id") if isinstance(message, dict) else None
        return replace(
            base,
            custom_id=custom_id,
            values=tuple(values),
            message_id=_optional_text(message_id),
        )
    return replace(base, custom_id=custom_id, fields=_modal_fields(data))


def _optional_text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _optional_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _command(data: dict[str, Any]) -> tuple[tuple[str, ...], dict[str, OptionValue]]:
    path = [_text(data.get("name"), "command name")]
    options = data.get("options") or []
    # Subcommand groups and subcommands nest one level each; walk down to the leaf.
    while (
        isinstance(options, list)
        and len(options) == 1
        and isinstance(options[0], dict)
        and options[0].get("type") in (OptionType.SUB_COMMAND, OptionType.SUB_COMMAND_GROUP)
    ):
        path.append(_text(options[0].get("name"), "subcommand name"))
        options = options[0].get("options") or []
    if not isinstance(options, list):
        raise BadPayload("options malformed")
    parsed: dict[str, OptionValue] = {}
    for option in options:
        if not isinstance(option, dict):
            raise BadPayload("option malformed")
        kind = _enum(OptionType, option.get("type"), "option type")
        if kind in (OptionType.SUB_COMMAND, OptionType.SUB_COMMAND_GROUP):
            raise BadPayload("subcommand among options")
        parsed[_text(option.get("name"), "option name")] = OptionValue(
            kind, option.get("value"), bool(option.get("focused", False))
        )
    return tuple(path), parsed


def _resolved_channels(data: dict[str, Any]) -> dict[str, ResolvedChannel]:
    resolved = data.get("resolved")
    channels = resolved.get("channels") if isinstance(resolved, dict) else None
    if not isinstance(channels, dict):
        return {}
    found: dict[str, ResolvedChannel] = {}
    for channel_id, channel in channels.items():
        if not isinstance(channel, dict) or not isinstance(channel.get("type"), int):
            raise BadPayload("resolved channel malformed")
        perms = channel.get("app_permissions", channel.get("permissions"))
        found[str(channel_id)] = ResolvedChannel(
            id=str(channel_id),
            name=str(channel.get("name") or ""),
            type=int(channel["type"]),
            app_permissions=_int(perms, "channel permissions") if perms is not None else None,
        )
    return found


_MAX_MODAL_DEPTH = 8


def _modal_fields(data: dict[str, Any]) -> dict[str, str]:
    """Collect text-input values from a modal submit, in both the Label and Action Row shapes."""
    fields: dict[str, str] = {}

    def visit(component: Any, depth: int = 0) -> None:
        # A modal nests three levels at most (label or row, then its component); bound the
        # recursion so a deep signed body is a BadPayload, not a RecursionError.
        if not isinstance(component, dict) or depth > _MAX_MODAL_DEPTH:
            raise BadPayload("modal component malformed")
        custom_id = component.get("custom_id")
        if isinstance(custom_id, str) and "value" in component:
            value = component.get("value")
            fields[custom_id] = value if isinstance(value, str) else ""
        elif isinstance(custom_id, str) and isinstance(component.get("values"), list):
            fields[custom_id] = ",".join(str(v) for v in component["values"])
        children = component.get("components") or []
        if not isinstance(children, list):
            raise BadPayload("modal components malformed")
        for child in children:
            visit(child, depth + 1)
        if "component" in component:
            visit(component["component"], depth + 1)

    components = data.get("components") or []
    if not isinstance(components, list):
        raise BadPayload("modal components malformed")
    for component in components:
        visit(component)
    return fields
