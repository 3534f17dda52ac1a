"""The worker protocol v2 (docs/worker-protocol.md): request signing and the JSON shapes.

Pure: no I/O, standard library only, because the app imports `verify` from here too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

TIMESTAMP_HEADER = "X-SM-Worker-Timestamp"
SIGNATURE_HEADER = "X-SM-Worker-Signature"
VERSION = 2
# Every endpoint's path starts so; the path signed is this plus the endpoint (/heartbeat).
PATH_PREFIX = "/worker/v1"
_VERSION = "v2="
_OUTDATED = "v1="
WINDOW_S = 300
MAX_BODY_BYTES = 1024 * 1024
MAX_BATCH_RECORDS = 500
# `names` of a batch: one entry per member in its records, so a few hundred at most in practice.
MAX_BATCH_NAMES = 1000
MAX_NAME_CHARS = 100
# A heartbeat's bounds, which keep its stored item far below DynamoDB's 400 KB: the app refuses
# a heartbeat with longer lists and cuts longer error texts.
MAX_HEARTBEAT_GUILDS = 100
MAX_HEARTBEAT_GAPS = 100
MAX_HEARTBEAT_CHANNELS = 500  # reported channels, all guilds together
MAX_HEARTBEAT_ERROR_CHARS = 200
MAX_PERMISSION_NAMES = 2  # of VIEW_CHANNEL and CONNECT
MAX_PERMISSION_CHARS = 32
STATES = ("connected", "connecting", "resuming", "disconnected")
# Unix seconds as ASCII digits; 12 digits reach the year 33658, anything longer is garbage.
_MAX_TS_DIGITS = 12


class ProtocolError(ValueError):
    """An answer from the app that does not have the documented shape."""


# --- signing ------------------------------------------------------------------------------------


def signature(secret: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    """``v2=`` + lowercase hex HMAC-SHA256 of ``<timestamp>\n<METHOD>\n<path>\n<body>``.

    ``path`` is the endpoint's path as the protocol names it (``/worker/v1/heartbeat``), so a
    body signed for one endpoint is refused by every other.
    """
    signed = f"{timestamp}\n{method.upper()}\n{path}\n".encode() + body
    return _VERSION + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secret: str, path: str, body: bytes, now_s: float, method: str = "POST") -> dict[str, str]:
    """The two headers that authenticate ``body`` sent to ``method path`` at ``now_s``."""
    timestamp = str(int(now_s))
    return {
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(secret, timestamp, method, path, body),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    method: str,
    path: str,
    body: bytes,
    now_s: float,
    window_s: int = WINDOW_S,
) -> bool:
    """True when the headers sign exactly ``method path body`` with ``secret`` within
    ``window_s`` of now.

    Header names are matched case-insensitively; the signature is compared in constant time.
    """
    timestamp, given = _signed_at(headers, now_s, window_s)
    if timestamp is None or given is None or not given.startswith(_VERSION):
        return False
    return hmac.compare_digest(signature(secret, timestamp, method, path, body), given)


def signed_by_outdated_worker(
    secret: str, headers: Mapping[str, str], body: bytes, now_s: float, window_s: int = WINDOW_S
) -> bool:
    """True when a worker of protocol version 1 signed this (timestamp and body only) with the
    right secret: a genuine worker that needs upgrading, not a stranger."""
    timestamp, given = _signed_at(headers, now_s, window_s)
    if timestamp is None or given is None or not given.startswith(_OUTDATED):
        return False
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(_OUTDATED + mac.hexdigest(), given)


def _signed_at(
    headers: Mapping[str, str], now_s: float, window_s: int
) -> tuple[str | None, str | None]:
    """The timestamp and signature headers, or Nones when either is missing, malformed or the
    timestamp is outside the window."""
    timestamp = _header(headers, TIMESTAMP_HEADER)
    given = _header(headers, SIGNATURE_HEADER)
    if timestamp is None or given is None or not given.isascii():
        return None, None
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > _MAX_TS_DIGITS:
        return None, None
    if abs(int(now_s) - int(timestamp)) > window_s:
        return None, None
    return timestamp, given


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    for key, found in headers.items():
        if key.lower() == wanted:
            return found
    return None


def encode(payload: Mapping[str, Any]) -> bytes:
    """The one JSON encoding used for bodies and spool lines: compact UTF-8."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


