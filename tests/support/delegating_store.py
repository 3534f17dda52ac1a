"""A store that forwards every call to a real one, telling a hook about each call first: the
base of the test doubles that count, fail or race store calls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sunday_mining.ports.store import Condition, Item, Key, Page, SortKey, Store, TxOp, Update

WRITES = frozenset({"put", "update", "delete", "transact"})


@dataclass(frozen=True)
class Call:
    """One call on its way to the inner store: the method and what it is about."""

    op: str  # the Store method: get, put, update, delete, query, query_index, transact
    key: Key | None = None  # get, update, delete
    item: Item | None = None  # put
    pk: str | None = None  # query, query_index
    index: str | None = None  # query_index
    ops: Sequence[TxOp] = ()  # transact

    @property
    def writes(self) -> bool:
        return self.op in WRITES


class DelegatingStore(Store):
    def __init__(self, inner: Store) -> None:
        self.inner = inner

    def _before(self, call: Call) -> None:
        """Runs before every call reaches the inner store; raising stops it there."""

    def get(self, key: Key, *, consistent: bool = True) -> Item | None:
        self._before(Call("get", key=key))
        return self.inner.get(key, consistent=consistent)

    def put(self, item: Item, *, condition: Condition | None = None) -> None:
        self._before(Call("put", item=item))
        self.inner.put(item, condition=condition)

    def update(self, key: Key, update: Update, *, condition: Condition | None = None) -> Item:
        self._before(Call("update", key=key))
        return self.inner.update(key, update, condition=condition)

    def delete(self, key: Key, *, condition: Condition | None = None) -> None:
        self._before(Call("delete", key=key))
        self.inner.delete(key, condition=condition)

    def query(
        self,
        pk: str,
        sort: SortKey | None = None,
        *,
        forward: bool = True,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page:
        self._before(Call("query", pk=pk))
        return self.inner.query(pk, sort, forward=forward, limit=limit, cursor=cursor)

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
        self._before(Call("query_index", pk=pk, index=index))
        return self.inner.query_index(index, pk, sort, forward=forward, limit=limit, cursor=cursor)

    def transact(self, ops: Sequence[TxOp]) -> None:
        self._before(Call("transact", ops=ops))
        self.inner.transact(ops)
