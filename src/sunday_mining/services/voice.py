"""Record the worker's voice batches: guild presence, and observations for active sessions.

Idempotent by design: every observation has a key made of its time, connection and sequence
number, and each batch leaves a marker; a replayed or duplicated batch changes nothing. The
display names a batch carries are remembered too (`MemberNames` writes only changed ones).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from sunday_mining.domain.clock import Clock
from sunday_mining.domain.errors import ConditionFailed, StateConflict, StoreError, ValidationError
from sunday_mining.domain.presence import VoiceEvent, VoiceSnapshot
from sunday_mining.domain.session import Session
from sunday_mining.ports.store import (
    MAX_TRANSACTION_ITEMS,
    Item,
    ItemAbsent,
    Store,
    TxOp,
    TxPut,
)
from sunday_mining.services import codec, keys
from sunday_mining.services.names import MemberNames
from sunday_mining.services.presence import GuildPresence, load_presence, presence_put
from sunday_mining.services.sessions import SessionService

log = logging.getLogger(__name__)

# The worker's clock may run a little ahead of ours; beyond this an observation is refused.
MAX_CLOCK_SKEW_MS = 60_000
MAX_BATCH_OBSERVATIONS = 500
BATCH_MARKER_TTL_S = 7 * 86400
_PRESENCE_ATTEMPTS = 5


@dataclass(frozen=True)
class VoiceBatch:
    guild_id: str
    conn: str
    batch_seq: int
    events: tuple[VoiceEvent, ...] = ()
    snapshots: tuple[VoiceSnapshot, ...] = ()
    names: Mapping[str, str] = field(default_factory=dict)  # user id -> display name


@dataclass
class IngestResult:
    duplicate: bool = False
    stored: int = 0
    ignored: Counter[str] = field(default_factory=Counter)
    names_written: int = 0
    corrections: int = 0  # members a snapshot put right (events missed or lost before it)


@dataclass(frozen=True)
class _Tracking:
    """Which channels count right now, and since when, across the guild's active sessions."""

    start_of: dict[str, int]

    @classmethod
    def of(cls, sessions: list[Session]) -> _Tracking:
        start_of: dict[str, int] = {}
        for session in sessions:
            for channel in session.channel_ids:
                start_of[channel] = session.windows[-1].start_ms
        return cls(start_of)

    def relevant(self, channel: str | None, t_ms: int) -> bool:
        return channel is not None and channel in self.start_of and t_ms >= self.start_of[channel]


