"""The bot-presence reconciler against a fake voice backend and a hand-driven clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from sunday_mining.ports.worker_protocol import ChannelReport, VoiceReport
from sunday_mining.worker.presence import JoinFailed, Presence

GUILD, DISPATCH, OTHER = "1000", "11", "12"


class FakeVoice:
    def __init__(self) -> None:
        self.presence: Presence | None = None
        self.sits: dict[str, str] = {}
        self.reports: dict[str, ChannelReport] = {}
        self.calls: list[tuple[str, str | None]] = []
        self.echo = True
        self.failure: JoinFailed | None = None

    def ready(self) -> bool:
        return True

    def own_channel(self, guild_id: str) -> str | None:
        return self.sits.get(guild_id)

    def check(self, guild_id: str, channel_id: str) -> ChannelReport:
        return self.reports.get(channel_id, ChannelReport())

    async def join(self, guild_id: str, channel_id: str) -> None:
        self.calls.append(("join", channel_id))
        if self.failure is not None:
            raise self.failure
        if self.echo:
            self._moved(guild_id, channel_id)

    async def leave(self, guild_id: str) -> None:
        self.calls.append(("leave", None))
        if self.echo:
            self._moved(guild_id, None)

    def _moved(self, guild_id: str, channel_id: str | None) -> None:
        if channel_id is None:
            self.sits.pop(guild_id, None)
        else:
            self.sits[guild_id] = channel_id
        assert self.presence is not None
        self.presence.own_voice(guild_id, channel_id)


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def voice() -> FakeVoice:
    return FakeVoice()


@pytest.fixture
def monotonic() -> Monotonic:
    return Monotonic()


@pytest_asyncio.fixture
async def presence(voice: FakeVoice, monotonic: Monotonic) -> AsyncIterator[Presence]:
    reconciler = Presence(
        voice, confirm_s=10, backoff_base_s=2, backoff_max_s=60, tick_s=0.005, clock=monotonic
    )
    voice.presence = reconciler
    task = asyncio.create_task(reconciler.run())
    yield reconciler
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def settle() -> None:
    await asyncio.sleep(0.05)


def report(presence: Presence) -> VoiceReport:
    return presence.voice_report([GUILD])[GUILD]


@pytest.mark.asyncio
async def test_joins_when_asked_and_reports_the_confirmed_seat(
    presence: Presence, voice: FakeVoice
) -> None:
    presence.set_desired({GUILD: DISPATCH})
    await settle()
    assert voice.calls == [("join", DISPATCH)]
    assert report(presence) == VoiceReport(DISPATCH, DISPATCH, None)


@pytest.mark.asyncio
async def test_does_nothing_before_the_app_has_named_the_guild(
    presence: Presence, voice: FakeVoice
) -> None:
    voice.sits[GUILD] = OTHER  # a leftover the worker does not know about yet
    presence.set_desired({"2000": None})
    await settle()
    assert voice.calls == []
    assert report(presence) == VoiceReport(OTHER, None, None)


@pytest.mark.asyncio
async def test_leaves_a_leftover_seat_once_the_app_says_none(
    presence: Presence, voice: FakeVoice
) -> None:
    voice.sits[GUILD] = OTHER
    presence.set_desired({GUILD: None})
    await settle()
    assert voice.calls == [("leave", None)]
    assert report(presence) == VoiceReport(None, None, None)


@pytest.mark.asyncio
async def test_no_echo_is_a_timeout_retried_after_a_backoff(
    presence: Presence, voice: FakeVoice, monotonic: Monotonic
) -> None:
    voice.echo = False
    presence.set_desired({GUILD: DISPATCH})
    await settle()
    assert voice.calls == [("join", DISPATCH)]

    monotonic.now += 10.1  # past the confirmation window
    await settle()
    assert report(presence).error == "timeout"
    assert voice.calls == [("join", DISPATCH)]  # waiting out the backoff (1 to 2 s)

    voice.echo = True
    monotonic.now += 2.1
    await settle()
    assert voice.calls == [("join", DISPATCH)] * 2
    assert report(presence) == VoiceReport(DISPATCH, DISPATCH, None)


@pytest.mark.parametrize(
    ("channel_report", "error"),
    [
        (ChannelReport(missing=["CONNECT"]), "missing permission CONNECT"),
        (
            ChannelReport(missing=["VIEW_CHANNEL", "CONNECT"]),
            "missing permission VIEW_CHANNEL, CONNECT",
        ),
        (ChannelReport(full=True), "channel full"),
        (ChannelReport(found=False), "channel not found"),
    ],
)
@pytest.mark.asyncio
async def test_a_join_that_cannot_work_is_reported_not_attempted(
    presence: Presence,
    voice: FakeVoice,
    monotonic: Monotonic,
    channel_report: ChannelReport,
    error: str,
) -> None:
    voice.reports[DISPATCH] = channel_report
    presence.set_desired({GUILD: DISPATCH})
    await settle()
    assert voice.calls == []
    assert report(presence) == VoiceReport(None, DISPATCH, error)

    del voice.reports[DISPATCH]  # an admin fixed the channel
    monotonic.now += 2.1
    await settle()
    assert voice.calls == [("join", DISPATCH)]
    assert report(presence).error is None


@pytest.mark.asyncio
async def test_backoff_doubles_and_is_capped(
    presence: Presence, voice: FakeVoice, monotonic: Monotonic
) -> None:
    voice.failure = JoinFailed("timeout")
    presence.set_desired({GUILD: DISPATCH})
    await settle()
    for _ in range(8):
        monotonic.now += 60.0  # always past the cap
        await settle()
    attempts = len(voice.calls)
    assert attempts == 9

    monotonic.now += 29.0  # below half the cap: a retry may not come yet
    await settle()
    assert len(voice.calls) == attempts


@pytest.mark.asyncio
async def test_a_new_gateway_session_sends_the_join_again(
    presence: Presence, voice: FakeVoice
) -> None:
    presence.set_desired({GUILD: DISPATCH})
    await settle()
    presence.new_session()  # READY: the old voice state belonged to the old session
    await settle()
    assert voice.calls == [("join", DISPATCH)] * 2


@pytest.mark.asyncio
async def test_being_moved_away_is_undone(presence: Presence, voice: FakeVoice) -> None:
    presence.set_desired({GUILD: DISPATCH})
    await settle()
    voice.sits[GUILD] = OTHER
    presence.own_voice(GUILD, OTHER)  # someone dragged the bot
    await settle()
    assert voice.calls == [("join", DISPATCH)] * 2
    assert report(presence).channel_id == DISPATCH


@pytest.mark.asyncio
async def test_leave_all_leaves_every_seat(presence: Presence, voice: FakeVoice) -> None:
    presence.set_desired({GUILD: DISPATCH})
    await settle()
    await presence.leave_all(1.0)
    assert voice.sits == {}
    assert report(presence) == VoiceReport(None, None, None)
