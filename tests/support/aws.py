"""A moto account as the Lambda handlers see AWS: the environment the template gives them, the
table, and the app secret in Secrets Manager."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import boto3
import pytest
from moto import mock_aws

from sunday_mining.adapters import aws_secrets
from sunday_mining.adapters.dynamodb_table import create_table
from sunday_mining.entrypoints import interactions_lambda, pricing_lambda, refinery_lambda

REGION = "us-east-1"
TABLE_NAME = "sunday-mining-infra-test"


def aws_env(monkeypatch: pytest.MonkeyPatch, *, unset: Sequence[str] = (), **extra: str) -> None:
    """Fake credentials and the DynamoDB store, plus ``extra``; no secret (nor ``unset``) in the
    environment, so secrets come from Secrets Manager; the handlers' cached wiring forgotten.
    Everything is restored afterwards."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "SM_STORE": "dynamodb",
        "SM_TABLE_NAME": TABLE_NAME,
        **extra,
    }.items():
        monkeypatch.setenv(name, value)
    for name in (*aws_secrets.SECRET_KEYS, "SM_DYNAMODB_ENDPOINT", *unset):
        monkeypatch.delenv(name, raising=False)  # restored (or removed again) afterwards
    monkeypatch.setattr(aws_secrets, "_COLD_START", aws_secrets.SecretsOnce())
    monkeypatch.setattr(interactions_lambda, "_interactions", None)
    monkeypatch.setattr(pricing_lambda, "_built", None)
    monkeypatch.setattr(refinery_lambda, "_services", None)


@contextmanager
def moto_account(monkeypatch: pytest.MonkeyPatch, secret: dict[str, str]) -> Iterator[None]:
    """moto with the table and ``secret`` as the app secret, its ARN in ``SM_SECRETS_ARN``."""
    with mock_aws():
        create_table(boto3.client("dynamodb", region_name=REGION), TABLE_NAME)
        created = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="sunday-mining/app", SecretString=json.dumps(secret)
        )
        monkeypatch.setenv("SM_SECRETS_ARN", created["ARN"])
        yield
