"""The store port: a single-table key-value model shaped like DynamoDB's.

Items are plain dicts of JSON-like values (str, int, bool, None, list, dict). Floats are not
allowed anywhere: money is integer aUEC, SCU is a decimal string or integer centi-SCU.

Every item has a partition key ``pk`` and a sort key ``sk`` (both strings). Items may carry the
secondary-index attributes declared in :mod:`sunday_mining.schema.table` and a ``ttl`` (epoch
seconds). Adapters raise only the store errors of :mod:`sunday_mining.domain.errors`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

Item = dict[str, Any]
Key = tuple[str, str]  # (pk, sk)

MAX_TRANSACTION_ITEMS = 100


# --- conditions -------------------------------------------------------------------------------
# A tiny condition language both adapters understand: DynamoDB compiles it to a
# ConditionExpression, SQLite evaluates it against the current item inside a transaction.


@dataclass(frozen=True)
class Condition:
    """Base of all conditions."""


@dataclass(frozen=True)
class ItemAbsent(Condition):
    """The item does not exist yet (``attribute_not_exists(pk)``)."""


@dataclass(frozen=True)
class ItemExists(Condition):
    """The item exists (``attribute_exists(pk)``)."""


@dataclass(frozen=True)
class AttrExists(Condition):
    name: str


@dataclass(frozen=True)
class AttrAbsent(Condition):
    name: str


@dataclass(frozen=True)
class Compare(Condition):
    """``name <op> value`` with op one of ``= <> < <= > >=``; missing attributes never match."""

    name: str
    op: str
    value: Any


@dataclass(frozen=True)
class And(Condition):
    parts: tuple[Condition, ...]

    def __init__(self, *parts: Condition) -> None:
        object.__setattr__(self, "parts", tuple(parts))


@dataclass(frozen=True)
class Or(Condition):
    parts: tuple[Condition, ...]

    def __init__(self, *parts: Condition) -> None:
        object.__setattr__(self, "parts", tuple(parts))


@dataclass(frozen=True)
class Not(Condition):
    part: Condition


def eq(name: str, value: Any) -> Compare:
    return Compare(name, "=", value)


COMPARE_OPS = ("=", "<>", "<", "<=", ">", ">=")


# --- updates and transactions -----------------------------------------------------------------


@dataclass(frozen=True)
class Update:
    """Changes to one item. Top-level attribute names only.

    ``set``: assign values; ``add``: add integers to numbers (a missing number counts as 0);
    ``append``: append to lists (a missing list counts as empty); ``remove``: delete attributes.
    An update creates the item when it does not exist unless the condition forbids it.
    """

    set: dict[str, Any] = field(default_factory=dict)
    add: dict[str, int] = field(default_factory=dict)
    append: dict[str, list[Any]] = field(default_factory=dict)
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class TxPut:
    item: Item
    condition: Condition | None = None


@dataclass(frozen=True)
class TxUpdate:
    key: Key
    update: Update
    condition: Condition | None = None


@dataclass(frozen=True)
class TxDelete:
    key: Key
    condition: Condition | None = None


@dataclass(frozen=True)
class TxCheck:
    key: Key
    condition: Condition


TxOp = TxPut | TxUpdate | TxDelete | TxCheck


# --- queries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SortKey:
    """A sort-key restriction: a prefix, or an inclusive range (either end may be open)."""

    prefix: str | None = None
    low: str | None = None
    high: str | None = None

    @staticmethod
    def begins_with(prefix: str) -> SortKey:
        return SortKey(prefix=prefix)

    @staticmethod
    def between(low: str, high: str) -> SortKey:
        return SortKey(low=low, high=high)


@dataclass(frozen=True)
class Page:
    items: list[Item]
    cursor: str | None  # opaque; pass back to get the next page, None when done


class Store(ABC):
    """The single-table store."""

    @abstractmethod
    def get(self, key: Key, *, consistent: bool = True) -> Item | None: ...

    @abstractmethod
    def put(self, item: Item, *, condition: Condition | None = None) -> None:
        """Write a whole item; raise ConditionFailed if the condition does not hold."""

    @abstractmethod
    def update(self, key: Key, update: Update, *, condition: Condition | None = None) -> Item:
        """Apply an update and return the item as it is afterwards."""

    @abstractmethod
    def delete(self, key: Key, *, condition: Condition | None = None) -> None: ...

    @abstractmethod
    def query(
        self,
        pk: str,
        sort: SortKey | None = None,
        *,
        forward: bool = True,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page:
        """Items of one partition, ordered by sort key."""

    @abstractmethod
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
        """Items of one partition of a secondary index, ordered by its sort key."""

    @abstractmethod
    def transact(self, ops: Sequence[TxOp]) -> None:
        """Write up to 100 operations atomically: all land or none (ConditionFailed)."""

    def query_all(
        self, pk: str, sort: SortKey | None = None, *, forward: bool = True
    ) -> list[Item]:
        """Every item of a partition (following cursors)."""
        items: list[Item] = []
        cursor: str | None = None
        while True:
            page = self.query(pk, sort, forward=forward, cursor=cursor)
            items.extend(page.items)
            if page.cursor is None:
                return items
            cursor = page.cursor

    def query_index_all(self, index: str, pk: str, sort: SortKey | None = None) -> list[Item]:
        items: list[Item] = []
        cursor: str | None = None
        while True:
            page = self.query_index(index, pk, sort, cursor=cursor)
            items.extend(page.items)
            if page.cursor is None:
                return items
            cursor = page.cursor
