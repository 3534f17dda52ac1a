"""A guild's voice channels, a worker's heartbeat and a member sitting down, for the app's side
of the voice worker."""

from __future__ import annotations

from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.presence import VoiceEvent
from sunday_mining.entrypoints.factories import Services
from sunday_mining.services.voice import VoiceBatch
from sunday_mining.services.worker import Heartbeat

GUILD = "1000"
ROCK, DISPATCH, SIDE = "11", "10", "21"


def beat(worker: str = "w1", state: str = "connected", **extra: object) -> Heartbeat:
    return Heartbeat(worker_id=worker, conn="c1", state=state, guilds=(GUILD,), **extra)  # type: ignore[arg-type]


def seat(services: Services, clock: FixedClock, user: str, channel: str | None, seq: int) -> None:
    event = VoiceEvent(clock.now_ms(), "c1", seq, user, channel)
    services.voice.record(VoiceBatch(GUILD, "c1", seq, events=(event,)))
