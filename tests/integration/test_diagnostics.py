"""Each diagnostics check in its healthy and failing form, with the right fix."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.errors import DomainError, Unavailable
from sunday_mining.domain.prices import OrePrice, PriceSnapshot, TerminalPrice
from sunday_mining.entrypoints.factories import Services, build_services
from sunday_mining.interactions.diagnostics_commands import render
from sunday_mining.ports.store import Store
from sunday_mining.services.diagnostic_probes import Check, Probes, Status
from sunday_mining.services.diagnostics import MAX_CHECK_CHARS
from sunday_mining.services.worker import Heartbeat

GUILD = "1000"
ROCK = "11"


def healthy_probes(**overrides: object) -> Probes:
    values: dict[str, object] = {
        "schema_problems": list,
        "discord_configured": True,
        "discord_token": lambda: "SundayBot",
        "commands_current": lambda: True,
    }
    values.update(overrides)
    return Probes(**values)  # type: ignore[arg-type]


def make(tmp_path: Path, clock: FixedClock, probes: Probes, store: Store | None = None) -> Services:
    return build_services(store or SqliteStore(tmp_path / "d.sqlite3"), clock, probes)


def by_area(checks: list[Check]) -> dict[str, Check]:
    return {c.area: c for c in checks}


def fresh_prices(services: Services, clock: FixedClock) -> None:
    snapshot = PriceSnapshot(
        clock.now_ms(), "4.3", "uex", {1: OrePrice.from_terminals(1, [TerminalPrice(1, "T", 100)])}
    )
    services.prices._save(snapshot, clock.now_ms())


def report_worker(services: Services, *, missing: list[str]) -> None:
    services.worker.acquire("w1", 60)
    services.worker.heartbeat(
        Heartbeat(
            worker_id="w1",
            conn="c",
            state="connected",
            latency_ms=40,
            guilds=(GUILD,),
            channels={GUILD: {ROCK: {"missing": missing, "full": False}}},
        )
    )


def test_a_healthy_setup_is_all_green_where_it_can_be(tmp_path: Path, clock: FixedClock) -> None:
    services = make(tmp_path, clock, healthy_probes())
    services.guilds.add_channel(GUILD, ROCK)
    fresh_prices(services, clock)
    report_worker(services, missing=[])
    checks = by_area(services.diagnostics.run(GUILD))
    for area in (
        "Database",
        "Schema",
        "Prices",
        "Voice worker",
        f"<#{ROCK}>",
        "Discord",
        "Bot token",
        "Commands",
        "Recent errors",
    ):
        assert checks[area].status is Status.OK, checks[area]


def test_schema_drift_is_red_with_the_migrate_fix(tmp_path: Path, clock: FixedClock) -> None:
    probes = healthy_probes(schema_problems=lambda: ["The table has no secondary index 'gsi2'."])
    check = by_area(make(tmp_path, clock, probes).diagnostics.run(GUILD))["Schema"]
    assert check.status is Status.FAIL
    assert "gsi2" in check.value
    assert "sunday-mining migrate" in (check.fix or "")


def test_a_store_that_is_down_is_red_not_a_crash(tmp_path: Path, clock: FixedClock) -> None:
    class DownStore(SqliteStore):
        def get(self, key: tuple[str, str], *, consistent: bool = True) -> None:  # type: ignore[override]
            raise Unavailable()

    services = make(tmp_path, clock, healthy_probes(), DownStore(tmp_path / "x.sqlite3"))
    check = by_area(services.diagnostics.run(GUILD))["Database"]
    assert check.status is Status.FAIL
    assert "unavailable" in check.value


def test_only_bundled_prices_are_a_warning(tmp_path: Path, clock: FixedClock) -> None:
    check = by_area(make(tmp_path, clock, healthy_probes()).diagnostics.run(GUILD))["Prices"]
    assert check.status is Status.WARN
    assert check.value == "only the bundled offline sample"


def test_stale_prices_are_a_warning(tmp_path: Path, clock: FixedClock) -> None:
    services = make(tmp_path, clock, healthy_probes())
    fresh_prices(services, clock)
    clock.advance(minutes=60 * 30)
    check = by_area(services.diagnostics.run(GUILD))["Prices"]
    assert check.status is Status.WARN
    assert check.value == "snapshot 30 h old"


def test_a_stale_or_missing_worker_is_red(tmp_path: Path, clock: FixedClock) -> None:
    services = make(tmp_path, clock, healthy_probes())
    assert by_area(services.diagnostics.run(GUILD))["Voice worker"].value == "never reported"
    report_worker(services, missing=[])
    clock.advance(minutes=5)
    check = by_area(services.diagnostics.run(GUILD))["Voice worker"]
    assert check.status is Status.FAIL
    assert check.value.startswith("heard 300 s ago")


def test_a_missing_channel_permission_is_red_with_the_fix(
    tmp_path: Path, clock: FixedClock
) -> None:
    services = make(tmp_path, clock, healthy_probes())
    services.guilds.add_channel(GUILD, ROCK)
    report_worker(services, missing=["CONNECT"])
    check = by_area(services.diagnostics.run(GUILD))[f"<#{ROCK}>"]
    assert check.status is Status.FAIL
    assert check.value == "bot lacks CONNECT"
    assert "Connect" in (check.fix or "")


def test_a_refused_bot_token_is_red(tmp_path: Path, clock: FixedClock) -> None:
    def refused() -> str:
        raise DomainError("Discord refused the bot token (HTTP 401, code 0).")

    check = by_area(
        make(tmp_path, clock, healthy_probes(discord_token=refused)).diagnostics.run(GUILD)
    )["Bot token"]
    assert check.status is Status.FAIL
    assert "Reset the token" in (check.fix or "")


def test_outdated_commands_are_a_warning(tmp_path: Path, clock: FixedClock) -> None:
    probes = healthy_probes(commands_current=lambda: False)
    check = by_area(make(tmp_path, clock, probes).diagnostics.run(GUILD))["Commands"]
    assert check.status is Status.WARN
    assert "register-commands" in (check.fix or "")


def test_a_hung_dependency_does_not_hold_the_answer(tmp_path: Path, clock: FixedClock) -> None:
    def hang() -> list[str]:
        time.sleep(5)
        return []

    services = make(tmp_path, clock, healthy_probes(schema_problems=hang))
    started = time.monotonic()
    checks = by_area(services.diagnostics.run(GUILD))
    assert time.monotonic() - started < 2.5
    assert checks["Database"].status is Status.FAIL
    assert checks["Database"].value == "no answer within 1.5 s"


def test_recent_errors_are_counted(tmp_path: Path, clock: FixedClock) -> None:
    services = make(tmp_path, clock, healthy_probes())
    services.errors.record("store_unavailable")
    services.errors.record("store_unavailable")
    check = by_area(services.diagnostics.run(GUILD))["Recent errors"]
    assert check.value == "store_unavailable: 2"


@pytest.mark.parametrize("status", list(Status))
def test_the_rendered_message_fits_an_embed(status: Status) -> None:
    checks = [Check(f"<#{n}>", status, "x" * 200, "fix " * 20) for n in range(100)]
    embed = render(checks).to_json()
    assert len(embed["description"]) <= 4096


def test_one_huge_value_does_not_hide_the_lines_after_it(tmp_path: Path, clock: FixedClock) -> None:
    services = make(tmp_path, clock, healthy_probes())
    services.guilds.add_channel(GUILD, ROCK, dispatch=True)
    services.worker.acquire("w1", 60)
    voice = {GUILD: {"channel_id": None, "requested": ROCK, "error": "timeout " * 12_800}}
    services.worker.heartbeat(
        Heartbeat(worker_id="w1", conn="c", state="connected", guilds=(GUILD,), voice=voice)
    )
    checks = services.diagnostics.run(GUILD)
    seat = by_area(checks)["Bot in dispatch"]
    assert seat.value.endswith("…")
    assert len(seat.value) <= MAX_CHECK_CHARS
    description = render(checks).to_json()["description"]
    assert len(description) <= 4096
    assert "**Recent errors**" in description
    assert "more lines" not in description


def test_a_refused_worker_of_protocol_v1_is_red_until_an_upgraded_one_reports(
    tmp_path: Path, clock: FixedClock
) -> None:
    services = make(tmp_path, clock, healthy_probes())
    report_worker(services, missing=[])
    clock.advance(minutes=1)
    services.worker.note_outdated_worker()
    outdated = by_area(services.diagnostics.run(GUILD))["Voice worker version"]
    assert outdated.status is Status.FAIL
    assert "protocol v1" in outdated.value
    assert "upgrade" in (outdated.fix or "").lower()
    clock.advance(minutes=1)
    report_worker(services, missing=[])
    assert "Voice worker version" not in by_area(services.diagnostics.run(GUILD))
