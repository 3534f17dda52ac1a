"""Fixtures shared by every test: a fixed clock and the services on a fresh SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sunday_mining.domain.clock import FixedClock
from sunday_mining.entrypoints.factories import Services, build_services

# 2026-11-22 18:00:00 UTC, a Sunday evening.
T0 = 1_795_370_400_000


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def services(tmp_path: Path, clock: FixedClock) -> Iterator[Services]:
    from sunday_mining.adapters.sqlite_store import SqliteStore

    store = SqliteStore(tmp_path / "test.sqlite3")
    yield build_services(store, clock)
    store.close()
