"""The discord.py glue: a thin `discord.Client` that forwards events to the `GatewayBridge`,
which turns discord objects into plain values for the recorder and the presence reconciler.

Events are taken in `Client.dispatch`, synchronously while discord.py parses each frame: that
keeps the gateway's order and the state as of that frame (handlers would run later, as tasks).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from sunday_mining.ports.worker_protocol import ChannelReport
from sunday_mining.worker.budget import IdentifyBudget
from sunday_mining.worker.config import VoiceMode
from sunday_mining.worker.presence import JoinFailed, Presence
from sunday_mining.worker.recorder import Recorder

log = logging.getLogger("sunday_mining.worker.gateway")

VOICE_CLOSE_DAVE_REQUIRED = 4017
VOICE_CLOSE_RATE_LIMITED = 4021


def worker_intents() -> discord.Intents:
    """GUILDS and GUILD_VOICE_STATES only: no privileged intent is needed for voice presence."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.voice_states = True
    return intents


class WorkerClient(discord.Client):
    """Forwards the gateway events the worker needs; nothing else lives here.

    ``identify_delay=False`` skips discord.py's 5 s sleep before a non-initial IDENTIFY; only
    tests against a loopback gateway want that. The identify budget applies either way.
    """

    def __init__(
        self, bridge: GatewayBridge, *, identify_delay: bool = True, **options: Any
    ) -> None:
        options.setdefault("intents", worker_intents())
        super().__init__(**options)
        self._bridge = bridge
        self._identify_delay = identify_delay

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        await self._bridge.before_identify(initial=initial)
        if self._identify_delay:
            await super().before_identify_hook(shard_id, initial=initial)

    def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        # Read the event here, while its frame is parsed. Handlers run later as tasks, and by
        # then the `after` VoiceState (the cached object) may hold later frames of a burst,
        # e.g. a resume replay: a join then a move would both read as the move.
        try:
            self._bridge.on_dispatch(event, args)
        except Exception:
            # Never let the worker's bookkeeping break discord.py's frame parsing.
            log.exception("worker failed to handle a gateway event", extra={"event": event})
        super().dispatch(event, *args, **kwargs)


def _channel_id(state: discord.VoiceState | None) -> str | None:
    channel = state.channel if state is not None else None
    return str(channel.id) if channel is not None else None


def guild_view(guild: discord.Guild, own_id: int | None) -> tuple[dict[str, list[str]], set[str]]:
    """Every voice and stage channel with who sits in it (from the voice states, which hold
    members missing from the member cache too), and which of them are bots."""
    channels: dict[str, list[str]] = {}
    bots: set[str] = set()
    for channel in [*guild.voice_channels, *guild.stage_channels]:
        users = []
        for user_id in channel.voice_states:
            users.append(str(user_id))
            member = guild.get_member(user_id)
            if user_id == own_id or (member is not None and member.bot):
                bots.add(str(user_id))
        channels[str(channel.id)] = users
    return channels, bots


def display_names(guild: discord.Guild, channels: dict[str, list[str]]) -> dict[str, str]:
    """The display name (nick, else global name, else username) of each seated member in the
    cache. Without GUILD_MEMBERS, discord.py still caches members while they are in voice."""
    names: dict[str, str] = {}
    for users in channels.values():
        for user_id in users:
            member = guild.get_member(int(user_id))
            if member is not None:
                names[user_id] = member.display_name
    return names


