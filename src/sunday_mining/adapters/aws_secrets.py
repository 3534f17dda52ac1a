"""The Lambda functions' secrets: one Secrets Manager JSON secret, read once per cold start.

On AWS no secret sits in a plain environment variable or in the template. The functions get only
``SM_SECRETS_ARN``; :func:`load_secrets` reads that secret (a JSON object) with boto3 and returns
the values of the keys the app knows, which the composition root hands to
:meth:`sunday_mining.config.Settings.from_env`. Nothing is written into the environment. Locally
``SM_SECRETS_ARN`` is unset and there are none.

The secret's keys::

    {"DISCORD_BOT_TOKEN": "...", "SM_WORKER_SECRET": "...",
     "SM_LINK_SIGNING_KEY": "...", "UEX_API_TOKEN": "..."}   # UEX_API_TOKEN is optional

A variable set in the environment wins over the secret (an explicit override, applied by
``Settings.from_env``). Any other key in the secret is refused, naming the key and never a value.

``sam local`` has no Secrets Manager to ask. There ``SM_LOCAL_SECRETS`` holds the same JSON
object as plain text (infra/env.example.json sets it) and takes the lookup's place. It is
refused in a function running on AWS, so a deployed stack can never take its secrets from a
plain environment variable.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol, cast

from sunday_mining.domain.errors import ValidationError

SECRETS_ARN_VAR = "SM_SECRETS_ARN"
LOCAL_SECRETS_VAR = "SM_LOCAL_SECRETS"
SECRET_KEYS = frozenset(
    {"DISCORD_BOT_TOKEN", "SM_WORKER_SECRET", "SM_LINK_SIGNING_KEY", "UEX_API_TOKEN"}
)


class SecretsClient(Protocol):
    def get_secret_value(self, *, SecretId: str) -> dict[str, Any]: ...


def _default_client() -> SecretsClient:
    import boto3

    return cast("SecretsClient", boto3.client("secretsmanager"))


class SecretsOnce:
    """The secret's values, read once per process (a Lambda cold start) and kept for the warm
    invocations after it. A failed read is not kept: the next invocation reads again."""

    def __init__(self, client_factory: Callable[[], SecretsClient] = _default_client) -> None:
        self._client_factory = client_factory
        self._lock = threading.Lock()
        self._source: str | None = None
        self._values: dict[str, str] = {}
        self.reads = 0  # secrets read from AWS or SM_LOCAL_SECRETS, for the warm-start tests

    def values(self, env: Mapping[str, str]) -> dict[str, str]:
        """The secret's values by variable name; ``{}`` without ``SM_SECRETS_ARN``."""
        local = env.get(LOCAL_SECRETS_VAR, "").strip()
        if local and _on_aws(env):
            raise ValidationError(
                f"{LOCAL_SECRETS_VAR} is for sam local only; on AWS the functions read their "
                f"secrets from {SECRETS_ARN_VAR}. Remove it from the function's environment."
            )
        arn = env.get(SECRETS_ARN_VAR, "").strip()
        source = LOCAL_SECRETS_VAR if local else arn
        if not source:
            return {}
        with self._lock:
            if self._source != source:
                if local:
                    values = _parse_secret(local, LOCAL_SECRETS_VAR)
                else:
                    values = _read_secret(self._client_factory(), arn)
                self._values = {name: value for name, value in values.items() if value}
                self._source = source
                self.reads += 1
            return dict(self._values)


_COLD_START = SecretsOnce()


def load_secrets(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's secrets (see :class:`SecretsOnce`), from ``env`` (default: the process
    environment, which is only read)."""
    return _COLD_START.values(os.environ if env is None else env)


def _on_aws(env: Mapping[str, str]) -> bool:
    """Inside a Lambda function that is not ``sam local`` (which sets AWS_SAM_LOCAL)."""
    in_lambda = bool(env.get("AWS_LAMBDA_FUNCTION_NAME"))
    return in_lambda and env.get("AWS_SAM_LOCAL", "").strip().lower() != "true"


def _read_secret(client: SecretsClient, arn: str) -> dict[str, str]:
    response = client.get_secret_value(SecretId=arn)
    text = response.get("SecretString")
    if not isinstance(text, str):
        raise ValidationError(f"The secret {SECRETS_ARN_VAR} names has no JSON SecretString.")
    return _parse_secret(text, f"the secret {SECRETS_ARN_VAR} names")


def _parse_secret(text: str, where: str) -> dict[str, str]:
    """The secret's JSON object; ``where`` names it in errors (never a value)."""
    named = where[:1].upper() + where[1:]
    try:
        data = json.loads(text)
    except ValueError:
        raise ValidationError(f"{named} is not a JSON object.") from None
    if not isinstance(data, dict):
        raise ValidationError(f"{named} is not a JSON object.")
    unknown = sorted(set(data) - SECRET_KEYS)
    if unknown:
        raise ValidationError(
            f"{named} holds unknown keys: {', '.join(unknown)}; "
            f"expected some of {', '.join(sorted(SECRET_KEYS))}."
        )
    values: dict[str, str] = {}
    for name, value in data.items():
        if value is None:
            continue
        if not isinstance(value, str):
            raise ValidationError(f"{name} in {where} must be a string.")
        values[name] = value.strip()
    return values
