"""Handles on every store: set, read back one by one and in bulk, clear, audit for officers."""

from __future__ import annotations

import pytest

from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.errors import ValidationError
from sunday_mining.ports.store import SortKey, Store
from sunday_mining.services import keys
from sunday_mining.services.handles import Handles

GUILD = "100000000000000001"
BEN = "200000000000000002"
OFFICER = "300000000000000003"


@pytest.fixture
def handles(store: Store) -> Handles:
    return Handles(store, FixedClock(1_795_370_400_000))


def _audit(store: Store) -> list[dict[str, object]]:
    return store.query_all(keys.guild_pk(GUILD), SortKey.begins_with(keys.AUDIT_PREFIX))


def test_a_handle_is_stored_and_read_back(handles: Handles) -> None:
    assert handles.set(GUILD, BEN, " Ben_SC\n", by=BEN) == "Ben_SC"
    assert handles.get(GUILD, BEN) == "Ben_SC"
    assert handles.lookup(GUILD, [BEN, OFFICER]) == {BEN: "Ben_SC"}


def test_a_lookup_of_many_members_reads_the_partition_once(handles: Handles) -> None:
    members = [f"4000000000000000{n:02d}" for n in range(40)]
    for member in members[::3]:
        handles.set(GUILD, member, f"Miner_{member[-2:]}", by=member)
    found = handles.lookup(GUILD, [*members, "not-an-id"])
    assert found == {m: f"Miner_{m[-2:]}" for m in members[::3]}


def test_a_handle_against_the_rule_writes_nothing(handles: Handles, store: Store) -> None:
    with pytest.raises(ValidationError):
        handles.set(GUILD, BEN, "no spaces allowed", by=OFFICER)
    assert handles.get(GUILD, BEN) is None
    assert _audit(store) == []


def test_clear_removes_it_and_says_whether_there_was_one(handles: Handles) -> None:
    handles.set(GUILD, BEN, "Ben_SC", by=BEN)
    assert handles.clear(GUILD, BEN, by=BEN) is True
    assert handles.get(GUILD, BEN) is None
    assert handles.clear(GUILD, BEN, by=BEN) is False


def test_an_officers_change_lands_with_its_audit_entry(handles: Handles, store: Store) -> None:
    handles.set(GUILD, BEN, "Ben_SC", by=OFFICER)
    handles.clear(GUILD, BEN, by=OFFICER)
    entries = _audit(store)
    assert [(e["by"], e["action"], e["subject"]) for e in entries] == [
        (OFFICER, "handle", BEN),
        (OFFICER, "handle", BEN),
    ]
    assert handles.get(GUILD, BEN) is None


def test_a_handle_has_no_time_to_live(handles: Handles, store: Store) -> None:
    handles.set(GUILD, BEN, "Ben_SC", by=BEN)
    item = store.get(keys.handle_key(GUILD, BEN))
    assert item is not None
    assert "ttl" not in item
