"""A Discord in a box (tests/support/discord_box.py) on a fresh SQLite store, for every e2e test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.discord_box import Discord

from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.entrypoints.factories import build_services
from sunday_mining.entrypoints.local_server import running_app
from sunday_mining.interactions.commands import command_json
from sunday_mining.web.app import create_app
from sunday_mining_dev.simulator import DevKeyPair, DiscordSimulator


@pytest.fixture
def discord(tmp_path: Path) -> Iterator[Discord]:
    keys = DevKeyPair.generate()
    clock = FixedClock(1_795_370_400_000)
    store = SqliteStore(tmp_path / "e2e.sqlite3")
    services = build_services(store, clock)
    app = create_app(services, public_key_hex=keys.public_key_hex)
    with (
        running_app(app) as base,
        DiscordSimulator.over_http(base, keys=keys, definitions=command_json()) as sim,
    ):
        yield Discord(sim, services, clock)
    store.close()
