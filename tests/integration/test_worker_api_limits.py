"""What one heartbeat may store: every string and list is bounded at ingest, so the heartbeat
item stays far below DynamoDB's 400 KB whatever a worker sends (docs/worker-protocol.md)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.entrypoints.factories import Services, build_services
from sunday_mining.entrypoints.local_server import running_app
from sunday_mining.ports.worker_protocol import (
    MAX_HEARTBEAT_CHANNELS,
    MAX_HEARTBEAT_ERROR_CHARS,
    MAX_HEARTBEAT_GAPS,
    MAX_HEARTBEAT_GUILDS,
    MAX_PERMISSION_CHARS,
    MAX_PERMISSION_NAMES,
    sign,
)
from sunday_mining.services.worker import WORKER_PK
from sunday_mining.web.app import create_app

SECRET = "s" * 48
DYNAMODB_ITEM_BYTES = 400 * 1024
_PERMISSION = "P" * MAX_PERMISSION_CHARS


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[httpx.Client, Services]]:
    store = SqliteStore(tmp_path / "w.sqlite3")
    services = build_services(store, FixedClock(1_795_370_400_000))
    web = create_app(services, public_key_hex=None, worker_secret=SECRET)
    with running_app(web) as base, httpx.Client(base_url=base, timeout=30) as http:
        path = "/worker/v1/lease"
        lease = json.dumps({"worker_id": "w1", "ttl_s": 60}).encode()
        assert http.post(path, content=lease, headers=sign(SECRET, path, lease, time.time()))
        yield http, services
    store.close()


def _beat(http: httpx.Client, **fields: Any) -> httpx.Response:
    body = {"worker_id": "w1", "conn": "c", "sent_ms": 0, "state": "connected", **fields}
    raw = json.dumps(body).encode()
    path = "/worker/v1/heartbeat"
    return http.post(path, content=raw, headers=sign(SECRET, path, raw, time.time()))


def _id(n: int) -> str:
    return str(10**19 + n)  # 20 digits, the longest a snowflake gets


def test_a_long_voice_error_is_cut_at_ingest(app: tuple[httpx.Client, Services]) -> None:
    http, services = app
    voice = {"1000": {"channel_id": None, "requested": "11", "error": "x" * 200_000}}
    assert _beat(http, guilds=["1000"], voice=voice).status_code == 200
    stored = (services.worker.heartbeat_item() or {})["voice"]["1000"]["error"]
    assert len(stored) == MAX_HEARTBEAT_ERROR_CHARS
    assert stored.endswith("…")


def test_fields_the_protocol_does_not_name_are_not_stored(
    app: tuple[httpx.Client, Services],
) -> None:
    http, services = app
    voice = {"1000": {"channel_id": "11", "requested": "11", "error": None, "junk": "y" * 1000}}
    channels = {"1000": {"11": {"missing": [], "full": False, "junk": "z" * 1000}}}
    assert _beat(http, guilds=["1000"], voice=voice, channels=channels).status_code == 200
    stored = json.dumps(services.worker.heartbeat_item(), default=str)
    assert "junk" not in stored


@pytest.mark.parametrize(
    "fields",
    [
        {"gaps": [{"start_ms": n, "end_ms": n + 1} for n in range(MAX_HEARTBEAT_GAPS + 1)]},
        {"guilds": [_id(n) for n in range(MAX_HEARTBEAT_GUILDS + 1)]},
        {"voice": {_id(n): {"error": None} for n in range(MAX_HEARTBEAT_GUILDS + 1)}},
        {
            "channels": {
                _id(g): {_id(c): {"missing": [], "full": False} for c in range(100)}
                for g in range(MAX_HEARTBEAT_CHANNELS // 100 + 1)
            }
        },
        {"channels": {"1000": {"11": {"missing": ["VIEW_CHANNEL"] * 20, "full": False}}}},
        {"voice": {"1000": {"channel_id": "not a channel"}}},
    ],
    ids=["gaps", "guilds", "voice", "channels", "missing", "voice channel"],
)
def test_lists_past_their_bound_are_refused_and_store_nothing(
    app: tuple[httpx.Client, Services], fields: dict[str, Any]
) -> None:
    http, services = app
    assert _beat(http, **fields).status_code == 400
    assert services.worker.heartbeat_item() is None
    assert [item["sk"] for item in services.store.query_all(WORKER_PK)] == ["LEASE"]


def test_the_largest_heartbeat_accepted_stores_well_under_dynamodbs_item_limit(
    app: tuple[httpx.Client, Services],
) -> None:
    http, services = app
    guilds = [_id(n) for n in range(MAX_HEARTBEAT_GUILDS)]
    long_error = "🪨" * (MAX_HEARTBEAT_ERROR_CHARS + 50)  # 4 bytes a character in UTF-8
    per_guild = MAX_HEARTBEAT_CHANNELS // len(guilds)
    fields = {
        "guilds": guilds,
        "voice": {
            g: {"channel_id": _id(1), "requested": _id(2), "error": long_error} for g in guilds
        },
        "channels": {
            g: {
                _id(c): {
                    "missing": [_PERMISSION] * MAX_PERMISSION_NAMES,
                    "full": True,
                    "found": False,
                }
                for c in range(per_guild)
            }
            for g in guilds
        },
        "gaps": [{"start_ms": n, "end_ms": n + 1} for n in range(MAX_HEARTBEAT_GAPS)],
    }
    assert _beat(http, **fields).status_code == 200
    item = services.worker.heartbeat_item()
    size = len(json.dumps(item, default=str, ensure_ascii=False).encode())
    assert size < DYNAMODB_ITEM_BYTES // 2, size
    assert len(services.store.query_all(WORKER_PK)) == 2 + MAX_HEARTBEAT_GAPS  # lease, beat
