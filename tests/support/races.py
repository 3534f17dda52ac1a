"""A store that lets another writer in at the worst moment: just before the next write."""

from __future__ import annotations

from collections.abc import Callable

from tests.support.delegating_store import Call, DelegatingStore

from sunday_mining.ports.store import Store


class RaceFirstWrite(DelegatingStore):
    """Runs ``race`` (another officer's edit, on the inner store) just before the next write."""

    def __init__(self, inner: Store) -> None:
        super().__init__(inner)
        self.race: Callable[[], object] | None = None

    def _before(self, call: Call) -> None:
        if call.writes and self.race is not None:
            race, self.race = self.race, None
            race()
