"""The store on DynamoDB, through an injected low-level boto3 client.

The first half of this module states DynamoDB's rules for values, keys, updates and queries as
plain checks. The SQLite adapter applies the same checks, so a mistake that production would
refuse is refused on a laptop too, with the same :class:`ValidationError`.

Errors are mapped by their code only, never by message text, and the domain errors keep their
default messages: an AWS message may quote item contents.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from sunday_mining.adapters.store_rules import (
    check_condition,
    check_item,
    check_key,
    check_limit,
    check_partition,
    check_sort,
    check_transaction,
    check_update,
    cursor_names,
    decode_cursor,
    encode_cursor,
    index_def,
    is_empty_range,
)
from sunday_mining.domain.errors import (
    ConditionFailed,
    StoreError,
    Throttled,
    Unavailable,
    ValidationError,
)
from sunday_mining.ports.store import (
    And,
    AttrAbsent,
    AttrExists,
    Compare,
    Condition,
    Item,
    ItemAbsent,
    ItemExists,
    Key,
    Not,
    Or,
    Page,
    SortKey,
    Store,
    TxDelete,
    TxOp,
    TxPut,
    TxUpdate,
    Update,
)
from sunday_mining.schema.table import TABLE, IndexDef, TableDef

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

log = logging.getLogger(__name__)

_T = TypeVar("_T")

# --- compiling conditions and updates ---------------------------------------------------------

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


def _dynamo_type(value: Any) -> str:
    """The DynamoDB type letter of a checked value, for ``attribute_type``."""
    return str(next(iter(_SERIALIZER.serialize(value))))


@dataclass
class _Expression:
    """Placeholders shared by the expressions of one request: names and values never inline."""

    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)

    def name(self, attribute: str) -> str:
        for placeholder, known in self.names.items():
            if known == attribute:
                return placeholder
        placeholder = f"#n{len(self.names)}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = _SERIALIZER.serialize(value)
        return placeholder

    def parameters(self) -> dict[str, Any]:
        parameters: dict[str, Any] = {}
        if self.names:
            parameters["ExpressionAttributeNames"] = self.names
        if self.values:
            parameters["ExpressionAttributeValues"] = self.values
        return parameters


def _compile_condition(condition: Condition, expr: _Expression, table: TableDef) -> str:
    if isinstance(condition, ItemAbsent):
        return f"attribute_not_exists({expr.name(table.partition_key)})"
    if isinstance(condition, ItemExists):
        return f"attribute_exists({expr.name(table.partition_key)})"
    if isinstance(condition, AttrExists):
        return f"attribute_exists({expr.name(condition.name)})"
    if isinstance(condition, AttrAbsent):
        return f"attribute_not_exists({expr.name(condition.name)})"
    if isinstance(condition, Compare):
        return _compile_compare(condition, expr)
    if isinstance(condition, And | Or):
        joiner = " AND " if isinstance(condition, And) else " OR "
        return "(" + joiner.join(_compile_condition(p, expr, table) for p in condition.parts) + ")"
    if isinstance(condition, Not):
        return f"(NOT {_compile_condition(condition.part, expr, table)})"
    raise ValidationError("Unknown condition.")


def _compile_compare(condition: Compare, expr: _Expression) -> str:
    # The type guard makes a missing attribute or one of another type never match: plain
    # DynamoDB would answer true for ``<>`` in both cases.
    name = expr.name(condition.name)
    kind = expr.value(_dynamo_type(condition.value))
    value = expr.value(condition.value)
    return f"(attribute_type({name}, {kind}) AND {name} {condition.op} {value})"


def _compile_update(update: Update, expr: _Expression) -> str:
    assignments = [f"{expr.name(n)} = {expr.value(v)}" for n, v in update.set.items()]
    for name, amount in update.add.items():
        target = expr.name(name)
        zero, delta = expr.value(0), expr.value(amount)
        assignments.append(f"{target} = if_not_exists({target}, {zero}) + {delta}")
    for name, values in update.append.items():
        target = expr.name(name)
        empty, tail = expr.value([]), expr.value(values)
        assignments.append(f"{target} = list_append(if_not_exists({target}, {empty}), {tail})")
    clauses = []
    if assignments:
        clauses.append("SET " + ", ".join(assignments))
    if update.remove:
        clauses.append("REMOVE " + ", ".join(expr.name(n) for n in update.remove))
    return " ".join(clauses)


def _compile_key_condition(
    names: tuple[str, str], pk: str, sort: SortKey | None, expr: _Expression
) -> str:
    clause = f"{expr.name(names[0])} = {expr.value(pk)}"
    if sort is None or not (sort.prefix or sort.low is not None or sort.high is not None):
        return clause  # no sort-key placeholder: DynamoDB refuses unused names
    sk_name = expr.name(names[1])
    if sort.prefix:
        return f"{clause} AND begins_with({sk_name}, {expr.value(sort.prefix)})"
    if sort.low is not None and sort.high is not None:
        low, high = expr.value(sort.low), expr.value(sort.high)
        return f"{clause} AND {sk_name} BETWEEN {low} AND {high}"
    if sort.low is not None:
        return f"{clause} AND {sk_name} >= {expr.value(sort.low)}"
    return f"{clause} AND {sk_name} <= {expr.value(sort.high)}"


# --- converting values ------------------------------------------------------------------------


def _serialize_item(item: Item) -> dict[str, Any]:
    return {name: _SERIALIZER.serialize(value) for name, value in item.items()}


def _plain(value: Any) -> Any:
    """Numbers come back as Decimal; the project stores integers only, so give ints back."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, list):
        return [_plain(element) for element in value]
    if isinstance(value, dict):
        return {name: _plain(element) for name, element in value.items()}
    return value


