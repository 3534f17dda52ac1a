"""The whole voice chain: the loopback fake Discord → the real discord.py client in the worker →
the app's ingest API → the store → credited time. One controllable clock is shared by the
worker (which stamps what it sees) and the app, so credited seconds can be checked exactly.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest

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


@pytest.mark.asyncio
async def test_joins_moves_and_leaves_give_exact_credited_seconds(tmp_path: Path) -> None:
    async with chain(tmp_path, world(**{ANA: ROCK, DEE: HAUL})) as c:
        await start_one_worker(c)
        session = c.services.sessions.start_sunday(GUILD, "lead")
        fake = c.fake
        await c.advance(10)
        await fake.voice_join(GUILD, BEN, ROCK)
        await c.until(lambda: len(c.stored_events()) == 1, "ben's join")
        await c.advance(20)
        await fake.voice_move(GUILD, ANA, HAUL)  # between tracked channels: seamless
        await fake.voice_move(GUILD, BEN, LOBBY)  # to an untracked channel: ben's time ends
        await c.until(lambda: len(c.stored_events()) == 3, "the moves")
        await c.advance(15)
        await fake.voice_join(GUILD, CY, HAUL)
        await fake.voice_toggle_mute(GUILD, CY)  # mute toggles never split time
        await fake.voice_join(GUILD, JUKEBOX, ROCK)  # bots never count
        await c.until(lambda: len(c.stored_events()) == 4, "cy's join")
        await c.advance(5)
        await fake.voice_leave(GUILD, ANA)
        await c.until(lambda: len(c.stored_events()) == 5, "ana's leave")
        await c.advance(10)
        c.services.sessions.stop(GUILD, session.session_id)
        await c.advance(2, connected=False)  # dee stays on after the stop: it must not count

        credited = c.credited(session.session_id)
        assert {u: p.credited_seconds for u, p in credited.items()} == {
            ANA: 50 * 60,
            BEN: 20 * 60,
            CY: 15 * 60,
            DEE: 60 * 60,  # present from before the start to after the stop: the whole session
        }
        assert not any(p.gap_affected for p in credited.values())


@pytest.mark.asyncio
async def test_a_resume_replays_missed_events_and_flags_the_gap(tmp_path: Path) -> None:
    async with chain(tmp_path, world(**{ANA: ROCK})) as c:
        await start_one_worker(c)
        session = c.services.sessions.start_sunday(GUILD, "lead")
        await c.advance(5)
        c.fake.hold_connections(True)
        await c.fake.drop_connection()
        await c.fake.voice_join(GUILD, BEN, ROCK)  # happens while the worker is away
        await c.advance(2, connected=False)
        resumes = c.fake.resume_count
        c.fake.hold_connections(False)
        await c.until(lambda: c.fake.resume_count == resumes + 1, "the resume")
        await c.until(lambda: len(c.stored_events()) == 1, "the replayed join")
        await c.advance(13)
        c.services.sessions.stop(GUILD, session.session_id)

        credited = c.credited(session.session_id)
        assert c.fake.identify_count == 1  # resumed, not re-identified
        # The replayed join arrives late: it is stamped when it was seen, and the gap is shown.
        assert credited[ANA].credited_seconds == 20 * 60
        assert credited[BEN].credited_seconds == 13 * 60
        # Ben's join could have happened at any time in the gap; Ana sat through it.
        assert credited[BEN].gap_affected
        assert not credited[ANA].gap_affected


@pytest.mark.asyncio
async def test_an_invalid_session_reconciles_from_an_empty_fresh_snapshot(tmp_path: Path) -> None:
    async with chain(tmp_path, world(**{ANA: ROCK, BEN: HAUL})) as c:
        await start_one_worker(c)
        session = c.services.sessions.start_sunday(GUILD, "lead")
        await c.advance(10)
        c.fake.hold_connections(True)
        identifies = c.fake.identify_count
        await c.fake.invalidate_session(resumable=False)
        # Until the worker has taken in the invalid session it is still "connected" and its
        # minute snapshots still list both from its cache: the clock must not move before.
        await c.until(lambda: c.worker_state() != "connected", "the worker leaving the session")
        # Both leave while the worker is away; Discord will not replay this.
        await c.fake.voice_leave(GUILD, ANA)
        await c.fake.voice_leave(GUILD, BEN)
        await c.advance(3, connected=False)
        c.fake.hold_connections(False)
        await c.until(lambda: c.fake.identify_count == identifies + 1, "a fresh IDENTIFY")
        await c.until(lambda: c.seated() == {}, "the empty snapshot")
        await c.advance(5)
        c.services.sessions.stop(GUILD, session.session_id)

        credited = c.credited(session.session_id)
        # Closed at the last time each was known present (the last snapshot before the gap),
        # and flagged for the officer.
        assert {u: p.credited_seconds for u, p in credited.items()} == {ANA: 600, BEN: 600}
        assert all(p.gap_affected for p in credited.values())


@pytest.mark.asyncio
async def test_records_made_while_the_app_is_down_are_spooled_then_delivered_once(
    tmp_path: Path,
) -> None:
    async with chain(tmp_path, world(**{ANA: ROCK})) as c:
        await start_one_worker(c)
        session = c.services.sessions.start_sunday(GUILD, "lead")
        await c.advance(1)
        c.transport.down = True
        await c.fake.voice_join(GUILD, BEN, ROCK)
        await c.fake.voice_join(GUILD, CY, HAUL)
        await asyncio.sleep(0.3)  # the worker tries, fails and spools
        assert c.stored_events() == []
        c.transport.down = False
        await c.until(lambda: len(c.stored_events()) == 2, "the spooled batches")
        await c.advance(9)
        c.services.sessions.stop(GUILD, session.session_id)

        events = c.stored_events()
        assert len(events) == len({(e["conn"], e["seq"]) for e in events}) == 2
        credited = c.credited(session.session_id)
        assert {u: p.credited_seconds for u, p in credited.items()} == {
            ANA: 600,
            BEN: 540,
            CY: 540,
        }


@pytest.mark.asyncio
async def test_a_second_worker_waits_for_the_lease_instead_of_double_writing(
    tmp_path: Path,
) -> None:
    async with chain(tmp_path, world(**{ANA: ROCK})) as c:
        first = await start_one_worker(c)
        second = asyncio.Event()
        c.start_worker("w2", second)
        await asyncio.sleep(0.5)
        assert c.fake.identify_count == 1  # the second never even connects to Discord
        session = c.services.sessions.start_sunday(GUILD, "lead")
        await c.fake.voice_join(GUILD, BEN, ROCK)
        await c.until(lambda: len(c.stored_events()) == 1, "ben's join")

        first.set()  # a graceful stop releases the lease; the second takes over
        assert await asyncio.wait_for(c.workers.pop(0), WAIT_S) == 0
        await c.until(lambda: c.fake.identify_count == 2, "the second worker connecting")
        await c.until(
            lambda: (c.services.worker.heartbeat_item() or {}).get("worker_id") == "w2",
            "the second worker's heartbeat",
        )
        await c.fake.voice_leave(GUILD, BEN)
        await c.until(lambda: len(c.stored_events()) == 2, "ben's leave")
        events = c.stored_events()
        assert len({(e["conn"], e["seq"]) for e in events}) == 2
        c.services.sessions.stop(GUILD, session.session_id)


@pytest.mark.asyncio
async def test_the_bot_sits_in_dispatch_during_an_op_and_leaves_after(tmp_path: Path) -> None:
    async with chain(tmp_path, world(**{ANA: ROCK})) as c:
        c.services.guilds.add_channel(GUILD, LOBBY, dispatch=True)
        await start_one_worker(c)
        session = c.services.sessions.start_sunday(GUILD, "lead")

        def bot_seat() -> str | None:
            return c.fake.guild(GUILD).voice_states.get(c.fake.bot.id)

        await c.until(lambda: bot_seat() == LOBBY, "the bot joining dispatch")
        request = c.fake.voice_state_requests[-1]
        assert request["channel_id"] == LOBBY
        assert request["self_deaf"] is True

        def reported() -> dict[str, object]:
            beat = c.services.worker.heartbeat_item() or {}
            return dict((beat.get("voice") or {}).get(GUILD) or {})

        await c.until(lambda: reported().get("channel_id") == LOBBY, "the worker reporting it")
        c.services.sessions.stop(GUILD, session.session_id)
        await c.until(lambda: bot_seat() is None, "the bot leaving")
        # The bot never counts, even sitting in a tracked channel.
        assert c.fake.bot.id not in c.credited(session.session_id)
