from __future__ import annotations

import pytest

from sunday_mining.domain.errors import StateConflict, ValidationError
from sunday_mining.domain.session import (
    PayrollState,
    Session,
    SessionType,
    StopReason,
    clean_name,
    default_name,
    new_session,
)

T0 = 1_795_370_400_000  # Sunday 2026-11-22 18:00 UTC
HOUR = 3_600_000


def adhoc() -> Session:
    return new_session(
        guild_id="1",
        session_id="01KAAAAAAAAAAAAAAAAAAAAAAA",
        session_type=SessionType.ADHOC,
        creator_id="9",
        channel_ids=("11",),
        start_ms=T0,
        seed={},
        name="Adhoc",
    )


def test_an_adhoc_session_tracks_exactly_one_channel() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        new_session(
            guild_id="1",
            session_id="x",
            session_type=SessionType.ADHOC,
            creator_id="9",
            channel_ids=("11", "12"),
            start_ms=T0,
            seed={},
            name="n",
        )


def test_a_sunday_session_needs_a_channel() -> None:
    with pytest.raises(ValidationError, match="mining channel"):
        new_session(
            guild_id="1",
            session_id="x",
            session_type=SessionType.SUNDAY,
            creator_id="9",
            channel_ids=(),
            start_ms=T0,
            seed={},
            name="n",
        )


def test_stopping_twice_is_refused() -> None:
    stopped = adhoc().stop(T0 + HOUR, StopReason.COMMAND)
    with pytest.raises(StateConflict, match="already stopped"):
        stopped.stop(T0 + 2 * HOUR, StopReason.COMMAND)


def test_a_session_cannot_stop_before_it_started() -> None:
    with pytest.raises(ValidationError):
        adhoc().stop(T0 - 1, StopReason.COMMAND)


def test_reopening_adds_a_window_and_the_pause_does_not_count() -> None:
    session = adhoc().stop(T0 + HOUR, StopReason.IDLE_TIMEOUT)
    reopened = session.reopen(T0 + 3 * HOUR, {}).stop(T0 + 4 * HOUR, StopReason.COMMAND)
    assert len(reopened.windows) == 2
    assert reopened.length_ms(T0 + 10 * HOUR) == 2 * HOUR


def test_a_paid_session_cannot_be_reopened() -> None:
    session = adhoc().stop(T0 + HOUR, StopReason.COMMAND)
    from dataclasses import replace

    paid = replace(session, payroll_state=PayrollState.FINAL)
    with pytest.raises(StateConflict, match="final payroll"):
        paid.reopen(T0 + 2 * HOUR, {})


def test_a_running_session_counts_up_to_now() -> None:
    assert adhoc().length_ms(T0 + 90_000) == 90_000


def test_default_names_use_the_guilds_time_zone() -> None:
    # 18:00 UTC on Sunday is already Monday in Tokyo.
    assert default_name(SessionType.SUNDAY, T0, "UTC") == "Sunday Mining — 2026-11-22"
    assert default_name(SessionType.SUNDAY, T0, "Asia/Tokyo") == "Sunday Mining — 2026-11-23"
    assert default_name(SessionType.ADHOC, T0, "UTC", "Mining 2") == "Adhoc — Mining 2 2026-11-22"


def test_names_are_trimmed_and_capped() -> None:
    assert clean_name("  Big   Sunday ") == "Big Sunday"
    assert clean_name("   ") is None
    with pytest.raises(ValidationError, match="at most"):
        clean_name("x" * 81)
