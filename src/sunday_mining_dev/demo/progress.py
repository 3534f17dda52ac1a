"""The demo's running commentary: one short line per stage, stamped with the op's clock."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import TextIO

from sunday_mining.domain.clock import Clock


class Progress:
    def __init__(self, clock: Clock | None = None, out: TextIO | None = None) -> None:
        self.clock = clock
        self._out = out or sys.stdout
        self._started = time.perf_counter()

    def say(self, stage: str, text: str) -> None:
        """``stage`` names the step; the op's time (compressed) comes first once there is one."""
        when = hhmm(self.clock.now_ms()) if self.clock is not None else "     "
        print(f"  {when}  {stage:<9} {text}", file=self._out, flush=True)

    def detail(self, text: str) -> None:
        print(f"{'':18}{text}", file=self._out, flush=True)

    def plain(self, text: str = "") -> None:
        print(text, file=self._out, flush=True)

    @property
    def elapsed_s(self) -> float:
        return time.perf_counter() - self._started


def hhmm(ms: int) -> str:
    """A time of the op as the members read it (UTC, like the script)."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%H:%M")
