"""The app served over real HTTP with the worker's ingest API on, and the signed requests and
batches a worker sends it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.entrypoints.factories import Services, build_services
from sunday_mining.entrypoints.local_server import running_app
from sunday_mining.ports.worker_protocol import sign
from sunday_mining.web.app import create_app

SECRET = "s" * 48
GUILD = "1000"
ROCK = "11"


class App:
    def __init__(
        self, http: httpx.Client, services: Services, clock: FixedClock, web: FastAPI
    ) -> None:
        self.http, self.services, self.clock, self.web = http, services, clock, web

    def post(self, path: str, body: dict[str, Any], *, secret: str = SECRET) -> httpx.Response:
        raw = json.dumps(body).encode()
        return self.http.post(
            f"/worker/v1{path}",
            content=raw,
            headers=sign(secret, f"/worker/v1{path}", raw, time.time()),
        )


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    clock = FixedClock(1_795_370_400_000)
    store = SqliteStore(tmp_path / "w.sqlite3")
    services = build_services(store, clock)
    web = create_app(services, public_key_hex=None, worker_secret=SECRET)
    with running_app(web) as base, httpx.Client(base_url=base, timeout=10) as http:
        yield App(http, services, clock, web)
    store.close()


def batch(seq: int, *events: dict[str, Any], worker: str = "w1") -> dict[str, Any]:
    return {
        "worker_id": worker,
        "guild_id": GUILD,
        "conn": "1795370400000-00000001",
        "batch_seq": seq,
        "events": list(events),
        "snapshots": [],
    }


def event(t_ms: int, seq: int, user: str, channel: str | None) -> dict[str, Any]:
    return {"t_ms": t_ms, "seq": seq, "user_id": user, "channel_id": channel, "bot": False}
