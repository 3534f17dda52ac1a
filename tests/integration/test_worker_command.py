"""`sunday-mining worker` as a process, pointed at a loopback Discord by its settings alone
(SM_DISCORD_API_BASE, SM_DISCORD_GATEWAY_URL), as the container image is: it takes the lease,
connects, delivers the READY snapshot, keeps the health file fresh, and on SIGTERM releases the
lease and exits 0. The health check reads the file."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.support.fake_worker_app import FakeWorkerApp

from sunday_mining.worker.healthcheck import check
from sunday_mining_dev.fake_gateway import FakeDiscord, FakeGuild, FakeMember, FakeVoiceChannel

SECRET = "k" * 48
GUILD = "800000000000000001"
VOICE = "800000000000000011"
ALICE = "700000000000000001"
WAIT_S = 10.0


async def _until(predicate: Callable[[], bool], child: asyncio.subprocess.Process) -> None:
    async with asyncio.timeout(WAIT_S):
        while not predicate():
            assert child.returncode is None, "the worker exited"
            await asyncio.sleep(0.05)


@pytest.mark.asyncio
async def test_the_worker_command_runs_against_the_discord_its_settings_name(
    tmp_path: Path,
) -> None:
    guild = FakeGuild(
        id=GUILD,
        name="Sunday Miners",
        channels=[FakeVoiceChannel(VOICE, "Mining", position=0)],
        members=[FakeMember(ALICE, "alice")],
        voice_states={ALICE: VOICE},
    )
    app = FakeWorkerApp(SECRET)
    await app.start()
    health = tmp_path / "health"
    async with FakeDiscord(guilds=[guild], heartbeat_interval_ms=1000) as fake:
        env = {
            **os.environ,
            "DISCORD_BOT_TOKEN": fake.token,
            "SM_APP_URL": app.url,
            "SM_WORKER_SECRET": SECRET,
            "SM_WORKER_SPOOL": str(tmp_path / "spool"),
            "SM_WORKER_HEALTH_FILE": str(health),
            "SM_WORKER_HEARTBEAT_S": "0.2",
            "SM_WORKER_BATCH_FLUSH_S": "0.05",
            "SM_DISCORD_API_BASE": fake.rest_base,
            "SM_DISCORD_GATEWAY_URL": fake.gateway_url,
        }
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "sunday_mining.entrypoints.cli",
            "worker",
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            await _until(lambda: bool(app.snapshots(GUILD)), child)
            assert fake.identify_count == 1
            assert fake.unknown_requests == []
            holder = app.holder
            await _until(health.exists, child)
            healthy, line = check({"SM_WORKER_HEALTH_FILE": str(health)}, time.time())
            assert (healthy, line.split(":")[0]) == (True, "healthy")

            child.send_signal(signal.SIGTERM)
            async with asyncio.timeout(WAIT_S):
                assert await child.wait() == 0
            assert app.releases == [holder]
        finally:
            if child.returncode is None:
                child.kill()
                await child.wait()
            await app.stop()
