"""The migration runner against an in-memory store (and the real stores when present)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.support.delegating_store import Call, DelegatingStore

from sunday_mining.adapters.dynamodb_table import create_table
from sunday_mining.domain.clock import Clock, FixedClock
from sunday_mining.domain.errors import ConditionFailed, StateConflict
from sunday_mining.ports.store import (
    And,
    AttrAbsent,
    AttrExists,
    Compare,
    Condition,
    Item,
    ItemAbsent,
    ItemExists,
    Key,
    Not,
    Or,
    Page,
    SortKey,
    Store,
    TxCheck,
    TxDelete,
    TxOp,
    TxPut,
    TxUpdate,
    Update,
)
from sunday_mining.schema.migrations import (
    LATEST_VERSION,
    MIGRATIONS,
    SCHEMA_KEY,
    Migration,
    migrate,
    read_schema_version,
)

# --- an in-memory store: just enough of the port to run migrations -----------------------------


def _holds(condition: Condition | None, item: Item | None) -> bool:
    if condition is None:
        return True
    if isinstance(condition, ItemAbsent):
        return item is None
    if isinstance(condition, ItemExists):
        return item is not None
    if isinstance(condition, AttrExists):
        return item is not None and condition.name in item
    if isinstance(condition, AttrAbsent):
        return item is None or condition.name not in item
    if isinstance(condition, Compare):
        return _compare(condition, item)
    if isinstance(condition, And):
        return all(_holds(part, item) for part in condition.parts)
    if isinstance(condition, Or):
        return any(_holds(part, item) for part in condition.parts)
    if isinstance(condition, Not):
        return not _holds(condition.part, item)
    raise TypeError(condition)


def _compare(condition: Compare, item: Item | None) -> bool:
    if item is None or condition.name not in item:
        return False
    left, right = item[condition.name], condition.value
    ops: dict[str, Callable[[Any, Any], bool]] = {
        "=": lambda a, b: a == b,
        "<>": lambda a, b: a != b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }
    return ops[condition.op](left, right)


class MemoryStore(Store):
    def __init__(self) -> None:
        self.items: dict[Key, Item] = {}

    def get(self, key: Key, *, consistent: bool = True) -> Item | None:
        item = self.items.get(key)
        return copy.deepcopy(item) if item is not None else None

    def put(self, item: Item, *, condition: Condition | None = None) -> None:
        key = (item["pk"], item["sk"])
        if not _holds(condition, self.items.get(key)):
            raise ConditionFailed
        self.items[key] = copy.deepcopy(item)

    def update(self, key: Key, update: Update, *, condition: Condition | None = None) -> Item:
        current = self.items.get(key)
        if not _holds(condition, current):
            raise ConditionFailed
        item: Item = copy.deepcopy(current) if current else {"pk": key[0], "sk": key[1]}
        item.update(copy.deepcopy(update.set))
        for name, amount in update.add.items():
            item[name] = item.get(name, 0) + amount
        for name, values in update.append.items():
            item[name] = [*item.get(name, []), *copy.deepcopy(values)]
        for name in update.remove:
            item.pop(name, None)
        self.items[key] = item
        return copy.deepcopy(item)

    def delete(self, key: Key, *, condition: Condition | None = None) -> None:
        if not _holds(condition, self.items.get(key)):
            raise ConditionFailed
        self.items.pop(key, None)

    def query(
        self,
        pk: str,
        sort: SortKey | None = None,
        *,
        forward: bool = True,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page:
        rows = sorted((k[1], v) for k, v in self.items.items() if k[0] == pk)
        prefix = sort.prefix if sort else None
        items = [copy.deepcopy(v) for sk, v in rows if prefix is None or sk.startswith(prefix)]
        return Page(items if forward else items[::-1], None)

    def query_index(
        self,
        index: str,
        pk: str,
        sort: SortKey | None = None,
        *,
        forward: bool = True,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page:
        raise NotImplementedError("migrations do not query indexes")

    def transact(self, ops: Sequence[TxOp]) -> None:
        for op in ops:
            key = (op.item["pk"], op.item["sk"]) if isinstance(op, TxPut) else op.key
            if not _holds(op.condition, self.items.get(key)):
                raise ConditionFailed
        for op in ops:
            if isinstance(op, TxPut):
                self.put(op.item)
            elif isinstance(op, TxUpdate):
                self.update(op.key, op.update)
            elif isinstance(op, TxDelete):
                self.delete(op.key)
            else:
                assert isinstance(op, TxCheck)


class RacedStore(DelegatingStore):
    """Wraps a store; runs ``rival`` once, right before the first write to the version item."""

    def __init__(self, inner: Store) -> None:
        super().__init__(inner)
        self.rival: Callable[[], object] | None = None

    def _before(self, call: Call) -> None:
        if call.op == "update" and call.key == SCHEMA_KEY and self.rival is not None:
            rival, self.rival = self.rival, None
            rival()


# --- fixtures ---------------------------------------------------------------------------------


def _sqlite_store(tmp_path: Path) -> Iterator[Store]:
    module = pytest.importorskip("sunday_mining.adapters.sqlite_store")
    store = module.SqliteStore(tmp_path / "sunday.db")
    yield store
    store.close()


def _dynamodb_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    module = pytest.importorskip("sunday_mining.adapters.dynamodb_store")
    moto = pytest.importorskip("moto")
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with moto.mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_table(client, "sunday-mining")
        yield module.DynamoDbStore(client, "sunday-mining")


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Store]:
    """The in-memory fake always; the real stores too when their adapters exist."""
    if request.param == "memory":
        yield MemoryStore()
    elif request.param == "sqlite":
        yield from _sqlite_store(tmp_path)
    else:
        yield from _dynamodb_store(monkeypatch)


@pytest.fixture
def raced(store: Store) -> RacedStore:
    """Each backend, with a hook to slip a rival runner in before our next version bump."""
    return RacedStore(store)


def _recording(log: list[int], number: int) -> Migration:
    def apply(store: Store, clock: Clock) -> None:
        log.append(number)
        # Idempotent marker write: the kind of thing a real migration does.
        store.put({"pk": "MIGRATED", "sk": str(number), "at_ms": clock.now_ms()})

    return Migration(number, f"step {number}", apply)


def _synthetic(count: int, log: list[int]) -> list[Migration]:
    return [_recording(log, n) for n in range(1, count + 1)]


# --- the built-in list ------------------------------------------------------------------------


def test_the_built_in_list_is_contiguous_from_one() -> None:
    assert [m.number for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert MIGRATIONS[-1].number == LATEST_VERSION
    assert MIGRATIONS[0].description == "create the schema-version record"


def test_a_fresh_table_is_migrated_to_the_latest_version(store: Store, clock: FixedClock) -> None:
    assert read_schema_version(store) is None

    report = migrate(store, clock)

    assert (report.from_version, report.to_version) == (None, LATEST_VERSION)
    assert report.applied == list(range(1, LATEST_VERSION + 1))
    assert read_schema_version(store) == LATEST_VERSION
    record = store.get(SCHEMA_KEY)
    assert record is not None
    assert record["applied"][0] == {
        "number": 1,
        "description": "create the schema-version record",
        "at_ms": clock.now_ms(),
    }


def test_a_second_run_applies_nothing(store: Store, clock: FixedClock) -> None:
    migrate(store, clock)
    clock.advance(minutes=5)

    report = migrate(store, clock)

    assert report.applied == []
    assert report.from_version == report.to_version == LATEST_VERSION
    record = store.get(SCHEMA_KEY)
    assert record is not None
    assert len(record["applied"]) == LATEST_VERSION


# --- synthetic migration lists ----------------------------------------------------------------


def test_migrations_run_in_order_and_each_is_recorded(store: Store, clock: FixedClock) -> None:
    log: list[int] = []

    report = migrate(store, clock, _synthetic(4, log))

    assert log == [1, 2, 3, 4]
    assert report.applied == [1, 2, 3, 4]
    record = store.get(SCHEMA_KEY)
    assert record is not None
    assert record["version"] == 4
    assert [entry["number"] for entry in record["applied"]] == [1, 2, 3, 4]


def test_only_pending_migrations_run_after_a_new_build_adds_some(
    store: Store, clock: FixedClock
) -> None:
    log: list[int] = []
    migrate(store, clock, _synthetic(2, log))
    log.clear()

    report = migrate(store, clock, _synthetic(5, log))

    assert log == [3, 4, 5]
    assert (report.from_version, report.to_version, report.applied) == (2, 5, [3, 4, 5])


def test_a_failing_migration_leaves_the_version_where_it_was(
    store: Store, clock: FixedClock
) -> None:
    log: list[int] = []

    def broken(store: Store, clock: Clock) -> None:
        raise RuntimeError("disk on fire")

    migrations = [*_synthetic(1, log), Migration(2, "broken step", broken), _recording(log, 3)]

    with pytest.raises(RuntimeError, match="disk on fire") as raised:
        migrate(store, clock, migrations)

    assert read_schema_version(store) == 1
    assert log == [1]  # migration 3 never ran
    assert any("schema version stays at 1" in note for note in raised.value.__notes__)

    # Once fixed, the next run resumes at the failed migration.
    fixed = [*_synthetic(3, log)]
    log.clear()
    report = migrate(store, clock, fixed)
    assert log == [2, 3]
    assert report.applied == [2, 3]


def test_a_stored_version_newer_than_the_code_is_refused(store: Store, clock: FixedClock) -> None:
    log: list[int] = []
    migrate(store, clock, _synthetic(5, log))
    log.clear()

    with pytest.raises(StateConflict) as raised:
        migrate(store, clock, _synthetic(3, log))

    assert raised.value.message == (
        "The table is at schema version 5 but this build knows only up to 3; "
        "deploy the newer build."
    )
    assert log == []
    assert read_schema_version(store) == 5


@pytest.mark.parametrize("numbers", [[2, 3], [1, 3], [1, 1], [2, 1]])
def test_a_list_that_is_not_one_two_three_is_rejected(
    numbers: list[int], clock: FixedClock
) -> None:
    migrations = [Migration(n, f"step {n}", lambda s, c: None) for n in numbers]
    with pytest.raises(ValueError, match="numbered 1, 2, 3"):
        migrate(MemoryStore(), clock, migrations)


def test_an_empty_list_leaves_a_fresh_table_alone(clock: FixedClock) -> None:
    store = MemoryStore()
    report = migrate(store, clock, [])
    assert (report.from_version, report.to_version, report.applied) == (None, 0, [])
    assert read_schema_version(store) is None


def test_a_damaged_version_record_is_reported(clock: FixedClock) -> None:
    store = MemoryStore()
    store.put({"pk": SCHEMA_KEY[0], "sk": SCHEMA_KEY[1], "version": "one"})
    with pytest.raises(StateConflict, match="no whole-number 'version'"):
        read_schema_version(store)


# --- races ------------------------------------------------------------------------------------


def test_a_rival_that_bumps_first_is_not_bumped_over(raced: RacedStore, clock: FixedClock) -> None:
    store = raced
    ours: list[int] = []
    theirs: list[int] = []
    # The rival runs the whole list between our read of the version and our first bump.
    store.rival = lambda: migrate(store, clock, _synthetic(3, theirs))

    report = migrate(store, clock, _synthetic(3, ours))

    assert theirs == [1, 2, 3]
    assert ours == [1]  # we applied 1 (idempotent), lost the bump, then saw 2 and 3 done
    assert report.applied == []
    assert (report.from_version, report.to_version) == (None, 3)
    record = store.get(SCHEMA_KEY)
    assert record is not None
    assert [entry["number"] for entry in record["applied"]] == [1, 2, 3]


def test_a_rival_one_step_ahead_lets_us_carry_on(raced: RacedStore, clock: FixedClock) -> None:
    store = raced
    log: list[int] = []
    migrate(store, clock, _synthetic(1, log))
    # While we apply 2, the rival applies and records only 2.
    store.rival = lambda: migrate(store, clock, _synthetic(2, log))

    report = migrate(store, clock, _synthetic(4, log))

    assert report.applied == [3, 4]
    assert (report.from_version, report.to_version) == (1, 4)
    record = store.get(SCHEMA_KEY)
    assert record is not None
    assert [entry["number"] for entry in record["applied"]] == [1, 2, 3, 4]


def test_a_version_that_goes_backwards_mid_run_is_a_conflict(
    raced: RacedStore, clock: FixedClock
) -> None:
    store = raced
    log: list[int] = []
    migrate(store, clock, _synthetic(1, log))
    store.rival = lambda: store.delete(SCHEMA_KEY)  # someone wiped the record under us

    with pytest.raises(StateConflict, match="changed from 1 to 0"):
        migrate(store, clock, _synthetic(2, log))


def test_two_threads_racing_on_sqlite_record_each_migration_once(
    tmp_path: Path, clock: FixedClock
) -> None:
    module = pytest.importorskip("sunday_mining.adapters.sqlite_store")
    store = module.SqliteStore(tmp_path / "race.db")
    start = threading.Barrier(2)
    reports = []

    def runner() -> None:
        start.wait()
        reports.append(migrate(store, clock, _synthetic(6, [])))

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        recorded = sorted(n for report in reports for n in report.applied)
        assert recorded == [1, 2, 3, 4, 5, 6]  # each bump landed exactly once, by someone
        record = store.get(SCHEMA_KEY)
        assert record is not None
        assert [entry["number"] for entry in record["applied"]] == [1, 2, 3, 4, 5, 6]
        assert all(report.to_version == 6 for report in reports)
    finally:
        store.close()
