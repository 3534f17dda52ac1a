"""The Discord contract checker: valid bodies pass, each rule names its problem."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support import discord_contract as dc
from tests.support.discord_contract import (
    ContractViolation,
    check_followup,
    check_interaction_response,
    check_message_edit,
)

Json = dict[str, Any]


def _schema_missing() -> bool:
    try:
        return dc.locate_openapi() is None and not dc.in_ci()
    except dc.OpenAPIUnavailable:
        return False  # a bad $DISCORD_OPENAPI must fail loudly, not skip


needs_schema = pytest.mark.skipif(
    _schema_missing(), reason="Discord's OpenAPI description not found (and $CI unset)"
)

NO_PINGS: Json = {"parse": []}

# --------------------------------------------------------------------------------------------
# Builders: every call returns a fresh, valid body.


def ping() -> Json:
    return {"type": 1, "id": "100", "application_id": "200", "token": "tok", "version": 1}


def command() -> Json:
    return {
        "type": 2,
        "id": "101",
        "application_id": "200",
        "token": "tok",
        "guild_id": "300",
        "data": {
            "id": "400",
            "name": "mining",
            "type": 1,
            "options": [{"type": 1, "name": "status"}],
        },
    }


def button(custom_id: str = "v1:status:refresh", label: str = "Refresh", style: int = 2) -> Json:
    return {"type": 2, "style": style, "label": label, "custom_id": custom_id}


def link(url: str = "https://example.org/r/abc") -> Json:
    return {"type": 2, "style": 5, "label": "Report", "url": url}


def row(*children: Json) -> Json:
    return {"type": 1, "components": list(children)}


def string_select(custom_id: str = "v1:payroll:pick", count: int = 3, **over: Any) -> Json:
    options = [{"label": f"Session {i}", "value": f"s{i}"} for i in range(count)]
    return {"type": 3, "custom_id": custom_id, "options": options, **over}


def source_message(**over: Any) -> Json:
    return {
        "id": "500",
        "content": "Sunday op: 3 members",
        "embeds": [],
        "attachments": [],
        "components": [row(button())],
        "flags": 0,
        **over,
    }


def component(message: Json | None = None) -> Json:
    return {
        "type": 3,
        "id": "102",
        "token": "tok",
        "data": {"custom_id": "v1:status:refresh", "component_type": 2},
        "message": source_message() if message is None else message,
    }


def autocomplete(option_type: int = 3) -> Json:
    focused = {"type": option_type, "name": "session", "value": "sun", "focused": True}
    load = {"type": 1, "name": "load", "options": [focused]}
    return {
        "type": 4,
        "id": "103",
        "token": "tok",
        "data": {
            "name": "mining",
            "type": 1,
            "options": [{"type": 2, "name": "adhoc", "options": [load]}],
        },
    }


def modal_submit(*, from_message: bool = False) -> Json:
    interaction: Json = {
        "type": 5,
        "id": "104",
        "token": "tok",
        "data": {"custom_id": "v1:payroll:ore:01J", "components": []},
    }
    if from_message:
        interaction["message"] = source_message()
    return interaction


def message(**over: Any) -> Json:
    return {"content": "Op **Sunday** started.", "allowed_mentions": {"parse": []}, **over}


def reply(**over: Any) -> Json:
    return {"type": 4, "data": message(**over)}


def text_input(custom_id: str = "v1:ore:quantity", **over: Any) -> Json:
    return {"type": 4, "custom_id": custom_id, "style": 1, **over}


def label(child: Json, text: str = "Quantity (SCU)", **over: Any) -> Json:
    return {"type": 18, "label": text, "component": child, **over}


def modal(*components: Json, **over: Any) -> Json:
    data = {
        "custom_id": "v1:payroll:ore:01J",
        "title": "Enter ore",
        "components": list(components) or [label(text_input())],
        **over,
    }
    return {"type": 9, "data": data}


def choices(*pairs: tuple[str, Any]) -> Json:
    return {"type": 8, "data": {"choices": [{"name": n, "value": v} for n, v in pairs]}}


def text_display(content: str = "# Sunday op") -> Json:
    return {"type": 10, "content": content}


def cv2(*components: Json, **over: Any) -> Json:
    body: Json = {
        "flags": dc.IS_COMPONENTS_V2,
        "allowed_mentions": {"parse": []},
        "components": list(components)
        or [
            {
                "type": 17,
                "accent_color": 0x3BA55D,
                "components": [
                    text_display(),
                    {
                        "type": 9,
                        "components": [text_display("Alice — 2 h 10 min")],
                        "accessory": button("v1:status:alice", "Details"),
                    },
                    {"type": 14, "divider": True, "spacing": 1},
                    row(button("v1:status:stop", "Stop", 4), link()),
                ],
            }
        ],
    }
    body.update(over)
    return body


def embed(**over: Any) -> Json:
    return {
        "title": "Payroll preview",
        "description": "10 payees",
        "color": 0x3BA55D,
        "fields": [{"name": "Quantanium", "value": "120 SCU", "inline": True}],
        "footer": {"text": "Prices from UEX"},
        "author": {"name": "Sunday Mining"},
        **over,
    }


def violation(check: Callable[..., None], *args: Any, **kwargs: Any) -> ContractViolation:
    with pytest.raises(ContractViolation) as info:
        check(*args, **kwargs)
    return info.value


def assert_problem(
    exc: ContractViolation, fragment: str, path: str | None = None, layer: str = "rule"
) -> None:
    hits = [
        p
        for p in exc.problems
        if p.layer == layer and fragment in p.message and (path is None or p.path == path)
    ]
    assert hits, f"expected a {layer} problem {fragment!r} at {path!r}; got:\n{exc}"


# --------------------------------------------------------------------------------------------
# Valid bodies pass


VALID_RESPONSES: list[tuple[str, Callable[[], tuple[Json, Json]]]] = [
    ("pong", lambda: (ping(), {"type": 1})),
    ("reply", lambda: (command(), reply(flags=dc.EPHEMERAL))),
    (
        "reply-with-everything",
        lambda: (
            command(),
            reply(
                embeds=[embed()],
                components=[row(button(), link()), row(string_select())],
                flags=dc.SUPPRESS_NOTIFICATIONS,
            ),
        ),
    ),
    (
        "reply-embed-only",
        lambda: (
            command(),
            {"type": 4, "data": {"embeds": [embed()], "allowed_mentions": NO_PINGS}},
        ),
    ),
    ("reply-components-v2", lambda: (command(), {"type": 4, "data": cv2()})),
    (
        "reply-cv2-file",
        lambda: (
            command(),
            {
                "type": 4,
                "data": cv2(
                    text_display("Report ready"),
                    {"type": 13, "file": {"url": "attachment://payroll.pdf"}},
                    attachments=[{"id": "0", "filename": "payroll.pdf"}],
                ),
            },
        ),
    ),
    ("defer", lambda: (command(), {"type": 5})),
    ("defer-ephemeral", lambda: (command(), {"type": 5, "data": {"flags": dc.EPHEMERAL}})),
    ("command-modal", lambda: (command(), modal())),
    ("component-reply", lambda: (component(), reply())),
    ("component-defer-update", lambda: (component(), {"type": 6})),
    (
        "component-update",
        lambda: (component(), {"type": 7, "data": message(components=[row(button("v1:x", "X"))])}),
    ),
    (
        "component-update-components-only",
        lambda: (component(), {"type": 7, "data": {"components": []}}),
    ),
    ("component-modal", lambda: (component(), modal())),
    (
        "autocomplete-strings",
        lambda: (autocomplete(), choices(("Sunday 1", "s1"), ("Sunday 2", "s2"))),
    ),
    ("autocomplete-empty", lambda: (autocomplete(), {"type": 8, "data": {"choices": []}})),
    ("autocomplete-integers", lambda: (autocomplete(4), choices(("Ten", 10), ("Twenty", 20)))),
    ("autocomplete-numbers", lambda: (autocomplete(10), choices(("Half", 0.5), ("One", 1)))),
    ("modal-submit-reply", lambda: (modal_submit(), reply(flags=dc.EPHEMERAL))),
    ("modal-submit-defer", lambda: (modal_submit(), {"type": 5, "data": {"flags": dc.EPHEMERAL}})),
    (
        "modal-submit-update",
        lambda: (modal_submit(from_message=True), {"type": 7, "data": message()}),
    ),
    ("modal-submit-defer-update", lambda: (modal_submit(from_message=True), {"type": 6})),
    (
        "modal-every-input",
        lambda: (
            command(),
            modal(
                text_display("Enter what the ship refined."),
                label(text_input(placeholder="e.g. 32", min_length=1, max_length=6, value="32")),
                label(string_select(min_values=1, max_values=2), "Sessions", description="Pick"),
                label(
                    {"type": 19, "custom_id": "v1:proof", "min_values": 1, "max_values": 3}, "Proof"
                ),
                label(
                    {
                        "type": 21,
                        "custom_id": "v1:split",
                        "options": [
                            {"value": "equal", "label": "Equal", "default": True},
                            {"value": "time", "label": "By time", "description": "Credited time"},
                        ],
                    },
                    "Split",
                ),
            ),
        ),
    ),
    (
        "modal-groups",
        lambda: (
            component(),
            modal(
                label(
                    {
                        "type": 22,
                        "custom_id": "v1:days",
                        "min_values": 0,
                        "required": False,
                        "options": [
                            {"value": "sat", "label": "Saturday"},
                            {"value": "sun", "label": "Sunday"},
                        ],
                    },
                    "Days",
                ),
                label({"type": 23, "custom_id": "v1:confirm", "default": False}, "Confirm"),
                label(
                    {"type": 8, "custom_id": "v1:channel", "channel_types": [2]}, "Voice channel"
                ),
            ),
        ),
    ),
]


@pytest.mark.parametrize(("case", "build"), VALID_RESPONSES, ids=[c for c, _ in VALID_RESPONSES])
def test_valid_interaction_responses_pass(
    case: str, build: Callable[[], tuple[Json, Json]]
) -> None:
    interaction, response = build()
    check_interaction_response(interaction, response)


def test_valid_followups_pass() -> None:
    check_followup(message())
    check_followup(message(flags=dc.EPHEMERAL, embeds=[embed()], components=[row(button())]))
    check_followup(cv2(flags=dc.IS_COMPONENTS_V2 | dc.EPHEMERAL))
    check_followup({"attachments": [{"id": "0", "filename": "report.pdf"}]})


def test_valid_edits_pass() -> None:
    check_message_edit(message())
    check_message_edit({"components": []})
    check_message_edit({"flags": dc.SUPPRESS_EMBEDS})
    check_message_edit(message(embeds=[embed()], components=[row(button())]))


def test_a_deferred_answer_becomes_components_v2_through_the_edit() -> None:
    check_interaction_response(command(), {"type": 5, "data": {"flags": dc.EPHEMERAL}})
    check_message_edit(cv2(), previous={"flags": dc.EPHEMERAL})
    # The message had content: the switch nulls it.
    check_message_edit(cv2(content=None, embeds=None), previous={"content": "Working…"})


def test_an_update_of_a_components_v2_message_keeps_the_flag_implicitly() -> None:
    source = source_message(content="", components=cv2()["components"], flags=dc.IS_COMPONENTS_V2)
    update = {"components": cv2()["components"], "allowed_mentions": NO_PINGS}
    check_interaction_response(component(source), {"type": 7, "data": update})


# --------------------------------------------------------------------------------------------
# Each rule has a failing example

RuleCase = tuple[str, Callable[[], tuple[Json, Json]], str, str | None]


def _with(body: Json, *path_and_value: Any) -> Json:
    """Set body[p0][p1]...[pn-1] = value."""
    *keys, value = path_and_value
    target: Any = body
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value
    return body


RESPONSE_TYPE_CASES: list[RuleCase] = [
    ("ping-needs-pong", lambda: (ping(), reply()), "a PING is answered with PONG", "/type"),
    ("pong-only-for-ping", lambda: (command(), {"type": 1}), "PONG only answers a PING", "/type"),
    (
        "pong-has-no-data",
        lambda: (ping(), {"type": 1, "data": {}}),
        "unknown field 'data'",
        "/data",
    ),
    (
        "command-no-update",
        lambda: (command(), {"type": 7, "data": message()}),
        "no source message",
        "/type",
    ),
    ("command-no-defer-update", lambda: (command(), {"type": 6}), "no source message", "/type"),
    ("command-no-choices", lambda: (command(), choices()), "only answer autocomplete", "/type"),
    ("premium-required", lambda: (command(), {"type": 10}), "deprecated", "/type"),
    ("launch-activity", lambda: (command(), {"type": 12}), "Activities", "/type"),
    ("unknown-callback", lambda: (component(), {"type": 3}), "not a callback type", "/type"),
    ("autocomplete-no-defer", lambda: (autocomplete(), {"type": 5}), "no deferred form", "/type"),
    ("autocomplete-no-message", lambda: (autocomplete(), reply()), "no deferred form", "/type"),
    ("component-no-choices", lambda: (component(), choices()), "only answer autocomplete", "/type"),
    (
        "modal-after-modal",
        lambda: (modal_submit(), modal()),
        "no modal in reply to a modal",
        "/type",
    ),
    (
        "modal-submit-update-needs-message",
        lambda: (modal_submit(), {"type": 7, "data": message()}),
        "opened from a message component",
        "/type",
    ),
    (
        "interaction-type",
        lambda: ({"type": 9}, reply()),
        "the interaction must have a type 1-5",
        "",
    ),
    ("response-type-int", lambda: (command(), {"type": "4"}), "must be an integer", "/type"),
]

DEFERRAL_CASES: list[RuleCase] = [
    (
        "update-changes-something",
        lambda: (component(), {"type": 7, "data": {}}),
        "with no fields changes nothing",
        "/data",
    ),
    (
        "defer-only-ephemeral",
        lambda: (command(), {"type": 5, "data": {"flags": dc.IS_COMPONENTS_V2}}),
        "only flag allowed at defer time is EPHEMERAL",
        "/data/flags",
    ),
    (
        "defer-carries-only-flags",
        lambda: (command(), {"type": 5, "data": {"content": "wait", "flags": 64}}),
        "carries only flags",
        "/data",
    ),
    (
        "defer-update-no-data",
        lambda: (component(), {"type": 6, "data": message()}),
        "takes no data",
        "/data",
    ),
    ("update-needs-data", lambda: (component(), {"type": 7}), "needs data", "/data"),
    (
        "update-cannot-change-ephemeral",
        lambda: (component(), {"type": 7, "data": message(flags=dc.EPHEMERAL)}),
        "ephemerality is decided by the first answer",
        "/data/flags",
    ),
    (
        "update-has-no-tts",
        lambda: (component(), {"type": 7, "data": message(tts=False)}),
        "unknown field 'tts'",
        "/data/tts",
    ),
    (
        "update-cannot-drop-cv2",
        lambda: (
            component(
                source_message(
                    content="", components=cv2()["components"], flags=dc.IS_COMPONENTS_V2
                )
            ),
            {"type": 7, "data": message(flags=0)},
        ),
        "cannot be removed",
        "/data/flags",
    ),
]

MODAL_CASES: list[RuleCase] = [
    (
        "title-45",
        lambda: (command(), modal(title="T" * 46)),
        "title has 46 characters; the limit is 45",
        "/data/title",
    ),
    (
        "title-required",
        lambda: (command(), _drop(modal(), "title")),
        "title is required",
        "/data/title",
    ),
    (
        "custom-id-required",
        lambda: (command(), _drop(modal(), "custom_id")),
        "custom_id is required",
        "/data/custom_id",
    ),
    (
        "custom-id-100",
        lambda: (command(), modal(custom_id="m" * 101)),
        "limit is 100",
        "/data/custom_id",
    ),
    (
        "at-least-1-component",
        lambda: (command(), _with(modal(), "data", "components", [])),
        "at least 1 needed",
        "/data/components",
    ),
    (
        "at-most-5-components",
        lambda: (command(), modal(*[label(text_input(f"v1:t{i}")) for i in range(6)])),
        "6 components; the limit is 5",
        "/data/components",
    ),
    (
        "label-45",
        lambda: (command(), modal(label(text_input(), "L" * 46))),
        "limit is 45",
        "/data/components/0/label",
    ),
    (
        "label-description-100",
        lambda: (command(), modal(label(text_input(), description="d" * 101))),
        "limit is 100",
        "/data/components/0/description",
    ),
    (
        "text-input-in-action-row-deprecated",
        lambda: (command(), modal(row(text_input(label="Quantity")))),
        "deprecated",
        "/data/components/0",
    ),
    (
        "text-input-label-45",
        lambda: (command(), modal(row(text_input(label="Q" * 46)))),
        "label has 46 characters; the limit is 45",
        "/data/components/0/components/0/label",
    ),
    (
        "text-input-label-on-label-child",
        lambda: (command(), modal(label(text_input(label="Quantity")))),
        "put it on the wrapping Label",
        "/data/components/0/component/label",
    ),
    (
        "placeholder-100",
        lambda: (command(), modal(label(text_input(placeholder="p" * 101)))),
        "limit is 100",
        "/data/components/0/component/placeholder",
    ),
    (
        "min-length-0-4000",
        lambda: (command(), modal(label(text_input(min_length=4001)))),
        "between 0 and 4000",
        "/data/components/0/component/min_length",
    ),
    (
        "max-length-1-4000",
        lambda: (command(), modal(label(text_input(max_length=0)))),
        "between 1 and 4000",
        "/data/components/0/component/max_length",
    ),
    (
        "min-length-not-above-max",
        lambda: (command(), modal(label(text_input(min_length=10, max_length=5)))),
        "greater than max_length",
        "/data/components/0/component/min_length",
    ),
    (
        "value-4000",
        lambda: (command(), modal(label(text_input(style=2, value="v" * 4001)))),
        "limit is 4000",
        "/data/components/0/component/value",
    ),
    (
        "text-input-style",
        lambda: (command(), modal(label(text_input(style=3)))),
        "style must be 1 or 2",
        "/data/components/0/component/style",
    ),
    (
        "no-disabled-in-modal",
        lambda: (command(), modal(label(string_select(disabled=True)))),
        "cannot have disabled",
        "/data/components/0/component/disabled",
    ),
    (
        "required-select-min-values",
        lambda: (command(), modal(label(string_select(min_values=0)))),
        "at least 1 while required",
        "/data/components/0/component/min_values",
    ),
    (
        "no-buttons-in-modal",
        lambda: (command(), modal(row(button()))),
        "not allowed in modals",
        None,
    ),
    (
        "checkbox-has-no-required",
        lambda: (command(), modal(label({"type": 23, "custom_id": "v1:ok", "required": True}))),
        "Checkbox has no required",
        "/data/components/0/component/required",
    ),
    (
        "radio-2-options",
        lambda: (
            command(),
            modal(
                label({"type": 21, "custom_id": "v1:r", "options": [{"value": "a", "label": "A"}]})
            ),
        ),
        "at least 2 needed",
        "/data/components/0/component/options",
    ),
    (
        "radio-one-default",
        lambda: (
            command(),
            modal(
                label(
                    {
                        "type": 21,
                        "custom_id": "v1:r",
                        "options": [
                            {"value": "a", "label": "A", "default": True},
                            {"value": "b", "label": "B", "default": True},
                        ],
                    }
                )
            ),
        ),
        "at most one default",
        "/data/components/0/component/options",
    ),
    (
        "checkbox-group-max-values",
        lambda: (
            command(),
            modal(
                label(
                    {
                        "type": 22,
                        "custom_id": "v1:c",
                        "max_values": 3,
                        "options": [{"value": "a", "label": "A"}],
                    }
                )
            ),
        ),
        "more than the 1 option",
        "/data/components/0/component/max_values",
    ),
    (
        "file-upload-10",
        lambda: (command(), modal(label({"type": 19, "custom_id": "v1:f", "max_values": 11}))),
        "between 1 and 10",
        "/data/components/0/component/max_values",
    ),
    (
        "file-types-10",
        lambda: (
            command(),
            modal(label({"type": 19, "custom_id": "v1:f", "file_types": ["image"] * 11})),
        ),
        "11 file_types; the limit is 10",
        "/data/components/0/component/file_types",
    ),
    (
        "modal-custom-ids-unique",
        lambda: (command(), modal(label(text_input("v1:same")), label(text_input("v1:same")))),
        "already used",
        "/data/components/1/component/custom_id",
    ),
    (
        "label-needs-component",
        lambda: (command(), modal({"type": 18, "label": "Empty"})),
        "wraps exactly one component",
        "/data/components/0/component",
    ),
]

SELECT_CASES: list[RuleCase] = [
    (
        "options-1",
        lambda: (command(), reply(components=[row(string_select(count=0))])),
        "at least 1 needed",
        "/data/components/0/components/0/options",
    ),
    (
        "options-25",
        lambda: (command(), reply(components=[row(string_select(count=26))])),
        "26 options; the limit is 25",
        "/data/components/0/components/0/options",
    ),
    (
        "option-label-100",
        lambda: (
            command(),
            reply(components=[row(_with(string_select(), "options", 0, "label", "l" * 101))]),
        ),
        "limit is 100",
        "/data/components/0/components/0/options/0/label",
    ),
    (
        "option-value-100",
        lambda: (
            command(),
            reply(components=[row(_with(string_select(), "options", 0, "value", "v" * 101))]),
        ),
        "limit is 100",
        "/data/components/0/components/0/options/0/value",
    ),
    (
        "option-description-100",
        lambda: (
            command(),
            reply(components=[row(_with(string_select(), "options", 0, "description", "d" * 101))]),
        ),
        "limit is 100",
        "/data/components/0/components/0/options/0/description",
    ),
    (
        "option-values-unique",
        lambda: (
            command(),
            reply(components=[row(_with(string_select(), "options", 1, "value", "s0"))]),
        ),
        "repeats option 0",
        "/data/components/0/components/0/options/1/value",
    ),
    (
        "placeholder-150",
        lambda: (command(), reply(components=[row(string_select(placeholder="p" * 151))])),
        "limit is 150",
        "/data/components/0/components/0/placeholder",
    ),
    (
        "min-values-0-25",
        lambda: (command(), reply(components=[row(string_select(count=25, min_values=26))])),
        "between 0 and 25",
        "/data/components/0/components/0/min_values",
    ),
    (
        "max-values-1-25",
        lambda: (command(), reply(components=[row(string_select(max_values=0))])),
        "between 1 and 25",
        "/data/components/0/components/0/max_values",
    ),
    (
        "min-not-above-max",
        lambda: (command(), reply(components=[row(string_select(min_values=3, max_values=2))])),
        "greater than max_values",
        "/data/components/0/components/0/min_values",
    ),
    (
        "max-values-within-options",
        lambda: (command(), reply(components=[row(string_select(count=2, max_values=3))])),
        "exceed the 2 option(s)",
        "/data/components/0/components/0",
    ),
    (
        "select-alone-in-row",
        lambda: (command(), reply(components=[row(string_select(), button())])),
        "exactly one select",
        "/data/components/0/components",
    ),
    (
        "default-values-in-range",
        lambda: (
            command(),
            reply(
                components=[
                    row(
                        {
                            "type": 5,
                            "custom_id": "v1:who",
                            "default_values": [
                                {"id": "1", "type": "user"},
                                {"id": "2", "type": "user"},
                            ],
                        }
                    )
                ]
            ),
        ),
        "between min_values 1 and max_values 1",
        "/data/components/0/components/0/default_values",
    ),
    (
        "only-string-selects-take-options",
        lambda: (
            command(),
            reply(components=[row({"type": 6, "custom_id": "v1:r", "options": []})]),
        ),
        "only String Selects take options",
        "/data/components/0/components/0/options",
    ),
]

AUTOCOMPLETE_CASES: list[RuleCase] = [
    (
        "choices-25",
        lambda: (autocomplete(), choices(*[(f"S{i}", f"s{i}") for i in range(26)])),
        "26 choices; the limit is 25",
        "/data/choices",
    ),
    ("name-1", lambda: (autocomplete(), choices(("", "s1"))), "at least 1", "/data/choices/0/name"),
    (
        "name-100",
        lambda: (autocomplete(), choices(("n" * 101, "s1"))),
        "limit is 100",
        "/data/choices/0/name",
    ),
    (
        "string-value-100",
        lambda: (autocomplete(), choices(("Long", "v" * 101))),
        "choice values allow 100",
        "/data/choices/0/value",
    ),
    (
        "choices-required",
        lambda: (autocomplete(), {"type": 8, "data": {}}),
        "choices is required",
        "/data/choices",
    ),
    (
        "string-for-integer-option",
        lambda: (autocomplete(4), choices(("Ten", "10"))),
        "must be a number",
        "/data/choices/0/value",
    ),
    (
        "float-for-integer-option",
        lambda: (autocomplete(4), choices(("Half", 0.5))),
        "INTEGER",
        "/data/choices/0/value",
    ),
    (
        "number-for-string-option",
        lambda: (autocomplete(3), choices(("Ten", 10))),
        "must be a string",
        "/data/choices/0/value",
    ),
    (
        "mixed-value-types",
        lambda: ({"type": 4, "data": {"name": "x", "options": []}}, choices(("A", "a"), ("B", 2))),
        "mix string and numeric",
        "/data/choices",
    ),
]

COMPONENT_CASES: list[RuleCase] = [
    (
        "custom-id-100",
        lambda: (command(), reply(components=[row(button("c" * 101))])),
        "limit is 100",
        "/data/components/0/components/0/custom_id",
    ),
    (
        "custom-id-1",
        lambda: (command(), reply(components=[row(button(""))])),
        "at least 1",
        "/data/components/0/components/0/custom_id",
    ),
    (
        "custom-id-unique",
        lambda: (command(), reply(components=[row(button("v1:a")), row(button("v1:a"))])),
        "already used at /data/components/0/components/0",
        "/data/components/1/components/0/custom_id",
    ),
    (
        "button-label-80",
        lambda: (command(), reply(components=[row(button(label="b" * 81))])),
        "limit is 80",
        "/data/components/0/components/0/label",
    ),
    (
        "link-needs-url",
        lambda: (command(), reply(components=[row(_drop(link(), "url"))])),
        "url is required",
        "/data/components/0/components/0/url",
    ),
    (
        "link-url-512",
        lambda: (command(), reply(components=[row(link("https://x.org/" + "a" * 499))])),
        "limit is 512",
        "/data/components/0/components/0/url",
    ),
    (
        "link-no-custom-id",
        lambda: (command(), reply(components=[row({**link(), "custom_id": "v1:x"})])),
        "Link button (style 5) cannot have custom_id",
        "/data/components/0/components/0/custom_id",
    ),
    (
        "button-needs-custom-id",
        lambda: (command(), reply(components=[row(_drop(button(), "custom_id"))])),
        "custom_id is required",
        "/data/components/0/components/0/custom_id",
    ),
    (
        "button-no-url",
        lambda: (command(), reply(components=[row({**button(), "url": "https://x.org"})])),
        "cannot have url",
        "/data/components/0/components/0/url",
    ),
    (
        "premium-button",
        lambda: (command(), reply(components=[row({"type": 2, "style": 6, "custom_id": "v1:x"})])),
        "needs sku_id",
        "/data/components/0/components/0/sku_id",
    ),
    (
        "5-action-rows",
        lambda: (command(), reply(components=[row(button(f"v1:{i}")) for i in range(6)])),
        "at most 5",
        "/data/components",
    ),
    (
        "5-buttons-per-row",
        lambda: (command(), reply(components=[row(*[button(f"v1:{i}") for i in range(6)])])),
        "6 components; the limit is 5",
        "/data/components/0/components",
    ),
    (
        "row-not-empty",
        lambda: (command(), reply(components=[row()])),
        "at least 1 needed",
        "/data/components/0/components",
    ),
    (
        "legacy-top-level-rows-only",
        lambda: (command(), reply(components=[text_display()])),
        "IS_COMPONENTS_V2",
        "/data/components/0",
    ),
    (
        "text-input-only-in-modals",
        lambda: (command(), reply(components=[row(text_input(label="x"))])),
        "only allowed in modals",
        "/data/components/0/components/0",
    ),
    (
        "component-ids-unique",
        lambda: (
            command(),
            reply(components=[row({**button("v1:a"), "id": 7}, {**button("v1:b"), "id": 7})]),
        ),
        "id 7 is already used",
        "/data/components/0/components/1/id",
    ),
    (
        "unknown-component",
        lambda: (command(), reply(components=[{"type": 99}])),
        "unknown component type 99",
        "/data/components/0/type",
    ),
]

CONTENT_CASES: list[RuleCase] = [
    (
        "content-2000",
        lambda: (command(), reply(content="c" * 2001)),
        "2001 characters; the limit is 2000",
        "/data/content",
    ),
    (
        "embeds-10",
        lambda: (command(), reply(embeds=[embed() for _ in range(11)])),
        "11 embeds; the limit is 10",
        "/data/embeds",
    ),
    (
        "embed-title-256",
        lambda: (command(), reply(embeds=[embed(title="t" * 257)])),
        "limit is 256",
        "/data/embeds/0/title",
    ),
    (
        "embed-description-4096",
        lambda: (command(), reply(embeds=[embed(description="d" * 4097)])),
        "limit is 4096",
        "/data/embeds/0/description",
    ),
    (
        "embed-fields-25",
        lambda: (command(), reply(embeds=[embed(fields=[{"name": "n", "value": "v"}] * 26)])),
        "26 fields; the limit is 25",
        "/data/embeds/0/fields",
    ),
    (
        "field-name-256",
        lambda: (command(), reply(embeds=[embed(fields=[{"name": "n" * 257, "value": "v"}])])),
        "limit is 256",
        "/data/embeds/0/fields/0/name",
    ),
    (
        "field-value-1024",
        lambda: (command(), reply(embeds=[embed(fields=[{"name": "n", "value": "v" * 1025}])])),
        "limit is 1024",
        "/data/embeds/0/fields/0/value",
    ),
    (
        "field-value-required",
        lambda: (command(), reply(embeds=[embed(fields=[{"name": "n"}])])),
        "value is required",
        "/data/embeds/0/fields/0/value",
    ),
    (
        "footer-2048",
        lambda: (command(), reply(embeds=[embed(footer={"text": "f" * 2049})])),
        "limit is 2048",
        "/data/embeds/0/footer/text",
    ),
    (
        "author-256",
        lambda: (command(), reply(embeds=[embed(author={"name": "a" * 257})])),
        "limit is 256",
        "/data/embeds/0/author/name",
    ),
    (
        "embeds-total-6000",
        lambda: (
            command(),
            reply(embeds=[embed(description="d" * 4000), embed(description="d" * 2000)]),
        ),
        "limit is 6000",
        "/data/embeds",
    ),
    (
        "reply-not-empty",
        lambda: (command(), {"type": 4, "data": {}}),
        "the message would be empty",
        "/data",
    ),
    ("reply-needs-data", lambda: (command(), {"type": 4}), "the message would be empty", "/data"),
    (
        "reply-empty-strings",
        lambda: (command(), reply(content="", embeds=[], components=[])),
        "the message would be empty",
        "/data",
    ),
    (
        "typo-field",
        lambda: (command(), reply(embed=[embed()])),
        "did you mean 'embeds'",
        "/data/embed",
    ),
]

CV2_CASES: list[RuleCase] = [
    (
        "no-content",
        lambda: (command(), {"type": 4, "data": cv2(content="hi")}),
        "not allowed with IS_COMPONENTS_V2",
        "/data/content",
    ),
    (
        "no-embeds",
        lambda: (command(), {"type": 4, "data": cv2(embeds=[embed()])}),
        "not allowed with IS_COMPONENTS_V2",
        "/data/embeds",
    ),
    (
        "40-components",
        lambda: (
            command(),
            {"type": 4, "data": cv2(*[text_display(f"line {i}") for i in range(41)])},
        ),
        "41 components in total",
        "/data/components",
    ),
    (
        "40-components-nested",
        lambda: (
            command(),
            {
                "type": 4,
                "data": cv2(
                    {
                        "type": 17,
                        "components": [
                            row(*[button(f"v1:{r}:{i}") for i in range(5)]) for r in range(7)
                        ],
                    }
                ),
            },
        ),
        "43 components in total",
        "/data/components",
    ),
    (
        "text-total-4000",
        lambda: (
            command(),
            {"type": 4, "data": cv2(text_display("a" * 2001), text_display("b" * 2000))},
        ),
        "4001 characters",
        "/data/components",
    ),
    (
        "needs-components",
        lambda: (
            command(),
            {"type": 4, "data": cv2(components=[], attachments=[{"id": "0", "filename": "r.pdf"}])},
        ),
        "the message would be empty",
        "/data",
    ),
    (
        "attachments-shown-by-components",
        lambda: (
            command(),
            {"type": 4, "data": cv2(attachments=[{"id": "0", "filename": "r.pdf"}])},
        ),
        "is not shown",
        "/data/attachments/0",
    ),
    (
        "file-component-attachment-only",
        lambda: (
            command(),
            {"type": 4, "data": cv2({"type": 13, "file": {"url": "https://x.org/r.pdf"}})},
        ),
        "only supports attachment://",
        "/data/components/0/file/url",
    ),
    (
        "section-needs-accessory",
        lambda: (command(), {"type": 4, "data": cv2({"type": 9, "components": [text_display()]})}),
        "needs an accessory",
        "/data/components/0/accessory",
    ),
    (
        "thumbnail-only-as-accessory",
        lambda: (
            command(),
            {"type": 4, "data": cv2({"type": 11, "media": {"url": "https://x.org/a.png"}})},
        ),
        "cannot be placed at the top level",
        "/data/components/0",
    ),
]

MENTION_CASES: list[RuleCase] = [
    (
        "missing-with-content",
        lambda: (command(), {"type": 4, "data": {"content": "hi"}}),
        "allowed_mentions is missing",
        "/data/allowed_mentions",
    ),
    (
        "missing-with-embeds",
        lambda: (command(), {"type": 4, "data": {"embeds": [embed()]}}),
        "allowed_mentions is missing",
        "/data/allowed_mentions",
    ),
    (
        "missing-with-text-display",
        lambda: (command(), {"type": 4, "data": _drop(cv2(), "allowed_mentions")}),
        "allowed_mentions is missing",
        "/data/allowed_mentions",
    ),
    (
        "missing-in-update",
        lambda: (component(), {"type": 7, "data": {"content": "Stopped"}}),
        "allowed_mentions is missing",
        "/data/allowed_mentions",
    ),
    (
        "parse-empty",
        lambda: (command(), reply(allowed_mentions={"parse": ["users"]})),
        "allows mentions",
        "/data/allowed_mentions/parse",
    ),
    (
        "parse-explicit",
        lambda: (command(), reply(allowed_mentions={})),
        "explicit empty list",
        "/data/allowed_mentions/parse",
    ),
    (
        "no-users",
        lambda: (command(), reply(allowed_mentions={"parse": [], "users": ["1"]})),
        "users allows mentions",
        "/data/allowed_mentions/users",
    ),
    (
        "no-roles",
        lambda: (command(), reply(allowed_mentions={"parse": [], "roles": ["1"]})),
        "roles allows mentions",
        "/data/allowed_mentions/roles",
    ),
    (
        "no-replied-user",
        lambda: (command(), reply(allowed_mentions={"parse": [], "replied_user": True})),
        "replied_user",
        "/data/allowed_mentions/replied_user",
    ),
]

FLAG_CASES: list[RuleCase] = [
    (
        "loading-flag",
        lambda: (command(), reply(flags=1 << 7)),
        "LOADING not allowed",
        "/data/flags",
    ),
    (
        "crosspost-flag",
        lambda: (command(), reply(flags=dc.EPHEMERAL | 1 << 1)),
        "IS_CROSSPOST not allowed",
        "/data/flags",
    ),
    (
        "flags-integer",
        lambda: (command(), reply(flags="64")),
        "non-negative integer",
        "/data/flags",
    ),
]

ALL_RULE_CASES = (
    RESPONSE_TYPE_CASES
    + DEFERRAL_CASES
    + MODAL_CASES
    + SELECT_CASES
    + AUTOCOMPLETE_CASES
    + COMPONENT_CASES
    + CONTENT_CASES
    + CV2_CASES
    + MENTION_CASES
    + FLAG_CASES
)


def _drop(body: Json, key: str) -> Json:
    data = body["data"] if "data" in body and key not in body else body
    del data[key]
    return body


@pytest.mark.parametrize(
    ("case", "build", "fragment", "path"), ALL_RULE_CASES, ids=[c[0] for c in ALL_RULE_CASES]
)
def test_each_rule_names_its_problem(
    case: str, build: Callable[[], tuple[Json, Json]], fragment: str, path: str | None
) -> None:
    interaction, response = build()
    exc = violation(check_interaction_response, interaction, response)
    assert_problem(exc, fragment, path)


def test_the_message_lists_every_problem_with_its_path() -> None:
    response = reply(content="c" * 2001, components=[row(button("v1:a", "b" * 81), button("v1:a"))])
    exc = violation(check_interaction_response, command(), response)
    text = str(exc)
    assert "/data/content" in text
    assert "/data/components/0/components/0/label" in text
    assert "/data/components/0/components/1/custom_id" in text
    assert text.startswith("interaction response type 4 to APPLICATION_COMMAND")
    assert isinstance(exc, AssertionError)


# -- follow-ups and edits


WEBHOOK_CASES: list[tuple[str, Callable[[Json], None], Json, str, str]] = [
    ("followup-envelope", check_followup, reply(), "interaction-response envelope", ""),
    (
        "edit-envelope",
        check_message_edit,
        {"type": 7, "data": message()},
        "interaction-response envelope",
        "",
    ),
    (
        "followup-username",
        check_followup,
        message(username="Bot"),
        "do not support username",
        "/username",
    ),
    (
        "followup-avatar",
        check_followup,
        message(avatar_url="https://x.org/a.png"),
        "avatar_url",
        "/avatar_url",
    ),
    ("followup-not-empty", check_followup, {}, "the message would be empty", ""),
    (
        "followup-mentions",
        check_followup,
        {"content": "hi <@1>"},
        "allowed_mentions is missing",
        "/allowed_mentions",
    ),
    (
        "followup-content-2000",
        check_followup,
        message(content="c" * 2001),
        "limit is 2000",
        "/content",
    ),
    (
        "followup-flags",
        check_followup,
        message(flags=1 << 8),
        "not allowed in a follow-up",
        "/flags",
    ),
    (
        "edit-no-ephemeral",
        check_message_edit,
        message(flags=dc.EPHEMERAL),
        "EPHEMERAL not allowed",
        "/flags",
    ),
    ("edit-no-op", check_message_edit, {}, "changes nothing", ""),
    (
        "edit-not-empty",
        check_message_edit,
        {"content": "", "embeds": [], "components": [], "attachments": []},
        "the message would be empty",
        "",
    ),
    (
        "edit-mentions",
        check_message_edit,
        {"embeds": [embed()]},
        "allowed_mentions is missing",
        "/allowed_mentions",
    ),
    (
        "edit-cv2-no-content",
        check_message_edit,
        cv2(content="x"),
        "not allowed with IS_COMPONENTS_V2",
        "/content",
    ),
    ("edit-tts", check_message_edit, message(tts=True), "unknown field 'tts'", "/tts"),
]


@pytest.mark.parametrize(
    ("case", "check", "body", "fragment", "path"), WEBHOOK_CASES, ids=[c[0] for c in WEBHOOK_CASES]
)
def test_webhook_bodies_follow_the_rules(
    case: str, check: Callable[[Json], None], body: Json, fragment: str, path: str
) -> None:
    exc = violation(check, body)
    assert_problem(exc, fragment, path)


def test_an_edit_is_judged_on_the_message_it_leaves() -> None:
    # After a defer there is nothing to keep: an edit with only allowed_mentions leaves it empty.
    exc = violation(check_message_edit, {"allowed_mentions": NO_PINGS}, previous={"flags": 64})
    assert_problem(exc, "the message would be empty", "")
    # Switching to CV2 must null the content the message still shows.
    exc = violation(check_message_edit, cv2(), previous={"content": "Working…"})
    assert_problem(exc, "set content to null", "/content")
    # CV2 cannot be removed once set.
    exc = violation(check_message_edit, message(flags=0), previous={"flags": dc.IS_COMPONENTS_V2})
    assert_problem(exc, "cannot be removed", "/flags")


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=2100))
def test_content_length_boundary(content: str) -> None:
    body = message(content=content)
    if len(content) <= dc.MAX_CONTENT:
        check_followup(body)
    else:
        assert_problem(violation(check_followup, body), "the limit is 2000", "/content")


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=120))
def test_custom_id_length_boundary(custom_id: str) -> None:
    response = reply(components=[row(button(custom_id))])
    if len(custom_id) <= dc.MAX_CUSTOM_ID:
        check_interaction_response(component(), response)
    else:
        exc = violation(check_interaction_response, component(), response)
        assert_problem(exc, "the limit is 100", "/data/components/0/components/0/custom_id")


# --------------------------------------------------------------------------------------------
# Layer 1: the OpenAPI schema catches what the rules do not look at


@needs_schema
def test_schema_layer_is_on() -> None:
    assert dc.schema_layer_enabled()


@needs_schema
def test_schema_catches_a_wrong_type_for_content() -> None:
    exc = violation(check_interaction_response, command(), reply(content=5))
    assert_problem(exc, "is not of type", "/data/content", layer="schema")


@needs_schema
def test_schema_catches_an_unknown_response_type() -> None:
    exc = violation(check_interaction_response, component(), {"type": 3})
    assert_problem(exc, "type 3 matches none of the schemas", "", layer="schema")


@needs_schema
@pytest.mark.parametrize(
    ("check", "body", "path", "fragment"),
    [
        # None of these fields is looked at by the rule layer: only the schema sees them.
        (check_followup, message(embeds=[embed(color=1 << 25)]), "/embeds/0/color", "maximum"),
        (check_followup, message(tts="yes"), "/tts", "is not of type"),
        (check_message_edit, {"attachments": [{"filename": "r.pdf"}]}, "/attachments/0", "'id'"),
        (check_message_edit, message(embeds=[embed(url=5)]), "/embeds/0/url", "is not of type"),
    ],
    ids=["embed-color", "tts-type", "attachment-id", "embed-url-type"],
)
def test_schema_only_failures(
    check: Callable[[Json], None], body: Json, path: str, fragment: str
) -> None:
    exc = violation(check, body)
    assert_problem(exc, fragment, path, layer="schema")
    assert all(p.layer == "schema" for p in exc.problems), str(exc)


@needs_schema
def test_schema_errors_point_into_the_component_that_was_meant() -> None:
    response = modal(label(text_input(style=3)))
    exc = violation(check_interaction_response, command(), response)
    assert_problem(exc, "is not one of [1, 2]", "/data/components/0/component/style", "schema")
    emoji = {**button(), "emoji": {"name": 5}}
    exc = violation(check_interaction_response, command(), reply(components=[row(emoji)]))
    assert_problem(exc, "is not of type", "/data/components/0/components/0/emoji/name", "schema")


@needs_schema
def test_the_rule_layer_knows_the_same_fields_as_the_schema() -> None:
    openapi = dc._openapi()
    assert openapi is not None

    def fields(name: str) -> set[str]:
        return set(openapi.schemas[name]["properties"])

    assert dc._REPLY.fields == fields("IncomingWebhookInteractionRequest")
    assert dc._UPDATE.fields == fields("IncomingWebhookUpdateForInteractionCallbackRequestPartial")
    assert dc._EDIT.fields == fields(openapi.edit_schema)
    unsupported = {key for key, _ in dc._FOLLOWUP.unsupported}
    assert dc._FOLLOWUP.fields | unsupported == fields(openapi.followup_schema)


@needs_schema
def test_callback_schemas_come_from_the_callback_request_body() -> None:
    openapi = dc._openapi()
    assert openapi is not None
    assert openapi.callback_schemas[dc.PONG] == "PongInteractionCallbackRequest"
    assert openapi.callback_schemas[4] == openapi.callback_schemas[5]
    assert openapi.callback_schemas[4] == "CreateMessageInteractionCallbackRequest"
    assert openapi.callback_schemas[6] == openapi.callback_schemas[7]
    assert openapi.callback_schemas[7] == "UpdateMessageInteractionCallbackRequest"
    assert openapi.callback_schemas[8] == "ApplicationCommandAutocompleteCallbackRequest"
    assert openapi.callback_schemas[9] == "ModalInteractionCallbackRequest"
    assert openapi.followup_schema == "IncomingWebhookRequestPartial"
    assert openapi.edit_schema == "IncomingWebhookUpdateRequestPartial"
    assert openapi.validator("ModalInteractionCallbackRequest") is openapi.validator(
        "ModalInteractionCallbackRequest"
    )


# --------------------------------------------------------------------------------------------
# Locating the OpenAPI file


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No override, no CI, a repo root with nothing above it; the cache starts and ends empty."""
    monkeypatch.delenv(dc.ENV_VAR, raising=False)
    monkeypatch.delenv("CI", raising=False)
    root = tmp_path / "org" / "repo"
    root.mkdir(parents=True)
    monkeypatch.setattr(dc, "REPO_ROOT", root)
    dc.reset_cache()
    yield tmp_path
    dc.reset_cache()


