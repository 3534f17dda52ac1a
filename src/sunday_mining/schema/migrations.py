"""Numbered, idempotent data migrations and the runner that records them in the table.

The table records its schema version in one item, ``("META", "SCHEMA")``: ``version`` (the
number of the last migration applied) and ``applied`` (a log of {number, description, at_ms}).
The runner applies each pending migration in order and bumps the version after each one with a
conditional write, so a crash half-way leaves the version at the last migration that finished
(re-running re-applies the interrupted one, which is why migrations must be idempotent) and two
runners racing never record the same migration twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sunday_mining.domain.clock import Clock
from sunday_mining.domain.errors import ConditionFailed, StateConflict
from sunday_mining.ports.store import Condition, ItemAbsent, Key, Store, Update, eq

SCHEMA_KEY: Key = ("META", "SCHEMA")


@dataclass(frozen=True)
class Migration:
    number: int
    description: str
    apply: Callable[[Store, Clock], None]  # must be idempotent: it may run more than once


@dataclass(frozen=True)
class MigrationReport:
    from_version: int | None  # None when the table had never been migrated
    to_version: int
    applied: list[int] = field(default_factory=list)  # numbers this runner recorded


def _create_schema_record(store: Store, clock: Clock) -> None:
    """Nothing to do: the runner writes the version item when it records this migration."""


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "create the schema-version record", _create_schema_record),
)


def check_sequence(migrations: Sequence[Migration]) -> None:
    """Refuse a list not numbered 1, 2, 3...: a gap or a repeat would skip or re-run work."""
    numbers = [m.number for m in migrations]
    if numbers != list(range(1, len(numbers) + 1)):
        raise ValueError(f"migrations must be numbered 1, 2, 3... in order; got {numbers}")


check_sequence(MIGRATIONS)
LATEST_VERSION = MIGRATIONS[-1].number


def read_schema_version(store: Store) -> int | None:
    """The table's schema version, or None when it was never migrated."""
    item = store.get(SCHEMA_KEY, consistent=True)
    if item is None:
        return None
    version = item.get("version")
    # DynamoDB hands numbers back as Decimal; a bool is an int to Python but not a version.
    if isinstance(version, bool) or not isinstance(version, int | Decimal):
        raise StateConflict(
            "The schema-version record (META / SCHEMA) has no whole-number 'version'; "
            "repair or delete that item, then run `sunday-mining migrate` again."
        )
    return int(version)


def migrate(
    store: Store, clock: Clock, migrations: Sequence[Migration] = MIGRATIONS
) -> MigrationReport:
    """Apply every migration newer than the table's version, in order, recording each one."""
    check_sequence(migrations)
    latest = migrations[-1].number if migrations else 0
    start = read_schema_version(store)
    _refuse_newer(start, latest)
    stored = start
    applied: list[int] = []
    for migration in migrations:
        if migration.number <= (stored or 0):
            continue  # already applied (by us earlier in this loop or by a rival runner)
        _apply(migration, store, clock, stored)
        if _bump(store, clock, migration, stored):
            applied.append(migration.number)
            stored = migration.number
        else:
            stored = _after_lost_race(store, migration, stored)
    return MigrationReport(from_version=start, to_version=stored or 0, applied=applied)


def _refuse_newer(version: int | None, latest: int) -> None:
    # An older build must not run against a newer table: it could misread or undo new shapes.
    if version is not None and version > latest:
        raise StateConflict(
            f"The table is at schema version {version} but this build knows only up to "
            f"{latest}; deploy the newer build."
        )


def _apply(migration: Migration, store: Store, clock: Clock, stored: int | None) -> None:
    try:
        migration.apply(store, clock)
    except Exception as error:
        # Leave the version alone (nothing was bumped) and say so next to the original error.
        error.add_note(
            f"Migration {migration.number} ({migration.description}) failed; the schema "
            f"version stays at {stored or 0}. Fix the cause and run `sunday-mining migrate` again."
        )
        raise


def _bump(store: Store, clock: Clock, migration: Migration, previous: int | None) -> bool:
    """Record ``migration`` as applied if the version is still ``previous``; False if not."""
    condition: Condition = ItemAbsent() if previous is None else eq("version", previous)
    entry = {
        "number": migration.number,
        "description": migration.description,
        "at_ms": clock.now_ms(),
    }
    update = Update(set={"version": migration.number}, append={"applied": [entry]})
    try:
        store.update(SCHEMA_KEY, update, condition=condition)
    except ConditionFailed:
        return False
    return True


def _after_lost_race(store: Store, migration: Migration, previous: int | None) -> int:
    """Someone else moved the version between our read and our bump: find out where it is."""
    current = read_schema_version(store)
    if current is not None and current >= migration.number:
        return current  # a rival runner recorded this migration (and maybe more): carry on
    raise StateConflict(
        f"The schema version changed from {previous or 0} to {current or 0} while migration "
        f"{migration.number} was being recorded; run `sunday-mining migrate` again."
    )
