"""The whole worker (`run_worker`) with the real discord.py client against the loopback fake
Discord, and a fake app speaking the worker protocol: gateway → recorder → spool → app,
the lease, heartbeats, gaps and the bot's presence in the dispatch channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import discord
import pytest
import pytest_asyncio
from tests.support.fake_worker_app import FakeWorkerApp

from sunday_mining.entrypoints.worker import EXIT_APP_AUTH, EXIT_DISCORD_AUTH, EXIT_OK, run_worker
from sunday_mining.worker.config import WorkerSettings
from sunday_mining.worker.gateway import GatewayBridge, WorkerClient
from sunday_mining_dev.fake_gateway import FakeDiscord, FakeGuild, FakeMember, FakeVoiceChannel
from sunday_mining_dev.fake_gateway.model import CONNECT

SECRET = "k" * 48
WORKER = "worker-a"
GUILD = "800000000000000001"
VC1 = "800000000000000011"  # Dispatch
VC2 = "800000000000000012"
VC_FULL = "800000000000000013"  # user limit 1, carol inside
VC_LOCKED = "800000000000000014"  # CONNECT denied to @everyone
ALICE = "700000000000000001"
BOB = "700000000000000002"
CAROL = "700000000000000003"
MUSIC_BOT = "700000000000000009"
BOT = "900000000000000001"
WAIT_S = 5.0


def sample_guild(**voice_states: str) -> FakeGuild:
    return FakeGuild(
        id=GUILD,
        name="Sunday Miners",
        channels=[
            FakeVoiceChannel(VC1, "Dispatch", position=0),
            FakeVoiceChannel(VC2, "Mining", position=1),
            FakeVoiceChannel(VC_FULL, "Duo", user_limit=1, position=2),
            FakeVoiceChannel(VC_LOCKED, "Officers", position=3, deny_everyone=CONNECT),
        ],
        members=[
            FakeMember(ALICE, "alice"),
            FakeMember(BOB, "bob"),
            FakeMember(CAROL, "carol"),
            FakeMember(MUSIC_BOT, "jukebox", bot=True),
        ],
        voice_states={ALICE: VC1, MUSIC_BOT: VC1, CAROL: VC_FULL, **voice_states},
    )


def test_client(bridge: GatewayBridge) -> discord.Client:
    return WorkerClient(bridge, identify_delay=False, guild_ready_timeout=0.05)


test_client.__test__ = False  # type: ignore[attr-defined]


@pytest_asyncio.fixture
async def app() -> AsyncIterator[FakeWorkerApp]:
    fake = FakeWorkerApp(SECRET)
    await fake.start()
    yield fake
    await fake.stop()


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(guilds=[sample_guild()], heartbeat_interval_ms=1000) as fake:
        yield fake


def settings_for(app: FakeWorkerApp, tmp_path: Path, **overrides: Any) -> WorkerSettings:
    base = WorkerSettings(
        bot_token="fake-token",
        app_url=app.url,
        worker_secret=SECRET,
        spool_dir=tmp_path / "spool",
        worker_id=WORKER,
        heartbeat_interval_s=0.1,
        snapshot_interval_s=60.0,
        batch_flush_s=0.02,
        lease_ttl_s=30,
        lease_retry_s=0.05,
        voice_confirm_s=1.0,
        voice_backoff_max_s=0.5,
        restart_backoff_s=0.05,
        restart_backoff_max_s=0.2,
        shutdown_grace_s=2.0,
        health_file=tmp_path / "health",
    )
    return replace(base, **overrides)


@dataclass
class RunningWorker:
    task: asyncio.Task[int]
    stop: asyncio.Event

    async def stopped(self) -> int:
        self.stop.set()
        return await asyncio.wait_for(self.task, 2 * WAIT_S)


@contextlib.asynccontextmanager
async def running(
    settings: WorkerSettings,
    fake: FakeDiscord,
    factory: Callable[[GatewayBridge], discord.Client] = test_client,
) -> AsyncIterator[RunningWorker]:
    stop = asyncio.Event()
    with fake.patch_discord():
        task = asyncio.create_task(run_worker(settings, client_factory=factory, stop_event=stop))
        worker = RunningWorker(task, stop)
        try:
            yield worker
        finally:
            if not task.done():
                await worker.stopped()
    assert fake.unknown_requests == []
    assert fake.protocol_errors == []


async def until(app: FakeWorkerApp, predicate: Callable[[], bool], worker: RunningWorker) -> None:
    """Wait for predicate(); fail at once if the worker stopped."""
    try:
        async with asyncio.timeout(WAIT_S):
            while not predicate():
                if worker.task.done():
                    raise AssertionError(f"worker exited with {worker.task.result()}")
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"not within {WAIT_S} s; the app has {app.events()}") from None


def last_heartbeat(app: FakeWorkerApp) -> dict[str, Any]:
    return app.heartbeats[-1] if app.heartbeats else {}


@pytest.mark.asyncio
async def test_voice_reaches_the_app_with_snapshots_events_and_bots_flagged(
    app: FakeWorkerApp, fake: FakeDiscord, tmp_path: Path
) -> None:
    async with running(settings_for(app, tmp_path), fake) as worker:
        await until(app, lambda: bool(app.snapshots(GUILD)), worker)
        await fake.voice_join(GUILD, BOB, VC2)
        await fake.voice_toggle_mute(GUILD, BOB)
        await fake.voice_toggle_deaf(GUILD, BOB)
        await fake.voice_move(GUILD, BOB, VC1)
        await fake.voice_leave(GUILD, ALICE)
        await fake.voice_leave(GUILD, MUSIC_BOT)
        await until(app, lambda: len(app.events(GUILD)) == 4, worker)
        await until(app, lambda: last_heartbeat(app).get("state") == "connected", worker)

    snapshot = app.snapshots(GUILD)[0]
    assert snapshot["channels"] == {
        VC1: sorted([ALICE, MUSIC_BOT]),
        VC2: [],
        VC_FULL: [CAROL],
        VC_LOCKED: [],
    }
    assert snapshot["bots"] == [MUSIC_BOT]
    assert [(e["user_id"], e["channel_id"], e["bot"]) for e in app.events(GUILD)] == [
        (BOB, VC2, False),
        (BOB, VC1, False),
        (ALICE, None, False),
        (MUSIC_BOT, None, True),
    ]
    seqs = [snapshot["seq"], *(e["seq"] for e in app.events(GUILD))]
    assert seqs == sorted(seqs)
    assert len({b.conn for b in app.batches}) == 1
    assert fake.intents == (1 << 0) | (1 << 7)  # GUILDS and GUILD_VOICE_STATES only
    beat = last_heartbeat(app)
    assert beat["guilds"] == [GUILD]
    assert beat["worker_id"] == WORKER
    assert beat["loop_lag_p99_ms"] >= 0
    assert (tmp_path / "health").exists()
    assert app.releases == [WORKER]


@pytest.mark.asyncio
async def test_a_resume_reports_the_gap_and_sends_a_snapshot_under_a_new_conn(
    app: FakeWorkerApp, fake: FakeDiscord, tmp_path: Path
) -> None:
    async with running(settings_for(app, tmp_path), fake) as worker:
        await until(app, lambda: bool(app.snapshots(GUILD)), worker)
        first_conn = app.batches[0].conn
        fake.hold_connections(True)
        await fake.drop_connection(4000)
        await fake.wait_for(lambda: fake.held_connections == 1)
        await fake.voice_leave(GUILD, ALICE)  # happens while the worker is away
        fake.hold_connections(False)
        await until(app, lambda: len({b.conn for b in app.batches}) == 2, worker)
        await until(app, lambda: any(h["gaps"] for h in app.heartbeats), worker)

    assert fake.resume_count == 1
    second_conn = next(b.conn for b in app.batches if b.conn != first_conn)
    assert first_conn < second_conn
    resumed = [b for b in app.batches if b.conn == second_conn]
    assert resumed[0].batch_seq == 1
    assert resumed[0].snapshots[0]["seq"] == 1
    assert ALICE not in resumed[0].snapshots[0]["channels"][VC1]
    # The leave was replayed before RESUMED: sent under the old conn, inside the gap.
    (gap,) = [g for h in app.heartbeats for g in h["gaps"]]
    (leave,) = [e for e in app.events(GUILD) if e["user_id"] == ALICE]
    assert leave["channel_id"] is None
    assert gap["start_ms"] <= leave["t_ms"] <= gap["end_ms"]


@pytest.mark.asyncio
async def test_an_invalid_session_re_identifies_with_a_new_conn_and_snapshot(
    app: FakeWorkerApp, fake: FakeDiscord, tmp_path: Path
) -> None:
    async with running(settings_for(app, tmp_path), fake) as worker:
        await until(app, lambda: bool(app.snapshots(GUILD)), worker)
        await fake.invalidate_session(resumable=False)
        await until(app, lambda: len(app.snapshots(GUILD)) == 2, worker)
        await until(app, lambda: last_heartbeat(app).get("reconnects_24h") == 1, worker)

    assert fake.identify_count == 2
    assert len({b.conn for b in app.batches}) == 2
    assert (tmp_path / "spool" / "identifies.json").exists()  # the budget survives restarts


@pytest.mark.asyncio
async def test_the_bot_sits_in_dispatch_self_deafened_and_leaves_when_the_op_ends(
    app: FakeWorkerApp, fake: FakeDiscord, tmp_path: Path
) -> None:
    app.presence = {GUILD: VC1}
    async with running(settings_for(app, tmp_path), fake) as worker:
        await until(
            app,
            lambda: (
                last_heartbeat(app).get("voice", {}).get(GUILD)
                == {"channel_id": VC1, "requested": VC1, "error": None}
            ),
            worker,
        )
        assert fake.voice_state_requests == [
            {"guild_id": GUILD, "channel_id": VC1, "self_deaf": True, "self_mute": False}
        ]
        assert fake.guild(GUILD).voice_states[BOT] == VC1

        app.presence = {GUILD: None}
        await until(
            app,
            lambda: (
                last_heartbeat(app).get("voice", {}).get(GUILD)
                == {"channel_id": None, "requested": None, "error": None}
            ),
            worker,
        )

    assert fake.voice_state_requests[-1]["channel_id"] is None
    own = [(e["channel_id"], e["bot"]) for e in app.events(GUILD) if e["user_id"] == BOT]
    assert own == [(VC1, True), (None, True)]  # the bot's own presence never counts


@pytest.mark.parametrize(
    ("channel", "error"),
    [(VC_LOCKED, "missing permission CONNECT"), (VC_FULL, "channel full")],
)
@pytest.mark.asyncio
async def test_a_channel_the_bot_cannot_join_is_reported_with_the_cause(
    app: FakeWorkerApp, fake: FakeDiscord, tmp_path: Path, channel: str, error: str
) -> None:
    app.presence = {GUILD: channel}
    app.watch = {GUILD: [VC1, VC_FULL, VC_LOCKED]}
    async with running(settings_for(app, tmp_path), fake) as worker:
        await until(
            app,
            lambda: last_heartbeat(app).get("voice", {}).get(GUILD, {}).get("error") == error,
            worker,
        )
        await until(app, lambda: bool(last_heartbeat(app).get("channels")), worker)

    assert last_heartbeat(app)["channels"][GUILD] == {
        VC1: {"missing": [], "full": False},
        VC_FULL: {"missing": [], "full": True},
        VC_LOCKED: {"missing": ["CONNECT"], "full": False},
    }
    assert fake.voice_state_requests == []  # a join that cannot work is not even tried


@pytest.mark.asyncio
async def test_a_leftover_presence_is_cleared_once_the_app_has_spoken(
    app: FakeWorkerApp, tmp_path: Path
) -> None:
    guild = sample_guild(**{BOT: VC2})  # a ghost from the previous process
    async with FakeDiscord(guilds=[guild], heartbeat_interval_ms=1000) as fake:
        app.presence = {GUILD: None}
        async with running(settings_for(app, tmp_path), fake) as worker:
            await until(app, lambda: BOT not in fake.guild(GUILD).voice_states, worker)
            await until(
                app,
                lambda: (
                    last_heartbeat(app).get("voice", {}).get(GUILD, {}).get("channel_id") is None
                ),
                worker,
            )
        assert fake.voice_state_requests[0]["channel_id"] is None


@pytest.mark.asyncio
async def test_a_second_worker_waits_for_the_lease_and_takes_over_on_release(
    app: FakeWorkerApp, fake: FakeDiscord, tmp_path: Path
) -> None:
    first = settings_for(app, tmp_path / "a")
    second = settings_for(app, tmp_path / "b", worker_id="worker-b")
    async with running(first, fake) as worker_a:
        await until(app, lambda: bool(app.snapshots(GUILD)), worker_a)
        async with running(second, fake) as worker_b:
            await asyncio.sleep(0.3)
            assert fake.identify_count == 1  # the second worker never connected
            assert app.holder == WORKER
            assert await worker_a.stopped() == EXIT_OK  # a deploy stops the old one
            await until(app, lambda: app.holder == "worker-b", worker_b)
            await until(app, lambda: fake.identify_count == 2, worker_b)
            await until(app, lambda: any(b.worker_id == "worker-b" for b in app.batches), worker_b)


@pytest.mark.asyncio
async def test_a_409_stops_the_gateway_and_the_worker_waits_for_the_lease_again(
    app: FakeWorkerApp, fake: FakeDiscord, tmp_path: Path
) -> None:
    async with running(settings_for(app, tmp_path), fake) as worker:
        await until(app, lambda: fake.connected and bool(app.heartbeats), worker)
        app.grant_to("worker-b")  # another worker took the lease over
        await until(app, lambda: not fake.connected, worker)
        leases_before = app.attempts.count("/worker/v1/lease")
        await asyncio.sleep(0.3)
        assert app.attempts.count("/worker/v1/lease") > leases_before  # asking again
        assert fake.identify_count == 1  # and not connecting meanwhile

        app.grant_to(None)
        await until(app, lambda: fake.identify_count == 2 and fake.connected, worker)
        await until(app, lambda: len(app.snapshots(GUILD)) == 2, worker)


class _CrashingClient(WorkerClient):
    async def start(self, token: str, *, reconnect: bool = True) -> None:
        raise RuntimeError("the gateway client crashed")


@pytest.mark.asyncio
async def test_a_crashed_session_backs_off_heartbeating_then_reconnects(
    app: FakeWorkerApp, fake: FakeDiscord, tmp_path: Path
) -> None:
    clients: list[discord.Client] = []

    def crash_once(bridge: GatewayBridge) -> discord.Client:
        if not clients:
            clients.append(_CrashingClient(bridge))
        else:
            clients.append(test_client(bridge))
        return clients[-1]

    settings = settings_for(app, tmp_path, restart_backoff_s=0.4, restart_backoff_max_s=0.4)
    async with running(settings, fake, crash_once) as worker:
        await until(app, lambda: bool(app.snapshots(GUILD)), worker)

    assert len(clients) == 2
    assert fake.identify_count == 1
    assert "disconnected" in [h["state"] for h in app.heartbeats]  # alive, not connected


@pytest.mark.asyncio
async def test_a_wrong_secret_stops_the_worker_before_it_connects(
    app: FakeWorkerApp, fake: FakeDiscord, tmp_path: Path
) -> None:
    settings = settings_for(app, tmp_path, worker_secret="w" * 48)
    async with running(settings, fake) as worker:
        assert await asyncio.wait_for(worker.task, WAIT_S) == EXIT_APP_AUTH
    assert fake.identify_count == 0


@pytest.mark.asyncio
async def test_a_refused_bot_token_stops_the_worker_and_releases_the_lease(
    app: FakeWorkerApp, fake: FakeDiscord, tmp_path: Path
) -> None:
    settings = settings_for(app, tmp_path, bot_token="not-the-token")
    async with running(settings, fake) as worker:
        assert await asyncio.wait_for(worker.task, WAIT_S) == EXIT_DISCORD_AUTH
    assert fake.identify_count == 0
    assert app.releases == [WORKER]


_SIGTERM_CHILD = """
import asyncio, json, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from tests.integration import test_worker_gateway as t
from tests.support.fake_worker_app import FakeWorkerApp
from sunday_mining_dev.fake_gateway import FakeDiscord
from sunday_mining.entrypoints.worker import run_worker

