"""The real discord.py client against the loopback fake Discord (REST login + gateway v10).

Each test gets a fresh fake and a fresh client; everything is bounded by timeouts so a
protocol bug fails a test instead of hanging the run.
"""

from __future__ import annotations

import asyncio
import functools
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import aiohttp
import discord
import pytest
import pytest_asyncio

from sunday_mining_dev.fake_gateway import FakeDiscord, FakeGuild, FakeMember, FakeVoiceChannel
from sunday_mining_dev.fake_gateway.model import CONNECT

GUILD = "800000000000000001"
VC1 = "800000000000000011"
VC2 = "800000000000000012"
VC_FULL = "800000000000000013"  # user limit 1, carol inside
VC_LOCKED = "800000000000000014"  # CONNECT denied to @everyone
ALICE = "700000000000000001"
BOB = "700000000000000002"
CAROL = "700000000000000003"
MUSIC_BOT = "700000000000000009"
BOT = "900000000000000001"  # FakeDiscord's default bot user id

TEST_TIMEOUT_S = 10.0
WAIT_S = 5.0

P = ParamSpec("P")
R = TypeVar("R")


def bounded(test: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """A hung test fails after TEST_TIMEOUT_S instead of hanging the run."""

    @functools.wraps(test)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return await asyncio.wait_for(test(*args, **kwargs), TEST_TIMEOUT_S)

    return wrapper


def sample_guild() -> FakeGuild:
    return FakeGuild(
        id=GUILD,
        name="Sunday Miners",
        channels=[
            FakeVoiceChannel(VC1, "Dispatch", position=0),
            FakeVoiceChannel(VC2, "Mining", position=1),
            FakeVoiceChannel(VC_FULL, "Duo", user_limit=1, position=2),
            FakeVoiceChannel(VC_LOCKED, "Officers", position=3, deny_everyone=CONNECT),
        ],
        members=[
            FakeMember(ALICE, "alice"),
            FakeMember(BOB, "bob"),
            FakeMember(CAROL, "carol"),
            FakeMember(MUSIC_BOT, "jukebox", bot=True),
        ],
        voice_states={ALICE: VC1, MUSIC_BOT: VC1, CAROL: VC_FULL},
    )


@dataclass(frozen=True)
class VoiceSeen:
    """One voice_state_update as the client saw it when parsing the frame."""

    user_id: str
    before: str | None
    after: str | None
    self_mute: bool = False
    self_deaf: bool = False
    bot: bool = False

    @classmethod
    def of(
        cls, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> VoiceSeen:
        return cls(
            user_id=str(member.id),
            before=_channel_id(before),
            after=_channel_id(after),
            self_mute=after.self_mute,
            self_deaf=after.self_deaf,
            bot=member.bot,
        )


def _channel_id(state: discord.VoiceState) -> str | None:
    return None if state.channel is None else str(state.channel.id)


LogEntry = tuple[str, VoiceSeen | None]


class RecordingClient(discord.Client):
    """A plain discord.Client that logs the events tests care about, in order."""

    def __init__(self, *, members_intent: bool = False, voice_intent: bool = True) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.voice_states = voice_intent
        intents.members = members_intent
        super().__init__(intents=intents, guild_ready_timeout=0.05)
        self.log: list[LogEntry] = []
        self.handled: list[str] = []  # user ids, as on_voice_state_update ran
        self._changed = asyncio.Event()
        self.runner: asyncio.Task[None] | None = None

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None  # the default sleeps 5 s before every re-IDENTIFY

    def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        # Snapshot here, while the frame is parsed: handlers run later, and in a burst (a
        # resume replay) `after` is the cached VoiceState, already changed by later frames.
        if event == "voice_state_update":
            self.log.append(("voice", VoiceSeen.of(*args)))
        elif event in ("ready", "resumed", "disconnect"):
            self.log.append((event, None))
        self._changed.set()
        super().dispatch(event, *args, **kwargs)

    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        self.handled.append(str(member.id))
        self._changed.set()

    def count(self, event: str) -> int:
        return sum(1 for name, _ in self.log if name == event)

    @property
    def voice_seen(self) -> list[VoiceSeen]:
        return [seen for _, seen in self.log if seen is not None]

    def launch(self, token: str) -> None:
        self.runner = asyncio.create_task(self.start(token))
        self.runner.add_done_callback(lambda _: self._changed.set())

    async def until(self, predicate: Callable[[], bool], timeout: float = WAIT_S) -> None:
        """Wait for predicate(); fail at once if the client stopped with an error."""
        async with asyncio.timeout(timeout):
            while not predicate():
                if self.runner is not None and self.runner.done():
                    self.runner.result()  # re-raises the client's error
                    raise AssertionError("client stopped before the condition held")
                self._changed.clear()
                await self._changed.wait()

    async def shut(self) -> BaseException | None:
        """Close the client; returns the error its start() task ended with, if any."""
        await asyncio.wait_for(self.close(), WAIT_S)
        if self.runner is None:
            return None
        await asyncio.wait({self.runner}, timeout=WAIT_S)
        assert self.runner.done(), "client.start() did not return after close()"
        return self.runner.exception()

    def guild_(self) -> discord.Guild:
        guild = self.get_guild(int(GUILD))
        assert guild is not None
        return guild

    def voice_channel(self, channel_id: str) -> discord.VoiceChannel:
        channel = self.guild_().get_channel(int(channel_id))
        assert isinstance(channel, discord.VoiceChannel)
        return channel

    def members_of(self, channel_id: str) -> list[str]:
        return sorted(str(m.id) for m in self.voice_channel(channel_id).members)


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(guilds=[sample_guild()], heartbeat_interval_ms=1000) as fake:
        with fake.patch_discord():
            yield fake


@pytest_asyncio.fixture
async def client(fake: FakeDiscord) -> AsyncIterator[RecordingClient]:
    client = RecordingClient()
    client.launch(fake.token)
    try:
        await client.until(lambda: client.count("ready") == 1)
        yield client
    finally:
        assert await client.shut() is None
    assert fake.unknown_requests == []
    assert fake.protocol_errors == []


@pytest.mark.asyncio
@bounded
async def test_login_and_ready_show_voice_members(
    fake: FakeDiscord, client: RecordingClient
) -> None:
    assert client.user is not None
    assert str(client.user.id) == BOT
    assert client.members_of(VC1) == [ALICE, MUSIC_BOT]
    assert client.members_of(VC2) == []
    jukebox = client.guild_().get_member(int(MUSIC_BOT))
    assert jukebox is not None
    assert jukebox.bot
    assert fake.rest_requests == [
        ("GET", "/api/v10/users/@me"),
        ("GET", "/api/v10/oauth2/applications/@me"),
    ]
    assert fake.connection_paths == ["/gw"]
    assert (fake.identify_count, fake.resume_count) == (1, 0)
    assert fake.intents == (1 << 0) | (1 << 7)
    # The first heartbeat goes out right after HELLO and its ACK precedes READY.
    assert fake.heartbeats_received >= 1
    assert math.isfinite(client.latency)


@pytest.mark.asyncio
@bounded
async def test_voice_state_updates_for_join_move_mute_and_leave(
    fake: FakeDiscord, client: RecordingClient
) -> None:
    await fake.voice_join(GUILD, BOB, VC2)
    await fake.voice_move(GUILD, BOB, VC1)
    await fake.voice_toggle_mute(GUILD, BOB)
    await fake.voice_toggle_mute(GUILD, BOB)
    await fake.voice_leave(GUILD, BOB)
    await fake.voice_leave(GUILD, MUSIC_BOT)
    await client.until(lambda: len(client.handled) == 6)

    assert client.voice_seen == [
        VoiceSeen(BOB, None, VC2),
        VoiceSeen(BOB, VC2, VC1),
        VoiceSeen(BOB, VC1, VC1, self_mute=True),
        VoiceSeen(BOB, VC1, VC1, self_mute=False),
        VoiceSeen(BOB, VC1, None),
        VoiceSeen(MUSIC_BOT, VC1, None, bot=True),
    ]
    assert client.handled == [BOB] * 5 + [MUSIC_BOT]
    assert client.members_of(VC1) == [ALICE]


@pytest.mark.asyncio
@bounded
async def test_op7_reconnect_resumes(fake: FakeDiscord, client: RecordingClient) -> None:
    await fake.request_reconnect()
    await client.until(lambda: client.count("resumed") == 1)

    assert (fake.identify_count, fake.resume_count) == (1, 1)
    assert fake.connection_paths == ["/gw", "/resume"]
    assert client.count("ready") == 1
    await fake.voice_join(GUILD, BOB, VC2)  # the resumed connection is live
    await client.until(lambda: client.voice_seen == [VoiceSeen(BOB, None, VC2)])


@pytest.mark.asyncio
@bounded
async def test_drop_4000_replays_missed_events_in_order_then_resumed(
    fake: FakeDiscord, client: RecordingClient
) -> None:
    fake.hold_connections(True)
    await fake.drop_connection()
    await fake.wait_for(lambda: fake.held_connections == 1)  # the client is certainly out
    await fake.voice_join(GUILD, BOB, VC2)
    await fake.voice_move(GUILD, BOB, VC1)
    await fake.voice_leave(GUILD, ALICE)
    fake.hold_connections(False)
    await client.until(lambda: client.count("resumed") == 1)

    assert client.log[1:] == [
        ("disconnect", None),
        ("voice", VoiceSeen(BOB, None, VC2)),
        ("voice", VoiceSeen(BOB, VC2, VC1)),
        ("voice", VoiceSeen(ALICE, VC1, None)),
        ("resumed", None),
    ]
    assert (fake.identify_count, fake.resume_count) == (1, 1)
    assert fake.close_codes == [4000]
    assert client.members_of(VC1) == [BOB, MUSIC_BOT]


@pytest.mark.asyncio
@bounded
async def test_invalid_session_reidentifies_with_current_state(
    fake: FakeDiscord, client: RecordingClient
) -> None:
    fake.hold_connections(True)
    await fake.drop_connection()
    await fake.wait_for(lambda: fake.held_connections == 1)
    await fake.voice_leave(GUILD, ALICE)
    await fake.voice_leave(GUILD, MUSIC_BOT)  # VC1 is empty now
    await fake.voice_join(GUILD, BOB, VC2)
    await fake.invalidate_session()  # the missed events are gone for good
    fake.hold_connections(False)
    await client.until(lambda: client.count("ready") == 2)

    assert fake.rejected_resumes == 1
    assert (fake.identify_count, fake.resume_count) == (2, 0)
    assert client.members_of(VC1) == []
    assert client.members_of(VC2) == [BOB]
    # discord.py reports nothing about the gap: the new READY's snapshot is the only record.
    assert client.voice_seen == []


@pytest.mark.asyncio
@bounded
async def test_op9_on_a_live_connection(fake: FakeDiscord, client: RecordingClient) -> None:
    await fake.invalidate_session(resumable=True)
    await client.until(lambda: client.count("resumed") == 1)
    assert (fake.identify_count, fake.resume_count) == (1, 1)

    first_session = fake.session_ids
    await fake.invalidate_session(resumable=False)
    await client.until(lambda: client.count("ready") == 2)
    assert (fake.identify_count, fake.resume_count) == (2, 1)
    assert len(fake.session_ids) == 1
    assert fake.session_ids != first_session


@pytest.mark.asyncio
@bounded
async def test_outage_refuses_connections_then_reidentifies(
    fake: FakeDiscord, client: RecordingClient
) -> None:
    fake.set_offline(True)
    await fake.drop_connection()
    await fake.wait_for(lambda: fake.refused_connections >= 1)
    await fake.voice_leave(GUILD, ALICE)
    await fake.invalidate_session()
    fake.set_offline(False)
    # The client retries after its own backoff (up to 2 s, then 4 s).
    await client.until(lambda: client.count("ready") == 2, timeout=8.0)

    assert fake.identify_count == 2
    assert client.members_of(VC1) == [MUSIC_BOT]


@pytest.mark.asyncio
@bounded
async def test_bot_voice_request_is_recorded_and_echoed(
    fake: FakeDiscord, client: RecordingClient
) -> None:
    guild = client.guild_()
    mining = client.voice_channel(VC2)
    await guild.change_voice_state(channel=mining, self_deaf=True)
    await client.until(lambda: len(client.voice_seen) == 1)

    assert fake.voice_state_requests == [
        {"guild_id": GUILD, "channel_id": VC2, "self_deaf": True, "self_mute": False}
    ]
    assert client.voice_seen == [VoiceSeen(BOT, None, VC2, self_deaf=True, bot=True)]
    assert guild.me.voice is not None
    assert guild.me.voice.channel == mining
    assert client.members_of(VC2) == [BOT]
    assert guild.voice_client is None  # no voice connection: presence only

    await guild.change_voice_state(channel=None)
    await client.until(lambda: len(client.voice_seen) == 2)
    assert fake.voice_state_requests[-1]["channel_id"] is None
    assert client.voice_seen[-1] == VoiceSeen(BOT, VC2, None, bot=True)


@pytest.mark.asyncio
@bounded
async def test_full_or_locked_channel_gets_no_echo(
    fake: FakeDiscord, client: RecordingClient
) -> None:
    guild = client.guild_()
    full, locked = client.voice_channel(VC_FULL), client.voice_channel(VC_LOCKED)
    # What the worker can pre-check from its cache before asking.
    assert (full.user_limit, len(full.members)) == (1, 1)
    assert not locked.permissions_for(guild.me).connect
    for channel in (full, locked, client.voice_channel(VC2)):
        await guild.change_voice_state(channel=channel, self_deaf=True)
    await client.until(lambda: len(client.voice_seen) == 1)

    # Discord stays silent for the first two; the only echo is for the free channel.
    assert len(fake.voice_state_requests) == 3
    assert client.voice_seen == [VoiceSeen(BOT, None, VC2, self_deaf=True, bot=True)]
    assert fake.guild(GUILD).voice_states[BOT] == VC2


@pytest.mark.asyncio
@bounded
async def test_bad_token_raises_login_failure(fake: FakeDiscord) -> None:
    client = RecordingClient()
    try:
        with pytest.raises(discord.LoginFailure):
            await client.start("not-the-token")
    finally:
        await client.close()
    assert fake.rest_requests == [("GET", "/api/v10/users/@me")]
    assert fake.connection_paths == []


@pytest.mark.asyncio
@bounded
async def test_missing_voice_intent_is_rejected(fake: FakeDiscord) -> None:
    client = RecordingClient(voice_intent=False)
    client.launch(fake.token)
    assert client.runner is not None
    await asyncio.wait({client.runner}, timeout=WAIT_S)
    error = await client.shut()

    assert isinstance(error, discord.ConnectionClosed)
    assert error.code == 4013
    assert fake.intents == 1
    assert fake.identify_count == 0
    assert fake.protocol_errors == ["IDENTIFY intents 1 lack 129"]


@pytest.mark.asyncio
@bounded
async def test_members_intent_chunk_request_is_answered(fake: FakeDiscord) -> None:
    client = RecordingClient(members_intent=True)
    client.launch(fake.token)
    try:
        # Unanswered, the chunk request would hold on_ready for 5 s.
        await client.until(lambda: client.count("ready") == 1, timeout=2.0)
        assert len(client.guild_().members) == 5  # four people and the bot
    finally:
        assert await client.shut() is None
    assert fake.protocol_errors == []


@pytest.mark.asyncio
@bounded
async def test_unknown_rest_route_is_404_in_discords_shape(fake: FakeDiscord) -> None:
    auth = {"Authorization": f"Bot {fake.token}"}
    async with aiohttp.ClientSession() as http:
        path = f"{fake.rest_base}/guilds/{GUILD}/voice-states/@me"
        async with http.get(path, headers=auth) as response:
            assert response.status == 404
            assert response.headers["Content-Type"] == "application/json"
            assert await response.json() == {"message": "404: Not Found", "code": 0}
        async with http.get(f"{fake.rest_base}/users/@me") as response:
            assert response.status == 401
            assert await response.json() == {"message": "401: Unauthorized", "code": 0}
    assert fake.unknown_requests == [("GET", f"/api/v10/guilds/{GUILD}/voice-states/@me")]
