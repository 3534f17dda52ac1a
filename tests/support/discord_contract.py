"""Contract checker for everything the app sends to Discord.

Discord rejects a bad *inline* interaction response silently: the user sees "This interaction
failed" and the app never learns why (discord.md §1.2). So every body the app produces — the
callback answer to an interaction, a follow-up (``POST /webhooks/{app}/{token}``) and an edit
(``PATCH /webhooks/{app}/{token}/messages/{id|@original}``) — is checked here, in two layers:

1. **Schema** — the body is validated (JSON Schema draft 2020-12; the document is OpenAPI 3.1)
   against Discord's own OpenAPI description, ``shared/reference/discord-openapi.json``, with its
   ``#/components/schemas/...`` references resolved through a ``referencing`` registry built
   over the whole document. The callback body is described there as a union (``anyOf``, marked
   ``x-discord-union: oneOf``) of one schema per callback ``type``; the answer is validated
   against the member whose ``type`` enum contains its type (against the whole union when none
   does, so an unknown type is reported). Follow-ups use ``IncomingWebhookRequestPartial`` and
   edits ``IncomingWebhookUpdateRequestPartial``, both taken from the webhook paths.
2. **Rules the schema cannot express**, from ``shared/reference/discord.md`` (the authority:
   where the OpenAPI file and the docs disagree, the docs win) and Discord's component
   reference: which callback types may answer which interaction type, deferral rules, modal and
   component limits, ``custom_id`` uniqueness, Components V2, flags, embed totals, the
   project's "no mentions" rule (``allowed_mentions`` present and empty), non-empty messages.
   The OpenAPI schemas have no ``additionalProperties: false``, so unknown (mistyped) fields are
   reported here too. Several limits are checked by both layers on purpose: layer 2 must stand
   alone when the OpenAPI file is missing.

**Where the OpenAPI file comes from.** ``$DISCORD_OPENAPI`` if set (a set-but-missing path is
always an error: an explicit setting must not silently degrade); otherwise the first
``shared/reference/discord-openapi.json`` found walking up from the repository root (it lives in
``../shared/reference`` beside the repository). It is loaded once and
the compiled validators are cached per schema.

**When it cannot be found.** With ``$CI`` set, checking raises :class:`OpenAPIUnavailable`: CI is
the gate that must validate against Discord's published shapes, and a missing file must not
quietly turn that gate into a weaker one. Elsewhere (a developer checkout without the shared
reference directory) only layer 2 runs and a :class:`ContractSchemaWarning` is emitted once per
process, so local runs keep working but say what they skipped.

Text lengths are counted with ``len()`` (code points).
"""

from __future__ import annotations

import difflib
import functools
import json
import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeGuard

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped,unused-ignore]
    from jsonschema.protocols import Validator  # type: ignore[import-untyped,unused-ignore]
    from referencing import Registry

__all__ = [
    "ENV_VAR",
    "ContractSchemaWarning",
    "ContractViolation",
    "OpenAPIUnavailable",
    "Problem",
    "check_followup",
    "check_interaction_response",
    "check_message_edit",
    "in_ci",
    "locate_openapi",
    "reset_cache",
    "schema_layer_enabled",
]

# --------------------------------------------------------------------------------------------
# Discord constants (discord.md §1.3, §1.5, §1.9)

PING: Final = 1
APPLICATION_COMMAND: Final = 2
MESSAGE_COMPONENT: Final = 3
APPLICATION_COMMAND_AUTOCOMPLETE: Final = 4
MODAL_SUBMIT: Final = 5

INTERACTION_NAMES: Final = {
    PING: "PING",
    APPLICATION_COMMAND: "APPLICATION_COMMAND",
    MESSAGE_COMPONENT: "MESSAGE_COMPONENT",
    APPLICATION_COMMAND_AUTOCOMPLETE: "APPLICATION_COMMAND_AUTOCOMPLETE",
    MODAL_SUBMIT: "MODAL_SUBMIT",
}

PONG: Final = 1
CHANNEL_MESSAGE_WITH_SOURCE: Final = 4
DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: Final = 5
DEFERRED_UPDATE_MESSAGE: Final = 6
UPDATE_MESSAGE: Final = 7
APPLICATION_COMMAND_AUTOCOMPLETE_RESULT: Final = 8
MODAL: Final = 9
PREMIUM_REQUIRED: Final = 10
LAUNCH_ACTIVITY: Final = 12

CALLBACK_NAMES: Final = {
    PONG: "PONG",
    CHANNEL_MESSAGE_WITH_SOURCE: "CHANNEL_MESSAGE_WITH_SOURCE",
    DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: "DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE",
    DEFERRED_UPDATE_MESSAGE: "DEFERRED_UPDATE_MESSAGE",
    UPDATE_MESSAGE: "UPDATE_MESSAGE",
    APPLICATION_COMMAND_AUTOCOMPLETE_RESULT: "APPLICATION_COMMAND_AUTOCOMPLETE_RESULT",
    MODAL: "MODAL",
    PREMIUM_REQUIRED: "PREMIUM_REQUIRED",
    LAUNCH_ACTIVITY: "LAUNCH_ACTIVITY",
}

# Which callback types may answer which interaction type (discord.md §1.3, §1.8, §1.10).
ALLOWED_CALLBACKS: Final[dict[int, frozenset[int]]] = {
    PING: frozenset({PONG}),
    APPLICATION_COMMAND: frozenset(
        {CHANNEL_MESSAGE_WITH_SOURCE, DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, MODAL}
    ),
    MESSAGE_COMPONENT: frozenset(
        {
            CHANNEL_MESSAGE_WITH_SOURCE,
            DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
            DEFERRED_UPDATE_MESSAGE,
            UPDATE_MESSAGE,
            MODAL,
        }
    ),
    APPLICATION_COMMAND_AUTOCOMPLETE: frozenset({APPLICATION_COMMAND_AUTOCOMPLETE_RESULT}),
    # Never MODAL: no modal in reply to a modal (discord.md §1.3).
    MODAL_SUBMIT: frozenset(
        {
            CHANNEL_MESSAGE_WITH_SOURCE,
            DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
            DEFERRED_UPDATE_MESSAGE,
            UPDATE_MESSAGE,
        }
    ),
}

SUPPRESS_EMBEDS: Final = 1 << 2
EPHEMERAL: Final = 1 << 6
SUPPRESS_NOTIFICATIONS: Final = 1 << 12
IS_VOICE_MESSAGE: Final = 1 << 13
IS_COMPONENTS_V2: Final = 1 << 15

FLAG_NAMES: Final = {
    1 << 0: "CROSSPOSTED",
    1 << 1: "IS_CROSSPOST",
    1 << 2: "SUPPRESS_EMBEDS",
    1 << 3: "SOURCE_MESSAGE_DELETED",
    1 << 4: "URGENT",
    1 << 5: "HAS_THREAD",
    1 << 6: "EPHEMERAL",
    1 << 7: "LOADING",
    1 << 8: "FAILED_TO_MENTION_SOME_ROLES_IN_THREAD",
    1 << 12: "SUPPRESS_NOTIFICATIONS",
    1 << 13: "IS_VOICE_MESSAGE",
    1 << 14: "HAS_SNAPSHOT",
    1 << 15: "IS_COMPONENTS_V2",
}

# discord.md §1.5: the only flags interaction callback data (and so follow-ups) may set.
CREATE_FLAGS: Final = (
    SUPPRESS_EMBEDS | EPHEMERAL | IS_COMPONENTS_V2 | IS_VOICE_MESSAGE | SUPPRESS_NOTIFICATIONS
)
# discord.md §1.3: "The only flag allowed at defer time is EPHEMERAL".
DEFER_FLAGS: Final = EPHEMERAL
# discord.md §1.4: "Edit-webhook-message accepts only the flags SUPPRESS_EMBEDS and
# IS_COMPONENTS_V2"; ephemerality cannot change after the first answer (§1.5). Applied to
# UPDATE_MESSAGE (7) as well, which edits the source message.
EDIT_FLAGS: Final = SUPPRESS_EMBEDS | IS_COMPONENTS_V2

