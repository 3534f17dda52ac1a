"""The whole voice chain in one process: the loopback fake Discord, the real discord.py client in
the worker, the app's ingest API and the store, on one controllable clock shared by the worker
and the app."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.presence import Participant
from sunday_mining.entrypoints.factories import Services, build_services
from sunday_mining.entrypoints.worker import run_worker
from sunday_mining.web.app import create_app
from sunday_mining.worker.config import WorkerSettings
from sunday_mining.worker.gateway import GatewayBridge, WorkerClient
from sunday_mining_dev.fake_gateway import FakeDiscord, FakeGuild, FakeMember, FakeVoiceChannel

SECRET = "c" * 48
GUILD = "800000000000000001"
ROCK, HAUL, LOBBY = "800000000000000011", "800000000000000012", "800000000000000013"
ANA, BEN, CY, DEE = (f"70000000000000000{n}" for n in range(1, 5))
JUKEBOX = "700000000000000009"
WAIT_S = 8.0
T0 = 1_795_370_400_000


def world(**seated: str) -> FakeGuild:
    return FakeGuild(
        id=GUILD,
        name="Sunday Miners",
        channels=[
            FakeVoiceChannel(ROCK, "Rock", position=0),
            FakeVoiceChannel(HAUL, "Haul", position=1),
            FakeVoiceChannel(LOBBY, "Lobby", position=2),
        ],
        members=[
            FakeMember(ANA, "ana"),
            FakeMember(BEN, "ben"),
            FakeMember(CY, "cy"),
            FakeMember(DEE, "dee"),
            FakeMember(JUKEBOX, "jukebox", bot=True),
        ],
        voice_states=dict(seated),
    )


class FlakyTransport(httpx.AsyncBaseTransport):
    """The app in process, with a switch that makes it unreachable."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.down = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("the app is down", request=request)
        return await self.inner.handle_async_request(request)


@dataclass
class Chain:
    clock: FixedClock
    services: Services
    fake: FakeDiscord
    transport: FlakyTransport
    tmp_path: Path
    workers: list[asyncio.Task[int]]
    stops: list[asyncio.Event]

    def settings(self, worker_id: str, **overrides: object) -> WorkerSettings:
        base = WorkerSettings(
            bot_token=self.fake.token,
            app_url="http://app.local",
            worker_secret=SECRET,
            spool_dir=self.tmp_path / f"spool-{worker_id}",
            worker_id=worker_id,
            heartbeat_interval_s=0.05,
            snapshot_interval_s=0.05,
            batch_flush_s=0.02,
            lease_ttl_s=30,
            lease_retry_s=0.05,
            voice_confirm_s=1.0,
            restart_backoff_s=0.05,
            restart_backoff_max_s=0.2,
            shutdown_grace_s=2.0,
        )
        return replace(base, **overrides)  # type: ignore[arg-type]

    def start_worker(self, worker_id: str, stop: asyncio.Event, **overrides: object) -> None:
        def client(bridge: GatewayBridge) -> WorkerClient:
            return WorkerClient(bridge, identify_delay=False, guild_ready_timeout=0.05)

        self.stops.append(stop)
        task = asyncio.create_task(
            run_worker(
                self.settings(worker_id, **overrides),
                client_factory=client,
                stop_event=stop,
                app_transport=self.transport,
                clock_ms=self.clock.now_ms,
            )
        )
        self.workers.append(task)

    async def until(self, predicate: Callable[[], bool], what: str) -> None:
        try:
            async with asyncio.timeout(WAIT_S):
                while not predicate():
                    for task in self.workers:
                        if task.done():
                            raise AssertionError(f"a worker exited with {task.result()}")
                    await asyncio.sleep(0.01)
        except TimeoutError:
            raise AssertionError(f"not within {WAIT_S} s: {what}") from None

    # --- what the app has ---------------------------------------------------------------------

    def worker_state(self) -> str:
        """The gateway state of the worker's latest heartbeat."""
        item = self.services.worker.heartbeat_item() or {}
        return str(item.get("state", ""))

    def heartbeat_ms(self) -> int:
        item = self.services.worker.heartbeat_item() or {}
        return int(item.get("at_ms", -1))

    def seated(self) -> dict[str, str]:
        item = self.services.store.get((f"G#{GUILD}", "PRESENCE")) or {}
        return {user: entry[0] for user, entry in item.get("members", {}).items()}

    def stored_events(self) -> list[dict[str, object]]:
        items = self.services.store.query_all(f"G#{GUILD}#OBS")
        return [i for i in items if i["kind"] == "e"]

    def snapshot_at_now(self) -> bool:
        items = self.services.store.query_all(f"G#{GUILD}#OBS")
        return any(i["kind"] == "s" and i["t"] == self.clock.now_ms() for i in items)

    async def advance(self, minutes: int, *, connected: bool = True) -> None:
        """Move time a minute at a time, letting a heartbeat (and a snapshot) land at each step,
        as they would every few seconds in real life."""
        for _ in range(minutes):
            self.clock.advance(minutes=1)
            await self.until(lambda: self.heartbeat_ms() == self.clock.now_ms(), "a heartbeat")
            if connected and self.services.sessions.active(GUILD):
                await self.until(self.snapshot_at_now, "a snapshot")

    def credited(self, session_id: str) -> dict[str, Participant]:
        summary = self.services.summaries.summary(GUILD, session_id)
        return {p.user_id: p for p in summary.participants}


@contextlib.asynccontextmanager
async def chain(tmp_path: Path, fake_world: FakeGuild) -> AsyncIterator[Chain]:
    clock = FixedClock(T0)
    store = SqliteStore(tmp_path / "chain.sqlite3")
    services = build_services(store, clock)
    services.guilds.add_channel(GUILD, ROCK)
    services.guilds.add_channel(GUILD, HAUL)
    app = create_app(services, public_key_hex=None, worker_secret=SECRET)
    transport = FlakyTransport(httpx.ASGITransport(app=app))
    async with FakeDiscord(guilds=[fake_world], heartbeat_interval_ms=1000) as fake:
        with fake.patch_discord():
            running = Chain(clock, services, fake, transport, tmp_path, [], [])
            try:
                yield running
            finally:
                for stop in running.stops:
                    stop.set()
                for task in running.workers:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(task, WAIT_S)
    store.close()


async def start_one_worker(c: Chain) -> asyncio.Event:
    stop = asyncio.Event()
    c.start_worker("w1", stop)
    await c.until(lambda: c.heartbeat_ms() == c.clock.now_ms(), "the first heartbeat")
    await c.until(lambda: bool(c.seated()) or not c.fake.guild(GUILD).voice_states, "presence")
    return stop
