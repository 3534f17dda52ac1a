"""Time as a dependency: the domain never reads the system clock itself."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, datetime


class Clock(ABC):
    """Source of the current time in UTC epoch milliseconds."""

    @abstractmethod
    def now_ms(self) -> int: ...

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.now_ms() / 1000, tz=UTC)


class FixedClock(Clock):
    """A clock that moves only when told to; for tests, simulations and the demo."""

    def __init__(self, start_ms: int) -> None:
        self._now = start_ms

    def now_ms(self) -> int:
        return self._now

    def set(self, ms: int) -> None:
        self._now = ms

    def advance(self, *, ms: int = 0, seconds: int = 0, minutes: int = 0) -> int:
        self._now += ms + seconds * 1000 + minutes * 60_000
        return self._now


def ms_to_iso(ms: int) -> str:
    """Render epoch milliseconds as an ISO-8601 UTC timestamp (seconds precision)."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
