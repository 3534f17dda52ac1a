"""The bot in the dispatch channel: a desired-state reconciler.

The app says, per guild, where the bot should sit (the heartbeat answer's ``presence``); the
worker compares that with the bot's own voice state as the gateway reports it and joins, moves
or leaves. An attempt counts only once the gateway echoes the bot's new voice state; until then
it is pending, and past ``confirm_s`` it failed with "timeout". Before a join the channel is
checked (VIEW_CHANNEL and CONNECT, the user limit) so the failure names its likely cause.
Failures are retried with a capped, jittered exponential backoff, and reported in the heartbeat.

A guild is left alone until an answer has named it, so a worker that cannot reach the app does
not pull the bot out; once the app has spoken, a leftover voice state (a ghost from a previous
process) is left, and after every new gateway session (READY) the join is sent again.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from sunday_mining.ports.worker_protocol import ChannelReport, VoiceReport
from sunday_mining.worker.waiting import wait_event

log = logging.getLogger("sunday_mining.worker.presence")


class JoinFailed(Exception):
    """An attempt failed; ``reason`` is what the heartbeat reports. ``lasting`` failures (a
    missing voice library) are retried at the maximum backoff only."""

    def __init__(self, reason: str, *, lasting: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.lasting = lasting


class VoiceBackend(Protocol):
    """What the reconciler needs from the gateway client (see `gateway.DiscordVoice`)."""

    def ready(self) -> bool: ...

    def own_channel(self, guild_id: str) -> str | None: ...

    def check(self, guild_id: str, channel_id: str) -> ChannelReport: ...

    async def join(self, guild_id: str, channel_id: str) -> None: ...

    async def leave(self, guild_id: str) -> None: ...


@dataclass
class _Pending:
    target: str | None
    deadline: float


@dataclass
class _GuildPresence:
    known: bool = False
    want: str | None = None
    error: str | None = None
    failures: int = 0
    next_at: float = 0.0
    confirmed: bool = False
    pending: _Pending | None = None
    task: asyncio.Task[None] | None = None


def likely_cause(report: ChannelReport) -> str | None:
    """Why a join into this channel cannot work, in the heartbeat's words; None if it can."""
    if not report.found:
        return "channel not found"
    if report.missing:
        return "missing permission " + ", ".join(report.missing)
    if report.full:
        return "channel full"
    return None


