"""Worker settings from the environment: defaults, overrides, refusals, secrets kept out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sunday_mining.domain.errors import ValidationError
from sunday_mining.worker.config import WorkerSettings

TOKEN = "MTAw.bot-token-value.xyz"
SECRET = "a1" * 20
ENV = {"DISCORD_BOT_TOKEN": TOKEN, "SM_APP_URL": "https://app.example/", "SM_WORKER_SECRET": SECRET}


def test_defaults() -> None:
    settings = WorkerSettings.from_env(ENV)
    assert settings.app_url == "https://app.example"
    assert settings.spool_dir == Path("var/worker-spool")
    assert settings.voice_mode == "state"
    assert (settings.heartbeat_interval_s, settings.snapshot_interval_s) == (15.0, 60.0)
    assert (settings.batch_flush_s, settings.batch_max_records) == (1.0, 50)
    assert settings.lease_ttl_s == 60
    assert settings.lease_retry_interval_s == 30.0
    assert settings.worker_id  # host name and pid


def test_overrides() -> None:
    settings = WorkerSettings.from_env(
        {
            **ENV,
            "SM_WORKER_SPOOL": "/data/spool",
            "SM_WORKER_ID": "w-blue",
            "SM_WORKER_VOICE_MODE": "full",
            "SM_WORKER_HEARTBEAT_S": "0.5",
            "SM_WORKER_BATCH_MAX": "10",
            "SM_WORKER_LEASE_TTL_S": "30",
            "SM_WORKER_LEASE_RETRY_S": "0.1",
            "SM_WORKER_HEALTH_FILE": "/tmp/health",
        }
    )
    assert settings.spool_dir == Path("/data/spool")
    assert re.fullmatch(r"w-blue-[0-9a-f]{8}", settings.worker_id)
    assert settings.voice_mode == "full"
    assert (settings.heartbeat_interval_s, settings.batch_max_records) == (0.5, 10)
    assert (settings.lease_ttl_s, settings.lease_retry_interval_s) == (30, 0.1)
    assert settings.health_file == Path("/tmp/health")


def test_a_named_worker_still_gets_an_id_of_its_own_at_each_start() -> None:
    """Two tasks of one task definition (same SM_WORKER_ID) must not share the lease."""
    first = WorkerSettings.from_env({**ENV, "SM_WORKER_ID": "w-blue"})
    second = WorkerSettings.from_env({**ENV, "SM_WORKER_ID": "w-blue"})
    assert first.worker_id != second.worker_id


def test_secrets_never_appear_in_the_repr() -> None:
    text = repr(WorkerSettings.from_env(ENV))
    assert TOKEN not in text
    assert SECRET not in text


@pytest.mark.parametrize(
    ("change", "names"),
    [
        ({"DISCORD_BOT_TOKEN": ""}, "DISCORD_BOT_TOKEN"),
        ({"SM_APP_URL": "app.example"}, "SM_APP_URL"),
        ({"SM_WORKER_SECRET": "changeme"}, "SM_WORKER_SECRET"),
        ({"SM_WORKER_SECRET": "short"}, "SM_WORKER_SECRET"),
        ({"SM_WORKER_VOICE_MODE": "audio"}, "SM_WORKER_VOICE_MODE"),
        ({"SM_WORKER_LEASE_TTL_S": "10"}, "SM_WORKER_LEASE_TTL_S"),
        ({"SM_WORKER_BATCH_MAX": "501"}, "SM_WORKER_BATCH_MAX"),
        ({"SM_WORKER_HEARTBEAT_S": "soon"}, "SM_WORKER_HEARTBEAT_S"),
        ({"SM_WORKER_ID": "has space"}, "SM_WORKER_ID"),
    ],
)
def test_refusals_name_the_variable_and_never_the_secret(
    change: dict[str, str], names: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        WorkerSettings.from_env({**ENV, **change})
    assert names in refused.value.message
    assert TOKEN not in refused.value.message


def test_the_worker_logs_never_carry_its_secrets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """However the worker starts (the container calls worker.main directly), its log setup
    scrubs the bot token and the shared secret from every line."""
    import logging

    from sunday_mining.worker import logs

    token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"
    secret = "s" * 40
    monkeypatch.setenv("DISCORD_BOT_TOKEN", token)
    monkeypatch.setenv("SM_WORKER_SECRET", secret)
    root = logging.getLogger()
    handlers, level, factory = root.handlers[:], root.level, logging.getLogRecordFactory()
    try:
        logs.configure("INFO")
        logging.getLogger("sunday_mining.worker").warning("login with %s and %s", token, secret)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.setLogRecordFactory(factory)
    written = capsys.readouterr().err
    assert "login with" in written
    assert token not in written
    assert secret not in written


def test_discord_endpoints_default_to_discord_and_can_point_elsewhere() -> None:
    assert WorkerSettings.from_env(ENV).discord_api_base is None
    settings = WorkerSettings.from_env(
        {
            **ENV,
            "SM_DISCORD_API_BASE": "http://127.0.0.1:9000/api/v10/",
            "SM_DISCORD_GATEWAY_URL": "ws://127.0.0.1:9000/gw",
        }
    )
    assert settings.discord_api_base == "http://127.0.0.1:9000/api/v10"
    assert settings.discord_gateway_url == "ws://127.0.0.1:9000/gw"


@pytest.mark.parametrize(
    ("name", "value"),
    [("SM_DISCORD_API_BASE", "ws://x/api"), ("SM_DISCORD_GATEWAY_URL", "https://x/gw")],
)
def test_a_discord_endpoint_with_the_wrong_scheme_is_refused(name: str, value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        WorkerSettings.from_env({**ENV, name: value})
    assert name in refused.value.message
