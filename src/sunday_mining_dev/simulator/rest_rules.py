"""The limits Discord enforces on what the sink receives, answered the way Discord answers.

Only the limits this app can trip over (``reference/discord.md`` §1.5-1.9): message and embed
lengths, component counts and custom ids, command names, descriptions, options and nesting. A
violation becomes the same 400 Discord would send, so a test sees the failure a user would.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sunday_mining_dev.simulator.form_data import UploadedFile, file_index
from sunday_mining_dev.simulator.messages import MessageFlag, iter_components
from sunday_mining_dev.simulator.objects import JSON
from sunday_mining_dev.simulator.rest_errors import (
    empty_message,
    entity_too_large,
    invalid_form_body,
)

_NAME_RE = re.compile(r"[-_'\w]{1,32}")
_EMBED_LIMITS = {"title": 256, "description": 4096}
_SUBS = (1, 2)
_MAX_PER_TYPE = {1: 100, 2: 15, 3: 15}
_MAX_FILES = 10
_MENTION_KINDS = {"roles", "users", "everyone"}


def _too_long(path: str, limit: int) -> Exception:
    return invalid_form_body(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def check_message(payload: Any, files: Sequence[object], *, creating: bool) -> None:
    if not isinstance(payload, dict):
        raise invalid_form_body("", "DICT_TYPE_CONVERT", "Only dictionaries may be used.")
    content = payload.get("content") or ""
    embeds = payload.get("embeds") or []
    components = payload.get("components") or []
    if len(content) > 2000:
        raise _too_long("content", 2000)
    if len(embeds) > 10:
        raise _too_long("embeds", 10)
    for index, embed in enumerate(embeds):
        _check_embed(f"embeds.{index}", embed)
    cv2 = bool(int(payload.get("flags") or 0) & MessageFlag.IS_COMPONENTS_V2)
    if cv2 and (content or embeds):
        raise invalid_form_body(
            "content",
            "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
            "The 'content' and 'embeds' fields cannot be used with IS_COMPONENTS_V2.",
        )
    _check_components(components, cv2)
    _check_allowed_mentions(payload.get("allowed_mentions"))
    has_body = content or embeds or components or files or payload.get("poll")
    if creating and not has_body:
        raise empty_message()


def check_uploads(
    payload: Any, files: Sequence[UploadedFile], *, creating: bool, limit: int
) -> None:
    """Files against ``payload_json``: within the size limit, each ``files[n]`` once, and, on a
    new message, every ``attachments[].id`` naming an uploaded part."""
    if any(len(upload.data) > limit for upload in files):
        raise entity_too_large()
    if len(files) > _MAX_FILES:
        raise _too_long("files", _MAX_FILES)
    indexes = [file_index(upload.field, position) for position, upload in enumerate(files)]
    if len(set(indexes)) != len(indexes):
        raise invalid_form_body("files", "FILE_FIELD_DUPLICATED", "Each files[n] may appear once.")
    described = payload.get("attachments") if isinstance(payload, dict) else None
    if described is None:
        return
    if not isinstance(described, list) or not all(isinstance(a, dict) for a in described):
        raise invalid_form_body("attachments", "LIST_TYPE_CONVERT", "Only iterables may be used.")
    for position, attachment in enumerate(described):
        # On an edit an id may also name an attachment the message already has.
        if creating and str(attachment.get("id")) not in indexes:
            raise invalid_form_body(
                f"attachments.{position}.id",
                "ATTACHMENT_NOT_FOUND",
                "No uploaded files[n] has this id.",
            )


def _check_allowed_mentions(mentions: Any) -> None:
    if mentions is None:
        return
    if not isinstance(mentions, dict):
        raise invalid_form_body("allowed_mentions", "DICT_TYPE_CONVERT", "Must be an object.")
    parse = mentions.get("parse") or []
    if not isinstance(parse, list) or not set(parse) <= _MENTION_KINDS:
        raise invalid_form_body(
            "allowed_mentions.parse",
            "BASE_TYPE_CHOICES",
            "Value(s) not one of roles/users/everyone",
        )
    for kind in ("users", "roles"):
        listed = mentions.get(kind) or []
        if kind in parse and listed:
            raise invalid_form_body(
                f"allowed_mentions.{kind}",
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f"parse:[{kind}] and {kind}: [ids] are mutually exclusive.",
            )
        if len(listed) > 100:
            raise _too_long(f"allowed_mentions.{kind}", 100)


def _check_embed(path: str, embed: JSON) -> None:
    total = 0
    for key, limit in _EMBED_LIMITS.items():
        text = str(embed.get(key) or "")
        if len(text) > limit:
            raise _too_long(f"{path}.{key}", limit)
        total += len(text)
    fields = embed.get("fields") or []
    if len(fields) > 25:
        raise _too_long(f"{path}.fields", 25)
    for index, field in enumerate(fields):
        name, value = str(field.get("name", "")), str(field.get("value", ""))
        if len(name) > 256:
            raise _too_long(f"{path}.fields.{index}.name", 256)
        if len(value) > 1024:
            raise _too_long(f"{path}.fields.{index}.value", 1024)
        total += len(name) + len(value)
    total += len(str((embed.get("footer") or {}).get("text", "")))
    total += len(str((embed.get("author") or {}).get("name", "")))
    if total > 6000:
        raise invalid_form_body(path, "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size")


def _check_components(components: list[JSON], cv2: bool) -> None:
    if not cv2 and len(components) > 5:
        raise _too_long("components", 5)
    every = list(iter_components(components))
    if cv2 and len(every) > 40:
        raise _too_long("components", 40)
    custom_ids = [str(c["custom_id"]) for c in every if "custom_id" in c]
    if any(not 1 <= len(cid) <= 100 for cid in custom_ids):
        raise _too_long("components.custom_id", 100)
    if len(set(custom_ids)) != len(custom_ids):
        raise invalid_form_body(
            "components", "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id is duplicated"
        )
    for component in every:
        _check_component(component)


def _check_component(component: JSON) -> None:
    if component.get("type") == 1:
        children = component.get("components") or []
        selects = [c for c in children if c.get("type") in (3, 5, 6, 7, 8)]
        if len(children) > 5 or (selects and len(children) > 1):
            raise invalid_form_body(
                "components", "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "Action row is too wide"
            )
    if component.get("type") == 3 and len(component.get("options") or []) > 25:
        raise _too_long("components.options", 25)
    if component.get("type") == 2:
        _check_button(component)


def _check_button(button: JSON) -> None:
    if len(str(button.get("label") or "")) > 80:
        raise _too_long("components.label", 80)
    if button.get("style") != 5:
        return
    # A Link button opens its url and sends no interaction (discord.md §1.9).
    url = str(button.get("url") or "")
    if not 1 <= len(url) <= 512:
        raise invalid_form_body(
            "components.url", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 512 in length."
        )
    if "custom_id" in button:
        raise invalid_form_body(
            "components.custom_id", "BUTTON_COMPONENT_INVALID", "A link button has no custom_id."
        )


def check_commands(body: Any) -> None:
    if not isinstance(body, list):
        raise invalid_form_body("", "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
    seen: set[tuple[int, str]] = set()
    for index, command in enumerate(body):
        kind = int(command.get("type", 1))
        key = (kind, str(command.get("name")))
        if key in seen:
            raise invalid_form_body(
                f"{index}.name",
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                "Application command names must be unique",
            )
        seen.add(key)
        _check_command(str(index), command, kind)
    for kind, limit in _MAX_PER_TYPE.items():
        if sum(1 for c in body if int(c.get("type", 1)) == kind) > limit:
            raise _too_long("", limit)


def _check_command(path: str, command: JSON, kind: int) -> None:
    if kind != 1:
        if not 1 <= len(str(command.get("name", ""))) <= 32:
            raise _too_long(f"{path}.name", 32)
        return
    _check_named(path, command)
    _check_options(f"{path}.options", command.get("options") or [], depth=0)
    if _size(command) > 8000:
        raise invalid_form_body(path, "APPLICATION_COMMAND_TOO_LARGE", "Command exceeds 8000")


def _check_named(path: str, item: JSON) -> None:
    name = str(item.get("name", ""))
    if not _NAME_RE.fullmatch(name) or name != name.lower():
        raise invalid_form_body(
            f"{path}.name", "APPLICATION_COMMAND_INVALID_NAME", f"Command name is invalid: {name}"
        )
    if not 1 <= len(str(item.get("description", ""))) <= 100:
        raise invalid_form_body(
            f"{path}.description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )


def _check_options(path: str, options: list[JSON], depth: int) -> None:
    if len(options) > 25:
        raise _too_long(path, 25)
    kinds = [int(o.get("type", 0)) for o in options]
    if any(k in _SUBS for k in kinds) and not all(k in _SUBS for k in kinds):
        raise invalid_form_body(path, "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Mixed options")
    optional_seen = False
    for index, option in enumerate(options):
        where = f"{path}.{index}"
        _check_named(where, option)
        _check_option(where, option, depth)
        if option.get("required") and optional_seen:
            raise invalid_form_body(
                where, "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "Required options first"
            )
        optional_seen = optional_seen or (kinds[index] not in _SUBS and not option.get("required"))


def _check_option(path: str, option: JSON, depth: int) -> None:
    kind = int(option.get("type", 0))
    # Only one level: command → group → subcommand. A group may only hold subcommands.
    if (kind == 2 and depth > 0) or (kind == 1 and depth > 1):
        raise invalid_form_body(path, "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Nested too deep")
    children = option.get("options") or []
    child_kinds = [int(c.get("type", 0)) for c in children]
    if kind == 2 and any(k != 1 for k in child_kinds):
        raise invalid_form_body(path, "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Groups: subs")
    if kind == 1 and any(k in _SUBS for k in child_kinds):
        raise invalid_form_body(path, "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Nested too deep")
    if kind in _SUBS:
        _check_options(f"{path}.options", children, depth + 1)
    choices = option.get("choices") or []
    if len(choices) > 25:
        raise _too_long(f"{path}.choices", 25)
    if choices and option.get("autocomplete"):
        raise invalid_form_body(
            path, "APPLICATION_COMMAND_AUTOCOMPLETE_CHOICES", "Autocomplete excludes choices"
        )
    if any(len(str(c.get("value", ""))) > 100 for c in choices):
        raise _too_long(f"{path}.choices.value", 100)


def _size(item: JSON) -> int:
    """Characters counted towards the 8000 limit: names, descriptions, choice names and values."""
    total = len(str(item.get("name", ""))) + len(str(item.get("description", "")))
    for choice in item.get("choices") or []:
        total += len(str(choice.get("name", ""))) + len(str(choice.get("value", "")))
    return total + sum(_size(option) for option in item.get("options") or [])