def _deserialize_item(attributes: dict[str, Any]) -> Item:
    return {name: _plain(_DESERIALIZER.deserialize(value)) for name, value in attributes.items()}


# --- mapping errors ---------------------------------------------------------------------------

_THROTTLING_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
_THROTTLING_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded"})


class TableMissing(Unavailable):
    """The table (or an index of it) does not exist: not an outage that passes by itself, but
    a setup step not taken; the command line says how to take it."""

    def __init__(self) -> None:
        super().__init__("The database table does not exist; an admin must create it.")


def map_client_error(error: ClientError) -> StoreError:
    """The domain error for a DynamoDB error, chosen by its code (messages are never read)."""
    code = error.response.get("Error", {}).get("Code", "")
    if code == "ResourceNotFoundException":
        return TableMissing()
    if code == "ConditionalCheckFailedException":
        return ConditionFailed()
    if code == "TransactionCanceledException":
        return _map_cancellation(error.response.get("CancellationReasons") or [])
    if code in _THROTTLING_CODES:
        return Throttled()
    return Unavailable()


def _map_cancellation(reasons: list[Any]) -> StoreError:
    codes = {reason.get("Code") for reason in reasons if isinstance(reason, dict)}
    if "ConditionalCheckFailed" in codes:
        return ConditionFailed()
    if codes & _THROTTLING_REASONS:
        return Throttled()
    if "TransactionConflict" in codes:
        # Another transaction touched the same items: to the caller, the item changed.
        return ConditionFailed()
    return Unavailable()


# --- the adapter ------------------------------------------------------------------------------