# Component types (discord.md §1.9).
ACTION_ROW: Final = 1
BUTTON: Final = 2
STRING_SELECT: Final = 3
TEXT_INPUT: Final = 4
USER_SELECT: Final = 5
ROLE_SELECT: Final = 6
MENTIONABLE_SELECT: Final = 7
CHANNEL_SELECT: Final = 8
SECTION: Final = 9
TEXT_DISPLAY: Final = 10
THUMBNAIL: Final = 11
MEDIA_GALLERY: Final = 12
FILE: Final = 13
SEPARATOR: Final = 14
CONTAINER: Final = 17
LABEL: Final = 18
FILE_UPLOAD: Final = 19
RADIO_GROUP: Final = 21
CHECKBOX_GROUP: Final = 22
CHECKBOX: Final = 23

COMPONENT_NAMES: Final = {
    ACTION_ROW: "Action Row",
    BUTTON: "Button",
    STRING_SELECT: "String Select",
    TEXT_INPUT: "Text Input",
    USER_SELECT: "User Select",
    ROLE_SELECT: "Role Select",
    MENTIONABLE_SELECT: "Mentionable Select",
    CHANNEL_SELECT: "Channel Select",
    SECTION: "Section",
    TEXT_DISPLAY: "Text Display",
    THUMBNAIL: "Thumbnail",
    MEDIA_GALLERY: "Media Gallery",
    FILE: "File",
    SEPARATOR: "Separator",
    CONTAINER: "Container",
    LABEL: "Label",
    FILE_UPLOAD: "File Upload",
    RADIO_GROUP: "Radio Group",
    CHECKBOX_GROUP: "Checkbox Group",
    CHECKBOX: "Checkbox",
}
SELECTS: Final = frozenset(
    {STRING_SELECT, USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT}
)
MODAL_ONLY: Final = frozenset(
    {TEXT_INPUT, LABEL, FILE_UPLOAD, RADIO_GROUP, CHECKBOX_GROUP, CHECKBOX}
)
MESSAGE_ONLY: Final = frozenset(
    {BUTTON, SECTION, THUMBNAIL, MEDIA_GALLERY, FILE, SEPARATOR, CONTAINER}
)
CV2_TOP_LEVEL: Final = frozenset(
    {ACTION_ROW, SECTION, TEXT_DISPLAY, MEDIA_GALLERY, FILE, SEPARATOR, CONTAINER}
)

# Where each component may sit: parent slot -> (allowed types, how to say where it is).
_SLOTS: Final[dict[str, tuple[frozenset[int], str]]] = {
    "message-legacy": (
        frozenset({ACTION_ROW}),
        "at the top level of a message without the IS_COMPONENTS_V2 flag (1<<15), "
        "where only Action Rows are allowed",
    ),
    "message-v2": (CV2_TOP_LEVEL, "at the top level of a message"),
    "row": (frozenset({BUTTON}) | SELECTS, "in an Action Row of a message"),
    "modal-row": (frozenset({TEXT_INPUT}), "in an Action Row of a modal"),
    "section": (frozenset({TEXT_DISPLAY}), "in a Section (Text Displays only)"),
    "accessory": (frozenset({BUTTON, THUMBNAIL}), "as a Section accessory (Button or Thumbnail)"),
    "container": (
        frozenset({ACTION_ROW, SECTION, TEXT_DISPLAY, MEDIA_GALLERY, FILE, SEPARATOR}),
        "in a Container",
    ),
    "modal": (
        frozenset({LABEL, TEXT_DISPLAY, ACTION_ROW}),
        "at the top level of a modal (Label or Text Display)",
    ),
    "label": (
        SELECTS | {TEXT_INPUT, FILE_UPLOAD, RADIO_GROUP, CHECKBOX_GROUP, CHECKBOX},
        "in a Label",
    ),
}

# Limits. Sources: discord.md §1.8 (autocomplete), §1.9 (components, custom_id, buttons,
# selects, CV2 count), §1.10 (modals); Discord's embed limits
# (D:resources/message#embed-object-embed-limits, the same per-field figures as the OpenAPI
# RichEmbed schema); message content 2000 (OpenAPI maxLength).
MAX_CONTENT: Final = 2000
MAX_EMBEDS: Final = 10
MAX_EMBED_TITLE: Final = 256
MAX_EMBED_DESCRIPTION: Final = 4096
MAX_EMBED_FIELDS: Final = 25
MAX_EMBED_FIELD_NAME: Final = 256
MAX_EMBED_FIELD_VALUE: Final = 1024
MAX_EMBED_FOOTER: Final = 2048
MAX_EMBED_AUTHOR: Final = 256
MAX_EMBED_TOTAL: Final = 6000
MAX_ATTACHMENTS: Final = 10
MAX_CUSTOM_ID: Final = 100
MAX_ACTION_ROWS: Final = 5
MAX_ROW_BUTTONS: Final = 5
MAX_BUTTON_LABEL: Final = 80
MAX_LINK_URL: Final = 512
MAX_SELECT_OPTIONS: Final = 25
MAX_SELECT_OPTION_TEXT: Final = 100
MAX_SELECT_PLACEHOLDER: Final = 150
MAX_SELECT_VALUES: Final = 25
MAX_COMPONENTS_TOTAL: Final = 40
# Not in discord.md: the 4000-character cap over all Text Displays of a CV2 message is what
# Discord enforces in practice (JDA's TextDisplay docs, the discord.js guide).
MAX_CV2_TEXT_TOTAL: Final = 4000
MAX_TEXT_DISPLAY: Final = 4000
MAX_MEDIA_DESCRIPTION: Final = 1024
MAX_GALLERY_ITEMS: Final = 10
MAX_MODAL_TITLE: Final = 45
MAX_MODAL_COMPONENTS: Final = 5
MAX_LABEL: Final = 45
MAX_LABEL_DESCRIPTION: Final = 100
MAX_TEXT_INPUT_LABEL: Final = 45
MAX_TEXT_INPUT_PLACEHOLDER: Final = 100
MAX_TEXT_INPUT_LENGTH: Final = 4000
MAX_UPLOAD_FILES: Final = 10
MAX_FILE_TYPES: Final = 10
MAX_GROUP_OPTIONS: Final = 10
MAX_CHOICES: Final = 25
MAX_CHOICE_NAME: Final = 100
MAX_CHOICE_STRING_VALUE: Final = 100
INT53: Final = 2**53 - 1
INT32: Final = 2**31 - 1

# Option types an autocomplete can be focused on (discord.md §1.8).
OPTION_STRING: Final = 3
OPTION_INTEGER: Final = 4
OPTION_NUMBER: Final = 10

# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Problem:
    """One contract problem: where (a JSON pointer into the checked body), what, which layer."""

    path: str
    message: str
    layer: str  # "schema" (layer 1) or "rule" (layer 2)

    def __str__(self) -> str:
        return f"[{self.layer}] {self.path or '/'}: {self.message}"


class ContractViolation(AssertionError):
    """The body breaks Discord's contract; ``problems`` lists every problem found."""

    def __init__(self, subject: str, problems: Iterable[Problem]) -> None:
        self.subject = subject
        self.problems: tuple[Problem, ...] = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        count = len(self.problems)
        super().__init__(f"{subject}: {count} Discord contract problem(s)\n{lines}")


class OpenAPIUnavailable(RuntimeError):
    """The OpenAPI description cannot be used (missing under CI, bad override, changed shape)."""


class ContractSchemaWarning(UserWarning):
    """Layer 1 (schema) is skipped because the OpenAPI description was not found."""


# --------------------------------------------------------------------------------------------
# Layer 1: the OpenAPI schemas

ENV_VAR: Final = "DISCORD_OPENAPI"
RELATIVE_LOCATION: Final = Path("shared", "reference", "discord-openapi.json")
REPO_ROOT: Path = Path(__file__).resolve().parents[2]
_BASE_URI: Final = "urn:sunday-mining:discord-openapi"
CALLBACK_PATH: Final = "/interactions/{interaction_id}/{interaction_token}/callback"
FOLLOWUP_PATH: Final = "/webhooks/{webhook_id}/{webhook_token}"
EDIT_PATHS: Final = (
    "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
    "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
)
FOLLOWUP_SCHEMA: Final = "IncomingWebhookRequestPartial"
_JSON: Final = "application/json"


