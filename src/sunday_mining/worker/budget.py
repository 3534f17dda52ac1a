"""The IDENTIFY budget: Discord allows 1,000 a day per bot and resets the token beyond that.

Every IDENTIFY is recorded in the spool directory, so a restarted (or crash-looping) process sees
the ones before it. Before each IDENTIFY the worker waits as this says: nothing for the first
few in ten minutes, then exponentially longer with jitter, capped; close to the daily budget,
until enough of the day's identifies have aged out.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("sunday_mining.worker.budget")

IDENTIFY_FILE = "identifies.json"
DAY_S = 86_400.0
DAILY_LIMIT = 1000
# Stop well short of the limit: the bot token is shared with the app.
DAILY_SAFE = 900
BURST_WINDOW_S = 600.0
FREE_IN_BURST = 3


class IdentifyBudget:
    def __init__(
        self,
        path: Path,
        *,
        base_s: float = 5.0,
        max_s: float = 900.0,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self._path = path
        self._base_s = base_s
        self._max_s = max_s
        self._clock = clock
        self._rng = rng or random.Random()
        self._times: list[float] = []

    @classmethod
    async def load(
        cls,
        directory: Path,
        *,
        base_s: float = 5.0,
        max_s: float = 900.0,
        clock: Callable[[], float] = time.time,
    ) -> IdentifyBudget:
        budget = cls(directory / IDENTIFY_FILE, base_s=base_s, max_s=max_s, clock=clock)
        budget._times = await asyncio.to_thread(_read, budget._path)
        return budget

    def count_24h(self) -> int:
        self._prune()
        return len(self._times)

    def delay_s(self) -> float:
        """How long to wait before the next IDENTIFY."""
        self._prune()
        now = self._clock()
        if len(self._times) >= DAILY_SAFE:
            # Wait until the oldest identifies leave the 24 h window.
            oldest_needed = self._times[len(self._times) - DAILY_SAFE]
            return max(0.0, oldest_needed + DAY_S - now) + self._rng.random()
        recent = sum(1 for t in self._times if t > now - BURST_WINDOW_S)
        if recent < FREE_IN_BURST:
            return 0.0
        ceiling = min(self._max_s, self._base_s * 2.0 ** min(recent - FREE_IN_BURST, 30))
        return ceiling * (0.5 + self._rng.random() / 2)

    async def record(self) -> None:
        self._times.append(self._clock())
        self._prune()
        await asyncio.to_thread(_write, self._path, list(self._times))

    def _prune(self) -> None:
        horizon = self._clock() - DAY_S
        self._times = [t for t in self._times if t > horizon]


def _read(path: Path) -> list[float]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return []
    except (OSError, ValueError):
        log.warning("identify log unreadable; starting a new one")
        return []
    if not isinstance(data, list):
        return []
    return sorted(float(t) for t in data if isinstance(t, int | float))


def _write(path: Path, times: list[float]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".tmp")
    try:
        temp.write_text(json.dumps([round(t, 3) for t in times]))
        os.replace(temp, path)
    except OSError as exc:
        # The count still lives in memory; only a restart would miss these identifies.
        log.warning("cannot write the identify log", extra={"error": type(exc).__name__})
