"""The local Discord simulator: faithful payloads, real signatures, and a REST sink over HTTP."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from tests.support.sink import SinkServer, sink_fixtures

from sunday_mining.web.signature import SignatureVerifier, verify_discord_signature
from sunday_mining_dev.simulator import (
    DevKeyPair,
    DiscordError,
    DiscordSimulator,
    Fault,
    MessageFlag,
    PayloadFactory,
    Permission,
    Route,
    SimGuild,
    SinkState,
    Tamper,
    sample_guild,
)
from sunday_mining_dev.simulator.permissions import ALL_PERMISSIONS
from sunday_mining_dev.simulator.serve import serve_asgi
from sunday_mining_dev.simulator.tamper import signed_request

Json = dict[str, Any]
APP_ID = "1300000000000000001"
BOT_TOKEN = "sink-bot-token"
SNOWFLAKE = re.compile(r"[0-9]{17,20}")

ENVELOPE_KEYS = {
    "id", "application_id", "type", "token", "version", "guild_id", "guild", "channel_id",
    "channel", "member", "app_permissions", "locale", "guild_locale", "entitlements",
    "authorizing_integration_owners", "context", "attachment_size_limit", "data",
}  # fmt: skip

MINING_COMMANDS: list[Json] = [
    {
        "name": "mining",
        "description": "Mining ops",
        "options": [
            {
                "type": 1,
                "name": "start",
                "description": "Start the Sunday op",
                "options": [{"type": 3, "name": "name", "description": "Name"}],
            },
            {
                "type": 2,
                "name": "adhoc",
                "description": "Adhoc sessions",
                "options": [
                    {
                        "type": 1,
                        "name": "new",
                        "description": "New adhoc session",
                        "options": [
                            {"type": 7, "name": "channel", "description": "Voice channel",
                             "required": True, "channel_types": [2]},
                            {"type": 3, "name": "name", "description": "Name"},
                        ],
                    },
                    {
                        "type": 1,
                        "name": "load",
                        "description": "Reopen a session",
                        "options": [{"type": 3, "name": "session", "description": "Session",
                                     "required": True, "autocomplete": True}],
                    },
                ],
            },
            {
                "type": 1,
                "name": "prices",
                "description": "Prices",
                "options": [
                    {"type": 10, "name": "scu", "description": "SCU"},
                    {"type": 3, "name": "ore", "description": "Ore",
                     "choices": [{"name": "Quantanium", "value": "QUAN"}]},
                ],
            },
        ],
    }
]  # fmt: skip


@pytest.fixture
def guild() -> SimGuild:
    return sample_guild(seed=3)


@pytest.fixture
def factory(guild: SimGuild) -> PayloadFactory:
    return PayloadFactory(APP_ID, guild)


def leaf_options(payload: Json) -> list[Json]:
    options = payload["data"]["options"]
    while options and options[0]["type"] in (1, 2):
        options = options[0].get("options", [])
    return list(options)


def message_with(*components: Json, channel_id: str = "1") -> Json:
    return {"id": "1310000000000000000", "channel_id": channel_id, "components": list(components)}


def row(*children: Json) -> Json:
    return {"type": 1, "components": list(children)}


# -- payloads -----------------------------------------------------------------------------------


def test_ping_is_bare_like_discords(factory: PayloadFactory) -> None:
    ping = factory.ping()
    assert set(ping) == {"id", "application_id", "type", "token", "version"}
    assert ping["type"] == 1
    assert ping["version"] == 1


def test_command_carries_the_documented_guild_envelope(
    factory: PayloadFactory, guild: SimGuild
) -> None:
    lead = guild.member("lead")
    payload = factory.command(lead, "mining status", {})
    assert set(payload) == ENVELOPE_KEYS
    assert payload["type"] == 2
    assert payload["context"] == 0
    assert payload["version"] == 1
    assert payload["guild"] == {"id": guild.id, "locale": "en-US", "features": []}
    assert payload["authorizing_integration_owners"] == {"0": guild.id}
    assert payload["attachment_size_limit"] == 10 * 1024 * 1024
    user = payload["member"]["user"]
    assert user["discriminator"] == "0"
    assert user["avatar"] is None
    assert user["bot"] is False
    assert user["username"] == "lead"
    assert user["global_name"] == "Op Lead"
    assert payload["member"]["roles"] == [guild.role("Leader").id]
    assert isinstance(payload["member"]["permissions"], str)
    assert isinstance(payload["app_permissions"], str)
    assert payload["channel"]["permissions"] == payload["member"]["permissions"]
    assert payload["data"]["options"] == [{"type": 1, "name": "status"}]


def test_ids_are_deterministic_increasing_snowflakes() -> None:
    first, second = sample_guild(seed=9), sample_guild(seed=9)
    assert [m.id for m in first.members] == [m.id for m in second.members]
    ids = [first.id, *(c.id for c in first.channels), *(m.id for m in first.members)]
    assert all(SNOWFLAKE.fullmatch(i) for i in ids)
    assert [int(i) for i in ids] == sorted(int(i) for i in ids)
    assert sample_guild(seed=10).id != first.id


def test_subcommand_group_nests_typed_options_and_resolves_entities(
    factory: PayloadFactory, guild: SimGuild
) -> None:
    ana, voice, role = guild.member("ana"), guild.channel("Mining 1"), guild.role("Payroll")
    values = {"channel": voice, "name": "Rocks", "count": 3, "public": True,
              "cut": 0.5, "who": guild.member("ben"), "role": role, "skip": None}  # fmt: skip
    payload = factory.command(ana, ("mining", "adhoc", "new"), values)
    group = payload["data"]["options"][0]
    assert (group["type"], group["name"]) == (2, "adhoc")
    assert (group["options"][0]["type"], group["options"][0]["name"]) == (1, "new")
    leaf = {o["name"]: (o["type"], o["value"]) for o in leaf_options(payload)}
    ben = guild.member("ben")
    assert leaf == {"channel": (7, voice.id), "name": (3, "Rocks"), "count": (4, 3),
                    "public": (5, True), "cut": (10, 0.5), "who": (6, ben.id),
                    "role": (8, role.id)}  # fmt: skip
    resolved = payload["data"]["resolved"]
    channel = resolved["channels"][voice.id]
    assert channel["type"] == 2
    assert channel["name"] == "Mining 1"
    assert {"permissions", "app_permissions"} <= set(channel)
    assert resolved["users"][ben.id]["username"] == "ben"
    assert not {"user", "deaf", "mute"} & set(resolved["members"][ben.id])
    assert resolved["roles"][role.id]["permissions"] == "0"


def test_text_channel_options_resolve_with_type_zero(
    factory: PayloadFactory, guild: SimGuild
) -> None:
    text = guild.channel("mining-ops")
    payload = factory.command(guild.member("admin"), "mining-admin report", {"channel": text})
    assert payload["data"]["resolved"]["channels"][text.id]["type"] == 0


def test_autocomplete_marks_only_the_focused_option(
    factory: PayloadFactory, guild: SimGuild
) -> None:
    payload = factory.autocomplete(
        guild.member("ana"), "mining adhoc load", "session", "Sun", {"other": "x"}
    )
    assert payload["type"] == 4
    options = {o["name"]: o for o in leaf_options(payload)}
    assert options["session"] == {"name": "session", "type": 3, "value": "Sun", "focused": True}
    assert "focused" not in options["other"]


def test_registered_definitions_type_and_check_options(
    factory: PayloadFactory, guild: SimGuild
) -> None:
    factory.definitions = [{**MINING_COMMANDS[0], "id": "1234567890123456789", "guild_id": "5"}]
    lead = guild.member("lead")
    payload = factory.command(lead, "mining prices", {"scu": 32, "ore": "QUAN"})
    assert payload["data"]["id"] == "1234567890123456789"
    assert payload["data"]["guild_id"] == "5"
    assert {o["name"]: o["type"] for o in leaf_options(payload)} == {"scu": 10, "ore": 3}
    with pytest.raises(ValueError, match="not in the command definition"):
        factory.command(lead, "mining prices", {"tonnes": 3})
    with pytest.raises(ValueError, match="required option 'channel'"):
        factory.command(lead, "mining adhoc new", {"name": "x"})
    with pytest.raises(ValueError, match="not one of the choices"):
        factory.command(lead, "mining prices", {"ore": "GOLD"})
    with pytest.raises(ValueError, match="needs a subcommand"):
        factory.command(lead, "mining adhoc", {})
    with pytest.raises(TypeError, match="NUMBER option cannot take 'many'"):
        factory.command(lead, "mining prices", {"scu": "many"})
    # Autocomplete may leave required options out, as the client does.
    factory.autocomplete(lead, "mining adhoc load", "session", "", {})


def test_button_click_carries_the_component_and_its_message(
    factory: PayloadFactory, guild: SimGuild
) -> None:
    channel = guild.channel("mining-ops")
    message = message_with(
        row({"type": 2, "id": 4, "style": 1, "custom_id": "op:refresh", "label": "Refresh"},
            {"type": 2, "style": 2, "custom_id": "op:old", "label": "Old", "disabled": True}),
        channel_id=channel.id,
    )  # fmt: skip
    payload = factory.component(guild.member("cy"), message, "op:refresh")
    assert payload["type"] == 3
    assert payload["data"] == {"custom_id": "op:refresh", "component_type": 2, "id": 4}
    assert payload["message"] == message
    assert payload["channel_id"] == channel.id
    with pytest.raises(ValueError, match="disabled"):
        factory.component(guild.member("cy"), message, "op:old")
    with pytest.raises(LookupError):
        factory.component(guild.member("cy"), message, "op:missing")


def test_string_select_sends_only_offered_values(factory: PayloadFactory, guild: SimGuild) -> None:
    select = {
        "type": 3,
        "custom_id": "pay:ore",
        "max_values": 2,
        "options": [{"label": "Quan", "value": "QUAN"}, {"label": "Gold", "value": "GOLD"}],
    }
    message = message_with(row(select))
    payload = factory.component(guild.member("purser"), message, "pay:ore", ["QUAN", "GOLD"])
    assert payload["data"]["component_type"] == 3
    assert payload["data"]["values"] == ["QUAN", "GOLD"]
    assert "resolved" not in payload["data"]
    with pytest.raises(ValueError, match="not among the options"):
        factory.component(guild.member("purser"), message, "pay:ore", ["TIN"])
    with pytest.raises(ValueError, match="takes 1 to 2 values"):
        factory.component(guild.member("purser"), message, "pay:ore", [])


def test_entity_selects_resolve_their_values(factory: PayloadFactory, guild: SimGuild) -> None:
    channels = {"type": 8, "custom_id": "cfg:ch", "channel_types": [2], "max_values": 3}
    users = {"type": 5, "custom_id": "cfg:who"}
    message = message_with(row(channels), row(users))
    voice = guild.channel("Dispatch")
    payload = factory.component(guild.member("admin"), message, "cfg:ch", [voice])
    assert payload["data"]["component_type"] == 8
    assert payload["data"]["values"] == [voice.id]
    assert payload["data"]["resolved"]["channels"][voice.id]["type"] == 2
    with pytest.raises(ValueError, match="not offered"):
        factory.component(guild.member("admin"), message, "cfg:ch", [guild.channel("general")])
    ben = guild.member("ben")
    picked = factory.component(guild.member("admin"), message, "cfg:who", [ben.id])
    assert picked["data"]["resolved"]["users"][ben.id]["username"] == "ben"
    assert set(picked["data"]["resolved"]) == {"users", "members"}
    with pytest.raises(ValueError, match="cannot be chosen"):
        factory.component(guild.member("admin"), message, "cfg:who", [voice])


def test_modal_submit_mirrors_the_modal_tree(factory: PayloadFactory, guild: SimGuild) -> None:
    modal = {
        "custom_id": "pay:ore:01J",
        "title": "Ore",
        "components": [
            {"type": 10, "content": "Enter the haul"},
            {"type": 18, "label": "SCU", "component": {"type": 4, "custom_id": "scu", "style": 1}},
            {"type": 18, "label": "Ore", "component": {
                "type": 3, "custom_id": "ore", "options": [{"label": "Q", "value": "QUAN"}]}},
            {"type": 18, "label": "Who", "component": {"type": 5, "custom_id": "who"}},
            {"type": 1, "components": [{"type": 4, "custom_id": "note", "style": 2,
                                        "required": False}]},
        ],
    }  # fmt: skip
    ben = guild.member("ben")
    fields = {"scu": "32.5", "ore": ["QUAN"], "who": [ben]}
    payload = factory.modal_submit(guild.member("purser"), "pay:ore:01J", fields, modal=modal)
    assert payload["type"] == 5
    data = payload["data"]
    assert data["custom_id"] == "pay:ore:01J"
    text, scu, ore, who, legacy = data["components"]
    assert text == {"type": 10, "id": 1}
    assert scu["type"] == 18
    assert scu["component"] == {
        "type": 4,
        "id": scu["component"]["id"],
        "custom_id": "scu",
        "value": "32.5",
    }
    assert ore["component"]["values"] == ["QUAN"]
    assert ore["component"]["type"] == 3
    assert "component_type" not in ore["component"]
    assert who["component"]["values"] == [ben.id]
    assert data["resolved"]["users"][ben.id]["id"] == ben.id
    assert legacy["type"] == 1
    assert legacy["components"][0] == {
        "type": 4,
        "id": legacy["components"][0]["id"],
        "custom_id": "note",
        "value": "",
    }
    with pytest.raises(ValueError, match="required"):
        factory.modal_submit(guild.member("purser"), "pay:ore:01J", {"ore": ["QUAN"]}, modal=modal)
    with pytest.raises(ValueError, match="no field"):
        factory.modal_submit(
            guild.member("purser"), "pay:ore:01J", {**fields, "x": "1"}, modal=modal
        )


def test_modal_submit_without_the_modal_uses_labels(
    factory: PayloadFactory, guild: SimGuild
) -> None:
    payload = factory.modal_submit(guild.member("ana"), "m", {"note": "hi", "ok": True})
    note, ok = payload["data"]["components"]
    assert note["type"] == 18
    assert note["component"]["type"] == 4
    assert note["component"]["value"] == "hi"
    assert ok["component"] == {"type": 23, "id": ok["component"]["id"], "custom_id": "ok",
                               "value": True}  # fmt: skip


def test_administrators_get_every_permission(guild: SimGuild) -> None:
    admin, manager, ben = guild.member("admin"), guild.member("manager"), guild.member("ben")
    assert guild.permissions_of(admin) == ALL_PERMISSIONS
    assert guild.permissions_of(manager) & Permission.MANAGE_GUILD
    assert not guild.permissions_of(ben) & Permission.MANAGE_GUILD
    leader = guild.add_role("Boss", Permission.MANAGE_ROLES)
    ben = guild.grant_roles(ben, leader)
    assert guild.permissions_of(guild.member("ben")) & Permission.MANAGE_ROLES


# -- signatures ---------------------------------------------------------------------------------


def test_simulator_signatures_verify_and_tampered_ones_do_not(factory: PayloadFactory) -> None:
    keys = DevKeyPair.from_seed_hex("11" * 32)
    payload = factory.command(factory.guild.member("lead"), "mining status", {})
    now = int(time.time())
    headers, body = signed_request(keys, payload, now)
    assert verify_discord_signature(
        keys.public_key_hex, headers["X-Signature-Ed25519"], headers["X-Signature-Timestamp"],
        body, now_s=now,
    )  # fmt: skip
    for tamper in Tamper:
        headers, body = signed_request(keys, payload, now, tamper)
        ok = verify_discord_signature(
            keys.public_key_hex, headers.get("X-Signature-Ed25519"),
            headers.get("X-Signature-Timestamp"), body, now_s=now,
        )  # fmt: skip
        assert not ok, tamper
    assert DevKeyPair.from_seed_hex("11" * 32).public_key_hex == keys.public_key_hex
    assert "11" * 32 not in repr(keys)


# -- the REST sink over real HTTP --------------------------------------------------------------


sink_server, sink = sink_fixtures(APP_ID, BOT_TOKEN)


@pytest.fixture
def sink_url(sink: SinkState, sink_server: SinkServer) -> str:
    return sink_server.base_url


@pytest.fixture
def http(sink_url: str) -> Iterator[httpx.Client]:
    headers = {"User-Agent": "DiscordBot (https://example.invalid, 0.1)"}
    with httpx.Client(base_url=sink_url, headers=headers, timeout=5) as client:
        yield client


BOT = {"Authorization": f"Bot {BOT_TOKEN}"}


def deferred(sink: SinkState, guild: SimGuild, *, ephemeral: bool = False) -> Json:
    """An interaction answered with a type-5 defer, as the simulator would leave it."""
    payload = PayloadFactory(APP_ID, guild).command(guild.member("lead"), "mining status", {})
    sink.register_interaction(payload)
    sink.record_initial_response(payload["token"], {"type": 5, "data": {"flags": 64 * ephemeral}})
    return payload


def test_sink_base_url_is_versioned_loopback(sink_url: str) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/v10", sink_url)


def test_followup_with_a_multipart_file_stores_the_bytes(
    sink: SinkState, http: httpx.Client, guild: SimGuild
) -> None:
    interaction = deferred(sink, guild)
    token = interaction["token"]
    edit = http.patch(f"/webhooks/{APP_ID}/{token}/messages/@original", json={"content": "Done"})
    assert edit.status_code == 200
    pdf = b"%PDF-1.7\r\n--boundary-lookalike\r\n" + bytes(range(256)) * 4
    payload = {"content": "Report", "attachments": [{"id": 0, "filename": "op.pdf"}],
               "allowed_mentions": {"parse": []}}  # fmt: skip
    response = http.post(
        f"/webhooks/{APP_ID}/{token}",
        data={"payload_json": json.dumps(payload)},
        files={"files[0]": ("upload.bin", pdf, "application/pdf")},
    )
    assert response.status_code == 200
    message = response.json()
    assert message["content"] == "Report"
    assert message["channel_id"] == interaction["channel_id"]
    (attachment,) = message["attachments"]
    assert attachment["filename"] == "op.pdf"
    assert attachment["size"] == len(pdf)
    assert sink.attachment(attachment["id"]) == pdf
    assert httpx.get(attachment["url"]).content == pdf
    call = sink.log.by_route(Route.EXECUTE_WEBHOOK)[0]
    assert call.files == [{"field": "files[0]", "filename": "upload.bin", "size": len(pdf),
                           "type": "application/pdf",
                           "sha256": hashlib.sha256(pdf).hexdigest()}]  # fmt: skip
    assert call.request["allowed_mentions"] == {"parse": []}
    assert call.user_agent.startswith("DiscordBot")
    assert [m["id"] for m in sink.followup_messages(token)] == [message["id"]]


def test_first_post_after_a_defer_edits_the_loading_message(
    sink: SinkState, http: httpx.Client, guild: SimGuild
) -> None:
    token = deferred(sink, guild)["token"]
    original = sink.original_message(token)
    assert original is not None
    assert original["flags"] & MessageFlag.LOADING
    first = http.post(f"/webhooks/{APP_ID}/{token}", json={"content": "A", "flags": 64}).json()
    assert first["id"] == original["id"]
    assert not first["flags"] & MessageFlag.EPHEMERAL
    second = http.post(f"/webhooks/{APP_ID}/{token}", json={"content": "B"}).json()
    assert second["id"] != original["id"]


def test_edit_get_and_delete_original(sink: SinkState, http: httpx.Client, guild: SimGuild) -> None:
    token = deferred(sink, guild, ephemeral=True)["token"]
    path = f"/webhooks/{APP_ID}/{token}/messages/@original"
    button = {"type": 2, "style": 1, "custom_id": "op:refresh", "label": "Refresh"}
    edited = http.patch(path, json={"content": "Status", "components": [row(button)]}).json()
    assert edited["content"] == "Status"
    assert edited["edited_timestamp"] is not None
    assert edited["flags"] == MessageFlag.EPHEMERAL
    assert edited["components"][0]["components"][0]["id"] == 2
    assert http.get(path).json() == edited
    assert http.get(f"/webhooks/{APP_ID}/{token}/messages/{edited['id']}").json() == edited
    assert http.delete(path).status_code == 204
    gone = http.get(path)
    assert gone.status_code == 404
    assert gone.json() == {"message": "Unknown Message", "code": 10008}


def test_patch_original_before_the_initial_response_is_unknown_webhook(
    sink: SinkState, http: httpx.Client, guild: SimGuild
) -> None:
    payload = PayloadFactory(APP_ID, guild).command(guild.member("lead"), "mining status", {})
    sink.register_interaction(payload)
    response = http.patch(
        f"/webhooks/{APP_ID}/{payload['token']}/messages/@original", json={"content": "x"}
    )
    assert response.status_code == 404
    assert response.json() == {"message": "Unknown Webhook", "code": 10015}


def test_bulk_overwrite_stores_echoes_and_keeps_ids(sink: SinkState, http: httpx.Client) -> None:
    put = http.put(f"/applications/{APP_ID}/commands", json=MINING_COMMANDS, headers=BOT)
    assert put.status_code == 200
    (command,) = put.json()
    assert SNOWFLAKE.fullmatch(command["id"])
    assert command["application_id"] == APP_ID
    assert command["name"] == "mining"
    assert command["type"] == 1
    assert "version" in command
    again = http.put(f"/applications/{APP_ID}/commands", json=MINING_COMMANDS, headers=BOT)
    assert again.json()[0]["id"] == command["id"]
    assert http.get(f"/applications/{APP_ID}/commands", headers=BOT).json() == again.json()
    guild_put = http.put(
        f"/applications/{APP_ID}/guilds/42/commands", json=MINING_COMMANDS, headers=BOT
    )
    assert guild_put.json()[0]["guild_id"] == "42"
    assert sink.commands(APP_ID, "42")[0]["name"] == "mining"
    routes = [c.route for c in sink.log.calls]
    assert routes == ["commands.put_global", "commands.put_global", "commands.get_global",
                      "commands.put_guild"]  # fmt: skip


def test_bulk_overwrite_refuses_what_discord_refuses(http: httpx.Client) -> None:
    bad = [{**MINING_COMMANDS[0], "name": "Mining"}]
    response = http.put(f"/applications/{APP_ID}/commands", json=bad, headers=BOT)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 50035
    assert "name" in body["errors"]["0"]


def test_bot_routes_need_the_configured_token(sink: SinkState, http: httpx.Client) -> None:
    me = http.get("/users/@me", headers=BOT)
    assert me.status_code == 200
    assert me.json()["id"] == APP_ID
    assert me.json()["bot"] is True
    for headers in ({}, {"Authorization": "Bot wrong"}, {"Authorization": BOT_TOKEN}):
        refused = http.get("/users/@me", headers=headers)
        assert refused.status_code == 401
        assert refused.json() == {"message": "401: Unauthorized", "code": 0}
    assert http.put(f"/applications/{APP_ID}/commands", json=[]).status_code == 401
    assert [c.auth for c in sink.log.calls][:1] == ["bot ok"]
    assert BOT_TOKEN not in json.dumps([c.as_dict() for c in sink.log.calls])


def test_injected_rate_limit_answers_429_with_retry_after(
    sink: SinkState, http: httpx.Client, guild: SimGuild
) -> None:
    token = deferred(sink, guild)["token"]
    sink.inject(Route.EDIT_WEBHOOK_MESSAGE, Fault.rate_limited(1.5), times=2)
    path = f"/webhooks/{APP_ID}/{token}/messages/@original"
    for _ in range(2):
        limited = http.patch(path, json={"content": "x"})
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "2"
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        assert limited.json() == {"message": "You are being rate limited.", "code": 0,
                                  "retry_after": 1.5, "global": False}  # fmt: skip
    assert http.patch(path, json={"content": "x"}).status_code == 200
    faults = [c.fault for c in sink.log.by_route(Route.EDIT_WEBHOOK_MESSAGE)]
    assert faults == ["429 rate limited", "429 rate limited", None]


def test_global_rate_limit_is_marked_global(sink: SinkState, http: httpx.Client) -> None:
    sink.inject(Route.GET_CURRENT_USER, Fault.rate_limited(0.2, is_global=True))
    limited = http.get("/users/@me", headers=BOT)
    assert limited.json()["global"] is True
    assert limited.headers["X-RateLimit-Global"] == "true"
    assert limited.headers["Retry-After"] == "1"


def test_injected_unknown_webhook_answers_10015(
    sink: SinkState, http: httpx.Client, guild: SimGuild
) -> None:
    token = deferred(sink, guild)["token"]
    sink.inject(Route.EXECUTE_WEBHOOK, Fault.unknown_webhook())
    missing = http.post(f"/webhooks/{APP_ID}/{token}", json={"content": "x"})
    assert missing.status_code == 404
    assert missing.json() == {"message": "Unknown Webhook", "code": 10015}
    assert http.post(f"/webhooks/{APP_ID}/{token}", json={"content": "x"}).status_code == 200


def test_unknown_tokens_are_refused_unless_lenient(sink: SinkState, http: httpx.Client) -> None:
    assert http.post(f"/webhooks/{APP_ID}/nope", json={"content": "x"}).json()["code"] == 10015
    sink.strict_tokens = False
    lenient = http.patch(f"/webhooks/{APP_ID}/nope/messages/@original", json={"content": "x"})
    assert lenient.status_code == 200
    assert lenient.json()["content"] == "x"


def test_channel_messages_and_their_limits(sink: SinkState, http: httpx.Client) -> None:
    posted = http.post("/channels/77/messages", json={"content": "Op report"}, headers=BOT)
    assert posted.status_code == 200
    assert posted.json()["channel_id"] == "77"
    assert sink.channel_messages("77")[0]["content"] == "Op report"
    too_long = http.post("/channels/77/messages", json={"content": "x" * 2001}, headers=BOT)
    assert too_long.status_code == 400
    assert too_long.json()["code"] == 50035
    empty = http.post("/channels/77/messages", json={"content": ""}, headers=BOT)
    assert empty.json() == {"message": "Cannot send an empty message", "code": 50006}


def test_turning_on_components_v2_without_clearing_content_is_refused(
    sink: SinkState, http: httpx.Client, guild: SimGuild
) -> None:
    token = deferred(sink, guild)["token"]
    path = f"/webhooks/{APP_ID}/{token}/messages/@original"
    assert http.patch(path, json={"content": "Working…"}).status_code == 200
    display = {"type": 10, "content": "Payroll"}
    refused = http.patch(path, json={"flags": 32768, "components": [display]})
    assert refused.status_code == 400
    assert refused.json()["code"] == 50035
    cleared = http.patch(path, json={"flags": 32768, "content": None, "components": [display]})
    assert cleared.status_code == 200
    assert cleared.json()["flags"] == MessageFlag.IS_COMPONENTS_V2


def test_tokens_expire_after_fifteen_minutes(guild: SimGuild) -> None:
    now = [1_000.0]
    sink = SinkState(application_id=APP_ID, now_s=lambda: now[0])
    token = deferred(sink, guild)["token"]
    assert sink.webhook_message(APP_ID, token, "@original")["flags"] & MessageFlag.LOADING
    now[0] += 15 * 60 + 1
    with pytest.raises(DiscordError) as expired:
        sink.webhook_message(APP_ID, token, "@original")
    assert (expired.value.status, expired.value.code) == (401, 50027)


def test_unversioned_paths_are_recorded_404s(sink: SinkState, sink_url: str) -> None:
    root = sink_url.removesuffix("/api/v10")
    response = httpx.post(f"{root}/api/webhooks/{APP_ID}/t", json={"content": "x"})
    assert response.status_code == 404
    assert sink.log.calls[-1].route == "unknown"


# -- end to end: a throwaway app driven over real HTTP -------------------------------------------


def echo_app(public_key_hex: str, sink_url: str) -> FastAPI:
    """Verifies like the real app must, then echoes each interaction type back."""
    verifier = SignatureVerifier(public_key_hex)
    app = FastAPI()

    @app.post("/interactions")
    async def interactions(request: Request) -> Response:
        body = await request.body()
        signature = request.headers.get("x-signature-ed25519")
        timestamp = request.headers.get("x-signature-timestamp")
        if not verifier.verify(signature, timestamp, body, now_s=int(time.time())):
            return Response("invalid request signature", status_code=401)
        payload = json.loads(body)
        if payload["type"] == 2 and payload["data"]["name"] == "callback":
            return await answer_via_callback(sink_url, payload)
        return Response(json.dumps(answer(payload)), media_type="application/json")

    return app


def answer(payload: Json) -> Json:
    kind, data = payload["type"], payload.get("data", {})
    if kind == 1:
        return {"type": 1}
    if kind == 2 and data["name"] == "later":
        return {"type": 5, "data": {"flags": 64}}
    if kind == 2:
        button = {"type": 2, "style": 1, "custom_id": "echo:form", "label": "Form"}
        select = {
            "type": 3,
            "custom_id": "echo:pick",
            "options": [{"label": "A", "value": "a"}, {"label": "B", "value": "b"}],
        }
        content = f"{data['name']} {json.dumps(data.get('options', []))}"
        return {"type": 4, "data": {"content": content, "components": [row(button), row(select)]}}
    if kind == 4:
        return {"type": 8, "data": {"choices": [{"name": "Sunday op", "value": "s1"}]}}
    if kind == 3 and data["custom_id"] == "echo:form":
        text = {"type": 4, "custom_id": "note", "style": 1}
        return {"type": 9, "data": {"custom_id": "echo:modal", "title": "Note",
                                    "components": [{"type": 18, "label": "Note",
                                                    "component": text}]}}  # fmt: skip
    if kind == 3:
        return {"type": 7, "data": {"content": f"picked {data['values']}"}}
    note = data["components"][0]["component"]["value"]
    return {"type": 4, "data": {"content": f"noted {note}", "flags": 64}}


async def answer_via_callback(sink_url: str, payload: Json) -> Response:
    url = f"{sink_url}/interactions/{payload['id']}/{payload['token']}/callback"
    async with httpx.AsyncClient() as client:
        sent = await client.post(url, json={"type": 4, "data": {"content": "via callback"}})
    assert sent.status_code == 204
    return Response(status_code=202)


KEYS = DevKeyPair.generate()


@pytest.fixture(scope="module")
def app_url(sink_server: SinkServer) -> Iterator[str]:
    with serve_asgi(echo_app(KEYS.public_key_hex, sink_server.base_url)) as url:
        yield url


@pytest.fixture
def simulator(sink: SinkState, app_url: str) -> Iterator[DiscordSimulator]:
    guild = sample_guild(seed=5)
    sim = DiscordSimulator.over_http(
        app_url, keys=KEYS, guild=guild, application_id=APP_ID, sink=sink
    )
    with sim:
        yield sim


def test_ping_over_real_http_gets_a_pong(simulator: DiscordSimulator) -> None:
    exchange = simulator.ping()
    assert exchange.status == 200
    assert exchange.response == {"type": 1}
    assert exchange.problems == []


def test_a_whole_flow_through_the_signing_path(simulator: DiscordSimulator) -> None:
    guild = simulator.guild
    ana = guild.member("ana")
    with simulator.at(guild.channel("mining-ops")):
        shown = simulator.command(ana, "mining adhoc new", channel=guild.channel("Mining 1"))
    assert shown.status == 200
    assert shown.response_type == 4
    assert shown.problems == []
    assert shown.content.startswith("mining [")
    assert shown.message is not None
    assert shown.message["channel_id"] == guild.channel("mining-ops").id
    assert shown.message["interaction_metadata"]["name"] == "mining"
    picked = simulator.select(guild.member("ben"), shown, "echo:pick", ["b"])
    assert picked.response_type == 7
    assert picked.message is not None
    assert picked.message["id"] == shown.message["id"]
    assert simulator.sink.message(shown.message["id"])["content"] == "picked ['b']"  # type: ignore[index]
    form = simulator.click(ana, shown, "echo:form")
    assert form.response_type == 9
    noted = simulator.submit_modal(ana, "echo:modal", {"note": "ten SCU"}, modal=form)
    assert noted.content == "noted ten SCU"
    assert noted.ephemeral
    assert noted.payload["message"]["id"] == shown.message["id"]
    hint = simulator.autocomplete(ana, "mining adhoc load", focused="session", value="Su")
    assert hint.choices == [{"name": "Sunday op", "value": "s1"}]


def test_every_tampered_request_is_refused_with_401(simulator: DiscordSimulator) -> None:
    lead = simulator.guild.member("lead")
    for tamper in Tamper:
        with simulator.tampered(tamper):
            refused = simulator.command(lead, "mining status")
        assert refused.status == 401, tamper
        assert refused.tamper == str(tamper)
    assert simulator.command(lead, "mining status").status == 200


def test_deferred_answer_then_follow_up_shows_in_the_transcript(
    simulator: DiscordSimulator, sink_url: str, tmp_path: Path
) -> None:
    lead = simulator.guild.member("lead")
    deferred_exchange = simulator.command(lead, "later")
    assert deferred_exchange.response_type == 5
    assert deferred_exchange.ephemeral
    token = deferred_exchange.token
    # Standing in for the app's async job: finish the deferred message through the sink.
    edit = httpx.patch(
        f"{sink_url}/webhooks/{APP_ID}/{token}/messages/@original", json={"content": "Report ready"}
    )
    assert edit.status_code == 200
    assert edit.json()["flags"] == MessageFlag.EPHEMERAL
    assert simulator.sink.original_message(token)["content"] == "Report ready"  # type: ignore[index]
    text = simulator.transcript.to_text()
    lines = text.splitlines()
    assert "/later" in lines[0]
    assert "DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE" in lines[0]
    assert "REST PATCH" in lines[1]
    assert "Report ready" in lines[1]
    assert token not in text
    assert token not in simulator.transcript.to_json()
    simulator.transcript.save(tmp_path / "transcript.json")
    entries = json.loads((tmp_path / "transcript.json").read_text(encoding="utf-8"))
    assert [e["kind"] for e in entries] == ["interaction", "rest"]


def test_commands_registered_through_the_sink_type_the_options(
    simulator: DiscordSimulator, sink_url: str
) -> None:
    registered = httpx.put(
        f"{sink_url}/applications/{APP_ID}/guilds/{simulator.guild.id}/commands",
        json=MINING_COMMANDS,
        headers=BOT,
    ).json()
    assert len(simulator.use_registered_commands()) == 1
    exchange = simulator.command(simulator.guild.member("lead"), "mining prices", scu=32)
    data = exchange.payload["data"]
    assert data["id"] == registered[0]["id"]
    assert data["guild_id"] == simulator.guild.id
    assert leaf_options(exchange.payload) == [{"name": "scu", "type": 10, "value": 32}]


def test_callback_endpoint_answers_show_as_the_exchange_response(
    simulator: DiscordSimulator,
) -> None:
    exchange = simulator.command(simulator.guild.member("lead"), "callback")
    assert exchange.status == 202
    assert exchange.via_callback
    assert exchange.problems == []
    assert exchange.content == "via callback"
    assert exchange.message is not None
    assert exchange.message["content"] == "via callback"


def test_a_missed_deadline_fails_the_interaction(
    sink: SinkState, app_url: str, sink_url: str
) -> None:
    with DiscordSimulator.over_http(
        app_url, keys=KEYS, application_id=APP_ID, sink=sink, deadline_s=0.0
    ) as sim:
        late = sim.command(sim.guild.member("lead"), "later")
    assert any("Discord gives up at 3 s" in p for p in late.problems)
    assert late.message is None
    edit = httpx.patch(
        f"{sink_url}/webhooks/{APP_ID}/{late.token}/messages/@original", json={"content": "x"}
    )
    assert edit.status_code == 401
    assert edit.json() == {"message": "Invalid Webhook Token", "code": 50027}


def test_the_same_app_runs_in_process(sink_url: str) -> None:
    keys = DevKeyPair.generate()
    with DiscordSimulator.in_process(echo_app(keys.public_key_hex, sink_url), keys=keys) as sim:
        assert sim.ping().response == {"type": 1}
        with sim.tampered(Tamper.RESERIALISED):
            assert sim.ping().status == 401
