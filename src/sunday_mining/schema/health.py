"""Compare the live table with the declared one and explain every difference in plain English.

The adapters (:mod:`sunday_mining.adapters.schema_inspect`) describe what is really there as a
:class:`LiveTable`; :func:`check_health` turns the differences into sentences an admin can act
on. An empty list means healthy.
"""

from __future__ import annotations

from dataclasses import dataclass

from sunday_mining.schema.migrations import LATEST_VERSION
from sunday_mining.schema.table import TABLE, IndexDef, TableDef

# What to do about any difference; said once, after them, by diagnostics and `schema-health`.
SCHEMA_FIX = "Run `sunday-mining migrate`, or fix the table as each difference says."


@dataclass(frozen=True)
class LiveIndex:
    name: str
    partition_key: str
    sort_key: str | None
    projection: str


@dataclass(frozen=True)
class LiveTable:
    exists: bool
    partition_key: str | None
    sort_key: str | None
    indexes: tuple[LiveIndex, ...]
    ttl_attribute: str | None
    ttl_enabled: bool | None  # None: the backend has no time to live (SQLite)
    point_in_time_recovery: bool | None  # None: not applicable (SQLite)
    schema_version: int | None  # None: never migrated
    kind: str  # "dynamodb" | "sqlite"

    @staticmethod
    def missing(kind: str) -> LiveTable:
        return LiveTable(
            exists=False,
            partition_key=None,
            sort_key=None,
            indexes=(),
            ttl_attribute=None,
            ttl_enabled=None,
            point_in_time_recovery=None,
            schema_version=None,
            kind=kind,
        )

    def index(self, name: str) -> LiveIndex | None:
        return next((index for index in self.indexes if index.name == name), None)


def check_health(
    live: LiveTable, declared: TableDef = TABLE, expected_version: int = LATEST_VERSION
) -> list[str]:
    """Every way ``live`` differs from ``declared``, one actionable sentence each."""
    if not live.exists:
        return ["The table does not exist."]
    key_problems = _key_problems(live, declared)
    problems = [
        *key_problems,
        *_index_problems(live, declared),
        *_ttl_problems(live, declared),
        *_backup_problems(live),
    ]
    # With the wrong keys the version item cannot even be addressed and migrating cannot fix
    # the table (it must be recreated), so a version sentence would only mislead.
    if not key_problems:
        problems += _version_problems(live.schema_version, expected_version)
    return problems


def _key_problems(live: LiveTable, declared: TableDef) -> list[str]:
    problems = []
    for role, actual, expected in (
        ("partition key", live.partition_key, declared.partition_key),
        ("sort key", live.sort_key, declared.sort_key),
    ):
        if actual is None:
            problems.append(f"The table has no {role}; expected '{expected}'.")
        elif actual != expected:
            problems.append(f"The table's {role} is '{actual}'; expected '{expected}'.")
    return problems


def _keys(partition_key: str, sort_key: str | None) -> str:
    return f"{partition_key} / {sort_key}" if sort_key else f"{partition_key} alone"


def _index_problems(live: LiveTable, declared: TableDef) -> list[str]:
    problems = []
    for index in declared.indexes:
        actual = live.index(index.name)
        if actual is None:
            problems.append(
                f"The table has no secondary index '{index.name}' "
                f"(expected keys {_keys(index.partition_key, index.sort_key)})."
            )
        else:
            problems += _one_index_problems(actual, index)
    declared_names = {index.name for index in declared.indexes}
    for extra in live.indexes:
        if extra.name not in declared_names:
            # Informational: harmless to the app, but it costs storage and writes.
            problems.append(
                f"The table has an extra index '{extra.name}' (keys "
                f"{_keys(extra.partition_key, extra.sort_key)}) that this build does not use; "
                "it only costs storage and writes, so remove it if nothing else needs it."
            )
    return problems


def _one_index_problems(actual: LiveIndex, index: IndexDef) -> list[str]:
    problems = []
    if (actual.partition_key, actual.sort_key) != (index.partition_key, index.sort_key):
        problems.append(
            f"Index '{index.name}' is keyed on {_keys(actual.partition_key, actual.sort_key)}; "
            f"expected {_keys(index.partition_key, index.sort_key)}."
        )
    if actual.projection != index.projection:
        problems.append(
            f"Index '{index.name}' projects {actual.projection}; expected {index.projection} "
            "(the app reads whole items from it)."
        )
    return problems


def _ttl_problems(live: LiveTable, declared: TableDef) -> list[str]:
    if live.ttl_enabled is None:
        return []  # not applicable to this backend
    if not live.ttl_enabled:
        return [f"Time to live is off; expected it on attribute '{declared.ttl_attribute}'."]
    if live.ttl_attribute != declared.ttl_attribute:
        return [
            f"Time to live is on attribute '{live.ttl_attribute}'; expected "
            f"'{declared.ttl_attribute}', so expired items are never removed."
        ]
    return []


def _backup_problems(live: LiveTable) -> list[str]:
    if live.point_in_time_recovery is False:
        return ["Point-in-time recovery is off: turn it on so the table can be restored."]
    return []


def _version_problems(version: int | None, expected: int) -> list[str]:
    if version is None:
        return ["The table was never migrated."]
    if version < expected:
        return [f"The table is at schema version {version}; this build expects {expected}."]
    if version > expected:
        return [
            f"The table is at schema version {version} but this build knows only up to "
            f"{expected}; deploy the newer build."
        ]
    return []
