"""Short human labels for transcript lines: what the user did, as they would describe it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sunday_mining_dev.simulator.components import FieldValue
from sunday_mining_dev.simulator.messages import find_component
from sunday_mining_dev.simulator.model import SimChannel, SimRole, SimUser
from sunday_mining_dev.simulator.options import CommandPath, OptionValue, split_path


def show(value: object) -> str:
    """A value as the user picked or typed it: names for members, channels and roles, whole."""
    if isinstance(value, SimChannel):
        return f"#{value.name}"
    if isinstance(value, SimUser):
        return f"@{value.display_name}"
    if isinstance(value, SimRole):
        return f"@{value.name}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(item) for item in value) + "]"
    return " ".join(str(value).split())


def click_label(message: Mapping[str, Any], custom_id: str) -> str:
    """click "Finalize" (sm1:pfin:…): the button's text, as the user saw it, and its id."""
    label = _component(message, custom_id).get("label")
    return f'click "{label}" ({custom_id})' if label else f"click {custom_id}"


def select_label(message: Mapping[str, Any], custom_id: str, values: Sequence[object]) -> str:
    """select sm1:ppick = [Aaron Halo Sunday]: the options' labels where the select has them."""
    options = {
        str(o.get("value")): str(o.get("label"))
        for o in _component(message, custom_id).get("options") or []
    }
    shown = ", ".join(show(options.get(v, v) if isinstance(v, str) else v) for v in values)
    return f"select {custom_id} = [{shown}]"


def _component(message: Mapping[str, Any], custom_id: str) -> Mapping[str, Any]:
    try:
        return find_component(message, custom_id)
    except LookupError:
        return {}


def command_label(path: CommandPath, options: Mapping[str, OptionValue | None]) -> str:
    given = " ".join(f"{k}={show(v)}" for k, v in options.items() if v is not None)
    return ("/" + " ".join(split_path(path)) + " " + given).rstrip()


def modal_label(custom_id: str, fields: Mapping[str, FieldValue]) -> str:
    shown = ", ".join(f"{k}={show(v)}" for k, v in fields.items())
    return f"submit modal {custom_id} {{{shown}}}"
