"""A signed request posted again inside the signature window — a replay of the exact bytes
Discord sent — is answered, but processed once; every answer is checked against Discord's
contract."""

from __future__ import annotations

import time
from typing import Any

import httpx
from tests.e2e.conftest import Discord
from tests.support.discord_contract import check_interaction_response

from sunday_mining.services.replays import MARKER_TTL_S, seen_key
from sunday_mining_dev.simulator.tamper import signed_request


def _post(discord: Discord, headers: dict[str, str], body: bytes) -> httpx.Response:
    return discord.sim.http.post(
        "/interactions", content=body, headers={"Content-Type": "application/json", **headers}
    )


def _captured(
    discord: Discord, who: str, path: str
) -> tuple[dict[str, Any], dict[str, str], bytes]:
    """A command as Discord signs it: the payload, the signature headers and the exact body."""
    payload = discord.sim.payloads.command(discord.member(who), path, {})
    headers, body = signed_request(discord.sim.keys, payload, int(time.time()))
    return payload, headers, body


def test_a_replayed_mining_start_does_not_start_another_op(discord: Discord) -> None:
    discord.setup_guild()
    payload, headers, body = _captured(discord, "lead", "mining start")
    first = _post(discord, headers, body)
    assert first.status_code == 200
    check_interaction_response(payload, first.json())
    assert "started" in first.json()["data"]["content"]
    discord.command("lead", "mining stop")
    before = [i for i in discord.store_items() if "SEEN" not in i["pk"]]

    again = _post(discord, headers, body)
    assert again.status_code == 200
    answer = again.json()
    check_interaction_response(payload, answer)
    assert answer["type"] == 4
    assert answer["data"]["flags"] == 64  # ephemeral
    assert answer["data"]["content"] == (
        "That request was already handled; nothing was done again."
    )
    assert discord.services.sessions.active(discord.guild_id) == []
    assert [i for i in discord.store_items() if "SEEN" not in i["pk"]] == before
    assert discord.services.errors.last_day() == {}


def test_the_mark_of_an_interaction_outlives_the_signature_window(discord: Discord) -> None:
    discord.setup_guild()
    payload, headers, body = _captured(discord, "ben", "mining status")
    assert _post(discord, headers, body).status_code == 200
    mark = discord.services.store.get(seen_key(discord.guild_id, str(payload["id"])))
    assert mark is not None
    now_s = discord.clock.now_ms() // 1000
    assert mark["ttl"] == now_s + MARKER_TTL_S
    assert MARKER_TTL_S > 300 + 60  # five minutes back and one ahead (web/signature.py)


def test_the_same_interaction_id_in_another_server_is_another_interaction(
    discord: Discord,
) -> None:
    seen = discord.services.seen
    assert seen.first_time("900000000000000001", "1323803217997852711")
    assert seen.first_time("900000000000000002", "1323803217997852711")
    assert not seen.first_time("900000000000000001", "1323803217997852711")


def test_an_interaction_id_that_is_not_a_discord_id_is_not_an_interaction(
    discord: Discord,
) -> None:
    payload = discord.sim.payloads.command(discord.member("ben"), "mining status", {})
    payload["id"] = "x" * 500
    headers, body = signed_request(discord.sim.keys, payload, int(time.time()))
    assert _post(discord, headers, body).status_code == 400
    assert discord.store_items() == []


def test_a_copy_of_a_refused_request_is_answered_as_the_first_was(discord: Discord) -> None:
    payload, headers, body = _captured(discord, "ben", "mining-admin settings show")
    first, again = _post(discord, headers, body).json(), _post(discord, headers, body).json()
    check_interaction_response(payload, again)
    assert again == first
    assert "Only members with Manage Server" in again["data"]["content"]
