"""Guild presence: who sits in which voice channel now, as last reported by the worker."""

from __future__ import annotations

from dataclasses import dataclass, field

from sunday_mining.domain.presence import VoiceEvent, VoiceSnapshot
from sunday_mining.ports.store import Item, ItemAbsent, Store, TxPut, eq
from sunday_mining.services import keys


@dataclass
class GuildPresence:
    guild_id: str
    # user id -> (channel id, time of the observation that put them there)
    members: dict[str, tuple[str, int]] = field(default_factory=dict)
    # user id -> time they were last seen leaving; guards against older observations replayed
    left: dict[str, int] = field(default_factory=dict)
    version: int = 0

    def channel_of(self, user_id: str) -> str | None:
        entry = self.members.get(user_id)
        return entry[0] if entry else None

    def in_channels(self, channel_ids: tuple[str, ...]) -> dict[str, frozenset[str]]:
        wanted = set(channel_ids)
        seated: dict[str, set[str]] = {c: set() for c in channel_ids}
        for user, (channel, _) in self.members.items():
            if channel in wanted:
                seated[channel].add(user)
        return {c: frozenset(users) for c, users in seated.items()}

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
    )


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
    condition = ItemAbsent() if presence.version == 0 else eq("version", presence.version)
    return TxPut(item, condition)
