"""The real clock, for production wiring."""

from __future__ import annotations

import time

from sunday_mining.domain.clock import Clock


class SystemClock(Clock):
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000
