"""Faults at the process level: ``sunday-mining serve`` as a real process, killed with SIGKILL
at random moments and started again on the same SQLite file.

A scripted voice worker sends large batches continuously (500 channel changes each) while the
serve process is killed after a random 50-500 ms; a batch without a 200 is kept and sent again
after the restart, as the worker's spool does. Then an officer finalizes the op's payroll and the
process is killed a random 0-1.5 s after the click: during the finalize, while the report job
builds the PDF, or while it delivers. Each round is one op; after every restart it checks:

* every batch the worker got a 200 for is stored, whole, with each observation once;
* the payroll ends final exactly once (a finalize the kill cut off is clicked again, as the
  officer would; the second click is refused if the first had committed);
* the report reaches Discord (the simulator's REST sink) exactly once: one post in the report
  channel, and at most one follow-up to the officer, also when the kill came between claiming
  the delivery and marking it sent (the restarted serve takes the dead claim over and posts
  with the same enforced nonce, which Discord keeps to one message).

Loopback only; every process started is killed at the end. Nothing in the app knows it is being
tested: the moments are chosen from outside, by the clock.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.reliability.conftest import component_ids

from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.entrypoints.local_server import free_port
from sunday_mining.interactions.commands import command_json
from sunday_mining.ports.worker_protocol import sign
from sunday_mining.reports.service import DELIVERY_PREFIX
from sunday_mining.services import keys
from sunday_mining.services.payroll.codec import VERSION_PREFIX
from sunday_mining_dev.simulator import DevKeyPair, DiscordSimulator, Exchange, SinkState
from sunday_mining_dev.simulator.rest_sink import running_sink
from sunday_mining_dev.simulator.sample_guild import sample_guild

APP_ID = "1300000000000000009"
BOT_TOKEN = "process-kill-bot-token"
WORKER_SECRET = "k" * 48
WORKER_ID = "w-kill"
ROUNDS = 3
VOICE_KILLS = 2  # per round
CREW = 40
BATCH_EVENTS = 500  # the most one batch may hold: the longest a batch takes to store
START_TIMEOUT_S = 20.0
REPORT_TIMEOUT_S = 20.0
SEED = int(os.environ.get("SM_KILL_SEED", "0")) or random.SystemRandom().randrange(1, 10**6)


def _crew_ids() -> list[str]:
    return [f"3{n:018d}" for n in range(1, CREW + 1)]


class Server:
    """``sunday-mining serve`` on a fixed port and data folder, killed and started at will."""

    def __init__(self, tmp: Path, keys_hex: str, sink_url: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.db = tmp / "sm.sqlite3"
        self.log = tmp / "serve.log"
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SM_", "DISCORD_", "AWS_", "UEX_"))
        }
        self.env.update(
            SM_STORE="sqlite",
            SM_SQLITE_PATH=str(self.db),
            SM_REPORTS_DIR=str(tmp / "reports"),
            SM_HOST="127.0.0.1",
            SM_PORT=str(self.port),
            SM_PRICE_REFRESH_S="0",
            SM_DISCORD_API_BASE=sink_url,
            DISCORD_PUBLIC_KEY=keys_hex,
            DISCORD_APPLICATION_ID=APP_ID,
            DISCORD_BOT_TOKEN=BOT_TOKEN,
            SM_WORKER_SECRET=WORKER_SECRET,
            SM_PUBLIC_URL=self.base,
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "sunday_mining.entrypoints.cli", "serve"],
                env=self.env,
                cwd=self.db.parent,
                stdout=out,
                stderr=out,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"serve exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base}/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        pytest.fail(f"serve did not start within {START_TIMEOUT_S:g} s")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
            self.kills += 1
        self.process = None

    def restart_after_kill(self) -> None:
        self.kill()
        self.start()


@dataclass
class Worker:
    """The voice worker as the app sees it: batches kept until a 200, sent again otherwise."""

    base: str
    guild_id: str
    channel_id: str
    rng: random.Random
    conn: str = field(default_factory=lambda: f"{int(time.time() * 1000):013d}-9f2c01ab")
    seq: int = 0
    batch_seq: int = 0
    seated: dict[str, bool] = field(default_factory=dict)
    acked: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    spool: dict[int, dict[str, Any]] = field(default_factory=dict)

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        raw = json.dumps(body).encode()
        headers = sign(WORKER_SECRET, path, raw, time.time())
        return httpx.post(f"{self.base}{path}", content=raw, headers=headers, timeout=10.0)

    def take_lease(self) -> None:
        answer = self.post("/worker/v1/lease", {"worker_id": WORKER_ID, "ttl_s": 300})
        assert answer.status_code == 200, answer.text
        assert answer.json()["granted"], answer.text

    def batch(self, moves: list[tuple[str, bool]]) -> None:
        """Spool one batch of moves (member, now seated or not)."""
        self.batch_seq += 1
        events = []
        for user, seated in moves:
            self.seq += 1
            self.seated[user] = seated
            events.append(
                {
                    "t_ms": int(time.time() * 1000),
                    "seq": self.seq,
                    "user_id": user,
                    "channel_id": self.channel_id if seated else None,
                    "bot": False,
                }
            )
        self.spool[self.batch_seq] = {
            "worker_id": WORKER_ID,
            "guild_id": self.guild_id,
            "conn": self.conn,
            "batch_seq": self.batch_seq,
            "events": events,
            "snapshots": [],
        }

    def random_batch(self) -> None:
        crew = sorted(self.seated)
        moves = []
        for _ in range(BATCH_EVENTS):
            user = self.rng.choice(crew)
            moves.append((user, not self.seated[user]))
            self.seated[user] = moves[-1][1]
        self.batch(moves)

    def flush(self) -> bool:
        """Send what is spooled, oldest first; False at the first batch not acknowledged."""
        for batch_seq in sorted(self.spool):
            body = self.spool[batch_seq]
            try:
                answer = self.post("/worker/v1/batches", body)
            except httpx.HTTPError:
                return False
            if answer.status_code == 409:  # the lease lapsed meanwhile: take it, send again
                self.take_lease()
                return False
            assert answer.status_code in (200, 503), answer.text
            if answer.status_code != 200:
                return False
            self.acked[batch_seq] = body["events"]
            del self.spool[batch_seq]
        return True

    def flush_until_done(self, deadline_s: float = 20.0) -> None:
        deadline = time.monotonic() + deadline_s
        while not self.flush():
            assert time.monotonic() < deadline, "spooled batches were never acknowledged"
            time.sleep(0.05)


@dataclass
class Rig:
    server: Server
    sim: DiscordSimulator
    sink: SinkState
    worker: Worker
    rng: random.Random
    report_channel: str
    finalize_tokens: dict[str, list[str]] = field(default_factory=dict)  # by session

    def store(self) -> SqliteStore:
        return SqliteStore(self.server.db)

    def command(self, who: str, path: str, **options: Any) -> Exchange:
        return _ok(self.sim.command(self.sim.guild.member(who), path, **options))


def _ok(exchange: Exchange) -> Exchange:
    assert exchange.status == 200, exchange.response_text
    assert not exchange.problems, exchange.problems
    return exchange


def _cid(exchange: Exchange, prefix: str, label: str | None = None) -> str:
    for row in exchange.data.get("components", []):
        for component in row.get("components", []):
            found = str(component.get("custom_id", ""))
            if found.startswith(prefix) and (label is None or component.get("label") == label):
                return found
    raise AssertionError(f"no {prefix} {label or ''} in {component_ids(exchange)}")


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    rng = random.Random(SEED)
    keys_pair = DevKeyPair.generate()
    sink = SinkState(application_id=APP_ID, bot_token=BOT_TOKEN)
    with running_sink(sink) as sink_url:
        server = Server(tmp_path, keys_pair.public_key_hex, sink_url)
        try:
            server.start()
            guild = sample_guild()
            with DiscordSimulator.over_http(
                server.base,
                keys=keys_pair,
                definitions=command_json(),
                sink=sink,
                application_id=APP_ID,
                guild=guild,
            ) as sim:
                mining = guild.channel("Mining 1").id
                worker = Worker(server.base, guild.id, mining, rng)
                # Not the channel the commands come from: follow-ups land there.
                report_channel = guild.channel("mining-ops")
                built = Rig(server, sim, sink, worker, rng, report_channel.id)
                _set_up(built, report_channel)
                yield built
        finally:
            server.kill()
            print(f"\nprocess kills: {server.kills} (seed {SEED}; SM_KILL_SEED repeats it)")


def _set_up(rig: Rig, report_channel: Any) -> None:
    guild = rig.sim.guild
    admin = "mining-admin"
    rig.command("admin", f"{admin} channels add", channel=guild.channel("Mining 1"), dispatch=True)
    rig.command("admin", f"{admin} roles add", kind="leader", role=guild.role("Leader"))
    rig.command("admin", f"{admin} roles add", kind="payroll", role=guild.role("Payroll"))
    rig.command("admin", f"{admin} settings set", name="minimum-participation", value="0")
    rig.command("admin", f"{admin} settings report-channel", channel=report_channel)
    rig.worker.take_lease()
    rig.worker.batch([(user, True) for user in _crew_ids()])
    rig.worker.flush_until_done()


# --- phases -----------------------------------------------------------------------------------


def voice_under_kills(rig: Rig) -> None:
    """Batches go out back to back while the process is killed at random moments."""
    for _ in range(VOICE_KILLS):
        stop = threading.Event()

        def send(stop: threading.Event = stop) -> None:
            while not stop.is_set():
                if not rig.worker.spool:
                    rig.worker.random_batch()
                if not rig.worker.flush():
                    return  # the process is gone: the batch stays spooled

        sender = threading.Thread(target=send, name="kill-test-worker")
        sender.start()
        time.sleep(rig.rng.uniform(0.05, 0.5))
        rig.server.kill()
        stop.set()
        sender.join(timeout=15)
        assert not sender.is_alive()
        rig.server.start()
        rig.worker.flush_until_done()  # the spool first, as the worker does after a restart
        check_voice(rig)


def finalize_under_kill(rig: Rig, session_id: str) -> None:
    purser = rig.sim.guild.member("purser")
    picker = _ok(rig.sim.command(purser, "mining payroll"))
    view = _ok(rig.sim.select(purser, picker, "sm1:ppick", [session_id]))
    view = _ok(rig.sim.click(purser, view, _cid(view, "sm1:pgo:", "Haul")))
    opened = _ok(rig.sim.click(purser, view, _cid(view, "sm1:psale:")))
    fields = {"total": "7,654,321", "label": "Refinery"}
    view = _ok(rig.sim.submit_modal(purser, opened.data["custom_id"], fields, modal=opened))
    view = _ok(rig.sim.click(purser, view, _cid(view, "sm1:pgo:", "Preview")))
    confirm = _ok(rig.sim.click(purser, view, _cid(view, "sm1:pask:")))
    finalize = _cid(confirm, "sm1:pfin:")

    def click() -> None:
        payload = rig.sim.payloads.component(purser, confirm.message or {}, finalize)
        rig.finalize_tokens.setdefault(session_id, []).append(str(payload["token"]))
        with contextlib.suppress(httpx.HTTPError):  # killed before it answered
            rig.sim.send(payload, user=purser)

    clicker = threading.Thread(target=click, name="kill-test-officer")
    clicker.start()
    time.sleep(rig.rng.uniform(0.0, 1.5))
    rig.server.kill()
    clicker.join(timeout=15)
    rig.server.start()
    if not final_versions(rig, session_id):
        click()  # the officer sees no answer, finds the draft and finalizes again


# --- invariants -------------------------------------------------------------------------------


def check_voice(rig: Rig) -> None:
    """Every acknowledged batch is stored whole (its marker and each observation), once."""
    store = rig.store()
    try:
        guild = rig.worker.guild_id
        stored = store.query_all(keys.observations_pk(guild))
        markers = {item["sk"] for item in store.query_all(f"G#{guild}#BATCH")}
    finally:
        store.close()
    mine = [item for item in stored if item.get("conn") == rig.worker.conn]
    seqs = [int(item["seq"]) for item in mine]
    assert len(seqs) == len(set(seqs)), "an observation is stored twice"
    for batch_seq, events in rig.worker.acked.items():
        assert keys.batch_key(guild, rig.worker.conn, batch_seq)[1] in markers, batch_seq
        if batch_seq == 1:
            continue  # the crew seated before any session: presence, no session reads it
        missing = {e["seq"] for e in events} - set(seqs)
        assert not missing, f"batch {batch_seq} was acknowledged but {len(missing)} are lost"
    acked = {e["seq"] for events in rig.worker.acked.values() for e in events}
    unacked = {e["seq"] for body in rig.worker.spool.values() for e in body["events"]}
    assert set(seqs) <= acked | unacked, "an observation nobody sent is stored"


def final_versions(rig: Rig, session_id: str) -> list[dict[str, Any]]:
    store = rig.store()
    try:
        items = store.query_all(keys.guild_pk(rig.worker.guild_id))
    finally:
        store.close()
    return [
        item
        for item in items
        if str(item["sk"]).startswith(VERSION_PREFIX)
        and item.get("session_id") == session_id
        and item.get("status") == "final"
    ]


def reports_seen(rig: Rig, session_id: str, name: str) -> tuple[int, int]:
    """(posts in the report channel, follow-ups to the officer) of this op's report."""

    def about(message: dict[str, Any]) -> bool:
        return bool(message.get("attachments")) and f"**{name}**" in str(message.get("content"))

    posts = [m for m in rig.sink.channel_messages(rig.report_channel) if about(m)]
    followups = [
        m
        for token in rig.finalize_tokens.get(session_id, [])
        for m in rig.sink.followup_messages(token)
        if about(m)
    ]
    return len(posts), len(followups)


