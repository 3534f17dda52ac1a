"""Benchmark: the voice worker's ingest path at 200 events/s, end to end.

    python -m bench.worker_ingest [--seconds 10] [--rate 200]

The same chain as the load scenario in tests/e2e/test_voice_load.py, shortened: a fake Discord
gateway moves 200 members between two tracked channels at the offered rate; the real worker
(run_worker, the real discord.py client) stamps, batches (its default 50 records or 1 s) and
posts HMAC-signed batches to the real app (httpx's ASGI transport, worker API on, SQLite store)
which records them in an active Sunday op. All of it shares one process and one event loop —
harder on the loop than production, where the worker runs alone in its container.

Figures: throughput (events stored / time from the first move to the last acknowledged batch),
end-to-end latency per event (the fake gateway's move → the app's 200 for the batch holding it),
event-loop lag sampled every 50 ms by the worker's own sampler over the whole run (and the p99
the worker reported in its heartbeats), and events lost or doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import tempfile
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import httpx

from bench.results import Row, Section, judged, median, ms, percentile
from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.adapters.system_clock import SystemClock
from sunday_mining.entrypoints.factories import Services, build_services
from sunday_mining.entrypoints.worker import run_worker
from sunday_mining.web.app import create_app
from sunday_mining.worker.config import WorkerSettings
from sunday_mining.worker.gateway import GatewayBridge, WorkerClient
from sunday_mining.worker.lag import LoopLag
from sunday_mining_dev.fake_gateway import FakeDiscord, FakeGuild, FakeMember, FakeVoiceChannel

SECRET = "w" * 48
GUILD = "810000000000000001"
ROCK, HAUL = "810000000000000011", "810000000000000012"
MEMBERS = 200
RATE = 200
SECONDS = 10.0
IDLE_SECONDS = 3.0
FLUSH_S = 1.0  # the worker's default
SLOW_MACHINE_S = 120.0  # start-up and shutdown limits: only a broken chain takes this long
BATCH_MAX = WorkerSettings.batch_max_records  # the worker's default: records per batch
LAG_BAR_MS = 100.0

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Asgi = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]


class BatchClock:
    """ASGI middleware: when each voice batch the app accepted arrived and was answered."""

    def __init__(self, app: Asgi) -> None:
        self._app = app
        # (conn, seq) → (user, arrived, answered)
        self.acked: dict[tuple[str, int], tuple[str, float, float]] = {}

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/batches"):
            await self._app(scope, receive, send)
            return
        body: list[bytes] = []
        status = 0
        arrived = time.perf_counter()

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.append(message.get("body", b""))
            return message

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self._app(scope, receiving, sending)
        if status == 200:
            now = time.perf_counter()
            batch = json.loads(b"".join(body))
            for event in batch.get("events", []):
                key = (batch["conn"], event["seq"])
                self.acked.setdefault(key, (event["user_id"], arrived, now))


def _member(n: int) -> str:
    return f"7{n:017d}"


def _crowd() -> FakeGuild:
    members = [FakeMember(_member(n), f"miner{n}") for n in range(MEMBERS)]
    return FakeGuild(
        id=GUILD,
        name="Big Org",
        channels=[FakeVoiceChannel(ROCK, "Rock"), FakeVoiceChannel(HAUL, "Haul", position=1)],
        members=members,
        voice_states={m.id: ROCK for m in members},
    )


async def idle_lag(seconds: float, lag: LoopLag) -> LoopLag:
    """The floor: the same 50 ms sampler on a loop with nothing else to do."""
    task = asyncio.create_task(lag.run())
    await asyncio.sleep(seconds)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return lag


def _snapshot_stored(services: Services) -> bool:
    return any(i["kind"] == "s" for i in services.store.query_all(f"G#{GUILD}#OBS"))


def _stored_events(services: Services) -> list[dict[str, Any]]:
    return [i for i in services.store.query_all(f"G#{GUILD}#OBS") if i["kind"] == "e"]


async def _drained(timing: BatchClock, total: int, quiet_s: float) -> None:
    """Until every move is acknowledged, or nothing more arrives for ``quiet_s``."""
    seen, last_progress = len(timing.acked), time.perf_counter()
    while len(timing.acked) < total and time.perf_counter() - last_progress < quiet_s:
        await asyncio.sleep(0.05)
        if len(timing.acked) > seen:
            seen, last_progress = len(timing.acked), time.perf_counter()


async def load(seconds: float, rate: int, folder: Path, flush_s: float = FLUSH_S) -> dict[str, Any]:
    store = SqliteStore(folder / "ingest.sqlite3")
    services = build_services(store, SystemClock())
    services.guilds.add_channel(GUILD, ROCK)
    services.guilds.add_channel(GUILD, HAUL)
    services.sessions.start_sunday(GUILD, "lead")
    timing = BatchClock(create_app(services, public_key_hex=None, worker_secret=SECRET))
    settings = WorkerSettings(
        bot_token="fake-token",  # noqa: S106 - the fake gateway takes any token
        app_url="http://app.local",
        worker_secret=SECRET,
        spool_dir=folder / "spool",
        worker_id="bench-worker",
        heartbeat_interval_s=1.0,
        batch_flush_s=flush_s,
        lease_retry_s=0.05,
    )
    stop = asyncio.Event()
    reported: list[int] = []
    sent_at: dict[str, deque[float]] = defaultdict(deque)
    lag = LoopLag(window=10**6)

    def client(bridge: GatewayBridge) -> WorkerClient:
        return WorkerClient(bridge, identify_delay=False, guild_ready_timeout=0.05)

    async with FakeDiscord(guilds=[_crowd()], heartbeat_interval_ms=1000) as fake:
        with fake.patch_discord():
            worker = asyncio.create_task(
                run_worker(
                    settings,
                    client_factory=client,
                    stop_event=stop,
                    app_transport=httpx.ASGITransport(app=timing),
                )
            )
            # Moves made before the worker's gateway session is READY reach nobody (the READY
            # snapshot covers them), so the load starts once that snapshot is stored.
            async with asyncio.timeout(SLOW_MACHINE_S):
                while not (services.worker.heartbeat_item() and _snapshot_stored(services)):
                    await asyncio.sleep(0.05)
            sampler = asyncio.create_task(lag.run())
            total = int(rate * seconds)
            started = time.perf_counter()
            for sent in range(total):
                member = _member(sent % MEMBERS)
                channel = HAUL if (sent // MEMBERS) % 2 == 0 else ROCK
                sent_at[member].append(time.perf_counter())
                await fake.voice_move(GUILD, member, channel)
                if (sent + 1) % rate == 0:
                    beat = services.worker.heartbeat_item() or {}
                    if beat.get("loop_lag_p99_ms") is not None:
                        reported.append(int(beat["loop_lag_p99_ms"]))
                # Paced by the absolute schedule, so the rate holds however long a move took.
                await asyncio.sleep(max(0.0, started + (sent + 1) / rate - time.perf_counter()))
            sent_s = time.perf_counter() - started
            await _drained(timing, total, quiet_s=max(10.0, 10 * flush_s))
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler
            stop.set()
            code = await asyncio.wait_for(worker, SLOW_MACHINE_S)
    stored = _stored_events(services)
    store.close()
    if code != 0:
        raise RuntimeError(f"the worker exited with code {code}")
    latencies: list[float] = []
    in_app: list[float] = []
    last_ack = started
    # Per member, the n-th event acknowledged (in seq order) is the n-th move sent.
    for (_conn, _seq), (user, arrived, acked) in sorted(timing.acked.items()):
        if sent_at[user]:
            latencies.append(acked - sent_at[user].popleft())
            in_app.append(acked - arrived)
            last_ack = max(last_ack, acked)
    return {
        "sent": total,
        "stored": len(stored),
        "doubled": len(stored) - len({(i["conn"], i["seq"]) for i in stored}),
        "seconds": last_ack - started,
        "sent_s": sent_s,
        "latencies_s": latencies,
        "in_app_s": in_app,
        "lag": lag,
        "reported_p99_ms": reported,
    }


def measure(
    seconds: float = SECONDS, rate: int = RATE, idle: float = IDLE_SECONDS, flush_s: float = FLUSH_S
) -> dict[str, Any]:
    async def both() -> dict[str, Any]:
        floor = await idle_lag(idle / 2, LoopLag(window=10**6))
        with tempfile.TemporaryDirectory(prefix="sm-bench-") as folder:
            result = await load(seconds, rate, Path(folder), flush_s)
        await idle_lag(idle / 2, floor)  # half before the load, half after: the same machine
        return result | {"idle_lag": floor}

    return asyncio.run(both())


def _latency_rows(lat: list[float], in_app: list[float], fill_s: float) -> list[Row]:
    if not lat:
        return [Row("end-to-end latency", "no move acknowledged")]
    rows: list[Row] = []
    for name, fraction in (("p50", 0.5), ("p99", 0.99)):
        figure, floor = percentile(lat, fraction), fill_s * fraction
        rows.append(Row(f"end-to-end latency {name}", ms(figure), ms(floor), figure / floor))
    for name, fraction in (("p50", 0.5), ("p99", 0.99)):
        rows.append(
            Row(
                f"in the app alone (batch received \u2192 200) {name}",
                ms(percentile(in_app, fraction)),
            )
        )
    return rows


def section(quick: bool = False) -> Section:
    seconds, idle, flush_s = (0.5, 0.2, 0.2) if quick else (SECONDS, IDLE_SECONDS, FLUSH_S)
    m = measure(seconds, RATE, idle, flush_s)
    lost = m["sent"] - (m["stored"] - m["doubled"])
    throughput = m["stored"] / m["seconds"] if m["seconds"] > 0 else 0.0
    lat = m["latencies_s"]
    fill_s = min(BATCH_MAX / RATE, flush_s)  # how long a batch takes to fill at this rate
    lag, floor = m["lag"], m["idle_lag"]
    lag99, floor99 = lag.p99_ms or 0.0, floor.p99_ms or 0.0
    s = Section(
        title="Worker ingest at 200 events/s",
        bars="200 events/s: loop lag p99 < 100 ms, nothing lost",
        method=(
            f"{seconds:g} s at {RATE} events/s ({m['sent']:,} moves of {MEMBERS} members between "
            "two tracked channels) through the whole chain, as the load scenario in "
            "`tests/e2e/test_voice_load.py` (a minute there): fake Discord gateway → the real "
            "worker (discord.py client, default batching: 50 records or 1 s) → HMAC-signed "
            "batches → the real app's worker API (httpx ASGI transport, SQLite store, an active "
            "Sunday op). All in one process and one event loop, which is harder on the loop than "
            "production (the worker alone in its container). Latency: the gateway's move → the "
            "app's 200 for the batch that holds it, so it includes the worker's batching wait. "
            "Loop lag: the worker's own 50 ms sampler, over the whole run."
        ),
        floor=(
            "loop lag: the same sampler on an idle event loop in the same process, "
            f"{idle / 2:g} s just before the load and as long just after it; throughput: the "
            "offered rate; end-to-end latency: the wait for a batch to fill, which the protocol "
            f"imposes (the worker sends {BATCH_MAX} records at a time, {ms(fill_s)} of moves at "
            "this rate, so a move waits uniformly between 0 and that: p50 half of it, p99 99 % "
            "of it); events: none lost, none doubled."
        ),
    )
    pace = m["sent"] / m["sent_s"]
    s.rows += [
        Row("rate of moves sent (the pacing held)", f"{pace:,.0f} /s", f"{RATE} /s", pace / RATE),
        Row(
            "throughput: stored ÷ (first move → last batch acknowledged)",
            f"{throughput:,.0f} /s",
            f"{RATE} /s offered",
            throughput / RATE,
        ),
        Row(
            "drain: last move → last batch acknowledged",
            ms(m["seconds"] - m["sent_s"]),
            f"up to {ms(flush_s)} (the worker's flush interval)",
        ),
        *_latency_rows(lat, m["in_app_s"], fill_s),
        Row(
            "event-loop lag p50",
            ms((lag.p50_ms or 0) / 1000),
            ms((floor.p50_ms or 0) / 1000),
            (lag.p50_ms or 0) / floor.p50_ms if floor.p50_ms else None,
        ),
        Row(
            "event-loop lag p99",
            ms(lag99 / 1000),
            ms(floor99 / 1000),
            lag99 / floor99 if floor99 > 0 else None,
            f"< {LAG_BAR_MS:.0f} ms",
            judged(lag99 < LAG_BAR_MS),
        ),
        Row(
            "loop lag p99 the worker reported, worst heartbeat",
            ms(max(m["reported_p99_ms"]) / 1000) if m["reported_p99_ms"] else "none reported",
        ),
        Row(
            "events lost / doubled",
            f"{lost:,} / {m['doubled']:,} of {m['sent']:,}",
            bar="nothing lost",
            verdict=judged(lost == 0 and m["doubled"] == 0),
        ),
    ]
    if not quick:
        s.notes.append(
            f"DESIGN's bar is for a minute at 200 events/s; this run is {seconds:g} s to keep "
            "`make bench` short (the minute-long scenario runs in `make test`)."
        )
    return s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--rate", type=int, default=RATE)
    args = parser.parse_args()
    m = measure(args.seconds, args.rate)
    lat, lag, idle = m["latencies_s"], m["lag"], m["idle_lag"]
    print(
        f"sent {m['sent']:,} stored {m['stored']:,} doubled {m['doubled']} "
        f"in {m['seconds']:.1f} s; "
        f"latency p50 {ms(median(lat))} p99 {ms(percentile(lat, 0.99))}; "
        f"loop lag p50 {lag.p50_ms:.1f} ms p99 {lag.p99_ms:.1f} ms "
        f"(idle p99 {idle.p99_ms:.2f} ms); "
        f"reported p99 {m['reported_p99_ms']}"
    )


if __name__ == "__main__":
    main()
