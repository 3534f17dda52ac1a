"""The worker ingest API's request bodies (docs/worker-protocol.md), as pydantic models.

Apart from the routes on purpose: building these classes costs a cold start tens of
milliseconds, and Discord's first interaction after a cold start needs none of them. The routes
import this module when the first worker request arrives.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from sunday_mining.domain.presence import VoiceEvent, VoiceSnapshot
from sunday_mining.ports.worker_protocol import (
    MAX_BATCH_NAMES,
    MAX_HEARTBEAT_CHANNELS,
    MAX_HEARTBEAT_GAPS,
    MAX_HEARTBEAT_GUILDS,
    MAX_PERMISSION_CHARS,
    MAX_PERMISSION_NAMES,
    cut,
)
from sunday_mining.services.voice import MAX_BATCH_OBSERVATIONS, VoiceBatch

Snowflake = Annotated[str, Field(pattern=r"^[0-9]{1,20}$")]
Token = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[0-9A-Za-z._:-]+$")]
# Generous on purpose: a 400 makes the worker drop the whole batch, voice records included, so
# only absurd names are refused; MemberNames trims what it keeps to 100 characters.
DisplayName = Annotated[str, Field(max_length=1000)]


# A worker's failure text is free-form and only shown: cut, not refused (a refused heartbeat
# would cost the lease renewal and the presence answer for one over-long message).
ErrorText = Annotated[str, AfterValidator(cut)]
Permission = Annotated[str, Field(min_length=1, max_length=MAX_PERMISSION_CHARS)]


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


class VoiceIn(_Model):
    channel_id: Snowflake | None = None
    requested: Snowflake | None = None
    error: ErrorText | None = None


class ChannelIn(_Model):
    missing: list[Permission] = Field(default_factory=list, max_length=MAX_PERMISSION_NAMES)
    full: bool = False
    found: bool = True

    def stored(self) -> dict[str, Any]:
        kept: dict[str, Any] = {"missing": self.missing, "full": self.full}
        return kept if self.found else {**kept, "found": False}


class HeartbeatRequest(_Model):
    worker_id: Token
    conn: Token
    sent_ms: int = Field(ge=0)
    state: str = Field(pattern=r"^(connected|connecting|resuming|disconnected)$")
    latency_ms: int | None = Field(default=None, ge=0)
    reconnects_24h: int = Field(default=0, ge=0)
    guilds: list[Snowflake] = Field(default_factory=list, max_length=MAX_HEARTBEAT_GUILDS)
    gaps: list[GapIn] = Field(default_factory=list, max_length=MAX_HEARTBEAT_GAPS)
    voice: dict[Snowflake, VoiceIn] = Field(default_factory=dict, max_length=MAX_HEARTBEAT_GUILDS)
    channels: dict[Snowflake, dict[Snowflake, ChannelIn]] = Field(
        default_factory=dict, max_length=MAX_HEARTBEAT_GUILDS
    )
    loop_lag_p99_ms: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _channels_within_bound(self) -> HeartbeatRequest:
        if sum(len(reports) for reports in self.channels.values()) > MAX_HEARTBEAT_CHANNELS:
            raise ValueError(f"more than {MAX_HEARTBEAT_CHANNELS} channels reported")
        return self

    def stored_voice(self) -> dict[str, Any]:
        return {guild: report.model_dump() for guild, report in self.voice.items()}

    def stored_channels(self) -> dict[str, Any]:
        return {
            guild: {channel: report.stored() for channel, report in reports.items()}
            for guild, reports in self.channels.items()
        }


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
