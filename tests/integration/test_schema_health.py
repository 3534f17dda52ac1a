"""Describing live tables (moto DynamoDB and SQLite files) and explaining how they differ."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from sunday_mining.adapters.dynamodb_store import DynamoDbStore
from sunday_mining.adapters.dynamodb_table import create_table, table_spec
from sunday_mining.adapters.schema_inspect import describe_dynamodb, describe_sqlite
from sunday_mining.adapters.sqlite_ddl import TABLE_NAME
from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.errors import Unavailable
from sunday_mining.schema.health import LiveIndex, LiveTable, check_health
from sunday_mining.schema.migrations import LATEST_VERSION, SCHEMA_KEY, migrate
from sunday_mining.schema.table import TABLE, IndexDef, TableDef

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

NAME = "sunday-mining"
CLOCK = FixedClock(1_700_000_000_000)
NEVER_MIGRATED = "The table was never migrated."
GSI2_MISSING = "The table has no secondary index 'gsi2' (expected keys gsi2pk / gsi2sk)."
PITR_OFF = "Point-in-time recovery is off: turn it on so the table can be restored."
TTL_OFF = "Time to live is off; expected it on attribute 'ttl'."


def _with_indexes(*indexes: IndexDef) -> TableDef:
    return dataclasses.replace(TABLE, indexes=indexes)


# --- DynamoDB (moto) --------------------------------------------------------------------------


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[DynamoDBClient]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.client("dynamodb", region_name="us-east-1")


def _dynamo_problems(
    client: DynamoDBClient, *, expected_version: int = LATEST_VERSION
) -> list[str]:
    live = describe_dynamodb(client, NAME, DynamoDbStore(client, NAME))
    return check_health(live, expected_version=expected_version)


def _made_and_migrated(
    client: DynamoDBClient, table: TableDef = TABLE, *, pitr: bool = True
) -> None:
    create_table(client, NAME, table, pitr=pitr)
    migrate(DynamoDbStore(client, NAME), CLOCK)


def test_a_table_made_by_create_table_and_migrated_is_healthy(client: DynamoDBClient) -> None:
    _made_and_migrated(client)

    live = describe_dynamodb(client, NAME, DynamoDbStore(client, NAME))

    assert live == LiveTable(
        exists=True,
        partition_key="pk",
        sort_key="sk",
        indexes=(
            LiveIndex("gsi1", "gsi1pk", "gsi1sk", "ALL"),
            LiveIndex("gsi2", "gsi2pk", "gsi2sk", "ALL"),
        ),
        ttl_attribute="ttl",
        ttl_enabled=True,
        point_in_time_recovery=True,
        schema_version=LATEST_VERSION,
        kind="dynamodb",
    )
    assert check_health(live) == []


def test_a_missing_index_is_detected(client: DynamoDBClient) -> None:
    _made_and_migrated(client, _with_indexes(TABLE.index("gsi1")))
    assert _dynamo_problems(client) == [GSI2_MISSING]


def test_an_index_on_the_wrong_keys_is_detected(client: DynamoDBClient) -> None:
    wrong = IndexDef("gsi1", "status", "gsi1sk")
    _made_and_migrated(client, _with_indexes(wrong, TABLE.index("gsi2")))
    assert _dynamo_problems(client) == [
        "Index 'gsi1' is keyed on status / gsi1sk; expected gsi1pk / gsi1sk."
    ]


def test_an_index_that_projects_only_keys_is_detected(client: DynamoDBClient) -> None:
    keys_only = dataclasses.replace(TABLE.index("gsi2"), projection="KEYS_ONLY")
    _made_and_migrated(client, _with_indexes(TABLE.index("gsi1"), keys_only))
    assert _dynamo_problems(client) == [
        "Index 'gsi2' projects KEYS_ONLY; expected ALL (the app reads whole items from it)."
    ]


def test_an_extra_index_is_mentioned(client: DynamoDBClient) -> None:
    _made_and_migrated(client, _with_indexes(*TABLE.indexes, IndexDef("gsi3", "a", "b")))
    [problem] = _dynamo_problems(client)
    assert problem.startswith("The table has an extra index 'gsi3' (keys a / b)")


def test_a_wrong_partition_key_is_detected(client: DynamoDBClient) -> None:
    # Migrating cannot work on such a table, and the version sentence is left out on purpose.
    create_table(client, NAME, dataclasses.replace(TABLE, partition_key="id"))
    assert _dynamo_problems(client) == ["The table's partition key is 'id'; expected 'pk'."]


def test_time_to_live_off_is_detected(client: DynamoDBClient) -> None:
    client.create_table(**table_spec(NAME))
    client.update_continuous_backups(
        TableName=NAME, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    migrate(DynamoDbStore(client, NAME), CLOCK)
    assert _dynamo_problems(client) == [TTL_OFF]


def test_time_to_live_on_another_attribute_is_detected(client: DynamoDBClient) -> None:
    _made_and_migrated(client, dataclasses.replace(TABLE, ttl_attribute="expires"))
    assert _dynamo_problems(client) == [
        "Time to live is on attribute 'expires'; expected 'ttl', so expired items are never "
        "removed."
    ]


def test_point_in_time_recovery_off_is_detected(client: DynamoDBClient) -> None:
    _made_and_migrated(client, pitr=False)
    assert _dynamo_problems(client) == [PITR_OFF]


def test_an_old_schema_version_is_detected(client: DynamoDBClient) -> None:
    create_table(client, NAME)
    store = DynamoDbStore(client, NAME)
    store.put({"pk": SCHEMA_KEY[0], "sk": SCHEMA_KEY[1], "version": 0, "applied": []})
    assert _dynamo_problems(client) == ["The table is at schema version 0; this build expects 1."]


def test_a_build_behind_the_table_is_told_to_deploy_the_newer_one(client: DynamoDBClient) -> None:
    create_table(client, NAME)
    store = DynamoDbStore(client, NAME)
    store.put({"pk": SCHEMA_KEY[0], "sk": SCHEMA_KEY[1], "version": 5, "applied": []})
    assert _dynamo_problems(client, expected_version=3) == [
        "The table is at schema version 5 but this build knows only up to 3; "
        "deploy the newer build."
    ]


def test_a_table_never_migrated_is_detected(client: DynamoDBClient) -> None:
    create_table(client, NAME)
    assert _dynamo_problems(client) == [NEVER_MIGRATED]


def test_no_table_is_detected(client: DynamoDBClient) -> None:
    live = describe_dynamodb(client, NAME, DynamoDbStore(client, NAME))
    assert live == LiveTable.missing("dynamodb")
    assert check_health(live) == ["The table does not exist."]


@pytest.mark.parametrize("code", ["AccessDeniedException", "InternalServerError"])
def test_other_errors_are_unavailable(client: DynamoDBClient, code: str) -> None:
    with Stubber(client) as stubber:
        stubber.add_client_error("describe_table", service_error_code=code)
        with pytest.raises(Unavailable, match=code):
            describe_dynamodb(client, NAME, DynamoDbStore(client, NAME))


def test_a_missing_table_is_recognised_by_code_not_message(client: DynamoDBClient) -> None:
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "describe_table", service_error_code="ResourceNotFoundException", service_message="?"
        )
        live = describe_dynamodb(client, NAME, DynamoDbStore(client, NAME))
    assert not live.exists


# --- SQLite -----------------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> Iterator[tuple[Path, SqliteStore]]:
    """A fresh file with the DDL (the store creates it) and migrated."""
    path = tmp_path / "sunday.db"
    store = SqliteStore(path)
    migrate(store, CLOCK)
    yield path, store
    store.close()


def _execute(path: Path, *statements: str) -> None:
    connection = sqlite3.connect(path)
    try:
        for statement in statements:
            connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


def test_a_fresh_sqlite_file_is_healthy(db: tuple[Path, SqliteStore]) -> None:
    path, store = db

    live = describe_sqlite(path, store)

    assert live == LiveTable(
        exists=True,
        partition_key="pk",
        sort_key="sk",
        indexes=(
            LiveIndex("gsi1", "gsi1pk", "gsi1sk", "ALL"),
            LiveIndex("gsi2", "gsi2pk", "gsi2sk", "ALL"),
        ),
        ttl_attribute="ttl",
        ttl_enabled=None,
        point_in_time_recovery=None,
        schema_version=LATEST_VERSION,
        kind="sqlite",
    )
    assert check_health(live) == []


def test_a_dropped_sqlite_index_is_detected(db: tuple[Path, SqliteStore]) -> None:
    path, store = db
    _execute(path, "DROP INDEX idx_gsi2")
    assert check_health(describe_sqlite(path, store)) == [GSI2_MISSING]


def test_an_extra_sqlite_index_is_mentioned(db: tuple[Path, SqliteStore]) -> None:
    path, store = db
    _execute(path, f"CREATE INDEX idx_by_data ON {TABLE_NAME} (data)")
    [problem] = check_health(describe_sqlite(path, store))
    assert problem.startswith("The table has an extra index 'by_data' (keys data alone)")


def _bad_table(path: Path, primary_key: str) -> None:
    columns = "pk TEXT, sk TEXT, id TEXT, data TEXT, gsi1pk TEXT, gsi1sk TEXT, "
    columns += "gsi2pk TEXT, gsi2sk TEXT, ttl INTEGER"
    _execute(path, f"CREATE TABLE {TABLE_NAME} ({columns}, PRIMARY KEY ({primary_key}))")


@pytest.mark.parametrize(
    ("primary_key", "expected"),
    [
        ("id, sk", ["The table's partition key is 'id'; expected 'pk'."]),
        ("pk", ["The table has no sort key; expected 'sk'."]),
        (
            "sk, pk",
            [
                "The table's partition key is 'sk'; expected 'pk'.",
                "The table's sort key is 'pk'; expected 'sk'.",
            ],
        ),
    ],
)
def test_a_wrong_sqlite_primary_key_is_detected(
    tmp_path: Path, primary_key: str, expected: list[str]
) -> None:
    path = tmp_path / "bad.db"
    _bad_table(path, primary_key)
    store = SqliteStore(path)  # adds the indexes; the primary key stays wrong
    try:
        assert check_health(describe_sqlite(path, store)) == expected
    finally:
        store.close()


def test_a_never_migrated_sqlite_file_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "sunday.db"
    store = SqliteStore(path)
    try:
        assert check_health(describe_sqlite(path, store)) == [NEVER_MIGRATED]
    finally:
        store.close()


def test_a_missing_sqlite_file_or_table_does_not_exist(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "other.db")  # never consulted: nothing to read a version from
    try:
        assert describe_sqlite(tmp_path / "absent.db", store) == LiveTable.missing("sqlite")
        assert not (tmp_path / "absent.db").exists()  # describing never creates the file
        empty = tmp_path / "empty.db"
        _execute(empty, "CREATE TABLE unrelated (x)")
        assert check_health(describe_sqlite(empty, store)) == ["The table does not exist."]
    finally:
        store.close()


def test_a_file_that_is_not_a_database_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not an SQLite database, just some text" * 20)
    store = SqliteStore(tmp_path / "other.db")
    try:
        with pytest.raises(Unavailable, match="Could not read the SQLite database"):
            describe_sqlite(path, store)
    finally:
        store.close()


# --- sentences without a backend --------------------------------------------------------------


def _healthy() -> LiveTable:
    return LiveTable(
        exists=True,
        partition_key="pk",
        sort_key="sk",
        indexes=(
            LiveIndex("gsi1", "gsi1pk", "gsi1sk", "ALL"),
            LiveIndex("gsi2", "gsi2pk", "gsi2sk", "ALL"),
        ),
        ttl_attribute="ttl",
        ttl_enabled=True,
        point_in_time_recovery=True,
        schema_version=LATEST_VERSION,
        kind="dynamodb",
    )


def test_every_problem_is_listed_together() -> None:
    live = dataclasses.replace(
        _healthy(),
        indexes=(LiveIndex("gsi1", "gsi1pk", None, "ALL"),),
        ttl_enabled=False,
        ttl_attribute=None,
        point_in_time_recovery=False,
        schema_version=None,
    )
    assert check_health(live) == [
        "Index 'gsi1' is keyed on gsi1pk alone; expected gsi1pk / gsi1sk.",
        GSI2_MISSING,
        TTL_OFF,
        PITR_OFF,
        NEVER_MIGRATED,
    ]


def test_a_table_without_keys_says_so() -> None:
    live = dataclasses.replace(_healthy(), partition_key=None, sort_key=None)
    assert check_health(live) == [
        "The table has no partition key; expected 'pk'.",
        "The table has no sort key; expected 'sk'.",
    ]
