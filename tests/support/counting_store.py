"""A store that forwards every call to a real one and counts the writes, so a test can prove
that something costs no write (or exactly one)."""

from __future__ import annotations

from tests.support.delegating_store import Call, DelegatingStore

from sunday_mining.ports.store import Store


class CountingStore(DelegatingStore):
    def __init__(self, inner: Store) -> None:
        super().__init__(inner)
        self.writes = 0  # calls that write: put, update, delete, transact (one per call)
        self.written_items = 0  # items those calls wrote

    def reset(self) -> None:
        self.writes = self.written_items = 0

    def _before(self, call: Call) -> None:
        if call.writes:
            self.writes += 1
            self.written_items += len(call.ops) if call.op == "transact" else 1