# --- requests -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Gap:
    """The gateway was disconnected from ``start_ms`` to ``end_ms`` (worker clock)."""

    start_ms: int
    end_ms: int

    def to_dict(self) -> dict[str, Any]:
        return {"start_ms": self.start_ms, "end_ms": self.end_ms}


def cut(text: str, limit: int = MAX_HEARTBEAT_ERROR_CHARS) -> str:
    """``text`` if it is at most ``limit`` characters, else its start and an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bounded_gaps(gaps: Sequence[Gap], limit: int = MAX_HEARTBEAT_GAPS) -> list[Gap]:
    """At most ``limit`` gaps: the oldest are merged into one that spans them all. The merged
    gap also covers the connected time between them, so it flags more records, never fewer."""
    if len(gaps) <= limit:
        return list(gaps)
    ordered = sorted(gaps, key=lambda gap: gap.start_ms)
    merged = ordered[: len(ordered) - limit + 1]
    span = Gap(merged[0].start_ms, max(gap.end_ms for gap in merged))
    return [span, *ordered[len(merged) :]]


@dataclass(frozen=True, slots=True)
class VoiceEvent:
    """A member's channel changed; ``channel_id`` None means they left voice."""

    t_ms: int
    seq: int
    user_id: str
    channel_id: str | None
    bot: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "t_ms": self.t_ms,
            "seq": self.seq,
            "user_id": self.user_id,
            "channel_id": self.channel_id,
            "bot": self.bot,
        }


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Who sits in every voice channel of a guild; empty channels map to an empty list."""

    t_ms: int
    seq: int
    channels: Mapping[str, Sequence[str]]
    bots: Sequence[str] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "t_ms": self.t_ms,
            "seq": self.seq,
            "channels": {channel: list(users) for channel, users in self.channels.items()},
            "bots": list(self.bots),
        }


@dataclass(frozen=True, slots=True)
class Batch:
    guild_id: str
    conn: str
    batch_seq: int
    events: Sequence[VoiceEvent] = ()
    snapshots: Sequence[Snapshot] = ()
    # User id -> display name of the (non-bot) members in the records; sent only when not empty.
    names: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self, worker_id: str | None = None) -> dict[str, Any]:
        """The request body; without ``worker_id`` it is the spool's record of the batch."""
        body: dict[str, Any] = {} if worker_id is None else {"worker_id": worker_id}
        body.update(
            guild_id=self.guild_id,
            conn=self.conn,
            batch_seq=self.batch_seq,
            events=[event.to_dict() for event in self.events],
            snapshots=[snapshot.to_dict() for snapshot in self.snapshots],
        )
        if self.names:
            body["names"] = dict(self.names)
        return body


@dataclass(frozen=True, slots=True)
class VoiceReport:
    """Where the bot sits in a guild, where it was asked to sit, and the last failure."""

    channel_id: str | None
    requested: str | None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        error = None if self.error is None else cut(self.error)
        return {"channel_id": self.channel_id, "requested": self.requested, "error": error}


@dataclass(frozen=True, slots=True)
class ChannelReport:
    """Permissions the bot lacks in a watched channel (of VIEW_CHANNEL, CONNECT), and fullness.

    ``found`` is False when the channel is not in the guild any more (deleted, or not a channel
    the bot can see at all); it is only sent in that case.
    """

    missing: Sequence[str] = ()
    full: bool = False
    found: bool = True

    def to_dict(self) -> dict[str, Any]:
        missing = list(self.missing)[:MAX_PERMISSION_NAMES]
        body: dict[str, Any] = {"missing": missing, "full": self.full}
        if not self.found:
            body["found"] = False
        return body