class GatewayBridge:
    """Between one discord client at a time and the worker's long-lived parts."""

    def __init__(
        self,
        recorder: Recorder,
        presence: Presence,
        budget: IdentifyBudget,
        *,
        on_ready: Callable[[], None] = lambda: None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._recorder = recorder
        self._presence = presence
        self._budget = budget
        self._on_ready = on_ready
        self._sleep = sleep
        self.client: discord.Client | None = None
        self._closing = False

    def attach(self, client: discord.Client) -> None:
        self.client = client
        self._closing = False

    def closing(self) -> None:
        """The worker is closing the client on purpose: its disconnect is no news."""
        self._closing = True

    def detach(self) -> None:
        self.client = None

    # --- events --------------------------------------------------------------------------------

    def on_dispatch(self, event: str, args: tuple[Any, ...]) -> None:
        """Called by `WorkerClient.dispatch` for every event, in gateway order."""
        if event == "voice_state_update":
            self.voice_state(*args)
        elif event == "connect":  # discord.py dispatches it when READY is parsed
            self.connected(resumed=False)
        elif event == "resumed":
            self.connected(resumed=True)
        elif event == "disconnect":
            self.disconnected()
        elif event in ("guild_available", "guild_join"):
            self.guild_available(*args)
        elif event == "ready":
            self.ready()

    async def before_identify(self, *, initial: bool) -> None:
        delay = self._budget.delay_s()
        count = self._budget.count_24h()
        if delay > 0:
            log.warning(
                "delaying IDENTIFY to protect the daily budget",
                extra={"delay_s": round(delay, 1), "identifies_24h": count, "initial": initial},
            )
            await self._sleep(delay)
        await self._budget.record()
        log.info("identify", extra={"identifies_24h": count + 1, "initial": initial})

    def connected(self, *, resumed: bool) -> None:
        conn = self._recorder.connected(resumed=resumed)
        log.info("gateway connected", extra={"conn": conn, "resumed": resumed})
        if resumed:
            # Replayed events arrived late in a burst: the snapshot is the ground truth.
            self.snapshot_all()
        else:
            self._presence.new_session()

    def disconnected(self) -> None:
        if self._recorder.state == "connected" and not self._closing:
            log.warning("gateway disconnected", extra={"conn": self._recorder.conn})
        self._recorder.disconnected()

    def ready(self) -> None:
        log.info("gateway ready", extra={"guilds": len(self.guild_ids())})
        self._presence.wake()
        self._on_ready()

    def guild_available(self, guild: discord.Guild) -> None:
        if guild.unavailable:
            return
        self._snapshot(guild)

    def voice_state(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        guild_id = str(member.guild.id)
        own_id = self._own_id()
        after_id = _channel_id(after)
        self._recorder.voice_change(
            guild_id,
            str(member.id),
            _channel_id(before),
            after_id,
            bot=bool(member.bot) or member.id == own_id,
            name=member.display_name,
        )
        if member.id == own_id:
            self._presence.own_voice(guild_id, after_id)

    # --- reading the cache ---------------------------------------------------------------------

    def _own_id(self) -> int | None:
        user = self.client.user if self.client is not None else None
        return user.id if user is not None else None

    def _available_guilds(self) -> list[discord.Guild]:
        if self.client is None:
            return []
        return [g for g in self.client.guilds if not g.unavailable]

    def guild_ids(self) -> list[str]:
        return sorted(str(g.id) for g in self._available_guilds())

    def latency_ms(self) -> int | None:
        if self.client is None:
            return None
        latency = self.client.latency
        return None if math.isnan(latency) or math.isinf(latency) else round(latency * 1000)

    def snapshot_all(self) -> None:
        for guild in self._available_guilds():
            self._snapshot(guild)

    def _snapshot(self, guild: discord.Guild) -> None:
        channels, bots = guild_view(guild, self._own_id())
        names = display_names(guild, channels)
        self._recorder.snapshot(str(guild.id), channels, bots, names)

    async def run_snapshots(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            if self._recorder.state == "connected":
                self.snapshot_all()


class DiscordVoice:
    """The presence reconciler's view of the client: `presence.VoiceBackend`."""

    def __init__(
        self,
        client_of: Callable[[], discord.Client | None],
        mode: VoiceMode,
        *,
        connect_timeout_s: float = 15.0,
    ) -> None:
        self._client_of = client_of
        self._mode = mode
        self._connect_timeout_s = connect_timeout_s

    def _guild(self, guild_id: str) -> discord.Guild | None:
        client = self._client_of()
        if client is None or not guild_id.isdigit():
            return None
        guild = client.get_guild(int(guild_id))
        return None if guild is None or guild.unavailable else guild

    def ready(self) -> bool:
        client = self._client_of()
        return client is not None and client.is_ready() and not client.is_closed()

    def own_channel(self, guild_id: str) -> str | None:
        guild = self._guild(guild_id)
        me = guild.me if guild is not None else None
        return _channel_id(me.voice) if me is not None else None

    def _voice_channel(
        self, guild: discord.Guild, channel_id: str
    ) -> discord.VoiceChannel | discord.StageChannel | None:
        channel = guild.get_channel(int(channel_id)) if channel_id.isdigit() else None
        if isinstance(channel, discord.VoiceChannel | discord.StageChannel):
            return channel
        return None

    def check(self, guild_id: str, channel_id: str) -> ChannelReport:
        guild = self._guild(guild_id)
        channel = self._voice_channel(guild, channel_id) if guild is not None else None
        if guild is None or channel is None or guild.me is None:
            return ChannelReport(found=False)
        me = guild.me
        perms = channel.permissions_for(me)
        missing = [
            name
            for name, allowed in (("VIEW_CHANNEL", perms.view_channel), ("CONNECT", perms.connect))
            if not allowed
        ]
        others = sum(1 for user_id in channel.voice_states if user_id != me.id)
        # MOVE_MEMBERS lets a bot past the user limit.
        full = 0 < channel.user_limit <= others and not perms.move_members
        return ChannelReport(missing=tuple(missing), full=full)

    async def join(self, guild_id: str, channel_id: str) -> None:
        guild = self._guild(guild_id)
        channel = self._voice_channel(guild, channel_id) if guild is not None else None
        if guild is None or channel is None:
            raise JoinFailed("channel not found")
        if self._mode == "state":
            # Only the gateway voice-state update: no voice WebSocket, UDP or DAVE needed.
            await guild.change_voice_state(channel=channel, self_deaf=True)
            return
        await self._connect(guild, channel)

    async def _connect(
        self, guild: discord.Guild, channel: discord.VoiceChannel | discord.StageChannel
    ) -> None:
        voice = guild.voice_client
        try:
            if isinstance(voice, discord.VoiceClient) and voice.is_connected():
                await voice.move_to(channel, timeout=self._connect_timeout_s)
                return
            if voice is not None:
                # A stale client left by a forced disconnect would make connect() refuse.
                await voice.disconnect(force=True)
            await channel.connect(self_deaf=True, timeout=self._connect_timeout_s)
        except TimeoutError:
            raise JoinFailed("timeout") from None
        except RuntimeError as exc:
            # discord.py 2.7.1 raises this when PyNaCl or davey is missing.
            raise JoinFailed(
                f"voice library missing: install discord.py[voice] ({exc})"[:200], lasting=True
            ) from None
        except discord.ConnectionClosed as exc:
            if exc.code == VOICE_CLOSE_DAVE_REQUIRED:
                raise JoinFailed("DAVE required: install discord.py[voice]", lasting=True) from None
            if exc.code == VOICE_CLOSE_RATE_LIMITED:
                raise JoinFailed("voice rate limited", lasting=True) from None
            raise JoinFailed(f"voice connection closed ({exc.code})") from None
        except discord.ClientException as exc:
            raise JoinFailed(f"voice: {exc}"[:200]) from None

    async def leave(self, guild_id: str) -> None:
        guild = self._guild(guild_id)
        if guild is None:
            return
        voice = guild.voice_client
        if self._mode == "full" and voice is not None:
            await voice.disconnect(force=True)
            return
        await guild.change_voice_state(channel=None)
