"""Two workers started alike (one host name, one pid: two containers on one host network, where
every pid is 1) never share a lease: each process start has its own worker id."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import discord
import pytest
from tests.support.fake_worker_app import FakeWorkerApp

from sunday_mining.entrypoints.worker import EXIT_OK, run_worker
from sunday_mining.worker.config import WorkerSettings
from sunday_mining.worker.gateway import GatewayBridge, WorkerClient
from sunday_mining_dev.fake_gateway import FakeDiscord, FakeGuild, FakeMember, FakeVoiceChannel

SECRET = "k" * 48
GUILD = "800000000000000001"
VOICE = "800000000000000011"
ALICE = "700000000000000001"
WAIT_S = 5.0


def _guild() -> FakeGuild:
    return FakeGuild(
        id=GUILD,
        name="Sunday Miners",
        channels=[FakeVoiceChannel(VOICE, "Mining", position=0)],
        members=[FakeMember(ALICE, "alice")],
        voice_states={ALICE: VOICE},
    )


def _client(bridge: GatewayBridge) -> discord.Client:
    return WorkerClient(bridge, identify_delay=False, guild_ready_timeout=0.05)


def _settings(app: FakeWorkerApp, spool: Path) -> WorkerSettings:
    env = {"DISCORD_BOT_TOKEN": "fake-token", "SM_APP_URL": app.url, "SM_WORKER_SECRET": SECRET}
    return replace(
        WorkerSettings.from_env(env),
        spool_dir=spool,
        heartbeat_interval_s=0.1,
        batch_flush_s=0.02,
        lease_ttl_s=30,
        lease_retry_s=0.05,
        shutdown_grace_s=2.0,
    )


@pytest.fixture
def same_host_and_pid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "gethostname", lambda: "b3c1f0a2d9e4")
    monkeypatch.setattr(os, "getpid", lambda: 1)


@contextlib.asynccontextmanager
async def _running(settings: WorkerSettings) -> AsyncIterator[asyncio.Task[int]]:
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(settings, client_factory=_client, stop_event=stop))
    try:
        yield task
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 2 * WAIT_S) == EXIT_OK


@pytest.mark.usefixtures("same_host_and_pid")
def test_two_starts_on_one_host_with_one_pid_get_different_ids() -> None:
    env = {"DISCORD_BOT_TOKEN": "t", "SM_APP_URL": "http://app", "SM_WORKER_SECRET": SECRET}
    first, second = WorkerSettings.from_env(env), WorkerSettings.from_env(env)
    assert first.worker_id != second.worker_id
    assert first.worker_id.startswith("b3c1f0a2d9e4-1-")


@pytest.mark.asyncio
@pytest.mark.usefixtures("same_host_and_pid")
async def test_only_one_of_two_workers_alike_takes_the_lease(tmp_path: Path) -> None:
    app = FakeWorkerApp(SECRET)
    await app.start()
    try:
        async with FakeDiscord(guilds=[_guild()], heartbeat_interval_ms=1000) as fake:
            first, second = _settings(app, tmp_path / "a"), _settings(app, tmp_path / "b")
            with fake.patch_discord():
                async with _running(first):
                    async with asyncio.timeout(WAIT_S):
                        while not app.snapshots(GUILD):
                            await asyncio.sleep(0.02)
                    async with _running(second):
                        await asyncio.sleep(0.5)
                        assert app.holder == first.worker_id
                        assert fake.identify_count == 1  # the second one waits
                        assert {b.worker_id for b in app.batches} == {first.worker_id}
    finally:
        await app.stop()
