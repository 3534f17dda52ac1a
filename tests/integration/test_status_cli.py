"""`sunday-mining status`: the diagnostics summary in a terminal, healthy and failing, with the
exit code a script can act on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.adapters.system_clock import SystemClock
from sunday_mining.domain.prices import OrePrice, PriceSnapshot, TerminalPrice
from sunday_mining.entrypoints import cli
from sunday_mining.entrypoints.factories import build_services
from sunday_mining.services.worker import Heartbeat
from sunday_mining_dev.simulator import DevKeyPair, SinkState
from sunday_mining_dev.simulator.rest_sink import running_sink

APP_ID = "1300000000000000001"
BOT_TOKEN = "status-test-bot-token"
GUILD = "1000"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "status.sqlite3"
    monkeypatch.setenv("SM_STORE", "sqlite")
    monkeypatch.setenv("SM_SQLITE_PATH", str(path))
    for name in ("DISCORD_BOT_TOKEN", "DISCORD_APPLICATION_ID", "DISCORD_PUBLIC_KEY"):
        monkeypatch.delenv(name, raising=False)
    return path


@pytest.fixture
def discord(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A local Discord REST API that accepts the configured bot token."""
    with running_sink(SinkState(application_id=APP_ID, bot_token=BOT_TOKEN)) as api_base:
        monkeypatch.setenv("SM_DISCORD_API_BASE", api_base)
        monkeypatch.setenv("DISCORD_BOT_TOKEN", BOT_TOKEN)
        monkeypatch.setenv("DISCORD_APPLICATION_ID", APP_ID)
        monkeypatch.setenv("DISCORD_PUBLIC_KEY", DevKeyPair.generate().public_key_hex)
        yield


def make_healthy(path: Path) -> None:
    """Migrated, prices fetched just now, a worker that reported just now."""
    assert cli.main(["migrate"]) == 0
    store = SqliteStore(path)
    clock = SystemClock()
    services = build_services(store, clock)
    quote = OrePrice.from_terminals(1, [TerminalPrice(1, "T", 100)])
    services.prices._save(PriceSnapshot(clock.now_ms(), "4.3", "uex", {1: quote}), clock.now_ms())
    services.worker.acquire("w1", 60)
    services.worker.heartbeat(
        Heartbeat(worker_id="w1", conn="c", state="connected", latency_ms=40, guilds=(GUILD,))
    )
    store.close()


def test_a_healthy_install_prints_a_line_per_check_and_exits_0(
    database: Path, discord: None, capsys: pytest.CaptureFixture[str]
) -> None:
    make_healthy(database)
    capsys.readouterr()
    assert cli.main(["status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "ok    Schema: keys, indexes, TTL, backups and version match" in lines
    assert any(line.startswith("ok    Database: reachable, ") for line in lines)
    assert any(line.startswith("ok    Voice worker: heard ") for line in lines)
    assert any(line.startswith("ok    Bot token: accepted (") for line in lines)
    assert not [line for line in lines if line.startswith("fail")]
    # Without --guild nothing is said about a server's channels.
    assert not [line for line in lines if "Channels" in line]


def test_before_set_up_status_says_so_and_creates_nothing(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = database.parent
    before = sorted(folder.rglob("*"))
    assert cli.main(["status"]) == 1
    assert sorted(folder.rglob("*")) == before  # no database, no link key, no reports folder
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"fail  Database: not set up yet (no database at {database}) — fix: Run "
        "`sunday-mining migrate` to create it."
    ]


def test_status_on_a_migrated_database_writes_no_link_key_and_no_reports_folder(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["migrate"]) == 0
    before = {p.name for p in database.parent.iterdir()}
    cli.main(["status"])
    after = {p.name for p in database.parent.iterdir()}
    assert after == before
    assert any(line.startswith("ok    Reports: ") for line in capsys.readouterr().out.splitlines())


def test_a_failing_install_names_each_failure_with_its_fix_and_exits_1(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    SqliteStore(database).close()  # a database that was never migrated
    assert cli.main(["status"]) == 1
    lines = capsys.readouterr().out.splitlines()
    failed = {line.split(":")[0] for line in lines if line.startswith("fail")}
    assert failed == {"fail  Schema", "fail  Voice worker", "fail  Discord"}
    assert (  # the difference, then what to do, each said once
        "fail  Schema: The table was never migrated — fix: Run `sunday-mining migrate`, or fix "
        "the table as each difference says."
    ) in lines
    assert (
        "fail  Voice worker: never reported — fix: Start the voice worker (see the admin guide); "
        "without it no time is recorded."
    ) in lines
    assert (
        "fail  Discord: application id or public key not set — fix: "
        "Set DISCORD_APPLICATION_ID and DISCORD_PUBLIC_KEY."
    ) in lines
    warned = [line for line in lines if line.startswith("warn  Prices")]
    assert warned == [
        "warn  Prices: only the bundled offline sample — fix: Let the scheduled price refresh "
        "run, or run `sunday-mining refresh-prices`."
    ]


def test_json_carries_every_check_and_the_verdict(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    SqliteStore(database).close()
    assert cli.main(["status", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    by_area = {check["area"]: check for check in report["checks"]}
    assert by_area["Voice worker"]["status"] == "fail"
    assert by_area["Voice worker"]["fix"].startswith("Start the voice worker")
    assert by_area["Recent errors"] == {
        "area": "Recent errors",
        "status": "ok",
        "value": "none in the last day",
        "fix": None,
    }


def test_a_guild_adds_its_channel_checks(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    SqliteStore(database).close()
    cli.main(["status", "--guild", GUILD])
    lines = capsys.readouterr().out.splitlines()
    assert (
        "warn  Channels: no mining channels — fix: Add them with /mining-admin channels add."
    ) in lines
