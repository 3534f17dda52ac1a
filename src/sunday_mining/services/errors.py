"""A small count of recent errors by kind, per day, for diagnostics. Best effort by design:
recording an error must never cause another one."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from sunday_mining.domain.clock import Clock
from sunday_mining.domain.errors import DependencyUnavailable, DomainError, StoreError
from sunday_mining.ports.store import Store, Update

ERRORS_PK = "ERRORS"
_KEEP_S = 3 * 86400


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("DAY#%Y-%m-%d")


class ErrorLog:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def record(self, kind: str) -> None:
        now = self._clock.now_ms()
        with contextlib.suppress(StoreError):
            self._store.update(
                (ERRORS_PK, _day(now)),
                Update(add={kind: 1}, set={"ttl": now // 1000 + _KEEP_S}),
            )

    def record_failure(self, failure: DomainError) -> None:
        """Count a failure of a part the app depends on, under that part's name ("store
        Unavailable", "Discord unavailable", "job runner unavailable"…); a refusal of the
        user's own input is no error and is not counted."""
        if isinstance(failure, StoreError):
            self.record(f"store {type(failure).__name__}")
        elif isinstance(failure, DependencyUnavailable):
            self.record(f"{failure.part} unavailable")

    def last_day(self) -> dict[str, int]:
        """Counts over today and yesterday (UTC): the last 24 hours, give or take the day edge."""
        now = self._clock.now_ms()
        counts: dict[str, int] = {}
        for ms in (now - 86_400_000, now):
            item = self._store.get((ERRORS_PK, _day(ms))) or {}
            for kind, value in item.items():
                if kind not in ("pk", "sk", "ttl") and isinstance(value, int):
                    counts[kind] = counts.get(kind, 0) + value
        return counts
