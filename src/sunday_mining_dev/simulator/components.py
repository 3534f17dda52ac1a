"""``data`` of MESSAGE_COMPONENT and MODAL_SUBMIT interactions, built like the Discord client.

A click or a choice is only possible on what the app actually rendered, so the component is looked
up in the message (or modal) first: a missing or disabled component, a value that is not an option
or too many values is refused here, not sent. Submitted modals mirror the modal's own tree: Label
(18) → child, Text Display (10) as a bare id, or the deprecated Action Row (1) → Text Input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sunday_mining_dev.simulator.messages import find_component, with_component_ids
from sunday_mining_dev.simulator.model import SimChannel, SimRole, SimUser
from sunday_mining_dev.simulator.objects import JSON, Resolved

Entity = SimUser | SimChannel | SimRole
SelectValue = str | Entity
FieldValue = str | bool | Sequence[SelectValue] | None

BUTTON, STRING_SELECT, TEXT_INPUT = 2, 3, 4
ENTITY_SELECTS = (5, 6, 7, 8)
SELECTS = (STRING_SELECT, *ENTITY_SELECTS)
ACTION_ROW, TEXT_DISPLAY, LABEL = 1, 10, 18
RADIO_GROUP, CHECKBOX_GROUP, CHECKBOX, FILE_UPLOAD = 21, 22, 23, 19


def component_data(
    message: Mapping[str, Any],
    custom_id: str,
    values: Sequence[SelectValue] | None,
    resolved: Resolved,
) -> JSON:
    component = find_component(message, custom_id)
    if component.get("disabled"):
        raise ValueError(f"component {custom_id!r} is disabled")
    kind = int(component["type"])
    data: JSON = {"custom_id": custom_id, "component_type": kind, "id": component.get("id", 0)}
    if kind == BUTTON:
        if values is not None:
            raise ValueError("a button takes no values")
        return data
    if kind not in SELECTS:
        raise ValueError(f"component {custom_id!r} (type {kind}) cannot be interacted with")
    data["values"] = _select_values(component, values or [], resolved, in_modal=False)
    if kind in ENTITY_SELECTS and (extra := resolved.as_json()) is not None:
        data["resolved"] = extra
    return data


def _select_values(
    component: JSON, values: Sequence[SelectValue], resolved: Resolved, *, in_modal: bool
) -> list[str]:
    low = int(component.get("min_values", 1))
    high = int(component.get("max_values", 1))
    must_count = not in_modal or component.get("required", True) or values
    if must_count and not low <= len(values) <= high:
        raise ValueError(f"{component['custom_id']!r} takes {low} to {high} values")
    if int(component["type"]) == STRING_SELECT:
        allowed = {str(o["value"]) for o in component.get("options") or []}
        chosen = [str(v) for v in values]
        if not set(chosen) <= allowed:
            raise ValueError(f"{set(chosen) - allowed} not among the options")
        return chosen
    return [_entity_value(component, v, resolved) for v in values]


_SELECTABLE: dict[int, tuple[type, ...]] = {
    5: (SimUser,),
    6: (SimRole,),
    7: (SimUser, SimRole),
    8: (SimChannel,),
}


def _entity_value(component: JSON, value: SelectValue, resolved: Resolved) -> str:
    entity = resolved.find(value) if isinstance(value, str) else value
    if not isinstance(entity, _SELECTABLE[int(component["type"])]):
        raise ValueError(
            f"{show_entity(entity)} cannot be chosen in a type {component['type']} select"
        )
    types = component.get("channel_types")
    if isinstance(entity, SimChannel) and types and int(entity.type) not in types:
        raise ValueError(f"channel {entity.name!r} is not offered by this select")
    return resolved.add(entity)


def show_entity(entity: Entity) -> str:
    return entity.username if isinstance(entity, SimUser) else entity.name


def modal_data(
    custom_id: str,
    fields: Mapping[str, FieldValue],
    resolved: Resolved,
    modal: Mapping[str, Any] | None,
) -> JSON:
    if modal is not None and modal.get("custom_id") != custom_id:
        raise ValueError(f"the open modal is {modal.get('custom_id')!r}, not {custom_id!r}")
    tree = with_component_ids(list(modal["components"])) if modal else _implicit_modal(fields)
    submit = _Submit(fields, resolved)
    data: JSON = {"custom_id": custom_id, "components": [submit.top(c) for c in tree]}
    unused = set(fields) - submit.used
    if unused:
        raise ValueError(f"the modal has no field(s) {sorted(unused)}")
    if (extra := resolved.as_json()) is not None:
        data["resolved"] = extra
    return data


def _implicit_modal(fields: Mapping[str, FieldValue]) -> list[JSON]:
    """No modal given: Labels around children inferred from the values."""
    labels: list[JSON] = []
    for custom_id, value in fields.items():
        items = [] if value is None or isinstance(value, str | bool) else list(value)
        kind = _infer_child(value, items)
        child: JSON = {"custom_id": custom_id, "type": kind, "required": False}
        if kind in SELECTS:
            child["max_values"] = 25
        if kind == STRING_SELECT:
            child["options"] = [{"label": str(v), "value": str(v)} for v in items]
        labels.append({"type": LABEL, "label": custom_id[:45], "component": child})
    return with_component_ids(labels)


def _infer_child(value: FieldValue, items: list[SelectValue]) -> int:
    if isinstance(value, bool):
        return CHECKBOX
    if value is None or isinstance(value, str):
        return TEXT_INPUT
    for cls, kind in ((SimUser, 5), (SimRole, 6), (SimChannel, 8)):
        if items and all(isinstance(v, cls) for v in items):
            return kind
    return STRING_SELECT


class _Submit:
    def __init__(self, fields: Mapping[str, FieldValue], resolved: Resolved) -> None:
        self.fields = fields
        self.resolved = resolved
        self.used: set[str] = set()

    def top(self, component: JSON) -> JSON:
        kind = int(component["type"])
        if kind == LABEL:
            child = self.child(component["component"])
            return {"type": LABEL, "id": component["id"], "component": child}
        if kind == ACTION_ROW:
            children = [self.child(c) for c in component.get("components") or []]
            return {"type": ACTION_ROW, "id": component["id"], "components": children}
        return {"type": kind, "id": component["id"]}

    def child(self, component: JSON) -> JSON:
        kind, custom_id = int(component["type"]), str(component["custom_id"])
        value = self.fields.get(custom_id)
        self.used.add(custom_id)
        out: JSON = {"type": kind, "id": component["id"], "custom_id": custom_id}
        if kind == TEXT_INPUT:
            out["value"] = self._text(component, value)
        elif kind in SELECTS or kind == CHECKBOX_GROUP:
            out["values"] = self._values(component, value)
        elif kind == RADIO_GROUP:
            out["value"] = self._radio(component, value)
        elif kind == CHECKBOX:
            out["value"] = bool(value if value is not None else component.get("default", False))
        else:
            raise ValueError(f"modal component type {kind} is not simulated")
        return out

    def _text(self, component: JSON, value: FieldValue) -> str:
        text = "" if value is None else str(value)
        if not text and component.get("required", True):
            raise ValueError(f"text input {component['custom_id']!r} is required")
        if len(text) > int(component.get("max_length", 4000)):
            raise ValueError(f"text input {component['custom_id']!r} is too long")
        return text

    def _values(self, component: JSON, value: FieldValue) -> list[str]:
        chosen = [] if value is None or isinstance(value, str | bool) else list(value)
        if int(component["type"]) == CHECKBOX_GROUP:
            allowed = {str(o["value"]) for o in component.get("options") or []}
            if not {str(v) for v in chosen} <= allowed:
                raise ValueError("checkbox values outside the options")
            return [str(v) for v in chosen]
        return _select_values(component, chosen, self.resolved, in_modal=True)

    def _radio(self, component: JSON, value: FieldValue) -> str | None:
        if value is None:
            if component.get("required", True):
                raise ValueError(f"radio group {component['custom_id']!r} is required")
            return None
        allowed = {str(o["value"]) for o in component.get("options") or []}
        if str(value) not in allowed:
            raise ValueError(f"{value!r} is not an option of {component['custom_id']!r}")
        return str(value)