def in_ci() -> bool:
    """True when ``$CI`` is set to something other than an explicit "no"."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def locate_openapi() -> Path | None:
    """Where the OpenAPI file is: ``$DISCORD_OPENAPI``, else walk up from the repository root.

    Raises :class:`OpenAPIUnavailable` when ``$DISCORD_OPENAPI`` names a missing file.
    """
    override = os.environ.get(ENV_VAR, "").strip()
    if override:
        path = Path(override).expanduser()
        if not path.is_file():
            raise OpenAPIUnavailable(f"${ENV_VAR} is set to {override!r}, which is not a file")
        return path
    for directory in (REPO_ROOT, *REPO_ROOT.parents):
        candidate = directory / RELATIVE_LOCATION
        if candidate.is_file():
            return candidate
    return None


class _OpenAPI:
    """The loaded document, its registry and the compiled validators (one per schema)."""

    def __init__(self, path: Path) -> None:
        from referencing import Registry
        from referencing.jsonschema import DRAFT202012

        self.path = path
        document = json.loads(path.read_text(encoding="utf-8"))
        self.document: dict[str, Any] = document
        self.registry: Registry[Any] = Registry().with_resource(
            _BASE_URI, DRAFT202012.create_resource(document)
        )
        self._validators: dict[tuple[str, ...], Validator] = {}
        try:
            self.schemas: dict[str, Any] = document["components"]["schemas"]
            paths = document["paths"]
            callback_union = paths[CALLBACK_PATH]["post"]["requestBody"]["content"][_JSON]
            self.callback_union: tuple[str, ...] = tuple(
                _ref_name(branch) for branch in _union_branches(callback_union["schema"])
            )
            self.callback_schemas: dict[int, str] = {}
            for name in self.callback_union:
                for value in self.schemas[name]["properties"]["type"]["enum"]:
                    self.callback_schemas[int(value)] = name
            followup = paths[FOLLOWUP_PATH]["post"]["requestBody"]["content"][_JSON]["schema"]
            followup_names = [_ref_name(branch) for branch in _union_branches(followup)]
            edit_names = {
                _ref_name(paths[p]["patch"]["requestBody"]["content"][_JSON]["schema"])
                for p in EDIT_PATHS
            }
        except (KeyError, TypeError, ValueError) as exc:
            raise OpenAPIUnavailable(
                f"{path}: the document no longer has the expected shape ({exc!r}); "
                "update tests/support/discord_contract.py"
            ) from exc
        if FOLLOWUP_SCHEMA not in followup_names:
            raise OpenAPIUnavailable(
                f"{path}: POST {FOLLOWUP_PATH} no longer accepts {FOLLOWUP_SCHEMA}"
            )
        if len(edit_names) != 1:
            raise OpenAPIUnavailable(f"{path}: the two edit paths use different schemas")
        self.followup_schema = FOLLOWUP_SCHEMA
        (self.edit_schema,) = edit_names

    def validator(self, *names: str) -> Validator:
        """A cached validator for one schema, or for the union (anyOf) of several."""
        cached = self._validators.get(names)
        if cached is None:
            from jsonschema import (  # type: ignore[import-untyped,unused-ignore]
                Draft202012Validator,
            )

            refs = [{"$ref": f"{_BASE_URI}#/components/schemas/{n}"} for n in names]
            schema = refs[0] if len(refs) == 1 else {"anyOf": refs}
            cached = Draft202012Validator(schema, registry=self.registry)
            self._validators[names] = cached
        return cached

    def problems(self, names: tuple[str, ...], instance: Any) -> list[Problem]:
        found: list[Problem] = []
        seen: set[tuple[str, str]] = set()
        for error in self.validator(*names).iter_errors(instance):
            for leaf in _explain(error):
                problem = Problem(_pointer(leaf.absolute_path), _describe(leaf), "schema")
                key = (problem.path, problem.message)
                if key not in seen:
                    seen.add(key)
                    found.append(problem)
        return found


def _union_branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    branches = schema.get("anyOf") or schema.get("oneOf")
    return list(branches) if branches else [schema]


def _ref_name(schema: dict[str, Any]) -> str:
    ref = schema["$ref"]
    prefix = "#/components/schemas/"
    if not isinstance(ref, str) or not ref.startswith(prefix):
        raise ValueError(f"unexpected $ref {ref!r}")
    return ref.removeprefix(prefix)


@functools.cache
def _openapi() -> _OpenAPI | None:
    path = locate_openapi()
    if path is None:
        looked = f"${ENV_VAR} or {RELATIVE_LOCATION} above {REPO_ROOT}"
        if in_ci():
            raise OpenAPIUnavailable(
                f"Discord's OpenAPI description was not found ({looked}). CI must validate "
                "outgoing bodies against it: provide the file or set $" + ENV_VAR + "."
            )
        warnings.warn(
            f"Discord's OpenAPI description was not found ({looked}); only the rule layer of "
            "the Discord contract checks runs (schema validation skipped).",
            ContractSchemaWarning,
            stacklevel=3,
        )
        return None
    return _OpenAPI(path)


def schema_layer_enabled() -> bool:
    """Whether layer 1 runs (loads the document on first use; raises under CI if missing)."""
    return _openapi() is not None


def reset_cache() -> None:
    """Forget the loaded document (tests that change the environment call this)."""
    _openapi.cache_clear()


def _explain(error: ValidationError) -> list[ValidationError]:
    """Replace an ``anyOf``/``oneOf`` failure by the errors of the branch that was meant.

    Discord's unions are discriminated by ``type`` (callback or component type): branches that
    fail on their ``type`` enum, or on the instance's JSON type, were not meant. When exactly one
    branch is left, its errors are the real problems.
    """
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return [error]
    meant = _meant_branches(error)
    if len(meant) == 1:
        return [leaf for sub in meant[0] for leaf in _explain(sub)]
    return [error]


def _meant_branches(error: ValidationError) -> list[list[ValidationError]]:
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context or ():
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    return [errs for errs in branches.values() if not any(_discriminated(e) for e in errs)]


def _discriminated(error: ValidationError) -> bool:
    path = list(error.relative_path)
    if not path and error.validator == "type":
        return True
    return path == ["type"] and error.validator in ("enum", "const")


def _describe(error: ValidationError) -> str:
    instance = error.instance
    expected = error.validator_value
    match error.validator:
        case "maxLength" if isinstance(instance, str):
            return f"{len(instance)} characters, more than the schema's maxLength {expected}"
        case "minLength" if isinstance(instance, str):
            return f"{len(instance)} characters, fewer than the schema's minLength {expected}"
        case "maxItems" if isinstance(instance, list):
            return f"{len(instance)} items, more than the schema's maxItems {expected}"
        case "minItems" if isinstance(instance, list):
            return f"{len(instance)} items, fewer than the schema's minItems {expected}"
        case "type":
            return f"{_short(instance)} is not of type {expected!r}"
        case "anyOf" | "oneOf" if error.context:
            consts = [e.validator_value for e in error.context if e.validator == "const"]
            if len(consts) == len(error.context):
                return f"{_short(instance)} is not one of {sorted(consts, key=repr)}"
            if isinstance(instance, dict) and "type" in instance and not _meant_branches(error):
                return f"type {_short(instance['type'])} matches none of the schemas allowed here"
            return f"{_short(instance)} is not valid under any of the schemas allowed here"
    message = str(error.message)
    return message if len(message) <= 240 else message[:237] + "..."


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _pointer(parts: Iterable[Any]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


# --------------------------------------------------------------------------------------------
# Layer 2: rules


class _Rules:
    """Collects layer-2 problems."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message, "rule"))

    # -- small typed checks ------------------------------------------------------------------

    def text(
        self,
        obj: dict[str, Any],
        key: str,
        path: str,
        *,
        max_len: int,
        min_len: int = 0,
        required: bool = False,
        what: str | None = None,
    ) -> str | None:
        """Check an optional (or required) string field; return it when it is a string."""
        label = what or key
        value = obj.get(key)
        if value is None:
            if required:
                self.add(f"{path}/{key}", f"{label} is required")
            return None
        if not isinstance(value, str):
            self.add(f"{path}/{key}", f"{label} must be a string, not {_short(value)}")
            return None
        if len(value) > max_len:
            self.add(
                f"{path}/{key}", f"{label} has {len(value)} characters; the limit is {max_len}"
            )
        elif len(value) < min_len:
            self.add(
                f"{path}/{key}",
                f"{label} has {len(value)} characters; it needs at least {min_len}",
            )
        return value

    def integer(
        self, obj: dict[str, Any], key: str, path: str, *, lo: int, hi: int, what: str | None = None
    ) -> int | None:
        value = obj.get(key)
        if value is None:
            return None
        label = what or key
        if not _is_int(value):
            self.add(f"{path}/{key}", f"{label} must be an integer, not {_short(value)}")
            return None
        if not lo <= value <= hi:
            self.add(f"{path}/{key}", f"{label} is {value}; it must be between {lo} and {hi}")
        return int(value)

    def array(
        self, obj: dict[str, Any], key: str, path: str, *, max_items: int, min_items: int = 0
    ) -> list[Any] | None:
        value = obj.get(key)
        if value is None:
            if min_items:
                self.add(f"{path}/{key}", f"{key} is required ({min_items}-{max_items} items)")
            return None
        if not isinstance(value, list):
            self.add(f"{path}/{key}", f"{key} must be an array, not {_short(value)}")
            return None
        if len(value) > max_items:
            self.add(f"{path}/{key}", f"{len(value)} {key}; the limit is {max_items}")
        elif len(value) < min_items:
            self.add(f"{path}/{key}", f"{len(value)} {key}; at least {min_items} needed")
        return value

    def unknown_keys(
        self, obj: dict[str, Any], path: str, known: Iterable[str], where: str
    ) -> None:
        known = sorted(known)
        for key in obj:
            if key not in known:
                hint = difflib.get_close_matches(key, known, n=1)
                tip = f" (did you mean {hint[0]!r}?)" if hint else ""
                self.add(
                    f"{path}/{_escape(key)}",
                    f"unknown field {key!r} in {where}; Discord ignores it{tip}",
                )


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _nonempty(value: Any) -> bool:
    return value not in (None, "", [], {})


