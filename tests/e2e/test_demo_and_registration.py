"""Command registration against the local REST sink (`make demo` is tested in test_demo.py)."""

from __future__ import annotations

import json

import pytest

from sunday_mining.entrypoints import cli
from sunday_mining.interactions.commands import all_paths, command_json
from sunday_mining_dev.simulator import Fault, Route, SinkState
from sunday_mining_dev.simulator.rest_sink import running_sink

APP_ID = "123456789012345678"
TOKEN = "demo-bot-token"


def test_the_command_json_covers_every_routed_command() -> None:
    from sunday_mining.interactions.router import COMMANDS

    assert sorted(all_paths()) == sorted(COMMANDS)


def test_dry_run_prints_the_command_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["register-commands", "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out) == command_json()


def _env(monkeypatch: pytest.MonkeyPatch, api_base: str) -> None:
    monkeypatch.setenv("DISCORD_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DISCORD_APPLICATION_ID", APP_ID)
    monkeypatch.setenv("SM_DISCORD_API_BASE", api_base)


def test_register_commands_bulk_overwrites_in_one_guild(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    state = SinkState(application_id=APP_ID, bot_token=TOKEN)
    with running_sink(state) as api_base:
        _env(monkeypatch, api_base)
        assert cli.main(["register-commands", "--guild", "555"]) == 0
    assert "Registered 2 commands for server 555." in capsys.readouterr().out
    registered = state.commands(APP_ID, "555")
    assert [c["name"] for c in registered] == ["mining", "mining-admin"]
    (call,) = [c for c in state.log.calls if c.method == "PUT"]
    assert (call.user_agent or "").startswith("DiscordBot (")


def test_register_commands_waits_out_a_rate_limit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    state = SinkState(application_id=APP_ID, bot_token=TOKEN)
    state.inject(Route.PUT_GLOBAL_COMMANDS, Fault.rate_limited(0.05))
    with running_sink(state) as api_base:
        _env(monkeypatch, api_base)
        assert cli.main(["register-commands"]) == 0
    puts = [c for c in state.log.calls if c.method == "PUT"]
    assert [c.status for c in puts] == [429, 200]
    assert len(state.commands(APP_ID)) == 2


def test_a_rejected_token_is_reported_without_the_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    state = SinkState(application_id=APP_ID, bot_token="another-token")
    with running_sink(state) as api_base:
        _env(monkeypatch, api_base)
        assert cli.main(["register-commands"]) == 1
    err = capsys.readouterr().err
    assert "Discord refused the command set (HTTP 401" in err
    assert TOKEN not in err
