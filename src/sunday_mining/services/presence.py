"""Guild presence: who sits in which voice channel now, as last reported by the worker, and
which channels the guild's sessions track, and when.

The two live in one item on purpose. A session starts, stops or reopens with a conditional
write of this item, in the same transaction as the session; a voice batch is recorded with a
conditional write of it too. So every batch is folded either wholly before a start (and is in
the start's seed) or wholly after it (and is kept for the session if its observations are
stamped inside the session's windows, or within the margin before a start): none falls between.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sunday_mining.domain.presence import (
    PRESTART_MARGIN_MS,
    VoiceEvent,
    VoiceSnapshot,
    read_ranges,
)
from sunday_mining.domain.session import Session
from sunday_mining.ports.store import Item, ItemAbsent, Store, TxPut, eq
from sunday_mining.services import keys

# After a window stops, observations stamped inside it are still kept for this long: a worker
# that could not reach the app holds its batches back (its spool) and sends them late.
TRACKING_HORIZON_MS = 86_400_000
_NEVER_STOPPED = 2**62  # "now" for a running window: it reads whatever comes


@dataclass(frozen=True)
class Tracked:
    """A session as the voice ingest needs it: its channels and its windows."""

    channels: tuple[str, ...]
    windows: tuple[tuple[int, int | None], ...]

    @cached_property
    def _ranges(self) -> list[tuple[int, int]]:
        return read_ranges(self.windows, _NEVER_STOPPED)

    def covers(self, t_ms: int) -> bool:
        """Whether an observation stamped ``t_ms`` is read with one of the windows."""
        return any(low <= t_ms <= high for low, high in self._ranges)

    def last_stop(self) -> int | None:
        return self.windows[-1][1]


@dataclass
class GuildPresence:
    guild_id: str
    # user id -> (channel id, time of the observation that put them there)
    members: dict[str, tuple[str, int]] = field(default_factory=dict)
    # user id -> time they were last seen leaving; guards against older observations replayed
    left: dict[str, int] = field(default_factory=dict)
    version: int = 0
    # session id -> its channels and windows; None for an item written before sessions were
    # kept here (the ingest then asks the sessions themselves, once)
    tracking: dict[str, Tracked] | None = None

    def track(self, session: Session) -> None:
        if self.tracking is None:
            self.tracking = {}
        self.tracking[session.session_id] = Tracked(
            session.channel_ids, tuple((w.start_ms, w.stop_ms) for w in session.windows)
        )

    def seated(
        self, channel_ids: tuple[str, ...], start_ms: int
    ) -> dict[str, tuple[str | None, int]]:
        """What a window opening at ``start_ms`` starts from: everyone in ``channel_ids``, and
        everyone else observed elsewhere (or leaving) within the margin before the start, since
        the window also reads the worker's observations from then on. Each with the time of
        the observation that told it."""
        wanted = set(channel_ids)
        since = start_ms - PRESTART_MARGIN_MS
        found: dict[str, tuple[str | None, int]] = {}
        for user, (channel, t) in self.members.items():
            if channel in wanted or t >= since:
                found[user] = (channel, t)
        for user, t in self.left.items():
            if t >= since and user not in found:
                found[user] = (None, t)
        return found

    def channel_of(self, user_id: str) -> str | None:
        entry = self.members.get(user_id)
        return entry[0] if entry else None

    def _last_seen(self, user_id: str) -> int:
        entry = self.members.get(user_id)
        return max(entry[1] if entry else -1, self.left.get(user_id, -1))

    def apply_event(self, event: VoiceEvent) -> bool:
        """Apply an event unless something newer is already known; True if it changed state."""
        if event.t_ms < self._last_seen(event.user_id):
            return False
        if event.channel_id is None:
            self.members.pop(event.user_id, None)
            self.left[event.user_id] = event.t_ms
        else:
            self.members[event.user_id] = (event.channel_id, event.t_ms)
            self.left.pop(event.user_id, None)
        return True

    def apply_snapshot(self, snapshot: VoiceSnapshot) -> int:
        """Take the snapshot as the truth where it is newer; returns the corrections: members
        the events had in another channel, or not at all, or seated where the snapshot has
        nobody (each one a missed or lost event)."""
        listed: dict[str, str] = {}
        for channel, users in snapshot.channels.items():
            for user in users - snapshot.bots:
                listed[user] = channel
        corrections = 0
        for user, channel in listed.items():
            if snapshot.t_ms >= self._last_seen(user):
                corrections += self.channel_of(user) != channel
                self.members[user] = (channel, snapshot.t_ms)
                self.left.pop(user, None)
        for user, (channel, seen) in list(self.members.items()):
            if channel in snapshot.channels and user not in listed and snapshot.t_ms >= seen:
                del self.members[user]
                self.left[user] = snapshot.t_ms
                corrections += 1
        return corrections


def load_presence(store: Store, guild_id: str) -> GuildPresence:
    item = store.get(keys.presence_key(guild_id))
    if item is None:
        return GuildPresence(guild_id)
    return GuildPresence(
        guild_id=guild_id,
        members={u: (str(v[0]), int(v[1])) for u, v in item.get("members", {}).items()},
        left={u: int(t) for u, t in item.get("left", {}).items()},
        version=int(item.get("version", 0)),
        tracking=_tracking_from(item["tracking"]) if "tracking" in item else None,
    )


def _tracking_from(stored: Mapping[str, Any]) -> dict[str, Tracked]:
    return {
        session_id: Tracked(
            tuple(str(c) for c in entry["channels"]),
            tuple((int(w[0]), None if w[1] is None else int(w[1])) for w in entry["windows"]),
        )
        for session_id, entry in stored.items()
    }


def save_presence(store: Store, presence: GuildPresence, now_ms: int) -> None:
    """Conditional on the version read, so two writers never overwrite each other silently."""
    write = presence_put(presence, now_ms)
    store.put(write.item, condition=write.condition)
    presence.version += 1


def presence_put(presence: GuildPresence, now_ms: int) -> TxPut:
    """The conditional write of ``presence`` (on the version read), for a transaction."""
    pk, sk = keys.presence_key(presence.guild_id)
    # Leave times only matter as a guard against replays; a day of them is plenty.
    left = {u: t for u, t in presence.left.items() if t >= now_ms - 86_400_000}
    item: Item = {
        "pk": pk,
        "sk": sk,
        "members": {u: [c, t] for u, (c, t) in presence.members.items()},
        "left": left,
        "updated_ms": now_ms,
        "version": presence.version + 1,
    }
    if presence.tracking is not None:
        item["tracking"] = {
            session_id: {"channels": list(t.channels), "windows": [list(w) for w in t.windows]}
            for session_id, t in presence.tracking.items()
            if (stop := t.last_stop()) is None or stop >= now_ms - TRACKING_HORIZON_MS
        }
    condition = ItemAbsent() if presence.version == 0 else eq("version", presence.version)
    return TxPut(item, condition)