def _flag_names(bits: int) -> str:
    names = []
    for bit in range(bits.bit_length()):
        if bits & (1 << bit):
            names.append(FLAG_NAMES.get(1 << bit, f"1<<{bit}"))
    return ", ".join(names)


# -- messages -----------------------------------------------------------------------------------

_CREATE_FIELDS: Final = frozenset(
    {"content", "embeds", "allowed_mentions", "components", "attachments", "poll", "tts", "flags"}
)
_BODY_FIELDS: Final = ("content", "embeds", "components", "attachments", "poll")


@dataclass(frozen=True)
class _Kind:
    """What kind of message body is checked."""

    name: str
    fields: frozenset[str]
    flags: int
    flags_reason: str
    creates: bool  # creates a message (must not be empty) rather than edits one
    webhook: bool  # a webhook body (message fields directly, no envelope)
    unsupported: tuple[tuple[str, str], ...] = ()


_REPLY = _Kind(
    "a CHANNEL_MESSAGE_WITH_SOURCE answer",
    _CREATE_FIELDS,
    CREATE_FLAGS,
    "interaction messages may only set SUPPRESS_EMBEDS, EPHEMERAL, IS_COMPONENTS_V2, "
    "IS_VOICE_MESSAGE and SUPPRESS_NOTIFICATIONS (discord.md §1.5)",
    creates=True,
    webhook=False,
)
_FOLLOWUP = _Kind(
    "a follow-up message",
    _CREATE_FIELDS,
    CREATE_FLAGS,
    _REPLY.flags_reason,
    creates=True,
    webhook=True,
    unsupported=(
        ("username", "interaction follow-ups do not support username (discord.md §1.4)"),
        ("avatar_url", "interaction follow-ups do not support avatar_url (discord.md §1.4)"),
        ("thread_name", "thread_name creates forum posts; not for interaction follow-ups"),
        ("applied_tags", "applied_tags is for forum posts; not for interaction follow-ups"),
    ),
)
_UPDATE = _Kind(
    "an UPDATE_MESSAGE answer",
    frozenset({"content", "embeds", "allowed_mentions", "components", "attachments", "flags"}),
    EDIT_FLAGS,
    "an edit may only set SUPPRESS_EMBEDS and IS_COMPONENTS_V2; ephemerality is decided by "
    "the first answer and cannot change (discord.md §1.4, §1.5)",
    creates=False,
    webhook=False,
)
_EDIT = _Kind(
    "a message edit",
    _CREATE_FIELDS - {"tts"},
    EDIT_FLAGS,
    _UPDATE.flags_reason,
    creates=False,
    webhook=True,
)
_DEFER = _Kind(
    "a deferred answer (5)",
    frozenset({"flags"}),
    DEFER_FLAGS,
    "the only flag allowed at defer time is EPHEMERAL; set IS_COMPONENTS_V2 on the edit "
    "(discord.md §1.3, §1.4)",
    creates=False,
    webhook=False,
)


@dataclass
class _Tree:
    """State shared while walking one message's or modal's components."""

    where: str  # "message" or "modal"
    custom_ids: dict[str, str] = field(default_factory=dict)
    ids: dict[int, str] = field(default_factory=dict)
    count: int = 0
    text_chars: int = 0
    text_displays: int = 0
    media_urls: set[str] = field(default_factory=set)


def _check_message(
    rules: _Rules, msg: Any, path: str, kind: _Kind, previous: dict[str, Any] | None
) -> None:
    if not isinstance(msg, dict):
        rules.add(path, f"{kind.name} must be a JSON object, not {_short(msg)}")
        return
    if kind.webhook and ("type" in msg or "data" in msg):
        rules.add(
            path,
            f"{kind.name} looks like an interaction-response envelope ({{type, data}}); "
            "webhook bodies take the message fields directly (discord.md §2.1, §2.3)",
        )
    unsupported = dict(kind.unsupported)
    for key, why in unsupported.items():
        if key in msg:
            rules.add(f"{path}/{key}", why)
    extra = {k: v for k, v in msg.items() if k not in unsupported}
    if kind.webhook:
        extra = {k: v for k, v in extra.items() if k not in ("type", "data")}
    rules.unknown_keys(extra, path, kind.fields, kind.name)

    flags = _check_flags(rules, msg, path, kind)
    prev_flags = _int_or_zero(previous.get("flags")) if previous is not None else None
    cv2: bool | None
    if flags is not None and flags & IS_COMPONENTS_V2:
        cv2 = True
    elif not kind.creates and prev_flags is not None and prev_flags & IS_COMPONENTS_V2:
        cv2 = True
        if flags is not None:
            rules.add(
                f"{path}/flags",
                "IS_COMPONENTS_V2 cannot be removed from a message once set "
                "(D:components/reference); keep the flag",
            )
    elif not kind.creates and flags is None and previous is None:
        cv2 = None  # an edit of a message whose flags are unknown
    else:
        cv2 = False

    content = msg.get("content")
    if content is not None:
        if not isinstance(content, str):
            rules.add(f"{path}/content", f"content must be a string, not {_short(content)}")
        elif len(content) > MAX_CONTENT:
            rules.add(
                f"{path}/content",
                f"content has {len(content)} characters; the limit is {MAX_CONTENT}",
            )
    embeds = msg.get("embeds")
    if embeds is not None:
        _check_embeds(rules, embeds, f"{path}/embeds")

    if cv2:
        for key in ("content", "embeds", "poll"):
            if _nonempty(msg.get(key)):
                rules.add(
                    f"{path}/{key}",
                    f"{key} is not allowed with IS_COMPONENTS_V2; use Text Display / Container "
                    "components instead (discord.md §1.9)",
                )
    switching = (
        not kind.creates
        and flags is not None
        and flags & IS_COMPONENTS_V2
        and previous is not None
        and not (prev_flags or 0) & IS_COMPONENTS_V2
    )
    if switching and previous is not None:
        for key in ("content", "embeds", "poll"):
            if _nonempty(previous.get(key)) and key not in msg:
                rules.add(
                    f"{path}/{key}",
                    f"switching to IS_COMPONENTS_V2 by an edit: set {key} to null, the message "
                    "still has one (discord.md §1.4)",
                )

    tree = _Tree(where="message")
    components = msg.get("components")
    if components is not None:
        _check_message_components(rules, tree, components, f"{path}/components", cv2)

    attachments = msg.get("attachments")
    if attachments is not None:
        _check_attachments(rules, attachments, f"{path}/attachments", tree, cv2=bool(cv2))

    carries_text = _nonempty(content) or _nonempty(embeds) or tree.text_displays > 0
    _check_allowed_mentions(rules, msg, path, required=bool(carries_text))

    # Must not be empty: judged on the body for a new message, on the result for an edit (when
    # the edited message is known, or the edit sets every body field).
    present: list[str] | None
    if kind.creates:
        present = [k for k in _BODY_FIELDS if _nonempty(msg.get(k))]
    else:
        if not msg:
            rules.add(path, f"{kind.name} with no fields changes nothing")
        if previous is not None or all(k in msg for k in _BODY_FIELDS[:4]):
            merged = {**(previous or {}), **msg}
            present = [k for k in _BODY_FIELDS if _nonempty(merged.get(k))]
        else:
            present = None
    if present is not None:
        visible = "components" in present if cv2 else bool(present)
        if not visible:
            needed = (
                "components (IS_COMPONENTS_V2 disables content and embeds)"
                if cv2
                else "content, embeds, components, attachments or a poll"
            )
            rules.add(path, f"the message would be empty: it needs {needed}")


