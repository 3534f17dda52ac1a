"""Event-loop lag: a task sleeps 50 ms again and again and records how late it wakes up.

A worker whose loop lags cannot stamp voice events on time; the heartbeat reports the p99.
"""

from __future__ import annotations

import asyncio
from collections import deque


class LoopLag:
    def __init__(self, interval_s: float = 0.05, window: int = 1200) -> None:
        self._interval_s = interval_s
        self._samples: deque[float] = deque(maxlen=window)  # 1,200 x 50 ms: a minute

    def record(self, overshoot_ms: float) -> None:
        self._samples.append(max(0.0, overshoot_ms))

    def percentile(self, fraction: float) -> float | None:
        if not self._samples:
            return None
        ordered = sorted(self._samples)
        index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
        return ordered[index]

    @property
    def p50_ms(self) -> float | None:
        return self.percentile(0.50)

    @property
    def p99_ms(self) -> float | None:
        return self.percentile(0.99)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(self._interval_s)
            self.record((loop.time() - started - self._interval_s) * 1000)
