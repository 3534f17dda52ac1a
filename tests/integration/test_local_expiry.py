"""The embedded default deletes expired items itself, as DynamoDB's time to live would."""

from __future__ import annotations

from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.entrypoints.local_server import ExpirySweeper
from sunday_mining.ports.store import Store

NOW_S = 1_795_370_400


def test_items_past_their_ttl_go_and_the_rest_stay(sqlite_store: SqliteStore) -> None:
    sqlite_store.put({"pk": "A", "sk": "expired", "ttl": NOW_S - 1})
    sqlite_store.put({"pk": "A", "sk": "due later", "ttl": NOW_S + 60})
    sqlite_store.put({"pk": "A", "sk": "kept for good"})
    sweeper = ExpirySweeper(sqlite_store, now_s=lambda: NOW_S)
    assert sweeper.sweep() == 1
    assert sqlite_store.get(("A", "expired")) is None
    assert sqlite_store.get(("A", "due later")) is not None
    assert sqlite_store.get(("A", "kept for good")) is not None
    assert sweeper.sweep() == 0


def test_the_first_sweep_runs_as_soon_as_it_starts(sqlite_store: SqliteStore) -> None:
    sqlite_store.put({"pk": "A", "sk": "expired", "ttl": NOW_S - 1})
    sweeper = ExpirySweeper(sqlite_store, interval_s=3600, now_s=lambda: NOW_S)
    sweeper.start()
    sweeper.stop()
    sweeper._thread.join(timeout=10)
    assert not sweeper._thread.is_alive()
    assert sqlite_store.get(("A", "expired")) is None


def test_a_store_that_expires_items_itself_is_left_alone(store: Store) -> None:
    store.put({"pk": "A", "sk": "expired", "ttl": NOW_S - 1})
    sweeper = ExpirySweeper(store, now_s=lambda: NOW_S)
    if isinstance(store, SqliteStore):
        assert sweeper.sweep() == 1
        return
    sweeper.start()  # DynamoDB: no thread, nothing deleted by the app
    assert not sweeper._thread.is_alive()
    assert sweeper.sweep() == 0
    assert store.get(("A", "expired")) is not None
