"""What the app knows of the voice worker: when it last reported in."""

from __future__ import annotations

from dataclasses import dataclass

from sunday_mining.ports.store import Store
from sunday_mining.services import keys

# DESIGN: a heartbeat older than this during an active session is shown loudly.
STALE_AFTER_MS = 120_000


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
