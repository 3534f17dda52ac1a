"""A store that forwards every call to a real one and counts the writes, so a test can prove
that something costs no write (or exactly one)."""

from __future__ import annotations

from collections.abc import Sequence

from sunday_mining.ports.store import Condition, Item, Key, Page, SortKey, Store, TxOp, Update


class CountingStore(Store):
    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.writes = 0  # calls that write: put, update, delete, transact (one per call)
        self.written_items = 0  # items those calls wrote

    def get(self, key: Key, *, consistent: bool = True) -> Item | None:
        return self.inner.get(key, consistent=consistent)

    def put(self, item: Item, *, condition: Condition | None = None) -> None:
        self._count(1)
        self.inner.put(item, condition=condition)

    def update(self, key: Key, update: Update, *, condition: Condition | None = None) -> Item:
        self._count(1)
        return self.inner.update(key, update, condition=condition)

    def delete(self, key: Key, *, condition: Condition | None = None) -> None:
        self._count(1)
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
        return self.inner.query_index(index, pk, sort, forward=forward, limit=limit, cursor=cursor)

    def transact(self, ops: Sequence[TxOp]) -> None:
        self._count(len(ops))
        self.inner.transact(ops)

    def reset(self) -> None:
        self.writes = self.written_items = 0

    def _count(self, items: int) -> None:
        self.writes += 1
        self.written_items += items
