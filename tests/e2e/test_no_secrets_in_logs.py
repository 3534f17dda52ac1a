"""A whole op through the real HTTP app, with every logger at DEBUG and EMF metrics on: no
configured secret, interaction token or signature appears in any log line or metrics document.

The worker reports over its signed ingest API, the simulator signs every interaction, and
diagnostics call the local Discord REST sink with the bot token, so every secret is in play.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from nacl.signing import SigningKey
from tests.e2e.conftest import Discord
from tests.support.payroll_flow import custom_id, modal_submit

from sunday_mining import observability
from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.config import Settings
from sunday_mining.domain.clock import FixedClock
from sunday_mining.entrypoints.factories import build_probes, build_services
from sunday_mining.entrypoints.local_server import running_app
from sunday_mining.interactions.commands import command_json
from sunday_mining.ports.worker_protocol import SIGNATURE_HEADER, sign
from sunday_mining.web.app import create_app
from sunday_mining_dev.simulator import DevKeyPair, DiscordSimulator, SinkState
from sunday_mining_dev.simulator.rest_sink import running_sink

T0 = 1_795_370_400_000
APP_ID = "1300000000000000001"
# Made up, in the shape of real ones, so shape-based scrubbing is exercised as well.
BOT_TOKEN = "MTMwMDAwMDAwMDAwMDAwMDAwMQ.GhIjKl." + secrets.token_urlsafe(29)[:38]
WORKER_SECRET = secrets.token_hex(32)
UEX_TOKEN = secrets.token_urlsafe(24)


class RecordingKeys(DevKeyPair):
    """Signs like Discord and remembers every signature, to look for it in the logs."""

    def __init__(self) -> None:
        super().__init__(SigningKey.generate())
        self.signatures: list[str] = []

    def sign(self, timestamp: str, body: bytes) -> str:
        signature = super().sign(timestamp, body)
        self.signatures.append(signature)
        return signature


@dataclass
class Worker:
    """The voice worker's side of the ingest API, signing like the real one."""

    http: httpx.Client
    signatures: list[str]
    seq: int = 0

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        raw = json.dumps(body).encode()
        headers = sign(WORKER_SECRET, f"/worker/v1{path}", raw, time.time())
        self.signatures.append(headers[SIGNATURE_HEADER])
        answer = self.http.post(f"/worker/v1{path}", content=raw, headers=headers)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def move(self, guild_id: str, now_ms: int, users: list[str], channel: str | None) -> None:
        self.seq += 1
        events = [
            {"t_ms": now_ms, "seq": self.seq * 100 + n, "user_id": u, "channel_id": channel}
            for n, u in enumerate(users)
        ]
        batch = {"worker_id": "w1", "guild_id": guild_id, "conn": "c1", "batch_seq": self.seq}
        self.post("/batches", {**batch, "events": events})


@dataclass
class Op:
    discord: Discord
    worker: Worker
    keys: RecordingKeys
    logs: io.StringIO


@pytest.fixture
def _debug_logging_everywhere() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogRecordFactory())
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    stream = io.StringIO()
    observability.configure_logging("e2e", level="DEBUG", json_lines=True, stream=stream)
    metrics = observability.use_metrics(observability.EmfMetrics("e2e-stack"))
    yield stream
    observability.use_metrics(metrics)
    root.handlers[:], root.level = saved[0], saved[1]
    logging.setLogRecordFactory(saved[2])
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _every_logger_at_debug() -> None:
    """After the servers start: uvicorn sets its own loggers' levels when it is configured."""
    for name in list(logging.root.manager.loggerDict):
        logging.getLogger(name).setLevel(logging.DEBUG)


