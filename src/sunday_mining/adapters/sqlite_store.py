"""The store on one SQLite file: the embedded default for local runs and demos.

Every write runs in ``BEGIN IMMEDIATE`` … ``COMMIT`` and evaluates its condition inside that
transaction, so writers in several processes or threads serialise on the file's write lock and
a condition can never be checked against a state that changes before the write lands. WAL mode
lets readers carry on while one writer works.

Values, keys and updates are checked with DynamoDB's own rules (shared with the DynamoDB
adapter), so whatever this store accepts production accepts too.
"""

from __future__ import annotations

import copy
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sunday_mining.adapters.sqlite_ddl import TABLE_NAME, ddl
from sunday_mining.adapters.store_rules import (
    check_key,
    check_limit,
    check_partition,
    check_sort,
    check_transaction,
    check_value,
    cursor_names,
    decode_cursor,
    encode_cursor,
    index_def,
    is_empty_range,
    op_key,
)
from sunday_mining.domain.errors import ConditionFailed, Throttled, Unavailable, ValidationError
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
    TxDelete,
    TxOp,
    TxPut,
    TxUpdate,
    Update,
)
from sunday_mining.schema.table import TABLE, IndexDef, TableDef

BUSY_TIMEOUT_S = 10.0
_SQLITE_INT_RANGE = range(-(2**63), 2**63)
_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


# --- conditions and updates, evaluated in Python ----------------------------------------------


def _kind(value: Any) -> str:
    """DynamoDB's type of a value: bool is not a number, as in DynamoDB (and unlike Python)."""
    if isinstance(value, bool):
        return "BOOL"
    return type(value).__name__


def _canonical(value: Any) -> str:
    # JSON keeps True and 1 apart, and sorted keys make equal maps equal text.
    return json.dumps(value, sort_keys=True)


def _compare(current: Any, op: str, value: Any) -> bool:
    if _kind(current) != _kind(value):
        return False  # a different type never matches, whatever the operator
    if op == "=":
        return _canonical(current) == _canonical(value)
    if op == "<>":
        return _canonical(current) != _canonical(value)
    if op == "<":
        return bool(current < value)
    if op == "<=":
        return bool(current <= value)
    if op == ">":
        return bool(current > value)
    return bool(current >= value)


def evaluate(condition: Condition, item: Item | None) -> bool:
    """Whether ``condition`` holds for ``item`` (None: the item does not exist)."""
    attributes = item or {}
    if isinstance(condition, ItemAbsent | ItemExists):
        return (item is None) == isinstance(condition, ItemAbsent)
    if isinstance(condition, AttrExists):
        return condition.name in attributes
    if isinstance(condition, AttrAbsent):
        return condition.name not in attributes
    if isinstance(condition, Compare):
        if condition.name not in attributes:
            return False
        return _compare(attributes[condition.name], condition.op, condition.value)
    if isinstance(condition, And):
        return all(evaluate(part, item) for part in condition.parts)
    if isinstance(condition, Or):
        return any(evaluate(part, item) for part in condition.parts)
    if isinstance(condition, Not):
        return not evaluate(condition.part, item)
    raise ValidationError("Unknown condition.")


def apply_update(current: Item | None, key_item: Item, update: Update) -> Item:
    """The item after ``update``; a missing item starts as just its keys."""
    item = copy.deepcopy(current) if current is not None else dict(key_item)
    item.update(copy.deepcopy(update.set))
    for name, amount in update.add.items():
        number = item.get(name, 0)
        if not isinstance(number, int) or isinstance(number, bool):
            raise ValidationError("Only numbers can be added to.")
        item[name] = number + amount
        check_value(item[name])  # the sum may outgrow DynamoDB's 38 digits
    for name, values in update.append.items():
        existing = item.get(name, [])
        if not isinstance(existing, list):
            raise ValidationError("Only lists can be appended to.")
        item[name] = existing + copy.deepcopy(values)
    for name in update.remove:
        item.pop(name, None)
    return item


def _require(condition: Condition | None, item: Item | None) -> None:
    if condition is not None and not evaluate(condition, item):
        raise ConditionFailed()


# --- SQL ------------------------------------------------------------------------------------
# Identifiers come from the declared table definition, never from callers; values are always
# bound as parameters. That is why the S608 warnings below are silenced.


@dataclass(frozen=True)
class _Statements:
    columns: tuple[str, ...]
    select: str
    upsert: str
    delete: str
    purge: str