def _int_or_zero(value: Any) -> int:
    return int(value) if _is_int(value) else 0


def _check_flags(rules: _Rules, msg: dict[str, Any], path: str, kind: _Kind) -> int | None:
    flags = msg.get("flags")
    if flags is None:
        return None
    if not _is_int(flags) or flags < 0:
        rules.add(f"{path}/flags", f"flags must be a non-negative integer, not {_short(flags)}")
        return None
    extra = flags & ~kind.flags
    if extra:
        rules.add(
            f"{path}/flags",
            f"flag(s) {_flag_names(extra)} not allowed in {kind.name}: {kind.flags_reason}",
        )
    return int(flags)


def _check_allowed_mentions(
    rules: _Rules, msg: dict[str, Any], path: str, *, required: bool
) -> None:
    """Project rule: every message that carries text says ``allowed_mentions: {"parse": []}``.

    Omitting it makes Discord parse user mentions in interaction messages (discord.md §1.5), so
    echoed user text could ping people.
    """
    where = f"{path}/allowed_mentions"
    if "allowed_mentions" not in msg or msg["allowed_mentions"] is None:
        if required:
            rules.add(
                where,
                "allowed_mentions is missing: a message with content, embeds or text displays "
                'must send {"parse": []} (without it Discord parses user mentions; '
                "discord.md §1.5, DESIGN 'Discord surface')",
            )
        return
    mentions = msg["allowed_mentions"]
    if not isinstance(mentions, dict):
        rules.add(where, f"allowed_mentions must be an object, not {_short(mentions)}")
        return
    rules.unknown_keys(
        mentions, where, ("parse", "users", "roles", "replied_user"), "allowed_mentions"
    )
    parse = mentions.get("parse")
    if parse is None:
        rules.add(f"{where}/parse", 'parse must be an explicit empty list: {"parse": []}')
    elif parse != []:
        rules.add(f"{where}/parse", f"parse={_short(parse)} allows mentions; the app sends none")
    for key in ("users", "roles"):
        if _nonempty(mentions.get(key)):
            rules.add(f"{where}/{key}", f"{key} allows mentions; the app sends none")
    if mentions.get("replied_user") is True:
        rules.add(f"{where}/replied_user", "replied_user must not be true; the app pings no one")


def _check_embeds(rules: _Rules, embeds: Any, path: str) -> None:
    if not isinstance(embeds, list):
        rules.add(path, f"embeds must be an array, not {_short(embeds)}")
        return
    if len(embeds) > MAX_EMBEDS:
        rules.add(path, f"{len(embeds)} embeds; the limit is {MAX_EMBEDS}")
    total = 0
    for i, embed in enumerate(embeds):
        where = f"{path}/{i}"
        if not isinstance(embed, dict):
            rules.add(where, f"an embed must be an object, not {_short(embed)}")
            continue
        for key, limit in (("title", MAX_EMBED_TITLE), ("description", MAX_EMBED_DESCRIPTION)):
            total += len(rules.text(embed, key, where, max_len=limit) or "")
        fields = rules.array(embed, "fields", where, max_items=MAX_EMBED_FIELDS)
        for j, fld in enumerate(fields or []):
            fpath = f"{where}/fields/{j}"
            if not isinstance(fld, dict):
                rules.add(fpath, "an embed field must be an object")
                continue
            name = rules.text(fld, "name", fpath, max_len=MAX_EMBED_FIELD_NAME, required=True)
            value = rules.text(fld, "value", fpath, max_len=MAX_EMBED_FIELD_VALUE, required=True)
            total += len(name or "") + len(value or "")
        for key, sub, limit in (
            ("footer", "text", MAX_EMBED_FOOTER),
            ("author", "name", MAX_EMBED_AUTHOR),
        ):
            part = embed.get(key)
            if isinstance(part, dict):
                total += len(rules.text(part, sub, f"{where}/{key}", max_len=limit) or "")
            elif part is not None:
                rules.add(f"{where}/{key}", f"{key} must be an object")
    if total > MAX_EMBED_TOTAL:
        rules.add(
            path,
            f"the embeds hold {total} characters in titles, descriptions, field names and "
            f"values, footers and author names; the limit is {MAX_EMBED_TOTAL} per message",
        )


def _check_attachments(rules: _Rules, attachments: Any, path: str, tree: _Tree, cv2: bool) -> None:
    if not isinstance(attachments, list):
        rules.add(path, f"attachments must be an array, not {_short(attachments)}")
        return
    if len(attachments) > MAX_ATTACHMENTS:
        rules.add(path, f"{len(attachments)} attachments; the limit is {MAX_ATTACHMENTS}")
    if not cv2:
        return
    for i, attachment in enumerate(attachments):
        if not isinstance(attachment, dict):
            continue
        filename = attachment.get("filename")
        if isinstance(filename, str) and f"attachment://{filename}" not in tree.media_urls:
            rules.add(
                f"{path}/{i}",
                f"attachment {filename!r} is not shown: with IS_COMPONENTS_V2 attachments appear "
                "only through File, Media Gallery or Thumbnail components "
                "(attachment://<filename>; discord.md §1.9)",
            )


# -- components ---------------------------------------------------------------------------------


def _check_message_components(
    rules: _Rules, tree: _Tree, components: Any, path: str, cv2: bool | None
) -> None:
    if not isinstance(components, list):
        rules.add(path, f"components must be an array, not {_short(components)}")
        return
    slot = "message-legacy" if cv2 is False else "message-v2"
    if cv2 is False and len(components) > MAX_ACTION_ROWS:
        rules.add(
            path,
            f"{len(components)} action rows; a message without IS_COMPONENTS_V2 allows at most "
            f"{MAX_ACTION_ROWS} (discord.md §1.9)",
        )
    for i, component in enumerate(components):
        _check_component(rules, tree, component, f"{path}/{i}", slot)
    if tree.count > MAX_COMPONENTS_TOTAL:
        rules.add(
            path,
            f"{tree.count} components in total (nested ones included); the limit is "
            f"{MAX_COMPONENTS_TOTAL} (discord.md §1.9)",
        )
    if tree.text_chars > MAX_CV2_TEXT_TOTAL:
        rules.add(
            path,
            f"the Text Displays hold {tree.text_chars} characters; a message allows "
            f"{MAX_CV2_TEXT_TOTAL} in total",
        )