def test_the_file_is_found_by_walking_up_from_the_repo(isolated: Path) -> None:
    target = isolated / dc.RELATIVE_LOCATION
    target.parent.mkdir(parents=True)
    target.write_text("{}")
    assert dc.locate_openapi() == target


def test_the_environment_variable_overrides(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = isolated / "elsewhere.json"
    target.write_text("{}")
    monkeypatch.setenv(dc.ENV_VAR, str(target))
    assert dc.locate_openapi() == target


def test_an_override_naming_a_missing_file_is_an_error(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(dc.ENV_VAR, str(isolated / "missing.json"))
    with pytest.raises(dc.OpenAPIUnavailable, match="not a file"):
        check_followup(message())


def test_a_document_of_another_shape_is_an_error(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = isolated / "other.json"
    target.write_text(json.dumps({"openapi": "3.1.0", "paths": {}}))
    monkeypatch.setenv(dc.ENV_VAR, str(target))
    with pytest.raises(dc.OpenAPIUnavailable, match="expected shape"):
        check_followup(message())


def test_missing_under_ci_is_an_error(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(dc.OpenAPIUnavailable, match="CI must validate"):
        check_followup(message())


def test_missing_locally_warns_once_and_still_checks_the_rules(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "false")  # an explicit "no" counts as unset
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_followup(message())
        exc = violation(check_followup, message(content="c" * 2001))
        check_interaction_response(command(), reply())
    assert [w.category for w in caught] == [dc.ContractSchemaWarning]
    assert all(p.layer == "rule" for p in exc.problems)
    assert_problem(exc, "the limit is 2000", "/content")
