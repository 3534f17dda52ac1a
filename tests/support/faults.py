"""A store that fails on purpose: one of the port's errors on the Nth call, for sweeping every
step of a flow."""

from __future__ import annotations

from tests.support.delegating_store import Call, DelegatingStore

from sunday_mining.domain.errors import ConditionFailed, StoreError, Throttled, Unavailable
from sunday_mining.ports.store import Store

FAULTS: tuple[type[StoreError], ...] = (Throttled, Unavailable, ConditionFailed)


class FaultyStore(DelegatingStore):
    """Passes every call through, except that the ``fail_at``-th one (counted from ``arm``)
    raises ``error`` before reaching the real store."""

    def __init__(self, inner: Store) -> None:
        super().__init__(inner)
        self.calls = 0
        self.log: list[str] = []
        self.fail_at: int | None = None
        self.error: type[StoreError] = Unavailable

    def arm(self, fail_at: int | None, error: type[StoreError] = Unavailable) -> None:
        self.calls, self.fail_at, self.error, self.log = 0, fail_at, error, []

    def _before(self, call: Call) -> None:
        self.calls += 1
        self.log.append(_described(call) if call.writes else f"read: {_described(call)}")
        # A conflict is what a conditional write meets; reads only throttle or fail.
        if self.calls == self.fail_at and (call.writes or self.error is not ConditionFailed):
            raise self.error()


def _described(call: Call) -> str:
    if call.op == "put":
        item = call.item or {}
        return f"put {item.get('pk')} {item.get('sk')}"
    if call.op == "query":
        return f"query {call.pk}"
    if call.op == "query_index":
        return f"query_index {call.index} {call.pk}"
    if call.op == "transact":
        return f"transact {len(call.ops)} ops"
    return f"{call.op} {call.key}"