def _check_component(rules: _Rules, tree: _Tree, comp: Any, path: str, slot: str) -> None:
    if not isinstance(comp, dict):
        rules.add(path, f"a component must be an object, not {_short(comp)}")
        return
    tree.count += 1
    ctype = comp.get("type")
    if not _is_int(ctype):
        rules.add(f"{path}/type", f"component type must be an integer, not {_short(ctype)}")
        return
    name = f"{COMPONENT_NAMES.get(ctype, 'unknown component')} ({ctype})"
    if ctype not in COMPONENT_NAMES:
        rules.add(f"{path}/type", f"unknown component type {ctype}")
        return
    if tree.where == "message" and ctype in MODAL_ONLY:
        rules.add(path, f"{name} is only allowed in modals")
    elif tree.where == "modal" and ctype in MESSAGE_ONLY:
        rules.add(path, f"{name} is not allowed in modals")
    else:
        allowed, where = _SLOTS[slot]
        if ctype not in allowed:
            rules.add(path, f"{name} cannot be placed {where}")

    cid = comp.get("id")
    if cid is not None:
        if not _is_int(cid) or not 0 <= cid <= INT32:
            rules.add(f"{path}/id", f"id must be a 32-bit non-negative integer, not {_short(cid)}")
        elif cid != 0:
            if cid in tree.ids:
                rules.add(f"{path}/id", f"id {cid} is already used at {tree.ids[cid]}")
            else:
                tree.ids[cid] = path
    if tree.where == "modal" and comp.get("disabled") is True:
        rules.add(f"{path}/disabled", "modals cannot have disabled components (discord.md §1.10)")

    match ctype:
        case 1:
            _check_action_row(rules, tree, comp, path)
        case 2:
            _check_button(rules, tree, comp, path)
        case 3 | 5 | 6 | 7 | 8:
            _check_select(rules, tree, comp, path, ctype)
        case 4:
            _check_text_input(rules, tree, comp, path, in_label=slot == "label")
        case 9:
            children = rules.array(comp, "components", path, max_items=3, min_items=1)
            for i, child in enumerate(children or []):
                _check_component(rules, tree, child, f"{path}/components/{i}", "section")
            accessory = comp.get("accessory")
            if accessory is None:
                rules.add(f"{path}/accessory", "a Section needs an accessory (Button or Thumbnail)")
            else:
                _check_component(rules, tree, accessory, f"{path}/accessory", "accessory")
        case 10:
            text = rules.text(
                comp, "content", path, max_len=MAX_TEXT_DISPLAY, min_len=1, required=True
            )
            tree.text_chars += len(text or "")
            tree.text_displays += 1
        case 11:
            _check_media(rules, tree, comp.get("media"), f"{path}/media")
            rules.text(comp, "description", path, max_len=MAX_MEDIA_DESCRIPTION)
        case 12:
            items = rules.array(comp, "items", path, max_items=MAX_GALLERY_ITEMS, min_items=1)
            for i, item in enumerate(items or []):
                ipath = f"{path}/items/{i}"
                if not isinstance(item, dict):
                    rules.add(ipath, "a gallery item must be an object")
                    continue
                _check_media(rules, tree, item.get("media"), f"{ipath}/media")
                rules.text(item, "description", ipath, max_len=MAX_MEDIA_DESCRIPTION)
        case 13:
            url = _check_media(rules, tree, comp.get("file"), f"{path}/file")
            if url is not None and not url.startswith("attachment://"):
                rules.add(
                    f"{path}/file/url",
                    "a File component only supports attachment://<filename> references",
                )
        case 14:
            spacing = comp.get("spacing")
            if spacing is not None and spacing not in (1, 2):
                rules.add(f"{path}/spacing", f"spacing must be 1 or 2, not {_short(spacing)}")
        case 17:
            children = rules.array(comp, "components", path, max_items=10**6, min_items=1)
            for i, child in enumerate(children or []):
                _check_component(rules, tree, child, f"{path}/components/{i}", "container")
            rules.integer(comp, "accent_color", path, lo=0, hi=0xFFFFFF)
        case 18:
            rules.text(comp, "label", path, max_len=MAX_LABEL, min_len=1, required=True)
            rules.text(comp, "description", path, max_len=MAX_LABEL_DESCRIPTION, min_len=1)
            child = comp.get("component")
            if child is None:
                rules.add(f"{path}/component", "a Label wraps exactly one component")
            else:
                _check_component(rules, tree, child, f"{path}/component", "label")
        case 19:
            _custom_id(rules, tree, comp, path, required=True)
            low, high = _value_range(rules, comp, path, hi=MAX_UPLOAD_FILES, default_max=1)
            _required_min_values(rules, comp, path, low)
            rules.array(comp, "file_types", path, max_items=MAX_FILE_TYPES)
        case 21:
            _custom_id(rules, tree, comp, path, required=True)
            options = _check_options(rules, comp, path, lo=2, hi=MAX_GROUP_OPTIONS)
            if sum(1 for o in options if isinstance(o, dict) and o.get("default")) > 1:
                rules.add(f"{path}/options", "a Radio Group can have at most one default option")
        case 22:
            _custom_id(rules, tree, comp, path, required=True)
            options = _check_options(rules, comp, path, lo=1, hi=MAX_GROUP_OPTIONS)
            low, high = _value_range(
                rules, comp, path, hi=MAX_GROUP_OPTIONS, default_max=len(options) or 1
            )
            _required_min_values(rules, comp, path, low)
            if options and high > len(options):
                rules.add(
                    f"{path}/max_values",
                    f"max_values {high} is more than the {len(options)} option(s)",
                )
        case 23:
            _custom_id(rules, tree, comp, path, required=True)
            if "required" in comp:
                rules.add(
                    f"{path}/required",
                    "a Checkbox has no required field; use a Checkbox Group with one option "
                    "(discord.md §1.10)",
                )


def _check_action_row(rules: _Rules, tree: _Tree, comp: dict[str, Any], path: str) -> None:
    if tree.where == "modal":
        rules.add(
            path,
            "a Text Input in an Action Row is deprecated in modals; wrap it in a Label (18) "
            "(discord.md §1.10)",
        )
        children = rules.array(comp, "components", path, max_items=1, min_items=1)
        for i, child in enumerate(children or []):
            _check_component(rules, tree, child, f"{path}/components/{i}", "modal-row")
        return
    children = rules.array(comp, "components", path, max_items=MAX_ROW_BUTTONS, min_items=1)
    if not children:
        return
    types = [c.get("type") for c in children if isinstance(c, dict)]
    if any(t in SELECTS for t in types) and len(children) != 1:
        rules.add(
            f"{path}/components",
            "an Action Row holds up to 5 buttons or exactly one select, never both or two "
            "selects (discord.md §1.9)",
        )
    for i, child in enumerate(children):
        _check_component(rules, tree, child, f"{path}/components/{i}", "row")


def _check_button(rules: _Rules, tree: _Tree, comp: dict[str, Any], path: str) -> None:
    style = comp.get("style")
    if not _is_int(style) or style not in range(1, 7):
        rules.add(f"{path}/style", f"button style must be 1-6, not {_short(style)}")
        return
    rules.text(comp, "label", path, max_len=MAX_BUTTON_LABEL)
    if style == 5:
        rules.text(comp, "url", path, max_len=MAX_LINK_URL, min_len=1, required=True)
        for key in ("custom_id", "sku_id"):
            if key in comp:
                rules.add(f"{path}/{key}", f"a Link button (style 5) cannot have {key}")
    elif style == 6:
        if comp.get("sku_id") is None:
            rules.add(f"{path}/sku_id", "a Premium button (style 6) needs sku_id")
        for key in ("custom_id", "url", "label", "emoji"):
            if key in comp:
                rules.add(f"{path}/{key}", f"a Premium button (style 6) cannot have {key}")
    else:
        _custom_id(rules, tree, comp, path, required=True)
        for key in ("url", "sku_id"):
            if key in comp:
                rules.add(f"{path}/{key}", f"a style-{style} button cannot have {key}")


