"""Load: the local server under ~50 signed interactions a second for a minute, from a second
process.

The server is the project's own ``sunday-mining serve`` (uvicorn on a SQLite file, the embedded
default) in one process; ``tests/reliability/load_generator.py`` in another signs and sends an
open-loop mix — PING, /mining status, ore autocomplete, adhoc sessions started and stopped —
at 50 a second for 60 seconds. It proves zero errors: no 5xx or other non-200, no timeout or
connection error, never the catch-all failure answer, every adhoc start and stop doing what it
said, and every sampled answer (one in ten, and every adhoc one) valid for Discord. It also
proves the generator really reached at least 90 % of the rate. Latency is reported (p50, p99),
never asserted: a slow machine is not a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sunday_mining.entrypoints.local_server import free_port
from sunday_mining_dev.simulator import DevKeyPair

ROOT = Path(__file__).resolve().parents[2]
RATE = 50
SECONDS = 60


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, DevKeyPair]]:
    keys = DevKeyPair.generate()
    port = free_port()
    env = {
        **os.environ,
        "SM_STORE": "sqlite",
        "SM_SQLITE_PATH": str(tmp_path / "load.sqlite3"),
        "SM_REPORTS_DIR": str(tmp_path / "reports"),
        "SM_HOST": "127.0.0.1",
        "DISCORD_PUBLIC_KEY": keys.public_key_hex,
        "SM_PRICE_REFRESH_S": "0",
        "SM_LOG_LEVEL": "WARNING",
    }
    command = "from sunday_mining.entrypoints.cli import main; raise SystemExit(main())"
    process = subprocess.Popen(  # stopped below, by its own handle
        [sys.executable, "-c", command, "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base, process)
        yield base, keys
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def _wait_for(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited ({process.returncode})")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("the server did not come up in 30 s")


@pytest.mark.slow
def test_fifty_signed_interactions_a_second_for_a_minute(server: tuple[str, DevKeyPair]) -> None:
    base, keys = server
    generator = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.reliability.load_generator",
            base,
            keys.seed_hex,
            str(RATE),
            str(SECONDS),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])},
        capture_output=True,
        text=True,
        timeout=SECONDS * 3,
        check=False,
    )
    assert generator.returncode == 0, generator.stderr[-3000:]
    report = json.loads(generator.stdout.strip().splitlines()[-1])
    print(
        f"\nload: {report['sent']} interactions in {report['seconds']} s "
        f"= {report['rate']}/s (target {RATE}/s); p50 {report['p50_ms']} ms, "
        f"p99 {report['p99_ms']} ms, max {report['max_ms']} ms; {report['kinds']}; "
        f"{report['contract_checked']} answers contract-checked; {report['errors']} errors"
    )
    assert report["errors"] == 0, report["first_errors"]
    assert report["answered"] == report["sent"] + 2  # + the setup commands
    assert report["rate"] >= 0.9 * RATE
    assert report["kinds"].get("adhoc start", 0) >= 10
    assert report["kinds"].get("adhoc stop", 0) >= 10
