"""A Discord in a box: the app served over real HTTP, driven by the simulator with real
signatures, and every answer checked against Discord's contract."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tests.support.discord_contract import check_interaction_response

from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.entrypoints.factories import Services, build_services
from sunday_mining.entrypoints.local_server import running_app
from sunday_mining.web.app import create_app
from sunday_mining_dev.simulator import DiscordSimulator, Exchange, SimUser


@dataclass
class Discord:
    sim: DiscordSimulator
    services: Services
    clock: FixedClock

    @property
    def guild_id(self) -> str:
        return self.sim.guild.id

    def member(self, name: str) -> SimUser:
        return self.sim.guild.member(name)

    def command(self, who: str, path: str, **options: Any) -> Exchange:
        return checked(self.sim.command(self.member(who), path, **options))

    def autocomplete(self, who: str, path: str, focused: str, value: str) -> Exchange:
        return checked(self.sim.autocomplete(self.member(who), path, focused=focused, value=value))

    def click(self, who: str, message: Exchange, custom_id: str) -> Exchange:
        return checked(self.sim.click(self.member(who), message, custom_id))

    def select(self, who: str, message: Exchange, custom_id: str, values: list[str]) -> Exchange:
        return checked(self.sim.select(self.member(who), message, custom_id, values))

    @contextmanager
    def cold_start(self) -> Iterator[DiscordSimulator]:
        """A new process on the same database: a fresh app over HTTP, nothing kept in memory,
        and a simulator that signs as the same Discord application and guild."""
        store = self.services.store
        assert isinstance(store, SqliteStore)
        services = build_services(SqliteStore(store.path), self.clock)
        app = create_app(services, public_key_hex=self.sim.public_key_hex)
        with (
            running_app(app) as base,
            DiscordSimulator.over_http(
                base,
                keys=self.sim.keys,
                guild=self.sim.guild,
                application_id=self.sim.application_id,
            ) as fresh,
        ):
            yield fresh

    def store_items(self) -> list[dict[str, Any]]:
        return self.services.store.query_all(f"G#{self.guild_id}")

    def setup_guild(self) -> None:
        """Mining 1 (dispatch) and Mining 2 tracked; the Leader role leads; Payroll pays."""
        guild = self.sim.guild
        self.command(
            "admin", "mining-admin channels add", channel=guild.channel("Mining 1"), dispatch=True
        )
        self.command("admin", "mining-admin channels add", channel=guild.channel("Mining 2"))
        self.command("admin", "mining-admin roles add", kind="leader", role=guild.role("Leader"))
        self.command("admin", "mining-admin roles add", kind="payroll", role=guild.role("Payroll"))


def checked(exchange: Exchange) -> Exchange:
    assert exchange.status == 200, exchange.response_text
    assert not exchange.problems, exchange.problems
    check_interaction_response(exchange.payload, exchange.response)
    return exchange
