"""Voice presence as a real worker delivers it, and an oracle of credited time written apart
from the app's fold.

The worker (``docs/worker-protocol.md``) stamps each observation when it sees it, numbers it in
its connection, and sends batches every second; a snapshot of every voice channel goes out every
60 s. Batches reach the app late, in any order, sometimes twice. ``TimingApp`` runs the real app
over HTTP and delivers batches at chosen moments of the app's clock, with officers' commands in
between; ``oracle_credited_ms`` walks each member's observations in the order they happened.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.entrypoints.factories import Services, build_services
from sunday_mining.entrypoints.local_server import running_app
from sunday_mining.ports.worker_protocol import sign
from sunday_mining.web.app import create_app

SECRET = "t" * 48
WORKER = "w-timing"
T0 = 1_795_370_400_000  # Sunday 2026-11-22 18:00 UTC
SECOND = 1_000
MINUTE = 60 * SECOND


@dataclass(frozen=True)
class Seen:
    """One observation as the worker sends it: an event (``channels`` None) or a snapshot."""

    t_ms: int
    seq: int
    user: str | None = None
    channel: str | None = None
    channels: dict[str, frozenset[str]] | None = None

    def as_json(self) -> dict[str, Any]:
        if self.channels is None:
            return {
                "t_ms": self.t_ms,
                "seq": self.seq,
                "user_id": self.user,
                "channel_id": self.channel,
                "bot": False,
            }
        return {
            "t_ms": self.t_ms,
            "seq": self.seq,
            "channels": {c: sorted(users) for c, users in self.channels.items()},
            "bots": [],
        }


@dataclass(frozen=True)
class Move:
    t_ms: int
    user: str
    channel: str | None
    missed: bool = False  # the worker did not see it (it was away)


def observe(channels: tuple[str, ...], moves: list[Move], snapshot_times: list[int]) -> list[Seen]:
    """What the worker reports of ``moves``: an event for each one it sees, and a snapshot of
    every channel at each of ``snapshot_times``, numbered in the order it saw them."""
    seated: dict[str, str] = {}
    seen: list[Seen] = []
    timeline: list[tuple[int, int, Move | None]] = [(m.t_ms, 0, m) for m in moves]
    timeline += [(t, 1, None) for t in snapshot_times]
    for t_ms, _, move in sorted(timeline, key=lambda step: (step[0], step[1])):
        if move is None:
            members: dict[str, set[str]] = {c: set() for c in channels}
            for user, channel in seated.items():
                members[channel].add(user)
            frozen = {c: frozenset(users) for c, users in members.items()}
            seen.append(Seen(t_ms, len(seen) + 1, channels=frozen))
            continue
        if move.channel is None:
            seated.pop(move.user, None)
        else:
            seated[move.user] = move.channel
        if not move.missed:
            seen.append(Seen(t_ms, len(seen) + 1, move.user, move.channel))
    return seen


def every_minute(start_ms: int, end_ms: int) -> list[int]:
    return list(range(start_ms, end_ms + 1, MINUTE))


@dataclass(frozen=True)
class Batch:
    seq: int
    observations: tuple[Seen, ...]


def batches_every_second(seen: list[Seen]) -> list[Batch]:
    """The worker's cadence: whatever it saw in one second goes out in one batch."""
    grouped: dict[int, list[Seen]] = {}
    for o in seen:
        grouped.setdefault(o.t_ms // SECOND, []).append(o)
    return [Batch(n, tuple(grouped[k])) for n, k in enumerate(sorted(grouped), start=1)]


# --- the oracle -------------------------------------------------------------------------------


def oracle_credited_ms(
    seen: list[Seen], tracked: tuple[str, ...], windows: list[tuple[int, int]]
) -> dict[str, int]:
    """Per member, the milliseconds they sat in a tracked channel inside the windows.

    The simplest walk: every observation in the order it happened, each member's channel and
    since when; a snapshot is the truth about the channels it lists; a member it no longer lists
    there, or lists in a channel that is not tracked, is taken to have left when they were last
    known there (when they sat down, or the last snapshot that listed them there).
    """
    stays: dict[str, list[tuple[int, int]]] = {}
    where: dict[str, list[Any]] = {}  # user -> [channel, since, last known]

    def close(user: str, end: int) -> None:
        channel, since, _ = where.pop(user)
        if channel in tracked:
            stays.setdefault(user, []).append((since, end))

    for o in sorted({(o.t_ms, o.seq): o for o in seen}.values(), key=lambda o: (o.t_ms, o.seq)):
        if o.channels is None:
            assert o.user is not None
            here = where.get(o.user)
            if here is not None and here[0] == o.channel:
                here[2] = o.t_ms
                continue
            if here is not None:
                close(o.user, o.t_ms)
            if o.channel is not None:
                where[o.user] = [o.channel, o.t_ms, o.t_ms]
            continue
        listed = {user: channel for channel, users in o.channels.items() for user in users}
        for user, channel in listed.items():
            here = where.get(user)
            if here is not None and here[0] == channel:
                here[2] = o.t_ms
                continue
            if here is not None:
                # An unseen move: seamless between tracked channels, else a leave when last known.
                both_tracked = here[0] in tracked and channel in tracked
                close(user, o.t_ms if both_tracked else here[2])
            where[user] = [channel, o.t_ms, o.t_ms]
        for user in [u for u, h in where.items() if h[0] in o.channels and u not in listed]:
            close(user, where[user][2])
    for user in list(where):
        close(user, 2**62)

    credited: dict[str, int] = {}
    for user, intervals in stays.items():
        total = 0
        for w_start, w_end in windows:
            clipped = sorted(
                (max(s, w_start), min(e, w_end))
                for s, e in intervals
                if min(e, w_end) > max(s, w_start)
            )
            reach = w_start
            for s, e in clipped:
                if e > reach:
                    total += e - max(s, reach)
                    reach = e
        if total:
            credited[user] = total
    return credited


# --- the app over HTTP ------------------------------------------------------------------------


class TimingApp:
    """The real app on loopback: batches over signed HTTP, commands through its services."""

    def __init__(self, http: httpx.Client, services: Services, clock: FixedClock) -> None:
        self.http, self.services, self.clock = http, services, clock
        self._leased_at = -(2**62)

    def at(self, t_ms: int) -> None:
        assert t_ms >= self.clock.now_ms(), "the app's clock never goes back"
        self.clock.set(t_ms)

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        raw = json.dumps(body).encode()
        full = f"/worker/v1{path}"
        return self.http.post(full, content=raw, headers=sign(SECRET, full, raw, time.time()))

    def rewind(self, t_ms: int) -> None:
        """Start another story (in another guild) from an earlier time."""
        self.clock.set(t_ms)
        self._leased_at = -(2**62)

    def take_lease(self) -> None:
        """Take (or renew) the worker's lease when the last one is half gone, as a worker does."""
        now = self.clock.now_ms()
        if now - self._leased_at < 30 * SECOND:
            return
        self._leased_at = now
        lease = self.post("/lease", {"worker_id": WORKER, "ttl_s": 60})
        assert lease.status_code == 200, lease.text
        assert lease.json()["granted"], lease.text

    def deliver(self, guild: str, conn: str, batch: Batch) -> dict[str, Any]:
        self.take_lease()
        events = [o.as_json() for o in batch.observations if o.channels is None]
        snapshots = [o.as_json() for o in batch.observations if o.channels is not None]
        body = {
            "worker_id": WORKER,
            "guild_id": guild,
            "conn": conn,
            "batch_seq": batch.seq,
            "events": events,
            "snapshots": snapshots,
        }
        answer = self.post("/batches", body)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def credited_ms(self, guild: str, session_id: str) -> dict[str, int]:
        from sunday_mining.domain.presence import credited_ms

        summary = self.services.summaries.summary(guild, session_id)
        return {user: ms for user, ms in credited_ms(summary.records).items() if ms}

    def flagged(self, guild: str, session_id: str) -> set[str]:
        summary = self.services.summaries.summary(guild, session_id)
        return {p.user_id for p in summary.participants if p.gap_affected}


@contextmanager
def timing_app(tmp_path: Path) -> Iterator[TimingApp]:
    clock = FixedClock(T0 - 60 * MINUTE)
    store = SqliteStore(tmp_path / "timing.sqlite3")
    services = build_services(store, clock)
    web = create_app(services, public_key_hex=None, worker_secret=SECRET)
    try:
        with running_app(web) as base, httpx.Client(base_url=base, timeout=20) as http:
            yield TimingApp(http, services, clock)
    finally:
        store.close()


def heartbeat(app: TimingApp, guild: str, conn: str, gaps: list[tuple[int, int]]) -> None:
    """A heartbeat as the worker sends one, reporting the gateway gaps since the last."""
    app.take_lease()
    body = {
        "worker_id": WORKER,
        "conn": conn,
        "sent_ms": app.clock.now_ms(),
        "state": "connected",
        "latency_ms": 40,
        "reconnects_24h": len(gaps),
        "guilds": [guild],
        "gaps": [{"start_ms": s, "end_ms": e} for s, e in gaps],
        "voice": {},
        "channels": {},
    }
    answer = app.post("/heartbeat", body)
    assert answer.status_code == 200, answer.text


def play(
    app: TimingApp,
    guild: str,
    deliveries: list[tuple[int, str, Batch]],
    commands: list[tuple[int, Callable[[], None]]],
) -> None:
    """Deliver each (arrival time, connection, batch) and run each (time, command) on the app's
    clock, all in time order; a command runs before a batch arriving at the same millisecond."""
    steps: list[tuple[int, int, int, Any]] = [(t, 0, n, c) for n, (t, c) in enumerate(commands)]
    steps += [(t, 1, n, (conn, b)) for n, (t, conn, b) in enumerate(deliveries)]
    for t_ms, kind, _, what in sorted(steps, key=lambda step: step[:3]):
        app.at(max(t_ms, app.clock.now_ms()))
        if kind == 0:
            what()
        else:
            app.deliver(guild, *what)
