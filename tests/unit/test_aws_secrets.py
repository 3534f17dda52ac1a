"""The Lambda secret loader: one Secrets Manager JSON secret, read once per cold start."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from sunday_mining.adapters.aws_secrets import SecretsOnce, load_secrets
from sunday_mining.config import Settings
from sunday_mining.domain.errors import ValidationError

REGION = "us-east-1"
WORKER_SECRET = "k" * 64


class CountingClient:
    """A moto-backed Secrets Manager client that counts its calls."""

    def __init__(self) -> None:
        self.client = boto3.client(
            "secretsmanager",
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        self.calls = 0

    def get_secret_value(self, *, SecretId: str) -> dict[str, Any]:
        self.calls += 1
        return dict(self.client.get_secret_value(SecretId=SecretId))

    def create(self, value: str) -> str:
        return self.client.create_secret(Name=f"app-{self.calls}", SecretString=value)["ARN"]


@pytest.fixture
def secrets() -> Iterator[CountingClient]:
    with mock_aws():
        yield CountingClient()


def test_without_an_arn_nothing_is_read() -> None:
    env: dict[str, str] = {}
    assert SecretsOnce(lambda: pytest.fail("no AWS call")).values(env) == {}
    assert env == {}


def test_the_secret_reaches_settings_and_is_read_once(secrets: CountingClient) -> None:
    arn = secrets.create(
        json.dumps(
            {
                "DISCORD_BOT_TOKEN": "bot-token",
                "SM_WORKER_SECRET": WORKER_SECRET,
                "UEX_API_TOKEN": " uex-token ",
                "SM_LINK_SIGNING_KEY": None,
            }
        )
    )
    env = {"SM_SECRETS_ARN": arn}
    cold_start = SecretsOnce(lambda: secrets)
    values = cold_start.values(env)
    assert sorted(values) == ["DISCORD_BOT_TOKEN", "SM_WORKER_SECRET", "UEX_API_TOKEN"]
    settings = Settings.from_env(env, secrets=values)
    assert settings.discord_bot_token == "bot-token"
    assert settings.worker_secret == WORKER_SECRET
    assert settings.uex_api_token == "uex-token"
    assert settings.link_signing_key is None
    assert env == {"SM_SECRETS_ARN": arn}  # secrets are values, never written into env
    assert WORKER_SECRET not in repr(settings)
    # A warm container: the same values, no second call.
    assert cold_start.values(env) == values
    assert secrets.calls == 1


def test_the_environment_overrides_the_secret(secrets: CountingClient) -> None:
    arn = secrets.create(json.dumps({"DISCORD_BOT_TOKEN": "from-secret"}))
    env = {"SM_SECRETS_ARN": arn, "DISCORD_BOT_TOKEN": "from-env"}
    values = SecretsOnce(lambda: secrets).values(env)
    assert Settings.from_env(env, secrets=values).discord_bot_token == "from-env"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not json", "not a JSON object"),
        ('["a list"]', "not a JSON object"),
        ('{"DISCORD_BOT_TOKEN": 5}', "must be a string"),
        ('{"AWS_SECRET_ACCESS_KEY": "x", "DISCORD_BOT_TOKEN": "t"}', "AWS_SECRET_ACCESS_KEY"),
    ],
)
def test_a_malformed_secret_is_refused_without_showing_a_value(
    secrets: CountingClient, value: str, message: str
) -> None:
    env = {"SM_SECRETS_ARN": secrets.create(value)}
    with pytest.raises(ValidationError, match=message) as error:
        SecretsOnce(lambda: secrets).values(env)
    assert '"x"' not in str(error.value)
    assert list(env) == ["SM_SECRETS_ARN"]


def test_a_failed_read_is_retried_on_the_next_invocation(secrets: CountingClient) -> None:
    env = {"SM_SECRETS_ARN": secrets.create("not json")}
    cold_start = SecretsOnce(lambda: secrets)
    with pytest.raises(ValidationError):
        cold_start.values(env)
    env["SM_SECRETS_ARN"] = secrets.create(json.dumps({"DISCORD_BOT_TOKEN": "t"}))
    assert cold_start.values(env) == {"DISCORD_BOT_TOKEN": "t"}


def test_the_default_client_is_boto3s(monkeypatch: pytest.MonkeyPatch) -> None:
    with mock_aws():
        monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        client = boto3.client("secretsmanager", region_name=REGION)
        arn = client.create_secret(Name="app", SecretString='{"UEX_API_TOKEN": "u"}')["ARN"]
        assert SecretsOnce().values({"SM_SECRETS_ARN": arn}) == {"UEX_API_TOKEN": "u"}


def test_the_process_loader_reads_the_process_environment_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SM_SECRETS_ARN", raising=False)
    monkeypatch.delenv("SM_LOCAL_SECRETS", raising=False)
    assert load_secrets() == {}


LOCAL = json.dumps({"DISCORD_BOT_TOKEN": "local-bot-token", "SM_WORKER_SECRET": WORKER_SECRET})
SAM_LOCAL = {"AWS_LAMBDA_FUNCTION_NAME": "InteractionsFunction", "AWS_SAM_LOCAL": "true"}


def test_under_sam_local_the_local_secrets_replace_the_lookup() -> None:
    env = {
        **SAM_LOCAL,
        "SM_SECRETS_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:sm-AbCdEf",
        "SM_LOCAL_SECRETS": LOCAL,
    }
    values = SecretsOnce(lambda: pytest.fail("no AWS call")).values(env)
    assert sorted(values) == ["DISCORD_BOT_TOKEN", "SM_WORKER_SECRET"]
    assert Settings.from_env(env, secrets=values).worker_secret == WORKER_SECRET


def test_local_secrets_are_refused_in_a_function_on_aws() -> None:
    env = {"AWS_LAMBDA_FUNCTION_NAME": "stack-interactions", "SM_LOCAL_SECRETS": LOCAL}
    with pytest.raises(ValidationError) as refused:
        SecretsOnce(lambda: pytest.fail("no AWS call")).values(env)
    assert "SM_LOCAL_SECRETS is for sam local only" in refused.value.message
    assert WORKER_SECRET not in refused.value.message
    assert "SM_WORKER_SECRET" not in env


def test_local_secrets_are_checked_like_the_secret() -> None:
    env = {**SAM_LOCAL, "SM_LOCAL_SECRETS": '{"AWS_SECRET_ACCESS_KEY": "x"}'}
    with pytest.raises(ValidationError) as refused:
        SecretsOnce(lambda: pytest.fail("no AWS call")).values(env)
    assert refused.value.message.startswith("SM_LOCAL_SECRETS holds unknown keys")
