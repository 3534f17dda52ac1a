"""moto does not enforce IAM: these check a function's role in the template against the calls
its code really makes under moto (recorded from boto3's default session, which every client
the app makes comes from)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from tests.support.template import load_template

# An API call and the IAM action it needs, where the names differ (S3's HEAD is authorised as
# GetObject; a transaction as each of its parts).
_IAM_ACTION = {
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
}
_TRANSACT = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def needed(service: str, operation: str, params: dict[str, Any]) -> set[str]:
    if (service, operation) == ("dynamodb", "TransactWriteItems"):
        return {f"dynamodb:{_TRANSACT[kind]}" for item in params["TransactItems"] for kind in item}
    return {_IAM_ACTION.get((service, operation), f"{service}:{operation}")}


def allowed(function: str) -> set[str]:
    """Every action the function's inline policies allow (on whatever resource)."""
    document = load_template()
    actions: set[str] = set()
    for policy in document["Resources"][function]["Properties"]["Policies"]:
        for statement in policy.get("Statement", []):
            listed = statement["Action"]
            actions |= {listed} if isinstance(listed, str) else set(listed)
    return actions


@contextmanager
def recorded_calls() -> Iterator[set[str]]:
    """The IAM actions of every AWS call made inside the block."""
    made: set[str] = set()

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        # The IAM prefix is the service's signing name (secretsmanager, not secrets-manager).
        made.update(needed(model.service_model.signing_name, model.name, params))

    # Before the parameters are serialised: ``params`` are the call's own (TransactItems…).
    session = boto3._get_default_session()
    session.events.register("before-parameter-build", record)
    try:
        yield made
    finally:
        session.events.unregister("before-parameter-build", record)