class Presence:
    def __init__(
        self,
        backend: VoiceBackend,
        *,
        confirm_s: float = 15.0,
        backoff_base_s: float = 2.0,
        backoff_max_s: float = 300.0,
        tick_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self._backend = backend
        self._confirm_s = confirm_s
        self._backoff_base_s = backoff_base_s
        self._backoff_max_s = backoff_max_s
        self._tick_s = tick_s
        self._clock = clock
        self._rng = rng or random.Random()
        self._guilds: dict[str, _GuildPresence] = {}
        self._wake = asyncio.Event()

    # --- inputs --------------------------------------------------------------------------------

    def set_desired(self, presence: Mapping[str, str | None]) -> None:
        """The heartbeat answer's ``presence``; guilds it does not name keep their state."""
        for guild_id, channel_id in presence.items():
            state = self._state(guild_id)
            if state.known and state.want == channel_id:
                continue
            state.known, state.want = True, channel_id
            state.error, state.failures, state.next_at = None, 0, 0.0
            state.pending = None
            state.confirmed = False
        self._wake.set()

    def own_voice(self, guild_id: str, channel_id: str | None) -> None:
        """The gateway echoed the bot's own voice state in a guild."""
        state = self._state(guild_id)
        if state.pending is not None and state.pending.target == channel_id:
            state.pending = None
        if state.known and state.want == channel_id:
            if channel_id is not None and (state.error or state.failures):
                log.info("bot presence confirmed", extra={"guild_id": guild_id})
            state.confirmed = True
            state.error, state.failures, state.next_at = None, 0, 0.0
        self._wake.set()

    def new_session(self) -> None:
        """A new gateway session (READY): voice states from the old one are not to be trusted."""
        for state in self._guilds.values():
            state.confirmed = False
            state.pending = None
            state.failures, state.next_at = 0, 0.0
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    # --- reports -------------------------------------------------------------------------------

    def voice_report(self, guilds: Iterable[str]) -> dict[str, VoiceReport]:
        reports = {}
        for guild_id in sorted(set(guilds) | set(self._guilds)):
            state = self._guilds.get(guild_id) or _GuildPresence()
            reports[guild_id] = VoiceReport(
                channel_id=self._backend.own_channel(guild_id),
                requested=state.want if state.known else None,
                error=state.error,
            )
        return reports

    def channel_report(
        self, watch: Mapping[str, Iterable[str]]
    ) -> dict[str, dict[str, ChannelReport]]:
        return {
            guild_id: {channel: self._backend.check(guild_id, channel) for channel in channels}
            for guild_id, channels in watch.items()
        }

    # --- the reconciler ------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            while True:
                self._wake.clear()
                if self._backend.ready():
                    for guild_id in list(self._guilds):
                        self._step(guild_id)
                await wait_event(self._wake, self._tick_s)
        finally:
            for state in self._guilds.values():
                if state.task is not None:
                    state.task.cancel()
                    state.task = None

    def _step(self, guild_id: str) -> None:
        state = self._guilds[guild_id]
        if not state.known or (state.task is not None and not state.task.done()):
            return
        now = self._clock()
        have = self._backend.own_channel(guild_id)
        if state.pending is not None:
            if now < state.pending.deadline:
                return
            target, state.pending = state.pending.target, None
            if have == target:
                # No echo came, but the cache agrees: take the cache's word rather than loop.
                state.confirmed = True
                state.error, state.failures = None, 0
                return
            cause = likely_cause(self._backend.check(guild_id, target)) if target else None
            reason = f"timeout ({cause})" if cause else "timeout"
            self._failed(guild_id, state, reason, lasting=False)
            return
        if have == state.want and (state.confirmed or state.want is None):
            return
        if now < state.next_at:
            return
        if state.want is None:
            self._attempt(guild_id, state, None)
            return
        cause = likely_cause(self._backend.check(guild_id, state.want))
        if cause is not None and have != state.want:
            self._failed(guild_id, state, cause, lasting=False)
            return
        self._attempt(guild_id, state, state.want)

    def _attempt(self, guild_id: str, state: _GuildPresence, target: str | None) -> None:
        state.pending = _Pending(target, self._clock() + self._confirm_s)
        log.info(
            "bot presence: joining" if target else "bot presence: leaving",
            extra={"guild_id": guild_id, "channel_id": target, "attempt": state.failures + 1},
        )
        state.task = asyncio.create_task(self._run_attempt(guild_id, state, target))

    async def _run_attempt(self, guild_id: str, state: _GuildPresence, target: str | None) -> None:
        try:
            if target is None:
                await self._backend.leave(guild_id)
            else:
                await self._backend.join(guild_id, target)
        except JoinFailed as failure:
            self._failed(guild_id, state, failure.reason, lasting=failure.lasting)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any library error is a failed attempt, retried
            self._failed(guild_id, state, f"error: {type(exc).__name__}", lasting=False)
        finally:
            self._wake.set()

    def _failed(self, guild_id: str, state: _GuildPresence, reason: str, *, lasting: bool) -> None:
        state.pending = None
        state.failures += 1
        state.error = reason
        ceiling = self._backoff_max_s
        if not lasting:
            ceiling = min(ceiling, self._backoff_base_s * 2.0 ** min(state.failures - 1, 30))
        delay = ceiling * (0.5 + self._rng.random() / 2)
        state.next_at = self._clock() + delay
        log.warning(
            "bot presence failed",
            extra={
                "guild_id": guild_id,
                "channel_id": state.want,
                "reason": reason,
                "failures": state.failures,
                "retry_s": round(delay, 1),
            },
        )

    async def leave_all(self, timeout_s: float) -> None:
        """Graceful shutdown: leave voice everywhere, waiting at most ``timeout_s``."""
        sitting = [g for g in self._guilds if self._backend.own_channel(g) is not None]
        for guild_id in sitting:
            state = self._state(guild_id)
            state.known, state.want = True, None
        if not sitting or not self._backend.ready():
            return
        deadline = self._clock() + timeout_s
        results = await asyncio.gather(
            *(_bounded(self._backend.leave(g), timeout_s) for g in sitting),
            return_exceptions=True,
        )
        for guild_id, result in zip(sitting, results, strict=True):
            if isinstance(result, BaseException):
                log.warning(
                    "could not leave voice",
                    extra={"guild_id": guild_id, "error": type(result).__name__},
                )
        while self._clock() < deadline and any(
            self._backend.own_channel(g) is not None for g in sitting
        ):
            await asyncio.sleep(0.05)

    def _state(self, guild_id: str) -> _GuildPresence:
        return self._guilds.setdefault(guild_id, _GuildPresence())


async def _bounded(step: Awaitable[None], timeout_s: float) -> None:
    async with asyncio.timeout(timeout_s):
        await step
