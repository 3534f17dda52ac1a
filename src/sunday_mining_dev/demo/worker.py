"""The voice worker's side of docs/worker-protocol.md, played from the demo's script.

Everything goes over real HTTP to ``/worker/v1``, signed with the shared secret, exactly as the
real worker sends it: the lease, then once a minute of op time a batch (the events seen since
the last one, a full snapshot and the members' display names) and a heartbeat; after a
disconnect, a new connection whose first heartbeat reports the gap and whose first batch is a
fresh snapshot. Only the gateway is scripted: what the worker would have seen comes from
:mod:`sunday_mining_dev.demo.crew`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from sunday_mining.domain.clock import Clock
from sunday_mining.ports.worker_protocol import (
    PATH_PREFIX,
    Batch,
    BatchAnswer,
    ChannelReport,
    Gap,
    Heartbeat,
    HeartbeatAnswer,
    LeaseAnswer,
    Snapshot,
    VoiceEvent,
    VoiceReport,
    encode,
    sign,
)

LEASE_TTL_S = 90


class WorkerRefused(RuntimeError):
    """The app answered the worker with something other than 200: the demo cannot go on."""


@dataclass
class WorkerTally:
    """What the app answered, summed: shown in the demo's progress lines."""

    batches: int = 0
    heartbeats: int = 0
    stored: int = 0
    ignored: dict[str, int] = field(default_factory=dict)


class ScriptedWorker:
    def __init__(
        self,
        http: httpx.Client,
        secret: str,
        clock: Clock,
        *,
        guild_id: str,
        voice_channels: Mapping[str, str],
        bot_id: str,
        names: Mapping[str, str],
        worker_id: str = "demo-worker",
    ) -> None:
        self._http = http
        self._secret = secret
        self._clock = clock
        self._guild_id = guild_id
        self._channels = dict(voice_channels)  # name -> id
        self._bot_id = bot_id
        self._names = dict(names)  # user id -> display name, as the gateway's member objects
        self.worker_id = worker_id
        self.tally = WorkerTally()
        self.connected = False
        self.conn = ""
        self._seq = 0
        self._batch_seq = 0
        self._reconnects = 0
        self._events: list[VoiceEvent] = []
        self._gaps: list[Gap] = []
        self._dropped_ms: int | None = None
        self._bot_channel: str | None = None
        self._watch: list[str] = []

    # --- the gateway side, scripted ---------------------------------------------------------

    def connect(self) -> LeaseAnswer:
        """A new gateway connection (READY): take the lease, start a fresh ``conn``."""
        now = self._clock.now_ms()
        lease = LeaseAnswer.from_dict(
            self._post("lease", {"worker_id": self.worker_id, "ttl_s": LEASE_TTL_S})
        )
        if not lease.granted:
            raise WorkerRefused(f"another worker ({lease.holder}) holds the lease")
        if self._dropped_ms is not None:
            self._gaps.append(Gap(self._dropped_ms, now))
            self._reconnects += 1
            self._dropped_ms = None
        # Later connections sort after earlier ones: start time, then random hex.
        self.conn = f"{now:013d}-{secrets.token_hex(4)}"
        self._seq = self._batch_seq = 0
        self.connected = True
        return lease

    def drop(self, at_ms: int) -> None:
        """The connection is lost at ``at_ms``: nothing is seen or sent until :meth:`connect`."""
        self.connected = False
        self._dropped_ms = at_ms
        self._events.clear()

    def saw(self, at_ms: int, user_id: str, channel_name: str | None) -> None:
        """A VOICE_STATE_UPDATE that changed a member's channel (lost while disconnected)."""
        if not self.connected:
            return
        self._seq += 1
        channel = None if channel_name is None else self._channels[channel_name]
        self._events.append(VoiceEvent(at_ms, self._seq, user_id, channel))

    # --- what goes to the app ---------------------------------------------------------------

    def tick(self, seated: Mapping[str, str]) -> BatchAnswer:
        """One minute of the worker's life: the pending events and a snapshot of ``seated``
        (user id -> channel name) in one batch, then a heartbeat."""
        if not self.connected:
            raise WorkerRefused("the worker is disconnected")
        answer = self._send_batch(seated)
        self._heartbeat()
        return answer

    def release(self) -> bool:
        """Graceful shutdown: hand the lease back so a successor can start at once."""
        answer = self._post("lease/release", {"worker_id": self.worker_id})
        return bool(answer.get("released"))

    def _send_batch(self, seated: Mapping[str, str]) -> BatchAnswer:
        self._seq += 1
        self._batch_seq += 1
        snapshot = self._snapshot(seated)
        members = {e.user_id for e in self._events} | set(seated)
        batch = Batch(
            self._guild_id,
            self.conn,
            self._batch_seq,
            events=tuple(self._events),
            snapshots=(snapshot,),
            names={user: self._names[user] for user in sorted(members) if user in self._names},
        )
        self._events.clear()
        answer = BatchAnswer.from_dict(self._post("batches", batch.to_dict(self.worker_id)))
        self.tally.batches += 1
        self.tally.stored += answer.stored
        for reason, count in answer.ignored.items():
            self.tally.ignored[reason] = self.tally.ignored.get(reason, 0) + count
        return answer

    def _snapshot(self, seated: Mapping[str, str]) -> Snapshot:
        channels: dict[str, list[str]] = {channel: [] for channel in self._channels.values()}
        for user_id, name in sorted(seated.items()):
            channels[self._channels[name]].append(user_id)
        bots: tuple[str, ...] = ()
        if self._bot_channel is not None:
            channels[self._bot_channel].append(self._bot_id)
            bots = (self._bot_id,)
        return Snapshot(self._clock.now_ms(), self._seq, channels, bots)

    def _heartbeat(self) -> HeartbeatAnswer:
        beat = Heartbeat(
            worker_id=self.worker_id,
            conn=self.conn,
            sent_ms=self._clock.now_ms(),
            state="connected",
            latency_ms=None,  # no gateway to measure: the script stands in for it
            reconnects_24h=self._reconnects,
            guilds=(self._guild_id,),
            gaps=tuple(self._gaps),
            voice={self._guild_id: VoiceReport(self._bot_channel, self._bot_channel)},
            channels={self._guild_id: {channel: ChannelReport() for channel in self._watch}},
        )
        answer = HeartbeatAnswer.from_dict(self._post("heartbeat", beat.to_dict()))
        self._gaps.clear()
        self.tally.heartbeats += 1
        # The bot sits where the app asks (the dispatch channel while an op runs).
        self._bot_channel = answer.presence.get(self._guild_id)
        self._watch = list(answer.watch.get(self._guild_id, ()))
        return answer

    def _post(self, path: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        body = encode(payload)
        endpoint = f"{PATH_PREFIX}/{path}"
        signed = sign(self._secret, endpoint, body, time.time())
        headers = {"Content-Type": "application/json", **signed}
        response = self._http.post(endpoint, content=body, headers=headers)
        if response.status_code != 200:
            raise WorkerRefused(
                f"{endpoint} answered {response.status_code}: {response.text[:200]}"
            )
        answer: dict[str, Any] = response.json()
        return answer
