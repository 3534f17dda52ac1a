"""The SQLite layout of the single table, generated from the declared table definition.

One row per item: the keys and index attributes as columns (so they can be indexed), the whole
item as JSON in ``data``. A secondary index holds only rows that carry both of its attributes,
as DynamoDB's sparse indexes do.
"""

from __future__ import annotations

from sunday_mining.schema.table import TABLE, IndexDef, TableDef

TABLE_NAME = "items"


def index_name(index: IndexDef) -> str:
    return f"idx_{index.name}"


def ddl(table: TableDef = TABLE) -> list[str]:
    columns = [f"{table.partition_key} TEXT NOT NULL", f"{table.sort_key} TEXT NOT NULL"]
    columns.append("data TEXT NOT NULL")
    for index in table.indexes:
        columns += [f"{index.partition_key} TEXT", f"{index.sort_key} TEXT"]
    columns.append(f"{table.ttl_attribute} INTEGER")
    statements = [
        f"CREATE TABLE IF NOT EXISTS {TABLE_NAME} ("
        + ", ".join(columns)
        + f", PRIMARY KEY ({table.partition_key}, {table.sort_key})) WITHOUT ROWID"
    ]
    for index in table.indexes:
        statements.append(
            f"CREATE INDEX IF NOT EXISTS {index_name(index)} ON {TABLE_NAME} "
            f"({index.partition_key}, {index.sort_key}, {table.partition_key}, {table.sort_key}) "
            f"WHERE {index.partition_key} IS NOT NULL AND {index.sort_key} IS NOT NULL"
        )
    statements.append(
        f"CREATE INDEX IF NOT EXISTS idx_{table.ttl_attribute} ON {TABLE_NAME} "
        f"({table.ttl_attribute}) WHERE {table.ttl_attribute} IS NOT NULL"
    )
    return statements
