"""A session's live (or final) picture: records, credited time, participants."""

from __future__ import annotations

from dataclasses import dataclass

from sunday_mining.domain.clock import Clock
from sunday_mining.domain.presence import (
    Observation,
    Participant,
    VoiceRecord,
    Window,
    build_records,
    read_ranges,
    seed_events,
    summarize,
)
from sunday_mining.domain.session import Session
from sunday_mining.ports.store import SortKey, Store
from sunday_mining.services import codec, keys
from sunday_mining.services.guilds import GuildService
from sunday_mining.services.sessions import SessionService
from sunday_mining.services.worker import gaps_between


@dataclass(frozen=True)
class SessionSummary:
    session: Session
    length_ms: int
    records: list[VoiceRecord]
    participants: list[Participant]
    minimum_seconds: int

    @property
    def below_minimum(self) -> list[Participant]:
        return [p for p in self.participants if p.below_minimum]

    @property
    def gap_affected(self) -> list[Participant]:
        return [p for p in self.participants if p.gap_affected]


class SummaryService:
    def __init__(
        self, store: Store, clock: Clock, guilds: GuildService, sessions: SessionService
    ) -> None:
        self._store = store
        self._clock = clock
        self._guilds = guilds
        self._sessions = sessions

    def summary(self, guild_id: str, session_id: str) -> SessionSummary:
        session = self._sessions.get(guild_id, session_id)
        return self.summary_of(session)

    def summary_of(self, session: Session) -> SessionSummary:
        now = self._clock.now_ms()
        minimum = self._guilds.get(session.guild_id).settings.minimum_participation_s
        records = build_records(
            windows=[
                Window(w.start_ms, w.stop_ms, seed_events(w.start_ms, w.seed))
                for w in session.windows
            ],
            channels=session.channel_ids,
            observations=self._observations(session, now),
            now_ms=now,
            gaps=gaps_between(self._store, now, session.started_ms, session.stopped_ms or now),
        )
        return SessionSummary(
            session=session,
            length_ms=session.length_ms(now),
            records=records,
            participants=summarize(records, minimum_seconds=minimum),
            minimum_seconds=minimum,
        )

    def _observations(self, session: Session, now_ms: int) -> list[Observation]:
        """What the worker observed for the windows, from the margin before each start: one
        read per stretch of time (windows whose margins overlap are read together), so the
        observations come back in order and each once, as build_records replays them best."""
        found: list[Observation] = []
        windows = [(w.start_ms, w.stop_ms) for w in session.windows]
        for start, stop in read_ranges(windows, now_ms):
            items = self._store.query_all(
                keys.observations_pk(session.guild_id),
                SortKey.between(keys.time_sk(start), keys.time_sk(stop) + "~"),
            )
            found += [codec.observation_from_item(item) for item in items]
        return found