@pytest.fixture
def op(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _debug_logging_everywhere: io.StringIO
) -> Iterator[Op]:
    keys = RecordingKeys()
    env = {
        "DISCORD_BOT_TOKEN": BOT_TOKEN,
        "DISCORD_APPLICATION_ID": APP_ID,
        "DISCORD_PUBLIC_KEY": keys.public_key_hex,
        "SM_WORKER_SECRET": WORKER_SECRET,
        "UEX_API_TOKEN": UEX_TOKEN,
        "SM_SQLITE_PATH": str(tmp_path / "op.sqlite3"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    observability.install_record_redaction()  # what the process does at start: learn the secrets
    sink = SinkState(application_id=APP_ID, bot_token=BOT_TOKEN)
    clock = FixedClock(T0)
    with running_sink(sink) as api_base:
        settings = Settings.from_env({**env, "SM_DISCORD_API_BASE": api_base})
        store = SqliteStore(settings.sqlite_path)
        services = build_services(store, clock, build_probes(settings, store))
        app = create_app(services, public_key_hex=keys.public_key_hex, worker_secret=WORKER_SECRET)
        with (
            running_app(app) as base,
            DiscordSimulator.over_http(
                base, keys=keys, application_id=APP_ID, sink=sink, definitions=command_json()
            ) as sim,
            httpx.Client(base_url=base, timeout=10.0) as http,
        ):
            _every_logger_at_debug()
            yield Op(
                Discord(sim, services, clock), Worker(http, []), keys, _debug_logging_everywhere
            )
        store.close()


def _play_an_op(op: Op) -> None:
    """Setup, the worker's lease and heartbeat, start, status, stop, payroll to final."""
    discord, worker = op.discord, op.worker
    guild, clock = discord.guild_id, discord.clock
    mining_1 = discord.sim.guild.channel("Mining 1").id
    crew = [discord.member(name).id for name in ("ana", "ben", "lead")]
    discord.setup_guild()
    worker.post("/lease", {"worker_id": "w1", "ttl_s": 60})
    worker.post(
        "/heartbeat",
        {
            "worker_id": "w1",
            "conn": "c1",
            "sent_ms": clock.now_ms(),
            "state": "connected",
            "latency_ms": 40,
            "guilds": [guild],
            "gaps": [{"start_ms": clock.now_ms() - 5_000, "end_ms": clock.now_ms() - 2_000}],
            "channels": {guild: {mining_1: {"missing": [], "full": False}}},
        },
    )
    worker.move(guild, clock.now_ms(), crew, mining_1)
    discord.command("lead", "mining start", name="Halo run")
    discord.command("lead", "mining status")
    clock.advance(minutes=90)
    worker.move(guild, clock.now_ms(), crew, None)
    discord.command("lead", "mining stop")
    (session,) = discord.services.sessions.recent(guild)[0]
    view = discord.command("purser", "mining payroll", session=session.session_id)
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Haul"))
    opened = discord.click("purser", view, custom_id(view, "sm1:psale:"))
    view = modal_submit(discord, "purser", opened, {"label": "ARC-L1", "total": "1 234 567"})
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Preview"))
    view = discord.click("purser", view, custom_id(view, "sm1:pask:"))
    discord.click("purser", view, custom_id(view, "sm1:pfin:"))
    discord.command("lead", "mining diagnostics")  # calls the REST sink with the bot token


def test_no_secret_reaches_any_log_line_or_metric_across_a_whole_op(
    op: Op, capsys: pytest.CaptureFixture[str]
) -> None:
    _play_an_op(op)
    # A secret logged by mistake is scrubbed on its way out (the second line of defence).
    logging.getLogger("sunday_mining.canary").debug("oops %s", BOT_TOKEN)
    captured = capsys.readouterr()
    logs = op.logs.getvalue()
    everything = "\n".join([logs, captured.out, captured.err])

    # The capture is real: the op was logged at DEBUG and measured.
    assert '"command":"mining start"' in logs
    assert '"message":"voice batch"' in logs
    assert '"message":"oops [redacted]"' in logs
    emitted = {
        key
        for line in captured.out.splitlines()
        if line.startswith('{"_aws"')
        for key in json.loads(line)
    }
    assert {"Interactions", "InteractionLatency", "VoiceEventsIngested"} <= emitted
    assert {"WorkerGapSeconds", "PayrollsFinalized"} <= emitted

    tokens = [e.token for e in op.discord.sim.transcript.exchanges]
    assert len(tokens) > 10
    secret_values = {
        "bot token": [BOT_TOKEN],
        "worker secret": [WORKER_SECRET],
        "UEX token": [UEX_TOKEN],
        "public key": [op.keys.public_key_hex],
        "private key": [op.keys.seed_hex],
        "interaction token": tokens,
        "interaction signature": op.keys.signatures,
        "worker signature": [s.removeprefix("v2=") for s in op.worker.signatures],
    }
    for kind, values in secret_values.items():
        for value in values:
            assert value not in everything, f"a {kind} was logged"
            assert value[8:32] not in everything, f"part of a {kind} was logged"
