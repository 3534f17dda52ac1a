"""Adhoc sessions stop themselves: after the channel stays empty, or at the maximum length."""

from __future__ import annotations

from sunday_mining.domain.clock import Clock
from sunday_mining.domain.errors import StateConflict
from sunday_mining.domain.session import Session, SessionType, StopReason
from sunday_mining.services.guilds import GuildService
from sunday_mining.services.sessions import SessionService
from sunday_mining.services.summary import SummaryService


class AdhocSweeper:
    def __init__(
        self,
        clock: Clock,
        guilds: GuildService,
        sessions: SessionService,
        summaries: SummaryService,
    ) -> None:
        self._clock = clock
        self._guilds = guilds
        self._sessions = sessions
        self._summaries = summaries

    def sweep(self, guild_id: str) -> list[Session]:
        """Stop every adhoc session of the guild that is due; returns the stopped ones.

        Only call this while the worker is reporting: an "empty" channel is only known to be
        empty when someone is watching it.
        """
        settings = self._guilds.get(guild_id).settings
        stopped: list[Session] = []
        for session in self._sessions.active(guild_id):
            if session.type is not SessionType.ADHOC:
                continue
            due = self._due(session, settings.adhoc_idle_timeout_s, settings.adhoc_max_length_s)
            if due is None:
                continue
            at_ms, reason = due
            try:
                stopped.append(
                    self._sessions.stop(guild_id, session.session_id, reason=reason, at_ms=at_ms)
                )
            except StateConflict:
                continue  # stopped by someone else meanwhile: nothing left to do
        return stopped

    def _due(
        self, session: Session, idle_timeout_s: int, max_length_s: int
    ) -> tuple[int, StopReason] | None:
        now = self._clock.now_ms()
        over = session.length_ms(now) - max_length_s * 1000
        if over >= 0:
            return now - over, StopReason.MAX_LENGTH
        window_start = session.windows[-1].start_ms
        records = [
            r for r in self._summaries.summary_of(session).records if r.end_ms >= window_start
        ]
        if any(r.open for r in records):
            return None
        # The stop time is when the last member left, not when we noticed.
        empty_since = max([window_start, *(r.end_ms for r in records)])
        if now - empty_since >= idle_timeout_s * 1000:
            return empty_since, StopReason.IDLE_TIMEOUT
        return None
