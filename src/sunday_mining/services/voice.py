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
from sunday_mining.domain.presence import PRESTART_MARGIN_MS, VoiceEvent, VoiceSnapshot
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
from sunday_mining.services.presence import (
    TRACKING_HORIZON_MS,
    GuildPresence,
    Tracked,
    load_presence,
    presence_put,
)
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
    """The guild's sessions that still take observations: running, or stopped lately."""

    sessions: tuple[Tracked, ...]

    def channels_at(self, t_ms: int) -> set[str]:
        """The channels whose observations stamped ``t_ms`` some session will read."""
        return {c for s in self.sessions if s.covers(t_ms) for c in s.channels}

    def keeps(self, t_ms: int) -> bool:
        return any(s.covers(t_ms) for s in self.sessions)

    def why_not(self, t_ms: int) -> str:
        """The reason an observation stamped ``t_ms`` is not kept, in the worker's words."""
        if not self.sessions:
            return "no session running"
        first = min(start for s in self.sessions for start, _ in s.windows)
        if t_ms < first - PRESTART_MARGIN_MS:
            return "stamped before the session's margin"
        return "stamped while no session was running"


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
        stored = self._fold_and_write(batch.guild_id, marker, events, snapshots, result)
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
        result: IngestResult,
    ) -> int | None:
        """Fold the batch onto the guild's presence, then write its records, the new presence
        and the batch marker, the last two in one transaction. A failure anywhere leaves the
        presence as it was, so the retry folds onto the same presence and writes the same
        records: a leave (or a move out of a tracked channel) is only recognised against the
        presence before it. Returns how many records were stored, or None when a concurrent
        copy of this batch landed first (its writes equal ours).

        Which observations are kept is decided from the sessions recorded in the same presence
        item, so a start, stop or reopen lands wholly before or wholly after this batch."""
        for _ in range(_PRESENCE_ATTEMPTS):
            presence = load_presence(self._store, guild_id)
            tracking = self._tracking(presence)
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

    def _tracking(self, presence: GuildPresence) -> _Tracking:
        self._sessions.take_in_running(presence)
        now = self._clock.now_ms()
        return _Tracking(
            tuple(
                t
                for t in (presence.tracking or {}).values()
                if (stop := t.last_stop()) is None or stop >= now - TRACKING_HORIZON_MS
            )
        )

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
                presence.apply_event(observation)
                # Every member's changes are kept while a session reads them, whatever the
                # channels: whether a move into the lounge ends a stay in a tracked channel
                # depends on where the member was, which a late or reordered batch can change.
                if tracking.keeps(observation.t_ms):
                    items.append(codec.event_to_item(guild_id, observation, now_s))
                else:
                    result.ignored[tracking.why_not(observation.t_ms)] += 1
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
    wanted = tracking.channels_at(snapshot.t_ms)
    channels = {
        channel: users - snapshot.bots
        for channel, users in snapshot.channels.items()
        if channel in wanted
    }
    if not channels:
        return None
    return VoiceSnapshot(
        t_ms=snapshot.t_ms, conn=snapshot.conn, seq=snapshot.seq, channels=channels
    )