def _check_select(rules: _Rules, tree: _Tree, comp: dict[str, Any], path: str, ctype: int) -> None:
    _custom_id(rules, tree, comp, path, required=True)
    rules.text(comp, "placeholder", path, max_len=MAX_SELECT_PLACEHOLDER)
    low, high = _value_range(rules, comp, path, hi=MAX_SELECT_VALUES, default_max=1)
    if tree.where == "modal":
        _required_min_values(rules, comp, path, low)
    if ctype == STRING_SELECT:
        options = _check_options(rules, comp, path, lo=1, hi=MAX_SELECT_OPTIONS)
        if options:
            if low > len(options) or high > len(options):
                rules.add(
                    path,
                    f"min_values/max_values ({low}/{high}) exceed the {len(options)} option(s)",
                )
            defaults = sum(1 for o in options if isinstance(o, dict) and o.get("default"))
            if defaults > high:
                rules.add(
                    f"{path}/options",
                    f"{defaults} options are marked default but max_values is {high}",
                )
    else:
        if "options" in comp:
            rules.add(f"{path}/options", "only String Selects take options")
        defaults_list = rules.array(comp, "default_values", path, max_items=MAX_SELECT_VALUES)
        if defaults_list is not None and not low <= len(defaults_list) <= high:
            rules.add(
                f"{path}/default_values",
                f"{len(defaults_list)} default values; the number must be between min_values "
                f"{low} and max_values {high} (D:components/reference)",
            )


def _check_text_input(
    rules: _Rules, tree: _Tree, comp: dict[str, Any], path: str, *, in_label: bool
) -> None:
    _custom_id(rules, tree, comp, path, required=True)
    style = comp.get("style")
    if style not in (1, 2) or not _is_int(style):
        rules.add(f"{path}/style", f"text input style must be 1 or 2, not {_short(style)}")
    if in_label:
        if "label" in comp:
            rules.add(
                f"{path}/label",
                "label on a Text Input is deprecated; put it on the wrapping Label "
                "(discord.md §1.10)",
            )
    else:
        rules.text(comp, "label", path, max_len=MAX_TEXT_INPUT_LABEL, min_len=1, required=True)
    rules.text(comp, "placeholder", path, max_len=MAX_TEXT_INPUT_PLACEHOLDER)
    low = rules.integer(comp, "min_length", path, lo=0, hi=MAX_TEXT_INPUT_LENGTH)
    high = rules.integer(comp, "max_length", path, lo=1, hi=MAX_TEXT_INPUT_LENGTH)
    if low is not None and high is not None and low > high:
        rules.add(f"{path}/min_length", f"min_length {low} is greater than max_length {high}")
    value = rules.text(comp, "value", path, max_len=MAX_TEXT_INPUT_LENGTH)
    if value is not None and high is not None and len(value) > high:
        rules.add(f"{path}/value", f"the pre-filled value is longer than max_length {high}")


def _check_options(
    rules: _Rules, comp: dict[str, Any], path: str, *, lo: int, hi: int
) -> list[Any]:
    options = rules.array(comp, "options", path, max_items=hi, min_items=lo)
    seen: dict[str, int] = {}
    for i, option in enumerate(options or []):
        opath = f"{path}/options/{i}"
        if not isinstance(option, dict):
            rules.add(opath, "an option must be an object")
            continue
        rules.text(option, "label", opath, max_len=MAX_SELECT_OPTION_TEXT, min_len=1, required=True)
        value = rules.text(
            option, "value", opath, max_len=MAX_SELECT_OPTION_TEXT, min_len=1, required=True
        )
        rules.text(option, "description", opath, max_len=MAX_SELECT_OPTION_TEXT)
        if value is not None:
            if value in seen:
                rules.add(f"{opath}/value", f"value {value!r} repeats option {seen[value]}")
            else:
                seen[value] = i
    return options or []


def _value_range(
    rules: _Rules, comp: dict[str, Any], path: str, *, hi: int, default_max: int
) -> tuple[int, int]:
    low = rules.integer(comp, "min_values", path, lo=0, hi=hi)
    high = rules.integer(comp, "max_values", path, lo=1, hi=hi)
    low_v = 1 if low is None else low
    high_v = default_max if high is None else high
    if low_v > high_v:
        rules.add(f"{path}/min_values", f"min_values {low_v} is greater than max_values {high_v}")
    return low_v, high_v


def _required_min_values(rules: _Rules, comp: dict[str, Any], path: str, low: int) -> None:
    if comp.get("required", True) is not False and low < 1:
        rules.add(
            f"{path}/min_values",
            "min_values must be omitted or at least 1 while required is true (the default); "
            "set required: false to allow none (discord.md §1.10)",
        )


def _custom_id(
    rules: _Rules, tree: _Tree, comp: dict[str, Any], path: str, *, required: bool
) -> None:
    value = rules.text(comp, "custom_id", path, max_len=MAX_CUSTOM_ID, min_len=1, required=required)
    if value is None:
        return
    if value in tree.custom_ids:
        rules.add(
            f"{path}/custom_id",
            f"custom_id {value!r} is already used at {tree.custom_ids[value]}; it must be unique "
            f"within the {tree.where} (discord.md §1.9)",
        )
    else:
        tree.custom_ids[value] = path


def _check_media(rules: _Rules, tree: _Tree, media: Any, path: str) -> str | None:
    if not isinstance(media, dict):
        rules.add(path, "an unfurled media item {url} is required")
        return None
    url = rules.text(media, "url", path, max_len=2048, min_len=1, required=True)
    if url is not None:
        tree.media_urls.add(url)
    return url


# -- the callback answer ------------------------------------------------------------------------


def _check_modal(rules: _Rules, data: Any, path: str) -> None:
    if not isinstance(data, dict):
        rules.add(path, "a MODAL answer needs data {custom_id, title, components}")
        return
    rules.unknown_keys(data, path, ("custom_id", "title", "components"), "modal data")
    rules.text(data, "custom_id", path, max_len=MAX_CUSTOM_ID, min_len=1, required=True)
    rules.text(data, "title", path, max_len=MAX_MODAL_TITLE, min_len=1, required=True)
    components = rules.array(data, "components", path, max_items=MAX_MODAL_COMPONENTS, min_items=1)
    tree = _Tree(where="modal")
    for i, component in enumerate(components or []):
        _check_component(rules, tree, component, f"{path}/components/{i}", "modal")


def _check_autocomplete(rules: _Rules, data: Any, path: str, interaction: dict[str, Any]) -> None:
    if not isinstance(data, dict):
        rules.add(path, "an autocomplete result needs data {choices: [...]}")
        return
    rules.unknown_keys(data, path, ("choices",), "autocomplete data")
    choices = rules.array(data, "choices", path, max_items=MAX_CHOICES)
    if choices is None:
        rules.add(f"{path}/choices", "choices is required (an empty list means no suggestions)")
        return
    focused = _focused_option_type(interaction)
    kinds: set[str] = set()
    for i, choice in enumerate(choices):
        cpath = f"{path}/choices/{i}"
        if not isinstance(choice, dict):
            rules.add(cpath, "a choice must be an object {name, value}")
            continue
        rules.unknown_keys(choice, cpath, ("name", "name_localizations", "value"), "a choice")
        rules.text(choice, "name", cpath, max_len=MAX_CHOICE_NAME, min_len=1, required=True)
        localizations = choice.get("name_localizations")
        if isinstance(localizations, dict):
            for locale in localizations:
                rules.text(
                    localizations,
                    locale,
                    f"{cpath}/name_localizations",
                    max_len=MAX_CHOICE_NAME,
                    min_len=1,
                )
        if "value" not in choice:
            rules.add(f"{cpath}/value", "value is required")
            continue
        value = choice["value"]
        if isinstance(value, str):
            kinds.add("string")
            if len(value) > MAX_CHOICE_STRING_VALUE:
                rules.add(
                    f"{cpath}/value",
                    f"value has {len(value)} characters; choice values allow "
                    f"{MAX_CHOICE_STRING_VALUE} (discord.md §1.8)",
                )
            if focused in (OPTION_INTEGER, OPTION_NUMBER):
                rules.add(f"{cpath}/value", "the focused option is numeric; value must be a number")
        elif _is_int(value) or isinstance(value, float):
            kinds.add("number")
            if focused == OPTION_STRING:
                rules.add(
                    f"{cpath}/value", "the focused option is a STRING; value must be a string"
                )
            elif focused == OPTION_INTEGER and not _is_int(value):
                rules.add(f"{cpath}/value", "the focused option is an INTEGER; value must be one")
            if _is_int(value) and abs(value) > INT53:
                rules.add(f"{cpath}/value", "integer choices must lie within ±(2^53 - 1)")
        else:
            rules.add(f"{cpath}/value", f"value must be a string or a number, not {_short(value)}")
    if len(kinds) > 1:
        rules.add(f"{path}/choices", "choices mix string and numeric values")


