"""What the worker saw, as protocol records: events, snapshots, gaps, batched per guild.

Fed with plain values by the gateway glue (`gateway.py`), so it is testable without discord.py.
- ``conn``: a new one on every READY and every RESUMED (13-digit epoch ms, a dash, 8 hex), each
  sorting after the previous; ``seq`` and ``batch_seq`` restart at 1 with it.
- An event only when a member's channel changes: mute, deafen, stream and video toggles arrive
  with the same channel before and after and are dropped here.
- Gaps: from the first drop to the next RESUMED or READY, handed to the next heartbeat.
- Batches: per guild, flushed every ``batch_flush_s`` or at ``batch_max`` records, whichever
  comes first, and always before the conn changes (a batch belongs to one conn).
- Names: each batch carries the display names of the members in its records (never of bots),
  so the app can print names; the app skips the ones it already has.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sunday_mining.ports.worker_protocol import (
    MAX_BATCH_NAMES,
    MAX_NAME_CHARS,
    Batch,
    Gap,
    Snapshot,
    VoiceEvent,
    bounded_gaps,
)

DAY_MS = 86_400_000


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


def conn_id(start_ms: int) -> str:
    """Sorts by start time as a string: 13 zero-padded digits of epoch ms, a dash, 8 hex."""
    return f"{start_ms:013d}-{os.urandom(4).hex()}"


class Recorder:
    def __init__(
        self,
        submit: Callable[[dict[str, Any]], None],
        *,
        batch_max: int = 50,
        clock_ms: Callable[[], int] = wall_ms,
    ) -> None:
        self._submit = submit
        self._batch_max = batch_max
        self._clock_ms = clock_ms
        self._conn_ms = clock_ms()
        # Until the first READY the heartbeat needs a conn too; no record is ever sent under it.
        self.conn = conn_id(self._conn_ms)
        self.state = "connecting"
        self._seq = 0
        self._batch_seq = 0
        self._buffers: dict[str, list[VoiceEvent | Snapshot]] = {}
        self._names: dict[str, dict[str, str]] = {}  # per guild: user id -> display name
        self._gap_start: int | None = None
        self._gaps: list[Gap] = []
        self._ever_connected = False
        self._resumes: deque[int] = deque()
        self.events = 0
        self.ignored = 0

    # --- the gateway connection ----------------------------------------------------------------

    def connected(self, *, resumed: bool) -> str:
        """READY (``resumed=False``) or RESUMED: a new conn; closes the open gap, if any."""
        now = self._clock_ms()
        self.flush()
        self._conn_ms = max(now, self._conn_ms + 1)
        self.conn = conn_id(self._conn_ms)
        self._seq = 0
        self._batch_seq = 0
        if self._gap_start is not None:
            self._gaps.append(Gap(self._gap_start, now))
            self._gap_start = None
        if resumed:
            self._resumes.append(now)
        self._ever_connected = True
        self.state = "connected"
        return self.conn

    def disconnected(self) -> None:
        """The gateway dropped: discord.py tries to RESUME; until then nothing is seen live."""
        if self._gap_start is None and self._ever_connected:
            self._gap_start = self._clock_ms()
        self.state = "resuming" if self._ever_connected else "connecting"

    def stopped(self) -> None:
        """The gateway client was closed on purpose (lease lost, crash, shutdown)."""
        self.flush()
        if self._gap_start is None and self._ever_connected:
            self._gap_start = self._clock_ms()
        self.state = "disconnected"

    def starting(self) -> None:
        self.state = "connecting"

    def take_gaps(self) -> list[Gap]:
        """The gaps for the next heartbeat, within the protocol's bound (the oldest merged)."""
        gaps, self._gaps = self._gaps, []
        return bounded_gaps(gaps)

    def return_gaps(self, gaps: Iterable[Gap]) -> None:
        """A heartbeat carrying these gaps was not delivered: send them with the next one."""
        self._gaps[:0] = list(gaps)

    def resumes_24h(self) -> int:
        horizon = self._clock_ms() - DAY_MS
        while self._resumes and self._resumes[0] < horizon:
            self._resumes.popleft()
        return len(self._resumes)

    # --- records -------------------------------------------------------------------------------

    def voice_change(
        self,
        guild_id: str,
        user_id: str,
        before: str | None,
        after: str | None,
        *,
        bot: bool,
        name: str | None = None,
    ) -> bool:
        """One VOICE_STATE_UPDATE; True when it changed the member's channel and was recorded."""
        if before == after:
            self.ignored += 1
            return False
        self.events += 1
        self._seq += 1
        if name and not bot:
            self._name(guild_id, user_id, name)
        self._add(guild_id, VoiceEvent(self._clock_ms(), self._seq, user_id, after, bot))
        return True

    def snapshot(
        self,
        guild_id: str,
        channels: Mapping[str, Iterable[str]],
        bots: Iterable[str] = (),
        names: Mapping[str, str] | None = None,
    ) -> None:
        """Every voice channel of the guild the worker can see, empty ones included; ``names``
        holds the display names the worker knows of the members in them."""
        self._seq += 1
        members = {channel: sorted(users) for channel, users in channels.items()}
        bot_ids = sorted(set(bots))
        seated = {user for users in members.values() for user in users} - set(bot_ids)
        for user_id, name in (names or {}).items():
            if user_id in seated and name:
                self._name(guild_id, user_id, name)
        self._add(guild_id, Snapshot(self._clock_ms(), self._seq, members, bot_ids))

    def _name(self, guild_id: str, user_id: str, name: str) -> None:
        """Keep a name for the guild's next batch (added before its record, which may flush)."""
        names = self._names.setdefault(guild_id, {})
        if user_id in names or len(names) < MAX_BATCH_NAMES:
            names[user_id] = name[:MAX_NAME_CHARS]

    def _add(self, guild_id: str, record: VoiceEvent | Snapshot) -> None:
        buffer = self._buffers.setdefault(guild_id, [])
        buffer.append(record)
        if len(buffer) >= self._batch_max:
            self._flush_guild(guild_id)

    def flush(self) -> int:
        """Hand every non-empty buffer over as a batch; returns how many batches."""
        guilds = [guild for guild, buffer in self._buffers.items() if buffer]
        for guild_id in guilds:
            self._flush_guild(guild_id)
        return len(guilds)

    def _flush_guild(self, guild_id: str) -> None:
        records = self._buffers.pop(guild_id, [])
        names = self._names.pop(guild_id, {})
        if not records:
            return
        self._batch_seq += 1
        batch = Batch(
            guild_id=guild_id,
            conn=self.conn,
            batch_seq=self._batch_seq,
            events=[r for r in records if isinstance(r, VoiceEvent)],
            snapshots=[r for r in records if isinstance(r, Snapshot)],
            names=names,
        )
        self._submit(batch.to_dict())

    async def run_flusher(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            self.flush()