class VoiceIngestService:
    def __init__(
        self, store: Store, clock: Clock, sessions: SessionService, names: MemberNames
    ) -> None:
        self._store = store
        self._clock = clock
        self._sessions = sessions
        self._names = names

    def record(self, batch: VoiceBatch) -> IngestResult:
        if len(batch.events) + len(batch.snapshots) > MAX_BATCH_OBSERVATIONS:
            raise ValidationError(f"A batch may hold at most {MAX_BATCH_OBSERVATIONS} records.")
        marker = keys.batch_key(batch.guild_id, batch.conn, batch.batch_seq)
        if self._store.get(marker) is not None:
            return IngestResult(duplicate=True)
        result = IngestResult()
        events, snapshots = self._screen(batch, result)
        tracking = _Tracking.of(self._sessions.active(batch.guild_id))
        stored = self._fold_and_write(batch.guild_id, marker, events, snapshots, tracking, result)
        if stored is None:
            return IngestResult(duplicate=True)
        result.stored = stored
        result.names_written = self._remember_names(batch)
        return result

    def _remember_names(self, batch: VoiceBatch) -> int:
        """Best effort, after the voice records: a name lost to a store failure comes back with
        the next snapshot (within a minute), while a failed batch would be sent again whole."""
        names = _named_members(batch)
        if not names:
            return 0
        try:
            return self._names.remember(batch.guild_id, names, source="gateway")
        except StoreError as failure:
            log.warning(
                "member names not stored",
                extra={"guild_id": batch.guild_id, "error": type(failure).__name__},
            )
            return 0

    def _screen(
        self, batch: VoiceBatch, result: IngestResult
    ) -> tuple[list[VoiceEvent], list[VoiceSnapshot]]:
        latest = self._clock.now_ms() + MAX_CLOCK_SKEW_MS
        events: list[VoiceEvent] = []
        for event in batch.events:
            if event.t_ms > latest:
                result.ignored["timestamp in the future"] += 1
            elif event.is_bot:
                result.ignored["bot"] += 1
            else:
                events.append(event)
        snapshots = []
        for snapshot in batch.snapshots:
            if snapshot.t_ms > latest:
                result.ignored["timestamp in the future"] += 1
            else:
                snapshots.append(snapshot)
        return events, snapshots

    def _fold_and_write(
        self,
        guild_id: str,
        marker: tuple[str, str],
        events: list[VoiceEvent],
        snapshots: list[VoiceSnapshot],
        tracking: _Tracking,
        result: IngestResult,
    ) -> int | None:
        """Fold the batch onto the guild's presence, then write its records, the new presence
        and the batch marker, the last two in one transaction. A failure anywhere leaves the
        presence as it was, so the retry folds onto the same presence and writes the same
        records: a leave (or a move out of a tracked channel) is only recognised against the
        presence before it. Returns how many records were stored, or None when a concurrent
        copy of this batch landed first (its writes equal ours)."""
        for _ in range(_PRESENCE_ATTEMPTS):
            presence = load_presence(self._store, guild_id)
            attempt = IngestResult()
            items = self._fold(guild_id, presence, events, snapshots, tracking, attempt)
            try:
                self._write(marker, items, presence_put(presence, self._clock.now_ms()))
            except ConditionFailed:
                if self._store.get(marker) is not None:
                    return None
                continue  # another batch of this guild moved the presence: fold again on it
            result.ignored.update(attempt.ignored)
            result.corrections += attempt.corrections
            return len(items)
        raise StateConflict("Voice updates for this server are arriving too fast; retry.")

    def _fold(
        self,
        guild_id: str,
        presence: GuildPresence,
        events: list[VoiceEvent],
        snapshots: list[VoiceSnapshot],
        tracking: _Tracking,
        result: IngestResult,
    ) -> list[Item]:
        now_s = self._clock.now_ms() // 1000
        ordered: list[VoiceEvent | VoiceSnapshot] = [*events, *snapshots]
        ordered.sort(key=lambda o: (o.t_ms, o.seq))
        items: list[Item] = []
        for observation in ordered:
            if isinstance(observation, VoiceEvent):
                before = presence.channel_of(observation.user_id)
                presence.apply_event(observation)
                if tracking.relevant(before, observation.t_ms) or tracking.relevant(
                    observation.channel_id, observation.t_ms
                ):
                    items.append(codec.event_to_item(guild_id, observation, now_s))
                else:
                    result.ignored["no tracked channel involved"] += 1
            else:
                result.corrections += presence.apply_snapshot(observation)
                tracked = _tracked_part(observation, tracking)
                if tracked is not None:
                    items.append(codec.snapshot_to_item(guild_id, tracked, now_s))
        return items

    def _write(self, marker: tuple[str, str], items: list[Item], presence: TxPut) -> None:
        # The presence and the marker go in the last transaction: if anything before it fails,
        # a retry of the whole batch rewrites the same keys with the same content, which is
        # harmless. ConditionFailed there: the presence moved on, or this batch landed already.
        pk, sk = marker
        now_s = self._clock.now_ms() // 1000
        ops: list[TxOp] = [TxPut(item) for item in items]
        marker_op = TxPut({"pk": pk, "sk": sk, "ttl": now_s + BATCH_MARKER_TTL_S}, ItemAbsent())
        chunk = MAX_TRANSACTION_ITEMS - 2
        while len(ops) > chunk:
            self._store.transact(ops[:chunk])
            ops = ops[chunk:]
        self._store.transact([*ops, presence, marker_op])


def _named_members(batch: VoiceBatch) -> dict[str, str]:
    """The batch's names of the members it is about, bots left out: a name for anyone else
    (a worker bug) is not personal data worth keeping."""
    if not batch.names:
        return {}
    members = {event.user_id for event in batch.events if not event.is_bot}
    for snapshot in batch.snapshots:
        for users in snapshot.channels.values():
            members.update(users - snapshot.bots)
    return {user: name for user, name in batch.names.items() if user in members}


def _tracked_part(snapshot: VoiceSnapshot, tracking: _Tracking) -> VoiceSnapshot | None:
    channels = {
        channel: users - snapshot.bots
        for channel, users in snapshot.channels.items()
        if tracking.relevant(channel, snapshot.t_ms)
    }
    if not channels:
        return None
    return VoiceSnapshot(
        t_ms=snapshot.t_ms, conn=snapshot.conn, seq=snapshot.seq, channels=channels
    )
