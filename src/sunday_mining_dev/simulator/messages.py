"""Message objects as Discord returns them (``D:resources/message#message-object``)."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from enum import IntEnum, IntFlag
from typing import Any

from sunday_mining_dev.simulator.objects import JSON
from sunday_mining_dev.simulator.snowflakes import snowflake_time_ms

APP_NAME = "Sunday Mining"
# Fields an edit (PATCH) may change; a JSON null resets the field to empty.
EDITABLE = ("content", "embeds", "components", "flags", "poll")


class MessageFlag(IntFlag):
    SUPPRESS_EMBEDS = 1 << 2
    EPHEMERAL = 1 << 6
    LOADING = 1 << 7
    SUPPRESS_NOTIFICATIONS = 1 << 12
    IS_COMPONENTS_V2 = 1 << 15


class MessageType(IntEnum):
    DEFAULT = 0
    REPLY = 19
    CHAT_INPUT_COMMAND = 20


def iso_from_snowflake(snowflake: str) -> str:
    moment = datetime.fromtimestamp(snowflake_time_ms(snowflake) / 1000, tz=UTC)
    return moment.isoformat(timespec="microseconds")


def bot_user(application_id: str, name: str = APP_NAME) -> JSON:
    """The app's bot user; on Discord its id equals the application id."""
    return {
        "id": application_id,
        "username": name,
        "global_name": None,
        "discriminator": "0",
        "avatar": None,
        "bot": True,
        "public_flags": 0,
    }


def new_message(
    message_id: str,
    channel_id: str,
    author: JSON,
    fields: Mapping[str, Any],
    *,
    kind: MessageType = MessageType.DEFAULT,
    application_id: str | None = None,
    interaction_metadata: JSON | None = None,
) -> JSON:
    message: JSON = {
        "id": message_id,
        "type": int(kind),
        "channel_id": channel_id,
        "author": author,
        "content": "",
        "embeds": [],
        "components": [],
        "attachments": [],
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "pinned": False,
        "tts": False,
        "timestamp": iso_from_snowflake(message_id),
        "edited_timestamp": None,
        "flags": 0,
    }
    if application_id is not None:
        message.update({"webhook_id": application_id, "application_id": application_id})
    if interaction_metadata is not None:
        message["interaction_metadata"] = interaction_metadata
    return apply_fields(message, fields)


def apply_fields(message: JSON, fields: Mapping[str, Any]) -> JSON:
    """Copy the editable fields in; components get the ids Discord fills in."""
    updated = copy.deepcopy(message)
    for name in EDITABLE:
        if name not in fields:
            continue
        value = fields[name]
        if name == "flags":
            # The loading and ephemeral state belong to the message, not to the edit.
            kept = updated["flags"] & (MessageFlag.EPHEMERAL | MessageFlag.IS_COMPONENTS_V2)
            updated["flags"] = kept | int(value or 0)
        elif name == "content":
            updated["content"] = value or ""
        elif name in ("embeds", "components"):
            updated[name] = copy.deepcopy(value or [])
        elif value is not None:
            updated[name] = copy.deepcopy(value)
        else:
            updated.pop(name, None)
    updated["components"] = with_component_ids(updated["components"])
    return updated


def edit_message(message: JSON, fields: Mapping[str, Any], edited_at: str) -> JSON:
    updated = apply_fields(message, fields)
    updated["flags"] &= ~MessageFlag.LOADING
    updated["edited_timestamp"] = edited_at
    return updated


def iter_components(components: list[JSON]) -> Iterator[JSON]:
    """Depth-first over a component tree: rows, containers, sections' accessories, labels."""
    for component in components:
        yield component
        yield from iter_components(component.get("components") or [])
        for single in ("accessory", "component"):
            if isinstance(component.get(single), dict):
                yield from iter_components([component[single]])


def with_component_ids(components: list[JSON]) -> list[JSON]:
    """Discord numbers components without an ``id`` (or with 0) in order, skipping used ids."""
    tree = copy.deepcopy(components)
    used = {c["id"] for c in iter_components(tree) if c.get("id")}
    next_id = 1
    for component in iter_components(tree):
        if component.get("id"):
            continue
        while next_id in used:
            next_id += 1
        component["id"] = next_id
        used.add(next_id)
    return tree


def find_component(message: Mapping[str, Any], custom_id: str) -> JSON:
    for component in iter_components(list(message.get("components") or [])):
        if component.get("custom_id") == custom_id:
            return component
    raise LookupError(f"no component with custom_id {custom_id!r} on the message")
