"""DynamoDB errors become store errors by their code alone, and never repeat AWS's message."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from sunday_mining.adapters.dynamodb_store import DynamoDbStore, TableMissing
from sunday_mining.domain.errors import (
    ConditionFailed,
    StoreError,
    Throttled,
    Unavailable,
    ValidationError,
)
from sunday_mining.ports.store import (
    MAX_TRANSACTION_ITEMS,
    AttrExists,
    ItemAbsent,
    TxPut,
    Update,
)

KEY = ("G#1", "S#1")
SECRET = "payout to Sarah: 1234567 aUEC"


class FakeClient:
    """A DynamoDB client whose every call records its request, then raises or answers."""

    def __init__(self, error: Exception | None = None, answer: dict[str, Any] | None = None):
        self.error = error
        self.answer = answer or {}
        self.requests: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, operation: str) -> Any:
        def call(**request: Any) -> dict[str, Any]:
            self.requests.append((operation, request))
            if self.error is not None:
                raise self.error
            return self.answer

        return call


def client_error(code: str, message: str = SECRET, **extra: Any) -> ClientError:
    response: dict[str, Any] = {"Error": {"Code": code, "Message": message}, **extra}
    return ClientError(response, "PutItem")  # type: ignore[arg-type]


def failing_store(error: Exception) -> DynamoDbStore:
    return DynamoDbStore(FakeClient(error), "table")  # type: ignore[arg-type]


def raised_by_put(error: Exception) -> StoreError:
    with pytest.raises(StoreError) as caught:
        failing_store(error).put({"pk": KEY[0], "sk": KEY[1]}, condition=ItemAbsent())
    return caught.value


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ConditionalCheckFailedException", ConditionFailed),
        ("ProvisionedThroughputExceededException", Throttled),
        ("ThrottlingException", Throttled),
        ("RequestLimitExceeded", Throttled),
        ("ResourceNotFoundException", TableMissing),  # an Unavailable that names the cause
        ("InternalServerError", Unavailable),
        ("ServiceUnavailable", Unavailable),
        ("ValidationException", Unavailable),
        ("AccessDeniedException", Unavailable),
        ("SomeCodeInventedNextYear", Unavailable),
        ("", Unavailable),
    ],
)
def test_client_errors_map_by_code(code: str, expected: type[StoreError]) -> None:
    assert type(raised_by_put(client_error(code))) is expected


@pytest.mark.parametrize(
    ("reasons", "expected"),
    [
        (["None", "ConditionalCheckFailed"], ConditionFailed),
        (["ThrottlingError", "None"], Throttled),
        (["ProvisionedThroughputExceeded"], Throttled),
        (["TransactionConflict", "None"], ConditionFailed),
        (["ThrottlingError", "ConditionalCheckFailed"], ConditionFailed),
        (["None", "ValidationError"], Unavailable),
        (["ItemCollectionSizeLimitExceeded"], Unavailable),
        ([], Unavailable),
    ],
)
def test_cancelled_transactions_map_by_their_reasons(
    reasons: list[str], expected: type[StoreError]
) -> None:
    error = client_error(
        "TransactionCanceledException",
        CancellationReasons=[{"Code": code, "Message": SECRET} for code in reasons],
    )

    assert type(raised_by_put(error)) is expected


def test_cancelled_transaction_without_reasons_is_unavailable() -> None:
    assert type(raised_by_put(client_error("TransactionCanceledException"))) is Unavailable


def test_message_text_is_never_used_to_pick_the_error() -> None:
    error = client_error("ThrottlingException", "ConditionalCheckFailed: The conditional failed")

    assert type(raised_by_put(error)) is Throttled


def test_message_of_a_cancellation_reason_is_never_used() -> None:
    error = client_error(
        "TransactionCanceledException",
        "ConditionalCheckFailed",
        CancellationReasons=[{"Code": "ThrottlingError", "Message": "ConditionalCheckFailed"}],
    )

    assert type(raised_by_put(error)) is Throttled


@pytest.mark.parametrize(
    "error",
    [
        EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
        ConnectTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
        ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
        NoCredentialsError(),
    ],
    ids=["endpoint", "connect-timeout", "read-timeout", "credentials"],
)
def test_connection_errors_are_unavailable(error: Exception) -> None:
    assert type(raised_by_put(error)) is Unavailable


@pytest.mark.parametrize(
    ("code", "default"),
    [
        ("ConditionalCheckFailedException", ConditionFailed()),
        ("ThrottlingException", Throttled()),
        ("InternalServerError", Unavailable()),
    ],
)
def test_errors_keep_their_default_message(code: str, default: StoreError) -> None:
    raised = raised_by_put(client_error(code))

    assert raised.message == default.message
    assert SECRET not in str(raised)


def test_the_aws_error_is_not_chained_onto_the_store_error() -> None:
    raised = raised_by_put(client_error("ThrottlingException"))

    assert raised.__cause__ is None
    assert raised.__suppress_context__


@pytest.mark.parametrize(
    "call",
    [
        lambda store: store.get(KEY),
        lambda store: store.update(KEY, Update(add={"n": 1})),
        lambda store: store.delete(KEY),
        lambda store: store.query("G#1"),
        lambda store: store.query_index("gsi1", "G#1"),
        lambda store: store.transact([TxPut({"pk": "G#1", "sk": "S#1"})]),
    ],
    ids=["get", "update", "delete", "query", "query_index", "transact"],
)
def test_every_operation_maps_errors(call: Any) -> None:
    with pytest.raises(Throttled):
        call(failing_store(client_error("ThrottlingException")))


def test_too_large_transaction_is_refused_before_calling_dynamodb() -> None:
    client = FakeClient()
    store = DynamoDbStore(client, "table")  # type: ignore[arg-type]
    ops = [TxPut({"pk": "G#1", "sk": f"S#{i}"}) for i in range(MAX_TRANSACTION_ITEMS + 1)]

    with pytest.raises(ValidationError):
        store.transact(ops)

    assert client.requests == []


def test_floats_are_refused_before_calling_dynamodb() -> None:
    client = FakeClient()
    store = DynamoDbStore(client, "table")  # type: ignore[arg-type]

    with pytest.raises(ValidationError):
        store.put({"pk": "G#1", "sk": "S#1", "shares": [{"ratio": 0.5}]})

    assert client.requests == []


def test_attribute_names_only_reach_dynamodb_as_placeholders() -> None:
    client = FakeClient(answer={"Attributes": {"pk": {"S": "G#1"}, "sk": {"S": "S#1"}}})
    store = DynamoDbStore(client, "table")  # type: ignore[arg-type]
    odd = "a.b) OR attribute_exists(#x"

    store.update(
        KEY,
        Update(set={odd: 1}, add={"size": 1}, append={"log": [1]}, remove=("name",)),
        condition=AttrExists(odd),
    )

    [(_, request)] = client.requests
    expressions = request["UpdateExpression"] + request["ConditionExpression"]
    assert odd not in expressions
    assert all(name not in expressions for name in ["size", "log", "name"])
    assert odd in request["ExpressionAttributeNames"].values()


def test_numbers_are_read_back_as_integers() -> None:
    client = FakeClient(answer={"Item": {"pk": {"S": "G#1"}, "sk": {"S": "S#1"}, "n": {"N": "7"}}})
    store = DynamoDbStore(client, "table")  # type: ignore[arg-type]

    got = store.get(KEY)

    assert got is not None
    assert type(got["n"]) is int
