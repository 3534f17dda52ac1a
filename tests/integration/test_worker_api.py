"""The worker's ingest API over HTTP: HMAC authentication, lease, heartbeat and batches."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import pytest
from tests.support.worker_api import GUILD, ROCK, SECRET, App, app, batch, event

from sunday_mining.ports.worker_protocol import SIGNATURE_HEADER, TIMESTAMP_HEADER, Heartbeat, sign
from sunday_mining.web.worker_api import MAX_BODY_BYTES
from sunday_mining.worker.app_client import AppClient

__all__ = ["app"]  # the fixture, imported for pytest to find


def test_a_lease_holder_delivers_batches_and_duplicates_change_nothing(app: App) -> None:
    app.services.guilds.add_channel(GUILD, ROCK)
    session = app.services.sessions.start_sunday(GUILD, "lead")
    assert app.post("/lease", {"worker_id": "w1", "ttl_s": 60}).json()["granted"]
    now = app.clock.now_ms()
    first = app.post("/batches", batch(1, event(now, 1, "42", ROCK)))
    assert first.status_code == 200
    assert first.json() == {"duplicate": False, "stored": 1, "ignored": {}}
    again = app.post("/batches", batch(1, event(now, 1, "42", ROCK)))
    assert again.json()["duplicate"] is True
    app.clock.advance(minutes=30)
    app.services.sessions.stop(GUILD, session.session_id)
    (participant,) = app.services.summaries.summary(GUILD, session.session_id).participants
    assert (participant.user_id, participant.credited_seconds) == ("42", 1800)


def test_a_second_worker_cannot_write(app: App) -> None:
    app.post("/lease", {"worker_id": "w1", "ttl_s": 60})
    refused = app.post("/lease", {"worker_id": "w2", "ttl_s": 60}).json()
    assert refused == {"granted": False, "holder": "w1", "expires_ms": refused["expires_ms"]}
    assert app.post("/batches", batch(1, worker="w2")).status_code == 409
    heartbeat = {"worker_id": "w2", "conn": "c", "sent_ms": 0, "state": "connected"}
    assert app.post("/heartbeat", heartbeat).status_code == 409


def test_the_heartbeat_answers_where_the_bot_should_sit(app: App) -> None:
    app.services.guilds.add_channel(GUILD, ROCK, dispatch=True)
    app.services.sessions.start_sunday(GUILD, "lead")
    app.post("/lease", {"worker_id": "w1", "ttl_s": 60})
    answer = app.post(
        "/heartbeat",
        {
            "worker_id": "w1",
            "conn": "c",
            "sent_ms": 0,
            "state": "connected",
            "guilds": [GUILD],
            "latency_ms": 40,
        },
    ).json()
    assert answer["presence"] == {GUILD: ROCK}
    assert answer["watch"] == {GUILD: [ROCK]}
    assert answer["lease"]["granted"] is True


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-SM-Worker-Timestamp": "1", "X-SM-Worker-Signature": "v1=00"},
        {"X-SM-Worker-Timestamp": "abc", "X-SM-Worker-Signature": "v1=" + "0" * 64},
    ],
)
def test_unsigned_or_badly_signed_requests_get_401(app: App, headers: dict[str, str]) -> None:
    response = app.http.post("/worker/v1/lease", content=b"{}", headers=headers)
    assert response.status_code == 401


def test_a_wrong_secret_or_a_stale_timestamp_gets_401(app: App) -> None:
    assert app.post("/lease", {"worker_id": "w1", "ttl_s": 60}, secret="t" * 48).status_code == 401
    raw = b'{"worker_id": "w1", "ttl_s": 60}'
    stale = sign(SECRET, "/worker/v1/lease", raw, time.time() - 3600)
    assert app.http.post("/worker/v1/lease", content=raw, headers=stale).status_code == 401


def test_a_tampered_body_gets_401(app: App) -> None:
    raw = b'{"worker_id": "w1", "ttl_s": 60}'
    headers = sign(SECRET, "/worker/v1/lease", raw, time.time())
    forged = raw.replace(b"w1", b"w9")
    assert app.http.post("/worker/v1/lease", content=forged, headers=headers).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"worker_id": "w1", "ttl_s": 5},
        {"worker_id": "", "ttl_s": 60},
        {"ttl_s": 60},
        {"worker_id": "w1", "ttl_s": "sixty"},
    ],
)
def test_a_signed_but_invalid_body_gets_400(app: App, body: dict[str, Any]) -> None:
    assert app.post("/lease", body).status_code == 400


def test_a_batch_with_a_malformed_event_is_refused_whole(app: App) -> None:
    app.post("/lease", {"worker_id": "w1", "ttl_s": 60})
    bad = batch(
        1, event(1, 1, "42", ROCK), {"t_ms": 1, "seq": 2, "user_id": "x", "channel_id": None}
    )
    assert app.post("/batches", bad).status_code == 400
    assert app.services.store.query_all(f"G#{GUILD}#OBS") == []


def _streamed(
    app: App, path: str, chunks: int, headers: Mapping[str, str] | Mapping[bytes, bytes]
) -> tuple[int, int]:
    """POST ``chunks`` chunks of 256 KiB straight into the ASGI app: (status, bytes it read)."""
    chunk = b"x" * 256 * 1024
    read = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal read
        for _ in range(chunks):
            read += len(chunk)
            yield chunk

    async def post() -> int:
        transport = httpx.ASGITransport(app=app.web)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            response = await http.post(f"/worker/v1{path}", content=body(), headers=headers)
        return response.status_code

    return asyncio.run(post()), read


def test_an_oversized_body_is_refused_without_being_read_whole(app: App) -> None:
    status, read = _streamed(app, "/heartbeat", chunks=64, headers={})  # 16 MiB offered
    assert status == 413
    assert read <= MAX_BODY_BYTES + 256 * 1024


def test_a_declared_oversized_body_is_refused_before_any_of_it_is_read(app: App) -> None:
    declared = {"Content-Length": str(64 * 256 * 1024)}
    assert _streamed(app, "/heartbeat", chunks=64, headers=declared) == (413, 0)


def test_a_signed_heartbeat_replayed_to_another_endpoint_gets_401(app: App) -> None:
    """The worker's own signed heartbeat, captured, is no lease release."""
    assert app.post("/lease", {"worker_id": "w1", "ttl_s": 60}).json()["granted"]
    captured: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        lease = {"granted": True, "expires_ms": 0}
        return httpx.Response(200, json={"lease": lease, "presence": {}, "watch": {}})

    async def beat() -> None:
        client = AppClient("http://app", SECRET, transport=httpx.MockTransport(answer))
        await client.heartbeat(Heartbeat("w1", "c", 0, "connected"))
        await client.aclose()

    asyncio.run(beat())
    (heartbeat,) = captured
    replayed = app.http.post(
        "/worker/v1/lease/release", content=heartbeat.content, headers=dict(heartbeat.headers)
    )
    assert replayed.status_code == 401
    assert app.post("/lease", {"worker_id": "w2", "ttl_s": 60}).json()["granted"] is False


def _signed_v1(body: bytes, now_s: float) -> dict[str, str]:
    """How a worker of protocol version 1 signed: timestamp and body only."""
    timestamp = str(int(now_s))
    digest = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: "v1=" + digest.hexdigest()}


def test_a_worker_of_protocol_v1_is_refused_and_told_to_upgrade(app: App) -> None:
    raw = b'{"worker_id": "w1", "ttl_s": 60}'
    refused = app.http.post("/worker/v1/lease", content=raw, headers=_signed_v1(raw, time.time()))
    assert refused.status_code == 401
    assert "upgrade the voice worker" in refused.json()["error"]
    assert app.post("/lease", {"worker_id": "w2", "ttl_s": 60}).json()["granted"] is True


@pytest.mark.parametrize("declared", ["²", "1³", "-1", "1e3", "9" * 40])
def test_a_content_length_that_is_not_ascii_digits_is_refused_unread(
    app: App, declared: str
) -> None:
    # Latin-1 on the wire, as HTTP headers are read: "²" arrives as "²", which isdigit() accepts.
    headers = {b"Content-Length": declared.encode("latin-1")}
    assert _streamed(app, "/heartbeat", chunks=1, headers=headers) == (413, 0)
