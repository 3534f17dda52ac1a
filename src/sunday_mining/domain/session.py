"""Mining sessions: the weekly Sunday op and small one-channel adhoc sessions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sunday_mining.domain.errors import StateConflict, ValidationError

MAX_NAME_LENGTH = 80


class SessionType(StrEnum):
    SUNDAY = "sunday"
    ADHOC = "adhoc"


class SessionStatus(StrEnum):
    ACTIVE = "active"
    STOPPED = "stopped"


class StopReason(StrEnum):
    COMMAND = "command"
    IDLE_TIMEOUT = "idle_timeout"
    MAX_LENGTH = "max_length"


class PayrollState(StrEnum):
    NONE = "none"
    DRAFT = "draft"
    FINAL = "final"


@dataclass(frozen=True)
class ActiveWindow:
    """One stretch of time the session counted; ``seed`` is what the app knew when it opened:
    member -> (their voice channel, None when out of voice; when that was observed)."""

    start_ms: int
    stop_ms: int | None = None
    seed: Mapping[str, tuple[str | None, int]] = field(default_factory=dict)

    def seated_in(self, channel_ids: tuple[str, ...]) -> int:
        """How many members sat in ``channel_ids`` when the window opened."""
        return sum(1 for channel, _ in self.seed.values() if channel in channel_ids)


@dataclass(frozen=True)
class Session:
    guild_id: str
    session_id: str
    type: SessionType
    name: str
    creator_id: str
    channel_ids: tuple[str, ...]
    windows: tuple[ActiveWindow, ...]
    status: SessionStatus = SessionStatus.ACTIVE
    stop_reason: StopReason | None = None
    payroll_state: PayrollState = PayrollState.NONE
    version: int = 0

    @property
    def is_active(self) -> bool:
        return self.status is SessionStatus.ACTIVE

    @property
    def started_ms(self) -> int:
        return self.windows[0].start_ms

    @property
    def stopped_ms(self) -> int | None:
        return self.windows[-1].stop_ms

    def length_ms(self, now_ms: int) -> int:
        return sum(
            max(0, (w.stop_ms if w.stop_ms is not None else now_ms) - w.start_ms)
            for w in self.windows
        )

    def stop(self, at_ms: int, reason: StopReason) -> Session:
        if not self.is_active:
            raise StateConflict(f"'{self.name}' is already stopped.")
        current = self.windows[-1]
        if at_ms < current.start_ms:
            raise ValidationError("A session cannot stop before it started.")
        closed = replace(current, stop_ms=at_ms)
        return replace(
            self,
            status=SessionStatus.STOPPED,
            stop_reason=reason,
            windows=(*self.windows[:-1], closed),
        )

    def reopen(self, at_ms: int, seed: Mapping[str, tuple[str | None, int]]) -> Session:
        """``adhoc load``: a stopped, unpaid adhoc session counts again from ``at_ms``."""
        if self.type is not SessionType.ADHOC:
            raise StateConflict("Only adhoc sessions can be loaded again; start a new Sunday op.")
        if self.is_active:
            raise StateConflict(f"'{self.name}' is already running.")
        if self.payroll_state is PayrollState.FINAL:
            raise StateConflict(f"'{self.name}' has a final payroll; start a new session instead.")
        last_stop = self.stopped_ms
        if last_stop is not None and at_ms < last_stop:
            raise ValidationError("A session cannot be reopened before it was stopped.")
        return replace(
            self,
            status=SessionStatus.ACTIVE,
            stop_reason=None,
            windows=(*self.windows, ActiveWindow(at_ms, None, seed)),
        )


def clean_name(name: str | None) -> str | None:
    if name is None:
        return None
    name = " ".join(name.split())
    if not name:
        return None
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(f"Session names can be at most {MAX_NAME_LENGTH} characters.")
    return name


def default_name(
    session_type: SessionType, start_ms: int, time_zone: str, channel_name: str | None = None
) -> str:
    """'Sunday Mining — 2026-11-22' or 'Adhoc — Mining 2 2026-11-22', dated in the guild's zone."""
    day = datetime.fromtimestamp(start_ms / 1000, tz=UTC).astimezone(ZoneInfo(time_zone))
    date = day.strftime("%Y-%m-%d")
    if session_type is SessionType.SUNDAY:
        return f"Sunday Mining — {date}"
    label = (channel_name or "channel")[:40]
    return f"Adhoc — {label} {date}"


def new_session(
    *,
    guild_id: str,
    session_id: str,
    session_type: SessionType,
    creator_id: str,
    channel_ids: tuple[str, ...],
    start_ms: int,
    seed: Mapping[str, tuple[str | None, int]],
    name: str,
) -> Session:
    if not channel_ids:
        raise ValidationError("Add a mining channel first: /mining-admin channels add.")
    if session_type is SessionType.ADHOC and len(channel_ids) != 1:
        raise ValidationError("An adhoc session tracks exactly one voice channel.")
    if len(set(channel_ids)) != len(channel_ids):
        raise ValidationError("A channel can be tracked only once in a session.")
    return Session(
        guild_id=guild_id,
        session_id=session_id,
        type=session_type,
        name=name,
        creator_id=creator_id,
        channel_ids=channel_ids,
        windows=(ActiveWindow(start_ms, None, seed),),
    )
