"""Describe the live table (DynamoDB or SQLite) as a LiveTable for the health check."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from sunday_mining.adapters.sqlite_ddl import TABLE_NAME, index_name
from sunday_mining.domain.errors import Unavailable
from sunday_mining.ports.store import Store
from sunday_mining.schema.health import LiveIndex, LiveTable
from sunday_mining.schema.migrations import read_schema_version
from sunday_mining.schema.table import TABLE, TableDef

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import KeySchemaElementTypeDef, TableDescriptionTypeDef

T = TypeVar("T")

# DescribeTable says ResourceNotFoundException; DescribeContinuousBackups says
# TableNotFoundException. Both mean the table is not there.
_MISSING_CODES = frozenset({"ResourceNotFoundException", "TableNotFoundException"})


class _TableMissing(Exception):
    """Internal: one of the describe calls found no table."""


def _version_if_keyed(
    store: Store, table: TableDef, partition_key: str | None, sort_key: str | None
) -> int | None:
    if (partition_key, sort_key) != (table.partition_key, table.sort_key):
        return None
    return read_schema_version(store)


# --- DynamoDB ---------------------------------------------------------------------------------


def describe_dynamodb(
    client: DynamoDBClient, table_name: str, store: Store, table: TableDef = TABLE
) -> LiveTable:
    """What the DynamoDB table really looks like; ``exists=False`` when there is none.

    The schema version is read only when the table's keys are the declared ones: with other
    keys the version item cannot be addressed (DynamoDB refuses the read), and the health
    check reports the wrong key instead.
    """
    try:
        described = _call(table_name, lambda: client.describe_table(TableName=table_name))
        live_table = described["Table"]
        ttl = _call(table_name, lambda: client.describe_time_to_live(TableName=table_name))
        backups = _call(
            table_name, lambda: client.describe_continuous_backups(TableName=table_name)
        )
    except _TableMissing:
        return LiveTable.missing("dynamodb")
    partition_key, sort_key = _key_names(live_table.get("KeySchema", []))
    ttl_description = ttl.get("TimeToLiveDescription", {})
    pitr = backups.get("ContinuousBackupsDescription", {}).get("PointInTimeRecoveryDescription", {})
    return LiveTable(
        exists=True,
        partition_key=partition_key,
        sort_key=sort_key,
        indexes=_dynamodb_indexes(live_table),
        ttl_attribute=ttl_description.get("AttributeName"),
        # ENABLING counts as on: it was asked for and needs no action from the admin.
        ttl_enabled=ttl_description.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"),
        point_in_time_recovery=pitr.get("PointInTimeRecoveryStatus") == "ENABLED",
        schema_version=_version_if_keyed(store, table, partition_key, sort_key),
        kind="dynamodb",
    )


def _call(table_name: str, request: Callable[[], T]) -> T:
    """Run one describe call, mapping botocore failures by error code (never message text)."""
    try:
        return request()
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Unknown")
        if code in _MISSING_CODES:
            raise _TableMissing from error
        raise Unavailable(
            f"Could not describe the DynamoDB table '{table_name}' ({code}); check the AWS "
            "region, credentials and their permissions."
        ) from error
    except BotoCoreError as error:
        raise Unavailable(
            f"Could not reach DynamoDB to describe the table '{table_name}' "
            f"({type(error).__name__}); check the network and AWS configuration."
        ) from error


def _key_names(schema: Sequence[KeySchemaElementTypeDef]) -> tuple[str | None, str | None]:
    by_type = {element["KeyType"]: element["AttributeName"] for element in schema}
    return by_type.get("HASH"), by_type.get("RANGE")


def _dynamodb_indexes(table: TableDescriptionTypeDef) -> tuple[LiveIndex, ...]:
    # Local secondary indexes are listed too: the health check reports them as extras.
    described = [*table.get("GlobalSecondaryIndexes", []), *table.get("LocalSecondaryIndexes", [])]
    indexes = []
    for index in described:
        partition_key, sort_key = _key_names(index["KeySchema"])
        indexes.append(
            LiveIndex(
                name=index["IndexName"],
                partition_key=partition_key or "",
                sort_key=sort_key,
                projection=index.get("Projection", {}).get("ProjectionType", "ALL"),
            )
        )
    return tuple(indexes)


# --- SQLite -----------------------------------------------------------------------------------


def describe_sqlite(path: str | Path, store: Store, table: TableDef = TABLE) -> LiveTable:
    """What the SQLite file really holds; ``exists=False`` when the file or table is absent.

    ``table`` is used to recognise the time-to-live helper index ``idx_<ttl>`` (a detail of the
    SQLite layout, not a secondary index) and, as for DynamoDB, the schema version is read only
    when the primary key is the declared one.
    """
    if not Path(path).is_file():
        return LiveTable.missing("sqlite")
    try:
        live = _read_sqlite(Path(path), table)
    except sqlite3.Error as error:
        raise Unavailable(
            f"Could not read the SQLite database '{path}' ({type(error).__name__}); check that "
            "it is a Sunday Mining database and not locked or damaged."
        ) from error
    if live is None:
        return LiveTable.missing("sqlite")
    partition_key, sort_key, indexes, ttl_attribute = live
    return LiveTable(
        exists=True,
        partition_key=partition_key,
        sort_key=sort_key,
        indexes=indexes,
        ttl_attribute=ttl_attribute,
        ttl_enabled=None,
        point_in_time_recovery=None,
        schema_version=_version_if_keyed(store, table, partition_key, sort_key),
        kind="sqlite",
    )


_SqliteShape = tuple[str | None, str | None, tuple[LiveIndex, ...], str | None]


def _read_sqlite(path: Path, table: TableDef) -> _SqliteShape | None:
    # Read-only, so describing never creates or changes the file.
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        found = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE_NAME,)
        ).fetchone()
        if found is None:
            return None
        columns = connection.execute(f"PRAGMA table_xinfo({_quote(TABLE_NAME)})").fetchall()
        partition_key, sort_key = _sqlite_primary_key(columns)
        names = {str(column[1]) for column in columns}
        ttl_attribute = table.ttl_attribute if table.ttl_attribute in names else None
        return partition_key, sort_key, _sqlite_indexes(connection, table), ttl_attribute
    finally:
        connection.close()


def _sqlite_primary_key(columns: list[Any]) -> tuple[str | None, str | None]:
    # table_xinfo rows: (cid, name, type, notnull, default, pk position from 1 or 0, hidden).
    key = sorted((int(column[5]), str(column[1])) for column in columns if column[5])
    names = [name for _, name in key]
    return (names[0] if names else None), (names[1] if len(names) > 1 else None)


def _sqlite_indexes(connection: sqlite3.Connection, table: TableDef) -> tuple[LiveIndex, ...]:
    ttl_helper = f"idx_{table.ttl_attribute}"
    indexes = []
    # index_list rows: (seq, name, unique, origin, partial); origin "pk" is the primary key.
    for _, name, _, origin, _ in connection.execute(f"PRAGMA index_list({_quote(TABLE_NAME)})"):
        if origin == "pk" or name == ttl_helper:
            continue
        # index_info rows: (seqno, cid, column name or None for an expression).
        columns = [
            "(expression)" if row[2] is None else str(row[2])
            for row in sorted(connection.execute(f"PRAGMA index_info({_quote(name)})"))
        ]
        indexes.append(
            LiveIndex(
                name=_declared_index_name(name, table),
                partition_key=columns[0] if columns else "",
                sort_key=columns[1] if len(columns) > 1 else None,
                # Every row carries the whole item in ``data``: an index always reaches it all.
                projection="ALL",
            )
        )
    return tuple(sorted(indexes, key=lambda index: index.name))


def _declared_index_name(sqlite_name: str, table: TableDef) -> str:
    # sqlite_ddl names index "gsi1" as "idx_gsi1"; map it back so names compare directly.
    declared = {index_name(index): index.name for index in table.indexes}
    return declared.get(sqlite_name, sqlite_name.removeprefix("idx_"))


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
