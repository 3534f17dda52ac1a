"""Interactions name their caller and the users they resolve: the router remembers those
names with at most one write, and a failure to do so never fails the interaction."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from tests.support.counting_store import CountingStore

from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.errors import Unavailable
from sunday_mining.entrypoints.factories import Services, build_services
from sunday_mining.interactions.member_names import interaction_names
from sunday_mining.interactions.payload import InteractionType, parse
from sunday_mining.interactions.router import dispatch
from sunday_mining.services.names import MemberNames

GUILD = "900000000000000001"
ANA, BEN, CY, JUKEBOX = "700000000000000001", "700000000000000002", "700000000000000003", "79"


@pytest.fixture
def counted(tmp_path: Path) -> Iterator[CountingStore]:
    store = SqliteStore(tmp_path / "names.sqlite3")
    yield CountingStore(store)
    store.close()


@pytest.fixture
def services(counted: CountingStore) -> Services:
    return build_services(counted, FixedClock(1_795_370_400_000))


def user(user_id: str, username: str, global_name: str | None = None, **extra: Any) -> Any:
    return {"id": user_id, "username": username, "global_name": global_name, **extra}


def help_command(
    caller: dict[str, Any],
    *,
    resolved: dict[str, Any] | None = None,
    kind: InteractionType = InteractionType.APPLICATION_COMMAND,
) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "mining", "options": [{"type": 1, "name": "help"}]}
    if resolved is not None:
        data["resolved"] = resolved
    return {
        "type": int(kind),
        "id": "1",
        "token": "token",
        "application_id": "2",
        "guild_id": GUILD,
        "channel_id": "3",
        "member": {"roles": [], "permissions": "0", **caller},
        "data": data,
    }


def test_the_caller_s_nickname_is_remembered(services: Services) -> None:
    body = help_command({"user": user(ANA, "ana", "Ana Smith"), "nick": "Rockbreaker"})
    answer = dispatch(parse(body), services)
    assert answer["type"] == 4
    assert services.names.lookup(GUILD, [ANA]) == {ANA: "Rockbreaker"}


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        ({"user": user(ANA, "ana", "Ana Smith"), "nick": None}, "Ana Smith"),
        ({"user": user(ANA, "ana")}, "ana"),
    ],
)
def test_without_a_nickname_the_global_name_then_the_username_is_remembered(
    services: Services, caller: dict[str, Any], expected: str
) -> None:
    dispatch(parse(help_command(caller)), services)
    assert services.names.lookup(GUILD, [ANA]) == {ANA: expected}


def test_resolved_members_are_remembered_and_bots_are_not() -> None:
    resolved = {
        "users": {
            BEN: user(BEN, "ben", "Ben B"),
            CY: user(CY, "cy"),
            JUKEBOX: user(JUKEBOX, "jukebox", bot=True),
        },
        "members": {BEN: {"nick": "Hauler", "roles": []}},
    }
    body = help_command({"user": user(ANA, "ana")}, resolved=resolved)
    assert interaction_names(body) == {ANA: "ana", BEN: "Hauler", CY: "cy"}


def test_an_interaction_costs_at_most_one_write_and_none_once_names_are_known(
    services: Services, counted: CountingStore
) -> None:
    resolved = {"users": {BEN: user(BEN, "ben"), CY: user(CY, "cy")}}
    body = help_command({"user": user(ANA, "ana")}, resolved=resolved)
    dispatch(parse(body), services)
    assert counted.writes == 2  # the names, and the interaction's mark (services/replays.py)
    counted.reset()
    dispatch(parse({**body, "id": "2"}), services)
    assert counted.writes == 1  # the mark alone


def test_autocomplete_records_no_name(services: Services) -> None:
    body = help_command({"user": user(ANA, "ana")}, kind=InteractionType.AUTOCOMPLETE)
    dispatch(parse(body), services)
    assert services.names.lookup(GUILD, [ANA]) == {}


class _BrokenNames(MemberNames):
    def remember(self, guild_id: str, names: Mapping[str, str], *, source: str) -> int:
        raise Unavailable()


def test_a_failure_to_record_names_does_not_fail_the_interaction(services: Services) -> None:
    broken = replace(services, names=_BrokenNames(services.store, services.clock))
    answer = dispatch(parse(help_command({"user": user(ANA, "ana")})), broken)
    assert answer["type"] == 4
    assert "Sunday Mining" in str(answer["data"])