async def main() -> None:
    app = FakeWorkerApp(t.SECRET)
    await app.start()
    app.presence = {t.GUILD: t.VC1}
    async with FakeDiscord(guilds=[t.sample_guild()], heartbeat_interval_ms=1000) as fake:
        settings = t.settings_for(app, Path(tempfile.mkdtemp()))
        with fake.patch_discord():
            worker = asyncio.create_task(run_worker(settings, client_factory=t.test_client))
            while fake.guild(t.GUILD).voice_states.get(t.BOT) != t.VC1:
                await asyncio.sleep(0.01)
            print("ready", flush=True)
            code = await worker
        seat = fake.guild(t.GUILD).voice_states.get(t.BOT)
    print(json.dumps({"code": code, "releases": app.releases, "seat": seat}), flush=True)
    await app.stop()

asyncio.run(main())
"""


@pytest.mark.asyncio
async def test_sigterm_leaves_voice_releases_the_lease_and_exits_0() -> None:
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([f"{root}/src", root])}
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _SIGTERM_CHILD,
        root,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
    )
    assert child.stdout is not None
    try:
        async with asyncio.timeout(3 * WAIT_S):
            assert (await child.stdout.readline()).strip() == b"ready"
            child.send_signal(signal.SIGTERM)
            outcome = json.loads(await child.stdout.readline())
            assert await child.wait() == 0
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    assert outcome == {"code": EXIT_OK, "releases": [WORKER], "seat": None}
