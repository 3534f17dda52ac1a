"""The voice worker as the app sees it: the one-writer lease, heartbeats, gaps, and what the
worker should do next (where the bot sits, which channels to watch)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sunday_mining.domain.clock import Clock
from sunday_mining.domain.errors import ConditionFailed, DomainError
from sunday_mining.domain.presence import Gap
from sunday_mining.domain.session import Session, SessionType
from sunday_mining.ports.store import (
    Compare,
    ItemAbsent,
    Or,
    SortKey,
    Store,
    TxPut,
    eq,
)
from sunday_mining.services import keys

if TYPE_CHECKING:
    from sunday_mining.services.guilds import GuildService
    from sunday_mining.services.sessions import SessionService

# DESIGN: a heartbeat older than this during an active session is shown loudly.
STALE_AFTER_MS = 120_000
GAP_TTL_S = 400 * 86400
OUTDATED_TTL_S = 7 * 86400
WORKER_PK = "WORKER"


class NotLeaseHolder(DomainError):
    """Another worker holds the lease; this one must not write."""


@dataclass(frozen=True)
class WorkerFreshness:
    last_heartbeat_ms: int | None
    now_ms: int

    @property
    def age_ms(self) -> int | None:
        if self.last_heartbeat_ms is None:
            return None
        return max(0, self.now_ms - self.last_heartbeat_ms)

    @property
    def stale(self) -> bool:
        age = self.age_ms
        return age is None or age > STALE_AFTER_MS


def worker_freshness(store: Store, now_ms: int) -> WorkerFreshness:
    item = store.get(keys.worker_heartbeat_key(), consistent=False)
    at = int(item["at_ms"]) if item and "at_ms" in item else None
    return WorkerFreshness(at, now_ms)


@dataclass(frozen=True)
class Lease:
    granted: bool
    holder: str
    expires_ms: int


@dataclass(frozen=True)
class Heartbeat:
    worker_id: str
    conn: str
    state: str
    latency_ms: int | None = None
    reconnects_24h: int = 0
    guilds: tuple[str, ...] = ()
    gaps: tuple[Gap, ...] = ()
    voice: dict[str, Any] = field(default_factory=dict)
    channels: dict[str, Any] = field(default_factory=dict)
    loop_lag_p99_ms: int | None = None


@dataclass(frozen=True)
class HeartbeatAnswer:
    lease: Lease
    presence: dict[str, str | None]
    watch: dict[str, list[str]]
    server_ms: int


def _gap_sk(gap: Gap) -> str:
    return f"GAP#{gap.start_ms:013d}#{gap.end_ms:013d}"


class WorkerService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        guilds: GuildService,
        sessions: SessionService,
        sweep_due: Callable[[str], list[Session]],
        on_adhoc_stopped: Callable[[Session], None] | None = None,
    ) -> None:
        """``sweep_due`` stops a guild's adhoc sessions that are due (idle or too long) and
        returns them: ``AdhocSweeper.sweep``, given as a function so that this module, which
        the live summary reads gaps from, does not depend on the sweeps that read summaries."""
        self._store = store
        self._clock = clock
        self._guilds = guilds
        self._sessions = sessions
        self._sweep_due = sweep_due
        self._on_adhoc_stopped = on_adhoc_stopped

    def heartbeat(self, heartbeat: Heartbeat) -> HeartbeatAnswer:
        """Record the heartbeat, stop adhoc sessions that are due, and say what to do next."""
        lease = self.record_heartbeat(heartbeat)
        presence: dict[str, str | None] = {}
        watch: dict[str, list[str]] = {}
        for guild_id in heartbeat.guilds:
            if heartbeat.state == "connected":
                for stopped in self._sweep_due(guild_id):
                    if self._on_adhoc_stopped is not None:
                        self._on_adhoc_stopped(stopped)
            config = self._guilds.get(guild_id)
            active = self._sessions.active(guild_id)
            op_running = any(s.type is SessionType.SUNDAY for s in active)
            presence[guild_id] = config.dispatch_channel_id if op_running else None
            tracked = {c for s in active for c in s.channel_ids}
            watch[guild_id] = sorted(set(config.channel_ids) | tracked)
        return HeartbeatAnswer(lease, presence, watch, self._clock.now_ms())

    # --- the lease ----------------------------------------------------------------------------

    def acquire(self, worker_id: str, ttl_s: int) -> Lease:
        now = self._clock.now_ms()
        expires = now + ttl_s * 1000
        pk, sk = keys.worker_lease_key()
        free = Or(ItemAbsent(), eq("holder", worker_id), Compare("expires_ms", "<", now))
        item = {"pk": pk, "sk": sk, "holder": worker_id, "expires_ms": expires, "ttl_s": ttl_s}
        try:
            self._store.put(item, condition=free)
        except ConditionFailed:
            current = self._store.get((pk, sk)) or {}
            return Lease(False, str(current.get("holder", "")), int(current.get("expires_ms", 0)))
        return Lease(True, worker_id, expires)

    def release(self, worker_id: str) -> bool:
        try:
            self._store.delete(keys.worker_lease_key(), condition=eq("holder", worker_id))
        except ConditionFailed:
            return False
        return True

    def require_holder(self, worker_id: str) -> Lease:
        """Renew the caller's lease, or refuse: a second worker must never double-write."""
        current = self._store.get(keys.worker_lease_key()) or {}
        if current.get("holder") != worker_id:
            raise NotLeaseHolder("Another worker holds the lease.")
        lease = self.acquire(worker_id, int(current.get("ttl_s", 60)))
        if not lease.granted:
            raise NotLeaseHolder("Another worker holds the lease.")
        return lease

    # --- heartbeats and gaps ------------------------------------------------------------------

    def record_heartbeat(self, heartbeat: Heartbeat) -> Lease:
        lease = self.require_holder(heartbeat.worker_id)
        now = self._clock.now_ms()
        previous = worker_freshness(self._store, now)
        gaps = list(heartbeat.gaps)
        if previous.last_heartbeat_ms is not None and previous.stale:
            # The worker was silent: whatever happened meanwhile was not seen.
            gaps.append(Gap(previous.last_heartbeat_ms, now))
        self._store_gaps(gaps)
        pk, sk = keys.worker_heartbeat_key()
        self._store.put(
            {
                "pk": pk,
                "sk": sk,
                "at_ms": now,
                "worker_id": heartbeat.worker_id,
                "conn": heartbeat.conn,
                "state": heartbeat.state,
                "latency_ms": heartbeat.latency_ms,
                "reconnects_24h": heartbeat.reconnects_24h,
                "guilds": list(heartbeat.guilds),
                "voice": heartbeat.voice,
                "channels": heartbeat.channels,
                "loop_lag_p99_ms": heartbeat.loop_lag_p99_ms,
            }
        )
        return lease

    def _store_gaps(self, gaps: Iterable[Gap]) -> None:
        # The worker's reported gap may equal the silence noticed here (same start and end):
        # one item, since a transaction may touch each item only once.
        gaps = dict.fromkeys(gaps)
        ttl = self._clock.now_ms() // 1000 + GAP_TTL_S
        ops = [
            TxPut(
                {
                    "pk": WORKER_PK,
                    "sk": _gap_sk(g),
                    "start_ms": g.start_ms,
                    "end_ms": g.end_ms,
                    "ttl": ttl,
                }
            )
            for g in gaps
            if g.end_ms > g.start_ms
        ]
        for start in range(0, len(ops), 100):
            self._store.transact(ops[start : start + 100])

    def heartbeat_item(self) -> dict[str, Any] | None:
        return self._store.get(keys.worker_heartbeat_key())

    def note_outdated_worker(self) -> None:
        """A genuine worker of an older protocol version was refused: diagnostics say so until a
        worker of this version reports (or for a week)."""
        pk, sk = keys.worker_outdated_key()
        now = self._clock.now_ms()
        self._store.put({"pk": pk, "sk": sk, "at_ms": now, "ttl": now // 1000 + OUTDATED_TTL_S})


def outdated_worker_at(store: Store) -> int | None:
    """When a worker of an older protocol version was last refused, if it was."""
    item = store.get(keys.worker_outdated_key(), consistent=False)
    return int(item["at_ms"]) if item and "at_ms" in item else None


def gaps_between(store: Store, now_ms: int, start_ms: int, stop_ms: int) -> list[Gap]:
    """Every worker gap overlapping [start, stop], including a silence still going on now."""
    items = store.query_all(WORKER_PK, SortKey.between("GAP#", f"GAP#{stop_ms:013d}~"))
    found = [Gap(int(i["start_ms"]), int(i["end_ms"])) for i in items]
    found = [g for g in found if g.end_ms >= start_ms]
    fresh = worker_freshness(store, now_ms)
    if fresh.last_heartbeat_ms is not None and fresh.stale:
        found.append(Gap(fresh.last_heartbeat_ms, now_ms))
    return found