def _focused_option_type(interaction: dict[str, Any]) -> int | None:
    data = interaction.get("data")
    stack = list(data.get("options") or []) if isinstance(data, dict) else []
    while stack:
        option = stack.pop()
        if not isinstance(option, dict):
            continue
        if option.get("focused") is True:
            kind = option.get("type")
            return kind if _is_int(kind) else None
        stack.extend(option.get("options") or [])
    return None


def _check_callback(
    rules: _Rules,
    interaction: Any,
    response: dict[str, Any],
    previous: dict[str, Any] | None,
) -> None:
    itype = interaction.get("type") if isinstance(interaction, dict) else None
    if not isinstance(interaction, dict) or not _is_int(itype) or itype not in ALLOWED_CALLBACKS:
        rules.add("", f"the interaction must have a type 1-5, not {_short(itype)}")
        itype = None
    rtype = response.get("type")
    if not _is_int(rtype):
        rules.add("/type", f"the response type must be an integer, not {_short(rtype)}")
        return
    rules.unknown_keys(
        response, "", ("type",) if rtype == PONG else ("type", "data"), "an interaction response"
    )
    if itype is not None and rtype not in ALLOWED_CALLBACKS[itype]:
        rules.add("/type", _refusal(itype, rtype))
    data = response.get("data")
    if (
        itype == MODAL_SUBMIT
        and rtype in (DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE)
        and isinstance(interaction, dict)
        and not interaction.get("message")
    ):
        rules.add(
            "/type",
            f"{CALLBACK_NAMES[rtype]} ({rtype}) answers a modal submit only when the modal was "
            "opened from a message component (the interaction has no message to update)",
        )
    if previous is None and isinstance(interaction, dict):
        source = interaction.get("message")
        previous = source if isinstance(source, dict) else None
    match rtype:
        case 4:
            _check_message(rules, data if data is not None else {}, "/data", _REPLY, None)
        case 5:
            if data is not None:
                if not isinstance(data, dict):
                    rules.add("/data", "data must be an object")
                else:
                    others = sorted(k for k in data if k != "flags")
                    if others:
                        rules.add(
                            "/data",
                            f"a deferred answer (5) carries only flags; {others} would be "
                            "ignored — send them with PATCH @original (discord.md §1.3)",
                        )
                    _check_flags(rules, data, "/data", _DEFER)
        case 6:
            if _nonempty(data):
                rules.add(
                    "/data",
                    "DEFERRED_UPDATE_MESSAGE (6) takes no data; edit the message later "
                    "(discord.md §1.3)",
                )
        case 7:
            if data is None:
                rules.add(
                    "/data",
                    "UPDATE_MESSAGE (7) needs data; use DEFERRED_UPDATE_MESSAGE (6) to "
                    "acknowledge without a change",
                )
            else:
                _check_message(rules, data, "/data", _UPDATE, previous)
        case 8:
            _check_autocomplete(
                rules, data, "/data", interaction if isinstance(interaction, dict) else {}
            )
        case 9:
            _check_modal(rules, data, "/data")


def _refusal(itype: int, rtype: int) -> str:
    iname = f"{INTERACTION_NAMES[itype]} ({itype})"
    rname = f"{CALLBACK_NAMES.get(rtype, 'unknown callback type')} ({rtype})"
    allowed = ", ".join(str(t) for t in sorted(ALLOWED_CALLBACKS[itype]))
    reasons = {
        (MODAL_SUBMIT, MODAL): "no modal in reply to a modal submit",
        (PING, MODAL): "a PING is answered with PONG only",
    }
    if (itype, rtype) in reasons:
        why = reasons[(itype, rtype)]
    elif itype == PING:
        why = "a PING is answered with PONG (1) only"
    elif itype == APPLICATION_COMMAND_AUTOCOMPLETE:
        why = "autocomplete is answered with a result (8) at once; it has no deferred form"
    elif rtype == PONG:
        why = "PONG only answers a PING"
    elif rtype == APPLICATION_COMMAND_AUTOCOMPLETE_RESULT:
        why = "autocomplete results only answer autocomplete interactions"
    elif rtype in (DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE):
        why = "there is no source message to update: 6 and 7 answer components (and modals "
        why += "opened from one)"
    elif rtype == PREMIUM_REQUIRED:
        why = "PREMIUM_REQUIRED is deprecated"
    elif rtype == LAUNCH_ACTIVITY:
        why = "LAUNCH_ACTIVITY is for Activities, which this app does not have"
    else:
        why = "not a callback type this interaction accepts"
    return f"{rname} cannot answer {iname}: {why} (allowed: {allowed}; discord.md §1.3)"


# --------------------------------------------------------------------------------------------
# Public API


def _raise_if(subject: str, problems: list[Problem]) -> None:
    if problems:
        raise ContractViolation(subject, problems)


def check_interaction_response(
    interaction: dict[str, Any], response: dict[str, Any], *, previous: dict[str, Any] | None = None
) -> None:
    """Check the app's answer (the callback body) to ``interaction`` (the payload it received).

    ``previous`` is the message an UPDATE_MESSAGE (7) answer edits, as Discord currently shows
    it; it defaults to ``interaction["message"]`` (present on component interactions). It lets
    the Components V2 rules (cannot be removed; switching needs content/embeds nulled) apply.
    Raises :class:`ContractViolation` listing every problem.
    """
    itype = interaction.get("type") if isinstance(interaction, dict) else None
    rtype = response.get("type") if isinstance(response, dict) else None
    subject = (
        f"interaction response type {_short(rtype)} to "
        f"{INTERACTION_NAMES.get(itype, repr(itype)) if _is_int(itype) else repr(itype)}"
    )
    if not isinstance(response, dict):
        raise ContractViolation(
            subject, [Problem("", f"must be a JSON object, not {_short(response)}", "rule")]
        )
    problems: list[Problem] = []
    openapi = _openapi()
    if openapi is not None:
        name = openapi.callback_schemas.get(rtype) if _is_int(rtype) else None
        names = (name,) if name is not None else openapi.callback_union
        problems.extend(openapi.problems(names, response))
    rules = _Rules()
    _check_callback(rules, interaction, response, previous)
    problems.extend(rules.problems)
    _raise_if(subject, problems)


def check_followup(body: dict[str, Any]) -> None:
    """Check a follow-up message body (``POST /webhooks/{application_id}/{token}``)."""
    problems: list[Problem] = []
    openapi = _openapi()
    if openapi is not None:
        problems.extend(openapi.problems((openapi.followup_schema,), body))
    rules = _Rules()
    _check_message(rules, body, "", _FOLLOWUP, None)
    problems.extend(rules.problems)
    _raise_if("follow-up message (POST /webhooks/{application_id}/{token})", problems)


def check_message_edit(body: dict[str, Any], *, previous: dict[str, Any] | None = None) -> None:
    """Check an edit body (``PATCH /webhooks/{application_id}/{token}/messages/{id|@original}``).

    ``previous`` (optional) is the message being edited as it stands — after a defer, e.g.
    ``{"flags": 64}`` — so the Components V2 switch and emptiness can be judged on the result.
    """
    problems: list[Problem] = []
    openapi = _openapi()
    if openapi is not None:
        problems.extend(openapi.problems((openapi.edit_schema,), body))
    rules = _Rules()
    _check_message(rules, body, "", _EDIT, previous)
    problems.extend(rules.problems)
    _raise_if("message edit (PATCH /webhooks/{application_id}/{token}/messages/...)", problems)
