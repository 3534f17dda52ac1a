"""Short human labels for transcript lines: what the user did, as they would describe it."""

from __future__ import annotations

from collections.abc import Mapping

from sunday_mining.simulator.components import FieldValue
from sunday_mining.simulator.model import SimChannel, SimRole, SimUser
from sunday_mining.simulator.options import CommandPath, OptionValue, split_path

_LIMIT = 40


def show(value: object) -> str:
    if isinstance(value, SimChannel):
        return f"#{value.name}"
    if isinstance(value, SimUser):
        return f"@{value.username}"
    if isinstance(value, SimRole):
        return f"@&{value.name}"
    text = " ".join(str(value).split())
    return text if len(text) <= _LIMIT else text[: _LIMIT - 1] + "…"


def command_label(path: CommandPath, options: Mapping[str, OptionValue | None]) -> str:
    given = " ".join(f"{k}={show(v)}" for k, v in options.items() if v is not None)
    return ("/" + " ".join(split_path(path)) + " " + given).rstrip()


def modal_label(custom_id: str, fields: Mapping[str, FieldValue]) -> str:
    shown = ", ".join(f"{k}={show(v)}" for k, v in fields.items())
    return f"submit modal {custom_id} {{{shown}}}"