def _statements(table: TableDef) -> _Statements:
    names = [table.partition_key, table.sort_key, "data"]
    for index in table.indexes:
        names += [index.partition_key, index.sort_key]
    columns = (*names, table.ttl_attribute)
    by_key = f"WHERE {table.partition_key} = ? AND {table.sort_key} = ?"
    ttl = table.ttl_attribute
    return _Statements(
        columns=columns,
        select=f"SELECT data FROM {TABLE_NAME} {by_key}",  # noqa: S608
        upsert=f"INSERT OR REPLACE INTO {TABLE_NAME} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({_marks(columns)})",
        delete=f"DELETE FROM {TABLE_NAME} {by_key}",  # noqa: S608
        purge=f"DELETE FROM {TABLE_NAME} WHERE {ttl} IS NOT NULL AND {ttl} < ?",  # noqa: S608
    )


def _marks(names: tuple[str, ...]) -> str:
    return ", ".join("?" for _ in names)


# --- the adapter ------------------------------------------------------------------------------


class SqliteStore(Store):
    """The store in one SQLite file, safe for several threads and processes."""

    def __init__(self, path: str | Path, table: TableDef = TABLE) -> None:
        self._path = str(path)
        self._table = table
        self._sql = _statements(table)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._closed = False
        with self._write() as connection:
            for statement in ddl(table):
                connection.execute(statement)

    @property
    def path(self) -> str:
        """The database file (another store on the same file sees the same data)."""
        return self._path

    def close(self) -> None:
        """Close every thread's connection; the store cannot be used afterwards."""
        with self._connections_lock:
            self._closed = True
            for connection in self._connections:
                connection.close()
            self._connections.clear()

    def purge_expired(self, now: int) -> int:
        """Delete items whose ``ttl`` lies before ``now`` (DynamoDB's TTL does this itself)."""
        with self._write() as connection:
            return connection.execute(self._sql.purge, (now,)).rowcount

    def get(self, key: Key, *, consistent: bool = True) -> Item | None:
        # Every read sees the latest commit, so ``consistent`` needs no handling here.
        check_key(key)
        with _mapped_errors():
            return self._read(self._connection(), key)

    def put(self, item: Item, *, condition: Condition | None = None) -> None:
        self.transact([TxPut(item, condition)])

    def update(self, key: Key, update: Update, *, condition: Condition | None = None) -> Item:
        check_transaction([TxUpdate(key, update, condition)], self._table)
        with self._write() as connection:
            current = self._read(connection, key)
            _require(condition, current)
            item = apply_update(current, self._key_item(key), update)
            self._store(connection, item)
        return item

    def delete(self, key: Key, *, condition: Condition | None = None) -> None:
        self.transact([TxDelete(key, condition)])

    def transact(self, ops: Sequence[TxOp]) -> None:
        check_transaction(ops, self._table)
        with self._write() as connection:
            # Check every condition before writing anything: keys are distinct, so no write
            # could change what a later condition sees.
            currents = [self._read(connection, op_key(op, self._table)) for op in ops]
            for op, current in zip(ops, currents, strict=True):
                _require(op.condition, current)
            for op, current in zip(ops, currents, strict=True):
                self._apply(connection, op, current)

    def query(
        self,
        pk: str,
        sort: SortKey | None = None,
        *,
        forward: bool = True,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page:
        return self._query(None, pk, sort, forward=forward, limit=limit, cursor=cursor)

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
        definition = index_def(self._table, index)
        return self._query(definition, pk, sort, forward=forward, limit=limit, cursor=cursor)

    # --- connections and transactions ---

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise Unavailable()
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None:
            return connection
        with self._connections_lock:
            if self._closed:
                raise Unavailable()
            with _mapped_errors():
                connection = self._connect()
            self._connections.append(connection)
        self._local.connection = connection
        return connection

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves. check_same_thread=False only
        # so that close() may close other threads' connections; each is used by one thread.
        connection = sqlite3.connect(
            self._path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        connection.execute("PRAGMA journal_mode = WAL")
        return connection

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        connection = self._connection()
        with _mapped_errors():
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
                connection.execute("COMMIT")
            except BaseException:
                # SQLite may already have rolled back (a full disk, say); don't mask the cause.
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise

    # --- rows ---

    def _row(self, item: Item) -> tuple[Any, ...]:
        table = self._table
        values: list[Any] = [item[table.partition_key], item[table.sort_key], json.dumps(item)]
        for index in table.indexes:
            # Sparse, like DynamoDB: a row is in an index only with both of its attributes.
            pair = (item.get(index.partition_key), item.get(index.sort_key))
            values += pair if all(isinstance(v, str) for v in pair) else (None, None)
        ttl = item.get(table.ttl_attribute)
        mirrored = isinstance(ttl, int) and not isinstance(ttl, bool) and ttl in _SQLITE_INT_RANGE
        return (*values, ttl if mirrored else None)

    def _read(self, connection: sqlite3.Connection, key: Key) -> Item | None:
        row = connection.execute(self._sql.select, key).fetchone()
        return None if row is None else _load(row[0])

    def _store(self, connection: sqlite3.Connection, item: Item) -> None:
        connection.execute(self._sql.upsert, self._row(item))

    def _remove(self, connection: sqlite3.Connection, key: Key) -> None:
        connection.execute(self._sql.delete, key)

    def _key_item(self, key: Key) -> Item:
        return {self._table.partition_key: key[0], self._table.sort_key: key[1]}

    def _apply(self, connection: sqlite3.Connection, op: TxOp, current: Item | None) -> None:
        """Perform one write, whose condition already held, inside the open transaction."""
        if isinstance(op, TxPut):
            self._store(connection, op.item)
        elif isinstance(op, TxUpdate):
            self._store(connection, apply_update(current, self._key_item(op.key), op.update))
        elif isinstance(op, TxDelete):
            self._remove(connection, op.key)

    # --- queries ---

    def _query(
        self,
        index: IndexDef | None,
        pk: str,
        sort: SortKey | None,
        *,
        forward: bool,
        limit: int | None,
        cursor: str | None,
    ) -> Page:
        check_partition(pk)
        check_sort(sort)
        check_limit(limit)
        if is_empty_range(sort):
            return Page(items=[], cursor=None)
        sql, parameters = self._query_sql(index, pk, sort, forward=forward, cursor=cursor)
        if limit is not None:
            # One extra row tells whether another page exists, so the last page has no cursor.
            sql += " LIMIT ?"
            parameters.append(limit + 1)
        with _mapped_errors():
            rows = self._connection().execute(sql, parameters).fetchall()
        items = [_load(row[0]) for row in rows]
        if limit is None or len(items) <= limit:
            return Page(items=items, cursor=None)
        items = items[:limit]
        names = cursor_names(self._table, index)
        return Page(items=items, cursor=encode_cursor({n: items[-1][n] for n in names}))

    def _query_sql(
        self,
        index: IndexDef | None,
        pk: str,
        sort: SortKey | None,
        *,
        forward: bool,
        cursor: str | None,
    ) -> tuple[str, list[Any]]:
        table = self._table
        pk_name, sk_name = (
            (table.partition_key, table.sort_key)
            if index is None
            else (index.partition_key, index.sort_key)
        )
        # Index sort keys repeat, so the table key breaks ties to give pages a total order.
        order = (sk_name,) if index is None else (sk_name, table.partition_key, table.sort_key)
        where = [f"{pk_name} = ?", f"{sk_name} IS NOT NULL"]
        parameters: list[Any] = [pk]
        where_sort, sort_parameters = _sort_clauses(sk_name, sort)
        where += where_sort
        parameters += sort_parameters
        if cursor is not None:
            position = decode_cursor(cursor, cursor_names(table, index), (pk_name, pk))
            where.append(f"({', '.join(order)}) {'>' if forward else '<'} ({_marks(order)})")
            parameters += [position[name] for name in order]
        direction = "ASC" if forward else "DESC"
        sql = (
            f"SELECT data FROM {TABLE_NAME} WHERE {' AND '.join(where)} "  # noqa: S608
            f"ORDER BY {', '.join(f'{name} {direction}' for name in order)}"
        )
        return sql, parameters


def _sort_clauses(sk_name: str, sort: SortKey | None) -> tuple[list[str], list[Any]]:
    if sort is None:
        return [], []
    if sort.prefix:
        # substr counts characters as Python does; the >= lets the index seek to the prefix.
        return [f"{sk_name} >= ?", f"substr({sk_name}, 1, ?) = ?"], [
            sort.prefix,
            len(sort.prefix),
            sort.prefix,
        ]
    clauses: list[str] = []
    parameters: list[Any] = []
    if sort.low is not None:
        clauses.append(f"{sk_name} >= ?")
        parameters.append(sort.low)
    if sort.high is not None:
        clauses.append(f"{sk_name} <= ?")
        parameters.append(sort.high)
    return clauses, parameters


def _load(data: str) -> Item:
    item: Item = json.loads(data)
    return item


@contextmanager
def _mapped_errors() -> Iterator[None]:
    """SQLite's failures as store errors: a lock held past the busy timeout is throttling."""
    try:
        yield
    except sqlite3.Error as error:
        if getattr(error, "sqlite_errorcode", None) in _BUSY_CODES:
            raise Throttled() from None
        raise Unavailable() from None
