"""Benchmark: what a Sunday op costs the store, in DynamoDB capacity units.

    python bench/store_cost.py

The op is the demo's (``sunday_mining_dev.demo.crew``): three hours, 40 members in six mining
channels and a side crew in the lounge, with late joiners, moves, early leavers, two who drop
and come back, and a seven-minute worker outage. The worker reports it on its real cadence: each
change stamped when it happens and sent in that second's batch, a snapshot of every voice
channel each minute (none while it is disconnected). The voice ingest (``VoiceIngestService``)
records every batch on a SQLite store wrapped in a meter; the op's start and stop and one live
summary a minute (what /mining status reads) are counted apart.

The meter charges each call as DynamoDB bills it, from the sizes of the items involved
(attribute names and values, 3 bytes for a list or map and 1 per element): a strongly
consistent read 1 RCU per 4 KB (at least 1, also for an item that is not there), a query the
sum of what it returns per 4 KB (an index query, eventually consistent, half), a write 1 WCU per
KB of the larger of the old and new item (at least 1), and every item of a transaction twice.

The floor is what recording the op cannot do without: one write per voice change (each at
least 1 WCU) plus each minute's snapshot of the tracked channels (its size in KB, rounded up).
"""

from __future__ import annotations

import math
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.results import Row, Section
from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.presence import VoiceEvent, VoiceSnapshot
from sunday_mining.entrypoints.factories import build_services
from sunday_mining.ports.store import (
    Condition,
    Item,
    Key,
    Page,
    SortKey,
    Store,
    TxCheck,
    TxDelete,
    TxOp,
    TxPut,
    TxUpdate,
    Update,
)
from sunday_mining.services.voice import VoiceBatch
from sunday_mining_dev.demo.crew import (
    GAP_MINUTES,
    OP_CHANNELS,
    OP_MINUTES,
    SIDE_CHANNEL,
    Move,
    sunday_script,
)

GUILD = "1170000000000000001"
T0 = 1_795_370_400_000  # Sunday 2026-11-22 18:00 UTC
SECOND = 1_000
MINUTE = 60 * SECOND
CONN = "1795370100000-5eed0001"


# --- the meter --------------------------------------------------------------------------------


