"""Starting, stopping and reopening sessions against a real SQLite store."""

from __future__ import annotations

import pytest

from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.errors import NotFound, StateConflict, ValidationError
from sunday_mining.domain.session import SessionStatus, SessionType, StopReason
from sunday_mining.entrypoints.factories import Services

GUILD = "1000"
LEADER = "1"


def configure(services: Services, *channels: str) -> None:
    for channel in channels:
        services.guilds.add_channel(GUILD, channel)


def snapshot_of_store(services: Services) -> list[dict[str, object]]:
    return services.store.query_all(f"G#{GUILD}")


def test_a_sunday_op_needs_a_configured_server(services: Services) -> None:
    with pytest.raises(NotFound, match="isn't set up yet"):
        services.sessions.start_sunday(GUILD, LEADER)


def test_a_sunday_op_tracks_every_mining_channel(services: Services) -> None:
    configure(services, "11", "12")
    session = services.sessions.start_sunday(GUILD, LEADER)
    assert session.type is SessionType.SUNDAY
    assert session.channel_ids == ("11", "12")
    assert session.name == "Sunday Mining — 2026-11-22"
    assert [s.session_id for s in services.sessions.active(GUILD)] == [session.session_id]


def test_a_second_sunday_op_is_refused_and_changes_nothing(services: Services) -> None:
    configure(services, "11")
    services.sessions.start_sunday(GUILD, LEADER, "First")
    before = snapshot_of_store(services)
    with pytest.raises(StateConflict, match="already running \\('First'\\)"):
        services.sessions.start_sunday(GUILD, LEADER, "Second")
    assert snapshot_of_store(services) == before


def test_an_adhoc_session_on_a_channel_of_the_running_op_is_refused(services: Services) -> None:
    configure(services, "11")
    services.sessions.start_sunday(GUILD, LEADER, "Op")
    with pytest.raises(StateConflict, match="already tracked by 'Op'"):
        services.sessions.start_adhoc(GUILD, "2", "11")


def test_adhoc_sessions_run_side_by_side_on_different_channels(services: Services) -> None:
    first = services.sessions.start_adhoc(GUILD, "2", "21", channel_name="Rock 1")
    second = services.sessions.start_adhoc(GUILD, "3", "22", channel_name="Rock 2")
    assert first.name == "Adhoc — Rock 1 2026-11-22"
    assert {s.session_id for s in services.sessions.active(GUILD)} == {
        first.session_id,
        second.session_id,
    }


def test_stop_frees_the_channels_and_records_the_reason(
    services: Services, clock: FixedClock
) -> None:
    configure(services, "11")
    session = services.sessions.start_sunday(GUILD, LEADER)
    clock.advance(minutes=90)
    stopped = services.sessions.stop(GUILD, session.session_id)
    assert stopped.status is SessionStatus.STOPPED
    assert stopped.stop_reason is StopReason.COMMAND
    assert stopped.length_ms(clock.now_ms() + 999_999) == 90 * 60_000
    assert services.sessions.active(GUILD) == []
    services.sessions.start_adhoc(GUILD, "2", "11")  # the channel is free again


def test_stopping_a_stopped_session_is_refused(services: Services) -> None:
    session = services.sessions.start_adhoc(GUILD, "2", "21")
    services.sessions.stop(GUILD, session.session_id)
    before = snapshot_of_store(services)
    with pytest.raises(StateConflict, match="already stopped"):
        services.sessions.stop(GUILD, session.session_id)
    assert snapshot_of_store(services) == before


def test_a_stop_in_the_future_is_refused(services: Services, clock: FixedClock) -> None:
    session = services.sessions.start_adhoc(GUILD, "2", "21")
    with pytest.raises(ValidationError, match="future"):
        services.sessions.stop(GUILD, session.session_id, at_ms=clock.now_ms() + 1)


def test_sessions_of_another_guild_are_not_found(services: Services) -> None:
    session = services.sessions.start_adhoc(GUILD, "2", "21")
    with pytest.raises(NotFound):
        services.sessions.get("2000", session.session_id)
    with pytest.raises(NotFound):
        services.sessions.stop("2000", session.session_id)


@pytest.mark.parametrize("bad_id", ["", "nope", "../G#1000", "01ARZ3NDEKTSV4RRFFQ69G5FAV"])
def test_unknown_or_malformed_session_ids_are_not_found(services: Services, bad_id: str) -> None:
    with pytest.raises(NotFound):
        services.sessions.get(GUILD, bad_id)


def test_reopening_an_adhoc_session_tracks_its_channel_again(
    services: Services, clock: FixedClock
) -> None:
    session = services.sessions.start_adhoc(GUILD, "2", "21")
    clock.advance(minutes=30)
    services.sessions.stop(GUILD, session.session_id)
    clock.advance(minutes=60)
    reopened = services.sessions.reopen(GUILD, session.session_id)
    assert reopened.is_active
    assert len(reopened.windows) == 2
    with pytest.raises(StateConflict, match="already tracked"):
        services.sessions.start_adhoc(GUILD, "3", "21")


def test_reopening_while_the_channel_is_taken_is_refused(
    services: Services, clock: FixedClock
) -> None:
    session = services.sessions.start_adhoc(GUILD, "2", "21", name="Mine")
    services.sessions.stop(GUILD, session.session_id)
    services.sessions.start_adhoc(GUILD, "3", "21", name="Theirs")
    with pytest.raises(StateConflict, match="already tracked by 'Theirs'"):
        services.sessions.reopen(GUILD, session.session_id)


def test_a_members_sessions_are_listed_newest_first_with_pages(
    services: Services, clock: FixedClock
) -> None:
    made = []
    for _ in range(5):
        session = services.sessions.start_adhoc(GUILD, "2", "21")
        services.sessions.stop(GUILD, session.session_id)
        made.append(session.session_id)
        clock.advance(minutes=1)
    page, cursor = services.sessions.by_creator(GUILD, "2", limit=3)
    rest, end = services.sessions.by_creator(GUILD, "2", limit=3, cursor=cursor)
    assert [s.session_id for s in page + rest] == list(reversed(made))
    assert end is None
    assert services.sessions.by_creator(GUILD, "3")[0] == []


def test_settings_changes_are_versioned(services: Services) -> None:
    services.guilds.set_setting(GUILD, "org-cut", "10")
    config = services.guilds.set_setting(GUILD, "time-zone", "Europe/Berlin")
    assert config.version == 2
    assert config.settings.org_cut_bp == 1000
