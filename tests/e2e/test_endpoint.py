"""The HTTP endpoint itself: signatures, PING, bad bodies, and the same app under mangum."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from mangum import Mangum
from tests.e2e.conftest import Discord
from tests.support.discord_contract import check_interaction_response

from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.entrypoints.factories import build_services
from sunday_mining.web.app import create_app
from sunday_mining_dev.simulator import DevKeyPair, PayloadFactory, Tamper, sample_guild


def test_ping_answers_pong_as_json(discord: Discord) -> None:
    pong = discord.sim.ping()
    assert pong.status == 200
    assert pong.response == {"type": 1}
    check_interaction_response(pong.payload, pong.response)


@pytest.mark.parametrize("tamper", list(Tamper))
def test_every_forged_request_gets_401_and_changes_nothing(
    discord: Discord, tamper: Tamper
) -> None:
    with discord.sim.tampered(tamper):
        answer = discord.sim.command(discord.member("ben"), "mining-admin settings show")
    assert answer.status == 401
    assert discord.store_items() == []


def _post(discord: Discord, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return discord.sim.http.post("/interactions", content=body, headers=headers)


def _signed(discord: Discord, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "X-Signature-Ed25519": discord.sim.keys.sign(timestamp, body),
        "X-Signature-Timestamp": timestamp,
        "Content-Type": "application/json",
    }


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Signature-Ed25519": "zz" * 64, "X-Signature-Timestamp": "1"},
        {"X-Signature-Ed25519": "ab", "X-Signature-Timestamp": "1"},
        {"X-Signature-Ed25519": "00" * 64, "X-Signature-Timestamp": "not-a-time"},
    ],
)
def test_missing_or_malformed_signature_headers_get_401(
    discord: Discord, headers: dict[str, str]
) -> None:
    assert _post(discord, b'{"type":1}', headers).status_code == 401


def test_a_signed_body_that_is_not_json_gets_400(discord: Discord) -> None:
    body = b"not json"
    assert _post(discord, body, _signed(discord, body)).status_code == 400


def test_a_signed_unknown_interaction_type_gets_400(discord: Discord) -> None:
    body = b'{"type": 42, "id": "1", "token": "t", "application_id": "2"}'
    assert _post(discord, body, _signed(discord, body)).status_code == 400


def test_an_oversized_body_is_refused_before_it_is_read(discord: Discord) -> None:
    body = b"{" + b" " * (300 * 1024) + b"}"
    assert _post(discord, body, _signed(discord, body)).status_code == 413


def test_an_unknown_command_gets_a_polite_answer(discord: Discord) -> None:
    payload = discord.sim.payloads.command(discord.member("ben"), "mining start", {})
    payload["data"]["name"] = "mining-old"
    answer = discord.sim.send(payload)
    assert answer.status == 200
    assert answer.ephemeral
    assert "don't know that command" in answer.content


def test_an_option_of_the_wrong_type_gets_a_polite_answer(discord: Discord) -> None:
    payload = discord.sim.payloads.command(discord.member("admin"), "mining start", {})
    payload["data"]["options"] = [
        {"name": "start", "type": 1, "options": [{"name": "name", "type": 3, "value": 12345}]}
    ]
    answer = discord.sim.send(payload)
    assert answer.status == 200
    assert answer.ephemeral
    assert discord.store_items() == []


# --- the same app through mangum, as API Gateway v2 / a Function URL would call it ------------


def _apigw_event(body: bytes, headers: dict[str, str], *, base64_body: bool) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/interactions",
        "rawQueryString": "",
        "headers": {k.lower(): v for k, v in headers.items()},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "example.lambda-url.us-east-1.on.aws",
            "domainPrefix": "example",
            "http": {
                "method": "POST",
                "path": "/interactions",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "Discord-Interactions/1.0",
            },
            "requestId": "id",
            "routeKey": "$default",
            "stage": "$default",
            "time": "23/Nov/2026:22:00:00 +0000",
            "timeEpoch": 1795478400000,
        },
        "body": base64.b64encode(body).decode() if base64_body else body.decode(),
        "isBase64Encoded": base64_body,
    }


@pytest.fixture
def lambda_handler(tmp_path: Path) -> tuple[Mangum, DevKeyPair, PayloadFactory]:
    keys = DevKeyPair.generate()
    services = build_services(SqliteStore(tmp_path / "l.sqlite3"), FixedClock(1_795_370_400_000))
    handler = Mangum(create_app(services, public_key_hex=keys.public_key_hex), lifespan="off")
    return handler, keys, PayloadFactory("4242", sample_guild())


@pytest.mark.parametrize("base64_body", [False, True])
def test_mangum_answers_a_signed_command(
    lambda_handler: tuple[Mangum, DevKeyPair, PayloadFactory], base64_body: bool
) -> None:
    handler, keys, payloads = lambda_handler
    payload = payloads.command(payloads.guild.member("ben"), "mining help", {})
    body = json.dumps(payload, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "X-Signature-Ed25519": keys.sign(timestamp, body),
        "X-Signature-Timestamp": timestamp,
        "Content-Type": "application/json",
    }
    result = handler(_apigw_event(body, headers, base64_body=base64_body), {})
    assert result["statusCode"] == 200
    answer = json.loads(result["body"])
    check_interaction_response(payload, answer)
    assert answer["data"]["embeds"][0]["title"] == "Sunday Mining"


def test_mangum_refuses_a_body_reserialised_by_the_gateway(
    lambda_handler: tuple[Mangum, DevKeyPair, PayloadFactory],
) -> None:
    handler, keys, payloads = lambda_handler
    payload = payloads.command(payloads.guild.member("ben"), "mining help", {})
    body = json.dumps(payload, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "X-Signature-Ed25519": keys.sign(timestamp, body),
        "X-Signature-Timestamp": timestamp,
    }
    reserialised = json.dumps(payload, indent=1).encode()
    result = handler(_apigw_event(reserialised, headers, base64_body=False), {})
    assert result["statusCode"] == 401