def item_size(item: Item) -> int:
    """An item's size as DynamoDB counts it: each attribute's name plus its value."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: Any) -> int:
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, int | float | Decimal):
        digits = len(str(abs(Decimal(value))).replace(".", "").lstrip("0")) or 1
        return (digits + 1) // 2 + 1
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, dict):
        return 3 + sum(len(str(k).encode()) + _value_size(v) + 1 for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return 3 + sum(_value_size(v) + 1 for v in value)
    raise TypeError(f"no size for {type(value).__name__}")


def _units(size: int, per: int) -> int:
    return max(1, math.ceil(size / per))


@dataclass
class Meter:
    rcu: float = 0.0
    wcu: float = 0.0
    reads: int = 0
    writes: int = 0


class MeteredStore(Store):
    """Forwards every call and charges the meter what DynamoDB would."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.meter = Meter()

    def _write(self, key: Key, new_size: int, *, factor: int = 1) -> None:
        old = self.inner.get(key)
        size = max(new_size, item_size(old) if old is not None else 0)
        self.meter.wcu += factor * _units(size, 1024)
        self.meter.writes += 1

    def get(self, key: Key, *, consistent: bool = True) -> Item | None:
        found = self.inner.get(key, consistent=consistent)
        units = _units(item_size(found) if found else 0, 4096)
        self.meter.rcu += units if consistent else units / 2
        self.meter.reads += 1
        return found

    def put(self, item: Item, *, condition: Condition | None = None) -> None:
        self._write((item["pk"], item["sk"]), item_size(item))
        self.inner.put(item, condition=condition)

    def update(self, key: Key, update: Update, *, condition: Condition | None = None) -> Item:
        after = self.inner.update(key, update, condition=condition)
        self.meter.wcu += _units(item_size(after), 1024)
        self.meter.writes += 1
        return after

    def delete(self, key: Key, *, condition: Condition | None = None) -> None:
        self._write(key, 0)
        self.inner.delete(key, condition=condition)

    def query(
        self,
        pk: str,
        sort: SortKey | None = None,
        *,
        forward: bool = True,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page:
        page = self.inner.query(pk, sort, forward=forward, limit=limit, cursor=cursor)
        self.meter.rcu += _units(sum(map(item_size, page.items)), 4096)
        self.meter.reads += 1
        return page

    def query_index(
        self,
        index: str,
        pk: str,
        sort: SortKey | None = None,
        *,
        forward: bool = True,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page:
        page = self.inner.query_index(index, pk, sort, forward=forward, limit=limit, cursor=cursor)
        self.meter.rcu += _units(sum(map(item_size, page.items)), 4096) / 2
        self.meter.reads += 1
        return page

    def transact(self, ops: Sequence[TxOp]) -> None:
        for op in ops:
            if isinstance(op, TxPut):
                self._write((op.item["pk"], op.item["sk"]), item_size(op.item), factor=2)
            elif isinstance(op, TxUpdate | TxDelete | TxCheck):
                self._write(op.key, 0, factor=2)
        self.inner.transact(ops)


# --- the op -----------------------------------------------------------------------------------


@dataclass
class OpCost:
    voice_changes: int = 0
    snapshots: int = 0
    batches: int = 0
    floor_wcu: int = 0
    ingest: Meter = field(default_factory=Meter)
    commands: Meter = field(default_factory=Meter)
    summaries: Meter = field(default_factory=Meter)


def _channel_ids() -> dict[str | None, str | None]:
    names = [*OP_CHANNELS, SIDE_CHANNEL]
    return {None: None, **{n: str(1180000000000000000 + i) for i, n in enumerate(names)}}


_Timeline = dict[int, list[VoiceEvent | VoiceSnapshot]]


def _worker_view(cost: OpCost, tracked: list[str]) -> _Timeline:
    """What the worker sends of the demo's op, second by second; counts the floor on the way."""
    ids = _channel_ids()
    moves = sunday_script()
    users = {m.user: str(1190000000000000000 + n) for n, m in enumerate(moves)}
    gap = (T0 + GAP_MINUTES[0] * MINUTE, T0 + GAP_MINUTES[1] * MINUTE)
    seated: dict[str, str] = {}
    timeline: _Timeline = {}
    minutes = range(T0 - 9 * MINUTE + 500, T0 + OP_MINUTES * MINUTE, MINUTE)
    steps: list[tuple[int, Move | None]] = [(T0 + m.at_s * SECOND + 250, m) for m in moves]
    steps = sorted([*steps, *((t, None) for t in minutes)], key=lambda step: step[0])
    for seq, (t, move) in enumerate(steps, start=1):
        if gap[0] <= t < gap[1]:  # the worker is disconnected: it sees nothing
            if move is not None:
                _seat(seated, users[move.user], ids[move.channel])
            continue
        if move is not None:
            user, channel = users[move.user], ids[move.channel]
            _seat(seated, user, channel)
            timeline.setdefault(t // SECOND, []).append(VoiceEvent(t, CONN, seq, user, channel))
            cost.voice_changes += 1
            continue
        listed: dict[str, set[str]] = {c: set() for c in ids.values() if c is not None}
        for user, channel in seated.items():
            listed[channel].add(user)
        channels = {c: frozenset(u) for c, u in listed.items()}
        timeline.setdefault(t // SECOND, []).append(VoiceSnapshot(t, CONN, seq, channels))
        if t >= T0:
            cost.snapshots += 1
            part = {c: sorted(channels[c]) for c in tracked}
            stored = {"pk": "", "sk": "", "t": t, "conn": CONN, "seq": seq, "channels": part}
            cost.floor_wcu += _units(item_size(stored), 1024)
    cost.floor_wcu += cost.voice_changes
    return timeline


def _seat(seated: dict[str, str], user: str, channel: str | None) -> None:
    if channel is None:
        seated.pop(user, None)
    else:
        seated[user] = channel


def measure() -> OpCost:
    """The demo's op, reported by the worker on its cadence and recorded through the ingest."""
    tracked = [str(_channel_ids()[name]) for name in OP_CHANNELS]
    cost = OpCost()
    timeline = _worker_view(cost, tracked)
    end = T0 + OP_MINUTES * MINUTE
    with tempfile.TemporaryDirectory() as folder:
        inner = SqliteStore(Path(folder) / "cost.sqlite3")
        store = MeteredStore(inner)
        clock = FixedClock(T0 - 10 * MINUTE)
        services = build_services(store, clock)
        for channel in tracked:
            services.guilds.add_channel(GUILD, channel)
        session_id = ""
        next_summary = T0 + MINUTE
        for second in sorted(timeline):
            arrives = (second + 1) * SECOND + 700  # sent as the second ends, answered 0.7 s on
            if not session_id and arrives >= T0:
                clock.set(T0)
                store.meter = cost.commands
                session_id = services.sessions.start_sunday(GUILD, "lead").session_id
            while session_id and next_summary <= min(arrives, end):
                clock.set(next_summary)
                store.meter = cost.summaries
                services.summaries.summary(GUILD, session_id)
                next_summary += MINUTE
            clock.set(arrives)
            store.meter = cost.ingest
            seen = timeline[second]
            cost.batches += 1
            services.voice.record(
                VoiceBatch(
                    GUILD,
                    CONN,
                    cost.batches,
                    events=tuple(o for o in seen if isinstance(o, VoiceEvent)),
                    snapshots=tuple(o for o in seen if isinstance(o, VoiceSnapshot)),
                )
            )
        clock.set(end)
        store.meter = cost.commands
        services.sessions.stop(GUILD, session_id)
        inner.close()
    return cost


def section(quick: bool = False) -> Section:
    """The op's cost beside its floor (the op is small: quick changes nothing)."""
    cost = measure()
    s = Section(
        title="Store cost of an op",
        bars="reported beside the floor (measured first; a bar follows the figure)",
        method=(
            "`bench/store_cost.py`: the demo's three-hour Sunday op (40 members in six mining "
            f"channels, a lounge, a seven-minute worker outage): {cost.voice_changes} voice "
            f"changes and {cost.snapshots} minute snapshots in {cost.batches} batches of the "
            "worker's cadence, recorded by the voice ingest on SQLite behind a meter that charges "
            "each call as DynamoDB bills it from the items' sizes (reads per 4 KB, strongly "
            "consistent; index queries half; writes per KB of the larger of the old and new item; "
            "transactions twice)."
        ),
        floor=(
            "one write per voice change (1 WCU each) plus each minute's snapshot of the tracked "
            "channels (its size in KB, rounded up): what recording the op cannot do without."
        ),
    )
    s.rows.append(
        Row(
            "voice ingest, writes",
            f"{cost.ingest.wcu:,.0f} WCU ({cost.ingest.writes:,} writes)",
            f"{cost.floor_wcu:,} WCU",
            cost.ingest.wcu / cost.floor_wcu,
        )
    )
    s.rows.append(
        Row("voice ingest, reads", f"{cost.ingest.rcu:,.1f} RCU ({cost.ingest.reads:,} reads)")
    )
    s.rows.append(
        Row(
            "start and stop",
            f"{cost.commands.wcu:,.0f} WCU, {cost.commands.rcu:,.1f} RCU",
        )
    )
    s.rows.append(
        Row(
            "a live summary each minute (what /mining status reads), 180 in all",
            f"{cost.summaries.rcu:,.0f} RCU ({cost.summaries.reads:,} reads)",
        )
    )
    s.notes.append(
        "Most of the ingest's writes are the guild's presence item, rewritten in each batch's "
        "transaction (which DynamoDB bills twice) so that a session's start, stop or reopen "
        "lands wholly before or after every batch."
    )
    return s


def main() -> None:
    for row in section().rows:
        print(f"{row.measure}: {row.figure}  (floor {row.floor})")


if __name__ == "__main__":
    main()
