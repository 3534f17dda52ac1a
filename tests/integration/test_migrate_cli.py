"""`sunday-mining migrate` against DynamoDB (moto): a missing table is named, with how to make
it, instead of being taken for an outage."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from sunday_mining.entrypoints import cli

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@pytest.fixture
def on_dynamodb(dynamodb_client: DynamoDBClient, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SM_STORE", "dynamodb")
    monkeypatch.setenv("SM_TABLE_NAME", "sunday-mining-not-made")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.delenv("SM_DYNAMODB_ENDPOINT", raising=False)
    return "sunday-mining-not-made"


def test_a_missing_table_is_named_with_how_to_create_it(
    on_dynamodb: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["migrate"]) == 1
    said = capsys.readouterr().err
    assert f"The DynamoDB table '{on_dynamodb}' does not exist in us-east-1" in said
    assert "sunday-mining migrate --create-table" in said
    assert "infra/template.yaml" in said
    assert "unavailable" not in said


def test_create_table_makes_it_and_migrates(
    on_dynamodb: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["migrate", "--create-table"]) == 0
    assert "schema version" in capsys.readouterr().out
    assert cli.main(["migrate"]) == 0
