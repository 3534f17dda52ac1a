"""Application-command ``data``: the option tree (group → subcommand → values) and its typing.

Without command definitions an option's type is inferred from the Python value (bool 5, int 4,
float 10, str 3, SimUser 6, SimChannel 7, SimRole 8). Given the definitions the app registers, the
simulator behaves like the Discord client: types come from the definition, and unknown options,
missing required ones and values outside ``choices`` are refused before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import IntEnum
from typing import Any

from sunday_mining_dev.simulator.model import SimChannel, SimGuild, SimRole, SimUser
from sunday_mining_dev.simulator.objects import JSON, Resolved

OptionValue = str | int | float | bool | SimUser | SimChannel | SimRole
CommandPath = str | Sequence[str]


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


# What the Discord client can put in each option type (bool is an int in Python: excluded above).
_PYTHON_TYPES: dict[OptionType, type | tuple[type, ...]] = {
    OptionType.STRING: str,
    OptionType.INTEGER: int,
    OptionType.BOOLEAN: bool,
    OptionType.NUMBER: (int, float),
    OptionType.ATTACHMENT: str,
}
_SUBCOMMAND_TYPES = (OptionType.SUB_COMMAND, OptionType.SUB_COMMAND_GROUP)


def split_path(path: CommandPath) -> tuple[str, ...]:
    """``"/mining adhoc new"`` or ``("mining", "adhoc", "new")`` → the name parts."""
    parts = tuple(path.lstrip("/").split()) if isinstance(path, str) else tuple(path)
    if not 1 <= len(parts) <= 3:
        raise ValueError(f"a command path has 1 to 3 names, got {parts!r}")
    return parts


def find_definition(definitions: Sequence[JSON], parts: Sequence[str]) -> tuple[JSON, JSON] | None:
    """(the command, the node whose ``options`` are the values) for a path, if registered."""
    command = next(
        (d for d in definitions if d.get("name") == parts[0] and d.get("type", 1) == 1), None
    )
    if command is None:
        return None
    node = command
    for name in parts[1:]:
        node = next((o for o in node.get("options") or [] if o.get("name") == name), {})
        if node.get("type") not in _SUBCOMMAND_TYPES:
            raise ValueError(f"{' '.join(parts)!r} is not a registered subcommand")
    if any(o.get("type") in _SUBCOMMAND_TYPES for o in node.get("options") or []):
        # Discord: once a command has subcommands, the base (or a group) cannot be invoked.
        raise ValueError(f"{' '.join(parts)!r} needs a subcommand")
    return command, node


def infer_type(value: OptionValue) -> OptionType:
    if isinstance(value, bool):
        return OptionType.BOOLEAN
    if isinstance(value, int):
        return OptionType.INTEGER
    if isinstance(value, float):
        return OptionType.NUMBER
    if isinstance(value, SimUser):
        return OptionType.USER
    if isinstance(value, SimChannel):
        return OptionType.CHANNEL
    if isinstance(value, SimRole):
        return OptionType.ROLE
    return OptionType.STRING


def nest(parts: Sequence[str], leaf: list[JSON]) -> list[JSON]:
    """Wrap leaf values in SUB_COMMAND (1) and SUB_COMMAND_GROUP (2) options, as Discord does."""
    subs = list(parts[1:])
    options = leaf
    for depth, name in reversed(list(enumerate(subs))):
        kind = OptionType.SUB_COMMAND if depth == len(subs) - 1 else OptionType.SUB_COMMAND_GROUP
        wrapper: JSON = {"type": int(kind), "name": name}
        if options:
            wrapper["options"] = options
        options = [wrapper]
    return options


class OptionBuilder:
    """Turns keyword values into typed leaf options, recording ``resolved`` entries on the way."""

    def __init__(self, guild: SimGuild, resolved: Resolved, node: JSON | None) -> None:
        self._guild = guild
        self._resolved = resolved
        specs = (node or {}).get("options") or []
        self._specs: dict[str, JSON] | None = (
            {s["name"]: s for s in specs} if node is not None else None
        )

    def build(
        self, values: Mapping[str, OptionValue | None], *, focused: str | None = None
    ) -> list[JSON]:
        given = {k: v for k, v in values.items() if v is not None}
        if focused is None:
            self._check_required(given)
        return [self._option(name, value, name == focused) for name, value in given.items()]

    def _check_required(self, given: Mapping[str, OptionValue]) -> None:
        for name, spec in (self._specs or {}).items():
            if spec.get("required") and name not in given:
                raise ValueError(f"required option {name!r} is missing")

    def _option(self, name: str, value: OptionValue, focused: bool) -> JSON:
        kind = self._type_of(name, value)
        if focused:
            # What is being typed may be partial ("1." for a NUMBER): sent as the user left it.
            return {"name": name, "type": int(kind), "value": value, "focused": True}
        option: JSON = {"name": name, "type": int(kind), "value": self._render(kind, value)}
        self._check_choice(name, option["value"])
        return option

    def _type_of(self, name: str, value: OptionValue) -> OptionType:
        if self._specs is None:
            return infer_type(value)
        if name not in self._specs:
            raise ValueError(f"option {name!r} is not in the command definition")
        return OptionType(self._specs[name]["type"])

    def _check_choice(self, name: str, value: Any) -> None:
        choices = (self._specs or {}).get(name, {}).get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise ValueError(f"{value!r} is not one of the choices of {name!r}")

    def _render(self, kind: OptionType, value: OptionValue) -> Any:
        if kind in (OptionType.USER, OptionType.CHANNEL, OptionType.ROLE, OptionType.MENTIONABLE):
            return self._resolved.add(self._entity(value))
        if kind == OptionType.INTEGER and isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, _PYTHON_TYPES[kind]) or (
            isinstance(value, bool) and kind != OptionType.BOOLEAN
        ):
            raise TypeError(f"a {kind.name} option cannot take {value!r}")
        return value

    def _entity(self, value: OptionValue) -> SimUser | SimChannel | SimRole:
        if isinstance(value, SimUser | SimChannel | SimRole):
            return value
        return self._resolved.find(str(value))


def command_data(
    guild: SimGuild,
    resolved: Resolved,
    parts: Sequence[str],
    values: Mapping[str, OptionValue | None],
    *,
    command_id: str,
    definitions: Sequence[JSON] | None = None,
    focused: str | None = None,
) -> JSON:
    """The ``data`` of an APPLICATION_COMMAND or AUTOCOMPLETE interaction (CHAT_INPUT)."""
    found = find_definition(definitions, parts) if definitions is not None else None
    if definitions is not None and found is None:
        raise ValueError(f"/{parts[0]} is not a registered command")
    leaf = OptionBuilder(guild, resolved, found[1] if found else None)
    data: JSON = {"id": command_id, "name": parts[0], "type": 1}
    if found is not None:
        data["id"] = found[0].get("id", command_id)
        if found[0].get("guild_id"):
            data["guild_id"] = found[0]["guild_id"]
    options = nest(parts, leaf.build(values, focused=focused))
    if options:
        data["options"] = options
    if (extra := resolved.as_json()) is not None:
        data["resolved"] = extra
    return data