class DynamoDbStore(Store):
    """The store on one DynamoDB table laid out as :mod:`sunday_mining.schema.table` says."""

    def __init__(self, client: DynamoDBClient, table_name: str, table: TableDef = TABLE) -> None:
        self._client = client
        self._table_name = table_name
        self._table = table

    def get(self, key: Key, *, consistent: bool = True) -> Item | None:
        check_key(key)
        response = self._call(
            self._client.get_item,
            TableName=self._table_name,
            Key=self._key(key),
            ConsistentRead=consistent,
        )
        attributes = response.get("Item")
        return None if attributes is None else _deserialize_item(attributes)

    def put(self, item: Item, *, condition: Condition | None = None) -> None:
        self._call(self._client.put_item, **self._put_request(item, condition))

    def update(self, key: Key, update: Update, *, condition: Condition | None = None) -> Item:
        request = self._update_request(key, update, condition)
        response = self._call(self._client.update_item, ReturnValues="ALL_NEW", **request)
        return _deserialize_item(response.get("Attributes", {}))

    def delete(self, key: Key, *, condition: Condition | None = None) -> None:
        self._call(self._client.delete_item, **self._key_request(key, condition))

    def query(
        self,
        pk: str,
        sort: SortKey | None = None,
        *,
        forward: bool = True,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page:
        return self._query(None, pk, sort, forward=forward, limit=limit, cursor=cursor)

    def query_index(
        self,
        index: str,
        pk: str,
        sort: SortKey | None = None,
        *,
        forward: bool = True,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page:
        definition = index_def(self._table, index)
        return self._query(definition, pk, sort, forward=forward, limit=limit, cursor=cursor)

    def transact(self, ops: Sequence[TxOp]) -> None:
        check_transaction(ops, self._table)
        if not ops:
            return  # DynamoDB refuses an empty transaction; nothing to do is trivially atomic.
        items = [self._transact_item(op) for op in ops]
        self._call(self._client.transact_write_items, TransactItems=items)

    # --- requests ---

    def _key(self, key: Key) -> dict[str, Any]:
        return {
            self._table.partition_key: {"S": key[0]},
            self._table.sort_key: {"S": key[1]},
        }

    def _with_condition(
        self, request: dict[str, Any], condition: Condition | None, expr: _Expression
    ) -> dict[str, Any]:
        if condition is not None:
            check_condition(condition)
            request["ConditionExpression"] = _compile_condition(condition, expr, self._table)
        request.update(expr.parameters())
        return request

    def _put_request(self, item: Item, condition: Condition | None) -> dict[str, Any]:
        check_item(item, self._table)
        request = {"TableName": self._table_name, "Item": _serialize_item(item)}
        return self._with_condition(request, condition, _Expression())

    def _key_request(self, key: Key, condition: Condition | None) -> dict[str, Any]:
        check_key(key)
        request = {"TableName": self._table_name, "Key": self._key(key)}
        return self._with_condition(request, condition, _Expression())

    def _update_request(
        self, key: Key, update: Update, condition: Condition | None
    ) -> dict[str, Any]:
        check_key(key)
        check_update(update, self._table)
        expr = _Expression()
        request = {
            "TableName": self._table_name,
            "Key": self._key(key),
            "UpdateExpression": _compile_update(update, expr),
        }
        return self._with_condition(request, condition, expr)

    def _transact_item(self, op: TxOp) -> dict[str, Any]:
        if isinstance(op, TxPut):
            return {"Put": self._put_request(op.item, op.condition)}
        if isinstance(op, TxUpdate):
            return {"Update": self._update_request(op.key, op.update, op.condition)}
        if isinstance(op, TxDelete):
            return {"Delete": self._key_request(op.key, op.condition)}
        return {"ConditionCheck": self._key_request(op.key, op.condition)}

    # --- queries ---

    def _query(
        self,
        index: IndexDef | None,
        pk: str,
        sort: SortKey | None,
        *,
        forward: bool,
        limit: int | None,
        cursor: str | None,
    ) -> Page:
        check_partition(pk)
        check_sort(sort)
        check_limit(limit)
        if is_empty_range(sort):
            return Page(items=[], cursor=None)
        request = self._query_request(index, pk, sort, forward=forward, cursor=cursor)
        if limit is not None:
            # One extra item tells whether another page exists, so the last page has no cursor.
            request["Limit"] = limit + 1
        response = self._call(self._client.query, **request)
        items = [_deserialize_item(attributes) for attributes in response.get("Items", [])]
        if limit is not None and len(items) > limit:
            items = items[:limit]
            return Page(items=items, cursor=self._cursor_after(items[-1], index))
        last_key = response.get("LastEvaluatedKey")
        next_cursor = None if last_key is None else encode_cursor(_deserialize_item(last_key))
        return Page(items=items, cursor=next_cursor)

    def _query_request(
        self,
        index: IndexDef | None,
        pk: str,
        sort: SortKey | None,
        *,
        forward: bool,
        cursor: str | None,
    ) -> dict[str, Any]:
        key_names = (
            (self._table.partition_key, self._table.sort_key)
            if index is None
            else (index.partition_key, index.sort_key)
        )
        expr = _Expression()
        request: dict[str, Any] = {
            "TableName": self._table_name,
            "KeyConditionExpression": _compile_key_condition(key_names, pk, sort, expr),
            "ScanIndexForward": forward,
        }
        if index is None:
            request["ConsistentRead"] = True  # indexes cannot be read consistently
        else:
            request["IndexName"] = index.name
        if cursor is not None:
            names = cursor_names(self._table, index)
            position = decode_cursor(cursor, names, (key_names[0], pk))
            request["ExclusiveStartKey"] = _serialize_item(position)
        request.update(expr.parameters())
        return request

    def _cursor_after(self, item: Item, index: IndexDef | None) -> str:
        return encode_cursor({name: item[name] for name in cursor_names(self._table, index)})

    # --- errors ---

    def _call(self, operation: Callable[..., _T], **request: Any) -> _T:
        try:
            return operation(**request)
        except ClientError as error:
            mapped = map_client_error(error)
            code = error.response.get("Error", {}).get("Code", "")
            log.warning("DynamoDB call failed with %s; raising %s", code, type(mapped).__name__)
            raise mapped from None
        except BotoCoreError as error:
            log.warning("DynamoDB unreachable (%s)", type(error).__name__)
            raise Unavailable() from None
