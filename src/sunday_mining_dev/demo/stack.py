"""The local stack the demo plays against, wired the way ``sunday-mining serve`` wires it.

A fresh SQLite store under the demo folder, migrated like ``serve`` migrates it; the services
and the HTTP app built from settings by the same functions ``serve`` calls, with one difference:
the app's clock is a :class:`FixedClock` the script moves, so a three-hour op plays in seconds.
``serve``'s refinery timer is made the same way, but the script makes it sweep once per minute of
that clock instead of letting it wait out real minutes.
The app listens on a free loopback port, the simulator's REST sink stands in for discord.com,
and the simulator signs interactions with a fresh dev key.
"""

from __future__ import annotations

import dataclasses
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from sunday_mining.adapters.discord_rest import DiscordRest
from sunday_mining.config import Settings
from sunday_mining.domain.clock import FixedClock
from sunday_mining.entrypoints.factories import Services, build_from_settings
from sunday_mining.entrypoints.local_server import (
    RefineryTimer,
    free_port,
    migrate_table,
    running_app,
)
from sunday_mining.interactions.commands import command_json
from sunday_mining.schema.migrations import MigrationReport
from sunday_mining.web.app import create_app_from_settings
from sunday_mining_dev.simulator import DevKeyPair, DiscordSimulator, SimGuild, SinkState
from sunday_mining_dev.simulator.rest_sink import running_sink

# Sunday 2026-11-22 18:00 UTC.
START_MS = 1_795_370_400_000
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Stack:
    base_url: str
    api_base: str
    settings: Settings
    services: Services
    clock: FixedClock
    sim: DiscordSimulator
    sink: SinkState
    worker_http: httpx.Client
    worker_secret: str
    migration: MigrationReport
    commands_registered: int
    # serve's refinery timer, not started: the script sweeps it each minute of the op's clock
    refinery: RefineryTimer

    @property
    def guild(self) -> SimGuild:
        return self.sim.guild


def fresh_folder(base_dir: Path) -> None:
    """Delete the previous run's store, reports and transcript: every run starts clean."""
    shutil.rmtree(base_dir, ignore_errors=True)
    base_dir.mkdir(parents=True)


def demo_settings(base_dir: Path, *, port: int, app_id: str, public_key: str) -> Settings:
    """``serve``'s settings for one machine, pointed at the demo folder and the local Discord.

    Secrets are made up per run (the link-signing key is made beside the store, as locally it
    always is); prices are never fetched: the app falls back to its bundled snapshot, as
    ``serve`` does before its first refresh.
    """
    return dataclasses.replace(
        Settings(),
        store="sqlite",
        sqlite_path=base_dir / "demo.sqlite3",
        reports_dir=base_dir / "reports",
        host=HOST,
        port=port,
        log_level="WARNING",
        discord_public_key=public_key,
        discord_application_id=app_id,
        discord_bot_token=secrets.token_urlsafe(32),
        worker_secret=secrets.token_hex(32),
        price_refresh_s=0,
    )


@contextmanager
def local_stack(base_dir: Path, guild: SimGuild) -> Iterator[Stack]:
    """Everything running, on a fresh folder; stopped and closed on exit."""
    fresh_folder(base_dir)
    keys = DevKeyPair.generate()
    app_id = guild.ids.next()
    port = free_port(HOST)
    settings = demo_settings(base_dir, port=port, app_id=app_id, public_key=keys.public_key_hex)
    sink = SinkState(application_id=app_id, bot_token=settings.discord_bot_token)
    with running_sink(sink) as api_base:
        settings = dataclasses.replace(settings, discord_api_base=api_base)
        migration = migrate_table(settings)
        registered = register_commands(settings)
        clock = FixedClock(START_MS)
        services = build_from_settings(settings, clock)
        app = create_app_from_settings(services, settings)
        try:
            with (
                running_app(app, HOST, port) as base_url,
                DiscordSimulator.over_http(
                    base_url,
                    keys=keys,
                    guild=guild,
                    application_id=app_id,
                    sink=sink,
                    definitions=command_json(),
                ) as sim,
                httpx.Client(base_url=base_url, timeout=10.0) as worker_http,
            ):
                yield Stack(
                    base_url=base_url,
                    api_base=api_base,
                    settings=settings,
                    services=services,
                    clock=clock,
                    sim=sim,
                    sink=sink,
                    worker_http=worker_http,
                    worker_secret=settings.worker_secret or "",
                    migration=migration,
                    commands_registered=registered,
                    refinery=RefineryTimer(services.refinery.notify_all_due),
                )
        finally:
            _close(services)


def register_commands(settings: Settings) -> int:
    """What `sunday-mining register-commands` does, against the local Discord."""
    with httpx.Client(timeout=10.0) as http:
        rest = DiscordRest(
            token=settings.discord_bot_token or "",
            application_id=settings.discord_application_id or "",
            base_url=settings.discord_api_base,
            client=http,
        )
        return len(rest.bulk_overwrite_commands(command_json()))


def _close(services: Services) -> None:
    close = getattr(services.store, "close", None)  # the SQLite store holds a connection
    if callable(close):
        close()
