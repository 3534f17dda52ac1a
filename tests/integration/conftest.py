"""Fixtures for the store contract (every store adapter, each on a fresh, empty table) and the
payroll service with fresh prices."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from moto import mock_aws
from tests.support.payroll import fresh_prices

from sunday_mining.adapters.dynamodb_store import DynamoDbStore
from sunday_mining.adapters.dynamodb_table import create_table
from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.entrypoints.factories import Services
from sunday_mining.ports.store import Store
from sunday_mining.services.payroll import PayrollService

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TABLE_NAME = "sunday-mining-test"
_TABLE_NUMBERS = itertools.count()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / "store.db")
    yield store
    store.close()


@pytest.fixture(scope="module")
def dynamodb_client() -> Iterator[DynamoDBClient]:
    """One moto account per test module: starting moto and a client is the slow part."""
    # Fake credentials so that nothing can ever reach a real account.
    fake_env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        for name, value in fake_env.items():
            monkeypatch.setenv(name, value)
        yield boto3.client("dynamodb", region_name="us-east-1")


@pytest.fixture
def dynamodb_store(dynamodb_client: DynamoDBClient) -> Iterator[DynamoDbStore]:
    """A store on a table of its own, dropped afterwards."""
    name = f"{TABLE_NAME}-{next(_TABLE_NUMBERS)}"
    create_table(dynamodb_client, name, pitr=False)
    yield DynamoDbStore(dynamodb_client, name)
    dynamodb_client.delete_table(TableName=name)


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Store:
    adapter: Store = request.getfixturevalue(f"{request.param}_store")
    return adapter


@pytest.fixture
def payroll(services: Services, clock: FixedClock) -> PayrollService:
    return fresh_prices(services, clock)