def check_payroll_and_report(rig: Rig, session_id: str, name: str) -> None:
    finals = final_versions(rig, session_id)
    assert len(finals) == 1, f"{len(finals)} final payrolls for one op"
    deadline = time.monotonic() + REPORT_TIMEOUT_S
    while reports_seen(rig, session_id, name)[0] < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # long enough for a second copy to show
    posts, followups = reports_seen(rig, session_id, name)
    store = rig.store()
    try:
        markers = [
            item
            for item in store.query_all(keys.guild_pk(rig.worker.guild_id))
            if str(item["sk"]).startswith(DELIVERY_PREFIX)
            and str(item["sk"]).find(finals[0]["payroll_id"]) >= 0
        ]
    finally:
        store.close()
    assert posts <= 1, f"the report reached the report channel {posts} times"
    assert followups <= 1, f"the officer got the report {followups} times"
    states = sorted(str(item.get("state")) for item in markers)
    assert posts == 1, f"the report reached the report channel 0 times (markers: {states})"
    assert "sent" in states, states


# --- the test ---------------------------------------------------------------------------------


def test_killed_mid_batch_mid_finalize_and_mid_report_nothing_is_lost_or_doubled(
    rig: Rig,
) -> None:
    started = time.monotonic()
    for n in range(ROUNDS):
        name = f"Kill run {n + 1}"
        rig.command("lead", "mining start", name=name)
        voice_under_kills(rig)
        rig.command("lead", "mining stop")
        (session,) = [
            s for s in _sessions(rig) if s.get("name") == name and s.get("status") != "active"
        ]
        finalize_under_kill(rig, str(session["session_id"]))
        check_payroll_and_report(rig, str(session["session_id"]), name)
        check_voice(rig)
    took = time.monotonic() - started
    print(f"\n{rig.server.kills} kills in {took:.1f} s; {len(rig.worker.acked)} batches stored")
    assert rig.server.kills >= ROUNDS * (VOICE_KILLS + 1)


def _sessions(rig: Rig) -> list[dict[str, Any]]:
    store = rig.store()
    try:
        items = store.query_all(keys.guild_pk(rig.worker.guild_id))
    finally:
        store.close()
    return [item for item in items if str(item["sk"]).startswith("SESSION#")]
