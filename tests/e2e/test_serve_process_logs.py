"""`sunday-mining serve` as a real process with its default logging: requests of every kind
(signed interactions, signed worker calls, report links with a signature, health) leave an
access line each on stderr, and no traceback or secret anywhere in its output."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from sunday_mining.interactions.commands import command_json
from sunday_mining.ports.worker_protocol import SIGNATURE_HEADER, sign
from sunday_mining.reports.links import ReportLinks
from sunday_mining_dev.simulator import DevKeyPair, PayloadFactory, sample_guild
from sunday_mining_dev.simulator.tamper import signed_request

APP_ID = "1300000000000000001"
# Made up, in the shape of a real one, so shape-based scrubbing is exercised as well.
BOT_TOKEN = "MTMwMDAwMDAwMDAwMDAwMDAwMQ.GhIjKl." + secrets.token_urlsafe(29)[:38]
WORKER_SECRET = secrets.token_hex(32)
LINK_KEY = secrets.token_urlsafe(32)
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    base: str
    keys: DevKeyPair
    stderr: Path
    stdout: Path
    # Everything secret the requests carried, to look for in the output.
    carried: dict[str, list[str]] = field(default_factory=dict)

    def remember(self, kind: str, value: str) -> None:
        self.carried.setdefault(kind, []).append(value)


def _wait_until_up(process: subprocess.Popen[bytes], base: str, stderr: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited with {process.returncode}: {stderr.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"serve did not answer /health within {START_TIMEOUT_S:g} s")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    keys = DevKeyPair.generate()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SM_", "DISCORD_", "AWS_", "UEX_"))
    }
    env.update(
        SM_STORE="sqlite",
        SM_SQLITE_PATH=str(tmp_path / "sm.sqlite3"),
        SM_REPORTS_DIR=str(tmp_path / "reports"),
        SM_HOST="127.0.0.1",
        SM_PORT=str(port),
        SM_PRICE_REFRESH_S="0",
        # Nothing listens there: any Discord call fails fast, on loopback.
        SM_DISCORD_API_BASE=f"http://127.0.0.1:{_free_port()}/api/v10",
        DISCORD_PUBLIC_KEY=keys.public_key_hex,
        DISCORD_APPLICATION_ID=APP_ID,
        DISCORD_BOT_TOKEN=BOT_TOKEN,
        SM_WORKER_SECRET=WORKER_SECRET,
        SM_LINK_SIGNING_KEY=LINK_KEY,
        SM_PUBLIC_URL=base,
    )
    stderr, stdout = tmp_path / "serve.stderr", tmp_path / "serve.stdout"
    with stderr.open("wb") as err, stdout.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "sunday_mining.entrypoints.cli", "serve"],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=err,
        )
    try:
        _wait_until_up(process, base, stderr)
        yield Served(base, keys, stderr, stdout)
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)


def _interact(http: httpx.Client, served: Served, payload: dict[str, Any]) -> httpx.Response:
    headers, body = signed_request(served.keys, payload, int(time.time()))
    served.remember("interaction token", str(payload["token"]))
    served.remember("interaction signature", headers["X-Signature-Ed25519"])
    return http.post(
        "/interactions", content=body, headers={**headers, "Content-Type": "application/json"}
    )


def _worker(http: httpx.Client, served: Served, path: str, body: dict[str, Any]) -> int:
    raw = json.dumps(body).encode()
    headers = sign(WORKER_SECRET, f"/worker/v1{path}", raw, time.time())
    served.remember("worker signature", headers[SIGNATURE_HEADER].partition("=")[2])
    return http.post(f"/worker/v1{path}", content=raw, headers=headers).status_code


def _requests_of_every_kind(served: Served) -> None:
    guild = sample_guild()
    payloads = PayloadFactory(APP_ID, guild, definitions=command_json())
    links = ReportLinks(LINK_KEY.encode(), served.base)
    with httpx.Client(base_url=served.base, timeout=10.0) as http:
        assert http.get("/health").status_code == 200
        assert _interact(http, served, payloads.ping()).json() == {"type": 1}
        status = payloads.command(guild.member("lead"), "mining status", {})
        assert _interact(http, served, status).status_code == 200
        worker = {"worker_id": "w1"}
        assert _worker(http, served, "/lease", {**worker, "ttl_s": 60}) == 200
        beat = {
            **worker,
            "conn": "1795370400123-9f2c01ab",
            "sent_ms": int(time.time() * 1000),
            "state": "connected",
            "guilds": [guild.id],
        }
        assert _worker(http, served, "/heartbeat", beat) == 200
        assert _worker(http, served, "/lease/release", worker) == 200
        forged = http.post(
            "/worker/v1/lease",
            content=b"{}",
            headers={SIGNATURE_HEADER: "v1=" + "ab" * 32, "X-SM-Worker-Timestamp": "1"},
        )
        assert forged.status_code == 401
        link = links.url("report-one", now_s=int(time.time()))
        served.remember("report link signature", link.partition("?sig=")[2])
        assert http.get(link).status_code == 404
        assert http.head(link).status_code == 404
        tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
        served.remember("report link signature", tampered.partition("?sig=")[2])
        assert http.get(tampered).status_code == 403


def test_serve_logs_every_request_without_tracebacks_or_secrets(served: Served) -> None:
    _requests_of_every_kind(served)
    time.sleep(0.3)  # the last access line is written after the answer is sent
    stderr = served.stderr.read_text()
    output = stderr + served.stdout.read_text()

    assert "Traceback" not in output
    assert "Logging error" not in output
    secrets_in_play = {
        "worker secret": [WORKER_SECRET],
        "bot token": [BOT_TOKEN],
        "link-signing key": [LINK_KEY],
        **served.carried,
    }
    for kind, values in secrets_in_play.items():
        for value in values:
            assert value not in output, f"a {kind} is in the serve process's output"
    for line in (
        '"GET /health HTTP/1.1" 200',
        '"POST /interactions HTTP/1.1" 200',
        '"POST /worker/v1/lease HTTP/1.1" 200',
        '"POST /worker/v1/heartbeat HTTP/1.1" 200',
        '"POST /worker/v1/lease/release HTTP/1.1" 200',
        '"POST /worker/v1/lease HTTP/1.1" 401',
        '"GET /reports/report-one?sig=[redacted] HTTP/1.1" 404',
        '"HEAD /reports/report-one?sig=[redacted] HTTP/1.1" 404',
        '"GET /reports/report-one?sig=[redacted] HTTP/1.1" 403',
    ):
        assert line in stderr, f"no access line {line} on stderr"
