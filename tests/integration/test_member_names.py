"""MemberNames on every store adapter (SQLite and DynamoDB under moto, via the ``store``
fixture): names round-trip, unchanged names cost no write, and only name and time are kept."""

from __future__ import annotations

import pytest
from tests.support.counting_store import CountingStore

from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.ports.store import Store
from sunday_mining.services import keys
from sunday_mining.services.names import (
    MAX_NAME_CHARS,
    NAME_TTL_S,
    SEEN_REFRESH_MS,
    MemberNames,
    clean_name,
)

T0 = 1_795_370_400_000  # where the clock fixture starts (tests/conftest.py)
GUILD = "900000000000000001"
OTHER_GUILD = "900000000000000002"


def member(n: int) -> str:
    return f"7{n:017d}"


@pytest.fixture
def counted(store: Store) -> CountingStore:
    return CountingStore(store)


@pytest.fixture
def names(counted: CountingStore, clock: FixedClock) -> MemberNames:
    return MemberNames(counted, clock)


def test_remembered_names_are_looked_up_and_unknown_ids_are_absent(names: MemberNames) -> None:
    names.remember(GUILD, {member(1): "Ana", member(2): "Ben"}, source="test")
    assert names.lookup(GUILD, [member(1), member(2), member(3)]) == {
        member(1): "Ana",
        member(2): "Ben",
    }


def test_a_lookup_of_many_ids_reads_them_all(names: MemberNames) -> None:
    everyone = {member(n): f"miner {n}" for n in range(60)}
    names.remember(GUILD, everyone, source="test")
    asked = [member(n) for n in range(10, 50)] + [member(999)]
    assert names.lookup(GUILD, asked) == {member(n): f"miner {n}" for n in range(10, 50)}


def test_names_of_one_guild_are_invisible_from_another(names: MemberNames) -> None:
    names.remember(GUILD, {member(1): "Ana"}, source="test")
    assert names.lookup(OTHER_GUILD, [member(1)]) == {}


def test_a_batch_of_unchanged_names_costs_no_write(
    names: MemberNames, counted: CountingStore, clock: FixedClock
) -> None:
    crowd = {member(n): f"miner {n}" for n in range(200)}
    assert names.remember(GUILD, crowd, source="test") == 200
    assert counted.writes == 2  # two transactions of at most a hundred names
    counted.reset()
    clock.advance(minutes=30)
    for _ in range(3):
        assert names.remember(GUILD, crowd, source="test") == 0
    assert counted.writes == 0


def test_a_single_new_name_is_one_write(names: MemberNames, counted: CountingStore) -> None:
    names.remember(GUILD, {member(1): "Ana", member(2): "Ben"}, source="test")
    counted.reset()
    names.remember(GUILD, {member(1): "Ana", member(2): "Benji"}, source="test")
    assert (counted.writes, counted.written_items) == (1, 1)


def test_a_changed_name_replaces_the_old_one_with_its_time(
    names: MemberNames, clock: FixedClock, store: Store
) -> None:
    names.remember(GUILD, {member(1): "Ana"}, source="test")
    clock.advance(minutes=5)
    names.remember(GUILD, {member(1): "Rockbreaker"}, source="test")
    assert names.lookup(GUILD, [member(1)]) == {member(1): "Rockbreaker"}
    stored = store.get(keys.member_key(GUILD, member(1)))
    assert stored is not None
    assert stored["seen_ms"] == T0 + 5 * 60_000


def test_the_seen_time_of_an_unchanged_name_is_refreshed_daily(
    names: MemberNames, clock: FixedClock, store: Store
) -> None:
    names.remember(GUILD, {member(1): "Ana"}, source="test")
    clock.advance(ms=SEEN_REFRESH_MS - 1)
    assert names.remember(GUILD, {member(1): "Ana"}, source="test") == 0
    clock.advance(ms=1)
    assert names.remember(GUILD, {member(1): "Ana"}, source="test") == 1
    stored = store.get(keys.member_key(GUILD, member(1)))
    assert stored is not None
    assert stored["seen_ms"] == T0 + SEEN_REFRESH_MS


def test_an_item_holds_only_the_name_and_when_it_was_seen(names: MemberNames, store: Store) -> None:
    names.remember(GUILD, {member(1): "Ana"}, source="interaction")
    assert store.get(keys.member_key(GUILD, member(1))) == {
        "pk": f"G#{GUILD}#MEMBER",
        "sk": f"MEMBER#{member(1)}",
        "name": "Ana",
        "seen_ms": T0,
        "ttl": T0 // 1000 + NAME_TTL_S,
    }


def test_a_name_seen_again_lives_on_and_one_never_seen_again_expires(
    names: MemberNames, clock: FixedClock, store: Store
) -> None:
    names.remember(GUILD, {member(1): "Ana", member(2): "Ben"}, source="test")
    clock.advance(ms=SEEN_REFRESH_MS)
    names.remember(GUILD, {member(1): "Ana"}, source="test")  # Ana still mines; Ben left
    ana = store.get(keys.member_key(GUILD, member(1)))
    assert ana is not None
    assert ana["ttl"] == (T0 + SEEN_REFRESH_MS) // 1000 + NAME_TTL_S
    if isinstance(store, SqliteStore):  # DynamoDB's time to live does this on its own
        store.purge_expired(T0 // 1000 + NAME_TTL_S + 1)
        assert names.lookup(GUILD, [member(1), member(2)]) == {member(1): "Ana"}


def test_a_name_stored_without_a_time_to_live_gets_one_when_seen(
    names: MemberNames, store: Store
) -> None:
    pk, sk = keys.member_key(GUILD, member(1))
    store.put({"pk": pk, "sk": sk, "name": "Ana", "seen_ms": T0})
    assert names.remember(GUILD, {member(1): "Ana"}, source="test") == 1
    stored = store.get((pk, sk))
    assert stored is not None
    assert stored["ttl"] == T0 // 1000 + NAME_TTL_S


def test_control_characters_are_stripped_and_long_names_cut(names: MemberNames) -> None:
    names.remember(
        GUILD,
        {member(1): "\u202eAna\n\tthe\x00 Bold\x7f ", member(2): "x" * 150},
        source="test",
    )
    found = names.lookup(GUILD, [member(1), member(2)])
    assert found == {member(1): "Anathe Bold", member(2): "x" * MAX_NAME_CHARS}


def test_blank_names_and_ids_that_are_not_snowflakes_are_skipped(
    names: MemberNames, counted: CountingStore
) -> None:
    assert names.remember(GUILD, {member(1): " \n ", "abc": "Eve", "": "Nobody"}, source="t") == 0
    assert counted.writes == 0
    assert names.lookup(GUILD, [member(1), "abc", ""]) == {}


def test_clean_name_keeps_emoji_and_joiners() -> None:
    family = "Ana \U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert clean_name(family) == family
