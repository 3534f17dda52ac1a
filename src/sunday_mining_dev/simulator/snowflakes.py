"""Discord-like snowflakes and tokens, deterministic from a seed so transcripts are reproducible."""

from __future__ import annotations

import base64
import random
import threading

DISCORD_EPOCH_MS = 1_420_070_400_000
# 2025-01-01T00:00:00Z: ids made from here look like today's 19-digit snowflakes.
_DEFAULT_START_MS = 1_735_689_600_000


class SnowflakeGen:
    """Increasing snowflakes: ms since Discord's epoch << 22 | worker | process | increment."""

    def __init__(self, seed: int = 0, *, start_ms: int = _DEFAULT_START_MS) -> None:
        self._rng = random.Random(seed)
        self._ms = start_ms
        self._increment = 0
        # The sink serves requests on another thread while tests build payloads.
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            self._ms += self._rng.randint(1, 4000)
            self._increment = (self._increment + 1) % 4096
            worker_process = self._rng.getrandbits(10)
            value = ((self._ms - DISCORD_EPOCH_MS) << 22) | (worker_process << 12) | self._increment
            return str(value)

    def token(self, prefix: str = "aW50ZXJhY3Rpb246") -> str:
        """An opaque interaction token; real ones are long url-safe base64 strings."""
        with self._lock:
            raw = self._rng.getrandbits(8 * 48).to_bytes(48, "big")
        return prefix + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def snowflake_time_ms(snowflake: str) -> int:
    """The creation time (epoch ms) encoded in a snowflake."""
    return (int(snowflake) >> 22) + DISCORD_EPOCH_MS
