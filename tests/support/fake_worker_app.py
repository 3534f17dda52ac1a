"""A tiny in-memory app that speaks the worker protocol (docs/worker-protocol.md) on loopback.

It checks the HMAC like the real app, keeps one lease, records heartbeats and batches (answering
duplicates as such), and can be told to fail: a status for every request, or go down entirely
(connection refused) and come back on the same port.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sunday_mining.ports.worker_protocol import verify


@dataclass
class StoredBatch:
    worker_id: str
    guild_id: str
    conn: str
    batch_seq: int
    events: list[dict[str, Any]]
    snapshots: list[dict[str, Any]]


@dataclass
class FakeWorkerApp:
    secret: str
    holder: str | None = None
    expires_ms: int = 0
    # What the next heartbeat answers say, per guild.
    presence: dict[str, str | None] = field(default_factory=dict)
    watch: dict[str, list[str]] = field(default_factory=dict)
    # Faults: answer every request (or only batches) with this status instead.
    fail_status: int | None = None
    fail_batches_status: int | None = None
    # batch_seq values answered 400.
    reject_batch_seqs: set[int] = field(default_factory=set)
    batches: list[StoredBatch] = field(default_factory=list)
    duplicates: int = 0
    attempts: list[str] = field(default_factory=list)  # path of every request, in order
    heartbeats: list[dict[str, Any]] = field(default_factory=list)
    releases: list[str] = field(default_factory=list)
    unauthorized: int = 0
    _keys: set[tuple[str, str, int]] = field(default_factory=set)
    _runner: web.AppRunner | None = None
    _port: int = 0
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    # --- lifecycle -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    async def start(self) -> None:
        app = web.Application(middlewares=[self._notify])
        app.router.add_post("/worker/v1/lease", self._lease)
        app.router.add_post("/worker/v1/lease/release", self._release)
        app.router.add_post("/worker/v1/heartbeat", self._heartbeat)
        app.router.add_post("/worker/v1/batches", self._batches)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._port))  # the same port again after a restart
        await web.SockSite(runner, sock).start()
        self._port = int(sock.getsockname()[1])
        self._runner = runner

    @web.middleware
    async def _notify(self, request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request)
            return response
        finally:
            self._changed.set()

    async def stop(self) -> None:
        """Down: connections are refused until start() again."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def wait_for(self, predicate: Any, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    # --- what tests read -----------------------------------------------------------------------

    def events(self, guild_id: str | None = None) -> list[dict[str, Any]]:
        return [e for b in self.batches if guild_id in (None, b.guild_id) for e in b.events]

    def snapshots(self, guild_id: str | None = None) -> list[dict[str, Any]]:
        return [s for b in self.batches if guild_id in (None, b.guild_id) for s in b.snapshots]

    def grant_to(self, worker_id: str | None, ttl_s: int = 60) -> None:
        self.holder = worker_id
        self.expires_ms = _now_ms() + ttl_s * 1000

    # --- endpoints -----------------------------------------------------------------------------

    async def _read(
        self, request: web.Request
    ) -> tuple[dict[str, Any] | None, web.Response | None]:
        self.attempts.append(request.path)
        body = await request.read()
        if not verify(
            self.secret, request.headers, request.method, request.path, body, time.time()
        ):
            self.unauthorized += 1
            return None, _json(401, {"error": "invalid worker signature"})
        if self.fail_status is not None:
            return None, _json(self.fail_status, {"error": "scripted failure"})
        return json.loads(body), None

    def _holds(self, worker_id: str) -> bool:
        return self.holder == worker_id

    async def _lease(self, request: web.Request) -> web.Response:
        body, failed = await self._read(request)
        if body is None:
            assert failed is not None
            return failed
        worker_id, ttl_s = body["worker_id"], int(body["ttl_s"])
        if not 30 <= ttl_s <= 300:
            return _json(400, {"error": "ttl_s out of range"})
        if self.holder in (None, worker_id) or self.expires_ms < _now_ms():
            self.grant_to(worker_id, ttl_s)
            return _json(200, {"granted": True, "holder": worker_id, "expires_ms": self.expires_ms})
        return _json(200, {"granted": False, "holder": self.holder, "expires_ms": self.expires_ms})

    async def _release(self, request: web.Request) -> web.Response:
        body, failed = await self._read(request)
        if body is None:
            assert failed is not None
            return failed
        self.releases.append(body["worker_id"])
        released = self._holds(body["worker_id"])
        if released:
            self.holder = None
        return _json(200, {"released": released})

    async def _heartbeat(self, request: web.Request) -> web.Response:
        body, failed = await self._read(request)
        if body is None:
            assert failed is not None
            return failed
        if not self._holds(body["worker_id"]):
            return _json(409, {"error": "Another worker holds the lease."})
        self.grant_to(body["worker_id"])
        self.heartbeats.append(body)
        guilds = body["guilds"]
        return _json(
            200,
            {
                "lease": {"granted": True, "expires_ms": self.expires_ms},
                "presence": {g: self.presence.get(g) for g in guilds},
                "watch": {g: self.watch.get(g, []) for g in guilds},
                "server_ms": _now_ms(),
            },
        )

    async def _batches(self, request: web.Request) -> web.Response:
        body, failed = await self._read(request)
        if body is None:
            assert failed is not None
            return failed
        if self.fail_batches_status is not None:
            return _json(self.fail_batches_status, {"error": "scripted failure"})
        if not self._holds(body["worker_id"]):
            return _json(409, {"error": "Another worker holds the lease."})
        if body["batch_seq"] in self.reject_batch_seqs:
            return _json(400, {"error": "the body does not match the protocol"})
        key = (body["guild_id"], body["conn"], int(body["batch_seq"]))
        if key in self._keys:
            self.duplicates += 1
            return _json(200, {"duplicate": True, "stored": 0, "ignored": {}})
        self._keys.add(key)
        self.batches.append(
            StoredBatch(
                body["worker_id"],
                body["guild_id"],
                body["conn"],
                int(body["batch_seq"]),
                body["events"],
                body["snapshots"],
            )
        )
        stored = len(body["events"]) + len(body["snapshots"])
        return _json(200, {"duplicate": False, "stored": stored, "ignored": {}})


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _json(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(body).encode(), content_type="application/json"
    )
