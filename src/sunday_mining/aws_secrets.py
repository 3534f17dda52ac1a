"""The Lambda functions' secrets: one Secrets Manager JSON secret, read once per cold start.

On AWS no secret sits in a plain environment variable or in the template. The functions get only
``SM_SECRETS_ARN``; :func:`load_into_env_once` reads that secret (a JSON object) with boto3 and
copies the keys the app knows into the process environment, where
:meth:`sunday_mining.config.Settings.from_env` and the price refresh read them as before. Locally
``SM_SECRETS_ARN`` is unset and this is a no-op.

The secret's keys::

    {"DISCORD_BOT_TOKEN": "...", "SM_WORKER_SECRET": "...",
     "SM_LINK_SIGNING_KEY": "...", "UEX_API_TOKEN": "..."}   # UEX_API_TOKEN is optional

A variable already set in the environment wins over the secret (an explicit override). Any other
key in the secret is refused, naming the key and never a value.

``sam local`` has no Secrets Manager to ask. There ``SM_LOCAL_SECRETS`` holds the same JSON
object as plain text (infra/env.example.json sets it) and takes the lookup's place. It is
refused in a function running on AWS, so a deployed stack can never take its secrets from a
plain environment variable.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, MutableMapping
from typing import Any, Protocol, cast

from sunday_mining.domain.errors import ValidationError

SECRETS_ARN_VAR = "SM_SECRETS_ARN"
LOCAL_SECRETS_VAR = "SM_LOCAL_SECRETS"
SECRET_KEYS = frozenset(
    {"DISCORD_BOT_TOKEN", "SM_WORKER_SECRET", "SM_LINK_SIGNING_KEY", "UEX_API_TOKEN"}
)


class SecretsClient(Protocol):
    def get_secret_value(self, *, SecretId: str) -> dict[str, Any]: ...


_lock = threading.Lock()
_loaded_from: str | None = None


def _default_client() -> SecretsClient:
    import boto3

    return cast("SecretsClient", boto3.client("secretsmanager"))


def load_into_env_once(
    env: MutableMapping[str, str] | None = None,
    client_factory: Callable[[], SecretsClient] = _default_client,
) -> tuple[str, ...]:
    """Copy the secret's values into ``env`` (``os.environ``) the first time it is called.

    Returns the names that were set by this call; later calls (a warm container) return ``()``
    without calling AWS. Without ``SM_SECRETS_ARN`` nothing happens.
    """
    global _loaded_from  # noqa: PLW0603 - once per cold start is the point
    env = os.environ if env is None else env
    local = env.get(LOCAL_SECRETS_VAR, "").strip()
    if local and _on_aws(env):
        raise ValidationError(
            f"{LOCAL_SECRETS_VAR} is for sam local only; on AWS the functions read their "
            f"secrets from {SECRETS_ARN_VAR}. Remove it from the function's environment."
        )
    arn = env.get(SECRETS_ARN_VAR, "").strip()
    source = LOCAL_SECRETS_VAR if local else arn
    if not source:
        return ()
    with _lock:
        if _loaded_from == source:
            return ()
        if local:
            values = _parse_secret(local, LOCAL_SECRETS_VAR)
        else:
            values = _read_secret(client_factory(), arn)
        set_now = []
        for name, value in values.items():
            if value and not env.get(name):
                env[name] = value
                set_now.append(name)
        _loaded_from = source
        return tuple(sorted(set_now))


def _on_aws(env: MutableMapping[str, str]) -> bool:
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


def reset_for_tests() -> None:
    """Forget that the secret was loaded (tests simulate several cold starts in one process)."""
    global _loaded_from  # noqa: PLW0603
    with _lock:
        _loaded_from = None