@dataclass(frozen=True, slots=True)
class Heartbeat:
    worker_id: str
    conn: str
    sent_ms: int
    state: str
    latency_ms: int | None = None
    reconnects_24h: int = 0
    guilds: Sequence[str] = ()
    gaps: Sequence[Gap] = ()
    voice: Mapping[str, VoiceReport] = field(default_factory=dict)
    channels: Mapping[str, Mapping[str, ChannelReport]] = field(default_factory=dict)
    # An optional field the first version of the document lacked: the event loop's lag, p99
    # over the last minute, in whole milliseconds (an integer: the app's stores refuse floats).
    loop_lag_p99_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The request body, within the protocol's bounds: a bot in more guilds than a heartbeat
        may name reports the first ones (the app refuses a longer heartbeat whole)."""
        guilds = list(dict.fromkeys(self.guilds))[:MAX_HEARTBEAT_GUILDS]
        kept = set(guilds)
        body: dict[str, Any] = {
            "worker_id": self.worker_id,
            "conn": self.conn,
            "sent_ms": self.sent_ms,
            "state": self.state,
            "latency_ms": self.latency_ms,
            "reconnects_24h": self.reconnects_24h,
            "guilds": guilds,
            "gaps": [gap.to_dict() for gap in bounded_gaps(self.gaps)],
            "voice": {
                guild: report.to_dict() for guild, report in self.voice.items() if guild in kept
            },
            "channels": self._channels(kept),
        }
        if self.loop_lag_p99_ms is not None:
            body["loop_lag_p99_ms"] = round(self.loop_lag_p99_ms)
        return body

    def _channels(self, kept: set[str]) -> dict[str, dict[str, Any]]:
        room = MAX_HEARTBEAT_CHANNELS
        reported: dict[str, dict[str, Any]] = {}
        for guild, reports in self.channels.items():
            if guild not in kept or room <= 0:
                continue
            chosen = list(reports.items())[:room]
            reported[guild] = {channel: report.to_dict() for channel, report in chosen}
            room -= len(chosen)
        return reported


# --- answers ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeaseAnswer:
    granted: bool
    holder: str
    expires_ms: int

    @classmethod
    def from_dict(cls, data: Any) -> LeaseAnswer:
        body = _object(data, "lease")
        return cls(
            granted=_bool(body.get("granted"), "granted"),
            holder=str(body.get("holder") or ""),
            expires_ms=_int(body.get("expires_ms", 0), "expires_ms"),
        )


@dataclass(frozen=True, slots=True)
class HeartbeatAnswer:
    lease_granted: bool
    lease_expires_ms: int
    presence: Mapping[str, str | None]
    watch: Mapping[str, Sequence[str]]
    server_ms: int | None = None

    @classmethod
    def from_dict(cls, data: Any) -> HeartbeatAnswer:
        body = _object(data, "heartbeat answer")
        lease = _object(body.get("lease"), "lease")
        presence = _object(body.get("presence", {}), "presence")
        watch = _object(body.get("watch", {}), "watch")
        server_ms = body.get("server_ms")
        return cls(
            lease_granted=_bool(lease.get("granted"), "lease.granted"),
            lease_expires_ms=_int(lease.get("expires_ms", 0), "lease.expires_ms"),
            presence={
                str(guild): None if channel is None else _snowflake(channel, "presence")
                for guild, channel in presence.items()
            },
            watch={
                str(guild): tuple(_snowflake(c, "watch") for c in _list(channels, "watch"))
                for guild, channels in watch.items()
            },
            server_ms=None if server_ms is None else _int(server_ms, "server_ms"),
        )


@dataclass(frozen=True, slots=True)
class BatchAnswer:
    duplicate: bool
    stored: int
    ignored: Mapping[str, int]

    @classmethod
    def from_dict(cls, data: Any) -> BatchAnswer:
        body = _object(data, "batch answer")
        ignored = body.get("ignored") or {}
        return cls(
            duplicate=bool(body.get("duplicate", False)),
            stored=int(body.get("stored") or 0),
            ignored={str(k): int(v) for k, v in ignored.items()}
            if isinstance(ignored, dict)
            else {},
        )


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProtocolError(f"{name} is not a JSON object")
    return value


def _list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise ProtocolError(f"{name} is not a JSON array")
    return value


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ProtocolError(f"{name} is not a boolean")
    return value


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError(f"{name} is not an integer")
    return value


def _snowflake(value: Any, name: str) -> str:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not text.isdigit():
        raise ProtocolError(f"{name} holds something that is not a Discord id")
    return text
