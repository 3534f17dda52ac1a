"""The fake Discord's world: guilds, voice channels, members and who sits where.

Plain synchronous state. The server turns each change into gateway dispatches; keeping the
model free of I/O lets snapshots (GUILD_CREATE) and events be built from one source of truth.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

# Permission bits (Discord's values) that matter for a bot sitting in voice.
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
READ_MESSAGE_HISTORY = 1 << 16
CONNECT = 1 << 20
SPEAK = 1 << 21
MOVE_MEMBERS = 1 << 24
DEFAULT_EVERYONE_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY | CONNECT | SPEAK

# Guild owners get every permission in discord.py, so the default owner is nobody we model.
DEFAULT_OWNER_ID = "100000000000000001"

_voice_session_numbers = itertools.count(1)


def new_voice_session_id() -> str:
    """A fresh voice session id: Discord issues one per join, so a rejoin is detectable."""
    return f"fake-voice-{next(_voice_session_numbers):06d}"


@dataclass
class FakeVoiceChannel:
    id: str
    name: str
    user_limit: int = 0
    position: int = 0
    bitrate: int = 64000
    # Bits denied to @everyone by an overwrite, e.g. CONNECT to model a locked channel.
    deny_everyone: int = 0


@dataclass
class FakeMember:
    """A user in the guild. ``global_name`` and ``nick`` default to none, as for a user who set
    neither: discord.py's ``display_name`` is then the username."""

    id: str
    username: str
    bot: bool = False
    global_name: str | None = None
    nick: str | None = None  # the guild nickname


@dataclass
class FakeGuild:
    id: str
    name: str
    channels: list[FakeVoiceChannel]
    members: list[FakeMember]
    # The fake's own state, editable before start() to seed who is already in voice.
    voice_states: dict[str, str] = field(default_factory=dict)  # user_id -> channel_id
    self_muted: set[str] = field(default_factory=set)
    self_deafened: set[str] = field(default_factory=set)
    voice_session_ids: dict[str, str] = field(default_factory=dict)  # user_id -> session id
    owner_id: str = DEFAULT_OWNER_ID
    everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS

    def member(self, user_id: str) -> FakeMember:
        for member in self.members:
            if member.id == user_id:
                return member
        raise ValueError(f"user {user_id} is not a member of guild {self.id}")

    def channel(self, channel_id: str) -> FakeVoiceChannel:
        for channel in self.channels:
            if channel.id == channel_id:
                return channel
        raise ValueError(f"channel {channel_id} is not a voice channel of guild {self.id}")

    def occupants(self, channel_id: str) -> list[str]:
        return [uid for uid, cid in self.voice_states.items() if cid == channel_id]

    def voice_session_id(self, user_id: str) -> str:
        """The user's current voice session id, issuing one for states seeded without it."""
        return self.voice_session_ids.setdefault(user_id, new_voice_session_id())

    def place(self, user_id: str, channel_id: str | None, *, session_id: str | None = None) -> None:
        """Move a user into a channel (None: out of voice). A join gets a new voice session."""
        self.member(user_id)
        if channel_id is None:
            self.voice_states.pop(user_id, None)
            self.self_muted.discard(user_id)
            self.self_deafened.discard(user_id)
            return
        self.channel(channel_id)
        if user_id not in self.voice_states or session_id is not None:
            self.voice_session_ids[user_id] = session_id or new_voice_session_id()
        self.voice_states[user_id] = channel_id

    def set_self_flags(self, user_id: str, *, mute: bool, deaf: bool) -> None:
        for users, on in ((self.self_muted, mute), (self.self_deafened, deaf)):
            users.discard(user_id)
            if on:
                users.add(user_id)

    def permissions_in(self, channel_id: str) -> int:
        """What a member with only @everyone (the bot) may do in the channel."""
        return self.everyone_permissions & ~self.channel(channel_id).deny_everyone

    def may_join(self, user_id: str, channel_id: str) -> bool:
        """Whether Discord would let this member connect: permissions and the user limit."""
        allowed = self.permissions_in(channel_id)
        if allowed & (VIEW_CHANNEL | CONNECT) != VIEW_CHANNEL | CONNECT:
            return False
        limit = self.channel(channel_id).user_limit
        others = [uid for uid in self.occupants(channel_id) if uid != user_id]
        return limit == 0 or len(others) < limit or bool(allowed & MOVE_MEMBERS)
