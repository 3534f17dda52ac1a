"""DynamoDB's rules for values, keys, updates, queries, transactions and page cursors, as plain
checks. Both store adapters apply them, so a mistake that production would refuse is refused on
a laptop too, with the same :class:`ValidationError`; this module imports nothing of boto3, so
the SQLite default does not load it."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sunday_mining.domain.errors import ValidationError
from sunday_mining.ports.store import (
    COMPARE_OPS,
    MAX_TRANSACTION_ITEMS,
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
    SortKey,
    TxCheck,
    TxDelete,
    TxOp,
    TxPut,
    TxUpdate,
    Update,
)
from sunday_mining.schema.table import IndexDef, TableDef

# DynamoDB numbers carry at most 38 significant digits; for integers that means |n| < 10**38.
_NUMBER_LIMIT = 10**38
_ORDERING_OPS = ("<", "<=", ">", ">=")


def check_value(value: Any) -> None:
    """Refuse anything that is not a JSON-like value DynamoDB stores exactly (no floats)."""
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if abs(value) >= _NUMBER_LIMIT:
            raise ValidationError("Numbers can have at most 38 digits.")
        return
    if isinstance(value, float):
        raise ValidationError("Fractions cannot be stored as floats; use integers or text.")
    if isinstance(value, list):
        for element in value:
            check_value(element)
        return
    if isinstance(value, dict):
        for name, element in value.items():
            if not isinstance(name, str):
                raise ValidationError("Map keys must be text.")
            check_value(element)
        return
    raise ValidationError("Only text, integers, booleans, null, lists and maps can be stored.")


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not name:
        raise ValidationError("Attribute names must be non-empty text.")


def _check_key_text(value: Any) -> None:
    # DynamoDB refuses empty strings (and any non-string here) in table and index keys.
    if not isinstance(value, str) or not value:
        raise ValidationError("Keys must be non-empty text.")


def check_partition(pk: str) -> None:
    _check_key_text(pk)


def check_key(key: Key) -> None:
    if not isinstance(key, tuple) or len(key) != 2:
        raise ValidationError("A key is a (pk, sk) pair.")
    _check_key_text(key[0])
    _check_key_text(key[1])


def _index_attributes(table: TableDef) -> set[str]:
    return {name for index in table.indexes for name in (index.partition_key, index.sort_key)}


def check_item(item: Item, table: TableDef) -> None:
    if not isinstance(item, dict):
        raise ValidationError("An item is a map of attributes.")
    for name, value in item.items():
        _check_name(name)
        check_value(value)
    _check_key_text(item.get(table.partition_key))
    _check_key_text(item.get(table.sort_key))
    for name in _index_attributes(table) & item.keys():
        _check_key_text(item[name])


def check_update(update: Update, table: TableDef) -> None:
    """Refuse updates DynamoDB would refuse: key changes, overlapping or mistyped operands."""
    sections: list[Iterable[str]] = [update.set, update.add, update.append, update.remove]
    names = [name for section in sections for name in section]
    if not names:
        raise ValidationError("An update must change at least one attribute.")
    if len(set(names)) != len(names):
        raise ValidationError("An update may touch each attribute only once.")
    for name in names:
        _check_name(name)
    if {table.partition_key, table.sort_key} & set(names):
        raise ValidationError("The keys of an item cannot be changed.")
    index_names = _index_attributes(table)
    for name, value in update.set.items():
        check_value(value)
        if name in index_names:
            _check_key_text(value)
    for name, amount in update.add.items():
        if not isinstance(amount, int) or isinstance(amount, bool) or name in index_names:
            raise ValidationError("Only integers can be added, and only to numbers.")
        check_value(amount)
    for name, values in update.append.items():
        if not isinstance(values, list) or name in index_names:
            raise ValidationError("Only lists can be appended, and only to lists.")
        check_value(values)


def check_condition(condition: Condition) -> None:
    if isinstance(condition, ItemAbsent | ItemExists):
        return
    if isinstance(condition, AttrExists | AttrAbsent):
        _check_name(condition.name)
    elif isinstance(condition, Compare):
        _check_compare(condition)
    elif isinstance(condition, And | Or):
        if not condition.parts:
            raise ValidationError("And/Or need at least one condition.")
        for part in condition.parts:
            check_condition(part)
    elif isinstance(condition, Not):
        check_condition(condition.part)
    else:
        raise ValidationError("Unknown condition.")


def _check_compare(condition: Compare) -> None:
    _check_name(condition.name)
    if condition.op not in COMPARE_OPS:
        raise ValidationError("Unknown comparison operator.")
    check_value(condition.value)
    value = condition.value
    orderable = isinstance(value, int | str) and not isinstance(value, bool)
    if condition.op in _ORDERING_OPS and not orderable:
        raise ValidationError("Only numbers and text can be ordered.")


def check_sort(sort: SortKey | None) -> None:
    if sort is None:
        return
    if sort.prefix is not None and (sort.low is not None or sort.high is not None):
        raise ValidationError("A sort-key restriction is a prefix or a range, not both.")
    for bound in (sort.prefix, sort.low, sort.high):
        if bound is not None and not isinstance(bound, str):
            raise ValidationError("Sort-key bounds must be text.")


def is_empty_range(sort: SortKey | None) -> bool:
    """A range whose low end lies above its high end: DynamoDB refuses it, we answer nothing."""
    return (
        sort is not None
        and sort.low is not None
        and sort.high is not None
        and (sort.low > sort.high)
    )


def check_limit(limit: int | None) -> None:
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise ValidationError("A page limit must be a positive integer.")


def op_key(op: TxOp, table: TableDef) -> Key:
    if isinstance(op, TxPut):
        return (op.item[table.partition_key], op.item[table.sort_key])
    return op.key


def check_transaction(ops: Sequence[TxOp], table: TableDef) -> None:
    if len(ops) > MAX_TRANSACTION_ITEMS:
        raise ValidationError(f"A transaction holds at most {MAX_TRANSACTION_ITEMS} operations.")
    for op in ops:
        _check_op(op, table)
    keys = [op_key(op, table) for op in ops]
    if len(set(keys)) != len(keys):
        raise ValidationError("A transaction may touch each item only once.")


def _check_op(op: TxOp, table: TableDef) -> None:
    if isinstance(op, TxPut):
        check_item(op.item, table)
    elif isinstance(op, TxUpdate | TxDelete | TxCheck):
        check_key(op.key)
    else:
        raise ValidationError("Unknown transaction operation.")
    if isinstance(op, TxUpdate):
        check_update(op.update, table)
    if op.condition is not None:
        check_condition(op.condition)


def index_def(table: TableDef, name: str) -> IndexDef:
    try:
        return table.index(name)
    except KeyError:
        raise ValidationError("Unknown index.") from None


def cursor_names(table: TableDef, index: IndexDef | None) -> tuple[str, ...]:
    """The attributes a cursor records: the table key, plus the index key for index queries."""
    names = (table.partition_key, table.sort_key)
    if index is None:
        return names
    return (*names, index.partition_key, index.sort_key)


def encode_cursor(position: dict[str, str]) -> str:
    text = json.dumps(position, sort_keys=True, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode_cursor(
    cursor: str, names: tuple[str, ...], partition: tuple[str, str]
) -> dict[str, str]:
    """The position in a cursor, refused unless it belongs to the partition being queried.

    ``partition`` is (attribute, value) of the queried partition: a cursor from another guild's
    partition is refused rather than allowed to steer the query.
    """
    try:
        position: Any = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, UnicodeError, AttributeError):
        raise ValidationError("That page cursor is not valid.") from None
    valid = (
        isinstance(position, dict)
        and set(position) == set(names)
        and all(isinstance(value, str) and value for value in position.values())
        and position[partition[0]] == partition[1]
    )
    if not valid:
        raise ValidationError("That page cursor is not valid.")
    return dict(position)
