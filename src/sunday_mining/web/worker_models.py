"""The worker ingest API's request bodies (docs/worker-protocol.md), as pydantic models.

Apart from the routes on purpose: building these classes costs a cold start tens of
milliseconds, and Discord's first interaction after a cold start needs none of them. The routes
import this module when the first worker request arrives.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from sunday_mining.domain.presence import VoiceEvent, VoiceSnapshot
from sunday_mining.services.voice import MAX_BATCH_OBSERVATIONS, VoiceBatch
from sunday_mining.worker.protocol import MAX_BATCH_NAMES

Snowflake = Annotated[str, Field(pattern=r"^[0-9]{1,20}$")]
Token = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[0-9A-Za-z._:-]+$")]
# Generous on purpose: a 400 makes the worker drop the whole batch, voice records included, so
# only absurd names are refused; MemberNames trims what it keeps to 100 characters.
DisplayName = Annotated[str, Field(max_length=1000)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class LeaseRequest(_Model):
    worker_id: Token
    ttl_s: int = Field(ge=30, le=300)


class ReleaseRequest(_Model):
    worker_id: Token


class GapIn(_Model):
    start_ms: int = Field(ge=0)
    end_ms: int = Field(ge=0)


class HeartbeatRequest(_Model):
    worker_id: Token
    conn: Token
    sent_ms: int = Field(ge=0)
    state: str = Field(pattern=r"^(connected|connecting|resuming|disconnected)$")
    latency_ms: int | None = Field(default=None, ge=0)
    reconnects_24h: int = Field(default=0, ge=0)
    guilds: list[Snowflake] = Field(default_factory=list, max_length=1000)
    gaps: list[GapIn] = Field(default_factory=list, max_length=1000)
    voice: dict[str, Any] = Field(default_factory=dict)
    channels: dict[str, Any] = Field(default_factory=dict)
    loop_lag_p99_ms: int | None = Field(default=None, ge=0)


class EventIn(_Model):
    t_ms: int = Field(ge=0)
    seq: int = Field(ge=0)
    user_id: Snowflake
    channel_id: Snowflake | None
    bot: bool = False


class SnapshotIn(_Model):
    t_ms: int = Field(ge=0)
    seq: int = Field(ge=0)
    channels: dict[Snowflake, list[Snowflake]]
    bots: list[Snowflake] = Field(default_factory=list)


class BatchRequest(_Model):
    worker_id: Token
    guild_id: Snowflake
    conn: Token
    batch_seq: int = Field(ge=0)
    events: list[EventIn] = Field(default_factory=list, max_length=MAX_BATCH_OBSERVATIONS)
    snapshots: list[SnapshotIn] = Field(default_factory=list, max_length=MAX_BATCH_OBSERVATIONS)
    names: dict[Snowflake, DisplayName] = Field(default_factory=dict, max_length=MAX_BATCH_NAMES)

    def to_batch(self) -> VoiceBatch:
        return VoiceBatch(
            guild_id=self.guild_id,
            conn=self.conn,
            batch_seq=self.batch_seq,
            events=tuple(
                VoiceEvent(e.t_ms, self.conn, e.seq, e.user_id, e.channel_id, e.bot)
                for e in self.events
            ),
            snapshots=tuple(
                VoiceSnapshot(
                    s.t_ms,
                    self.conn,
                    s.seq,
                    {c: frozenset(users) for c, users in s.channels.items()},
                    frozenset(s.bots),
                )
                for s in self.snapshots
            ),
            names=self.names,
        )
