"""Creating the DynamoDB table from the declared definition (local tools, tests, migrate)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sunday_mining.schema.table import TABLE, TableDef

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def table_spec(table_name: str, table: TableDef = TABLE) -> dict[str, Any]:
    """The CreateTable request for the declared table (on-demand billing)."""
    attributes = sorted(set(table.key_attributes))
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in attributes],
        "KeySchema": [
            {"AttributeName": table.partition_key, "KeyType": "HASH"},
            {"AttributeName": table.sort_key, "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": index.projection},
            }
            for index in table.indexes
        ],
        "SSESpecification": {"Enabled": True},
    }


def create_table(
    client: DynamoDBClient, table_name: str, table: TableDef = TABLE, *, pitr: bool = True
) -> None:
    """Create the table with TTL and (optionally) point-in-time recovery, and wait for it."""
    client.create_table(**table_spec(table_name, table))
    client.get_waiter("table_exists").wait(TableName=table_name)
    client.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
    )
    if pitr:
        client.update_continuous_backups(
            TableName=table_name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
