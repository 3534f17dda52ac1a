"""Price snapshots: refresh from UEX into the store, serve the current one, keep history.

Payroll never calls UEX during an interaction: a scheduled refresh stores a snapshot and
everything reads that. When UEX is down the last snapshot stays current (its age is shown
wherever a price is); with no snapshot at all the bundled offline sample is served, labelled
``source == "bundled"``.

Items (partition ``PRICES``):
  ``CURRENT`` [+ ``CURRENT#PART#nn``]        the current snapshot
  ``SNAP#<fetched_ms>`` + ``SNAPPART#<fetched_ms>#nn``  history, expiring after a TTL
  ``REFRESH#<at_ms>``                       the outcome of every refresh, expiring too
  ``LAST_REFRESH``                          the latest outcome and the last success
A snapshot is stored as compact JSON text split into parts, so that no item comes near
DynamoDB's 400 KB limit. Even if every one of UEX's 2 932 price rows (2026-08) were an ore at
its own terminal, the text would be about 80 KB: one part today, more only if UEX grows.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Protocol

from sunday_mining.domain import ores as ore_catalogue
from sunday_mining.domain.clock import Clock
from sunday_mining.domain.errors import ConditionFailed
from sunday_mining.domain.ores import Ore
from sunday_mining.domain.prices import (
    PriceSnapshot,
    PriceSourceError,
    SellQuote,
    YieldBonus,
    build_snapshot,
)
from sunday_mining.ports.store import (
    Compare,
    Item,
    ItemAbsent,
    Or,
    SortKey,
    Store,
    TxDelete,
    TxOp,
    TxPut,
    TxUpdate,
    Update,
)

log = logging.getLogger(__name__)

PRICES_PK = "PRICES"
CURRENT_SK = "CURRENT"
CURRENT_PART = "CURRENT#PART#"
SNAP = "SNAP#"
SNAP_PART = "SNAPPART#"
REFRESH = "REFRESH#"
LAST_REFRESH_SK = "LAST_REFRESH"
HISTORY_TTL_S = 30 * 86_400
REFRESH_LOG_TTL_S = 30 * 86_400
# DynamoDB counts attribute names and values towards 400 KB; a part's text stays well below.
MAX_PART_BYTES = 300_000
# History and current are written in one transaction, which DynamoDB caps at 4 MB.
MAX_SNAPSHOT_BYTES = 1_500_000


class PriceSource(Protocol):
    """What a refresh needs from UEX (:class:`sunday_mining.adapters.uex.UexClient`)."""

    def commodities_prices_all(self) -> list[SellQuote]: ...
    def commodities_raw_prices_all(self) -> list[SellQuote]: ...
    def refineries_yields(self) -> list[YieldBonus]: ...
    def game_versions(self) -> dict[str, str]: ...


@dataclass(frozen=True)
class RefreshOutcome:
    ok: bool
    at_ms: int
    reason: str | None = None
    fetched_ms: int | None = None
    game_version: str | None = None
    priced: int = 0
    missing: tuple[str, ...] = field(default=())  # names of catalogue ores without a price

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "at_ms": self.at_ms,
            "reason": self.reason,
            "fetched_ms": self.fetched_ms,
            "game_version": self.game_version,
            "priced": self.priced,
            "missing": list(self.missing),
        }

    @staticmethod
    def from_item(item: Item) -> RefreshOutcome:
        return RefreshOutcome(
            ok=bool(item["ok"]),
            at_ms=int(item["at_ms"]),
            reason=item.get("reason"),
            fetched_ms=item.get("fetched_ms"),
            game_version=item.get("game_version"),
            priced=int(item.get("priced") or 0),
            missing=tuple(item.get("missing") or ()),
        )


@cache
def bundled_snapshot() -> PriceSnapshot:
    """The offline sample shipped in ``data/prices_bundled.json`` (not live prices)."""
    path = resources.files("sunday_mining").joinpath("data/prices_bundled.json")
    return PriceSnapshot.from_dict(json.loads(path.read_text("utf-8")))


class PriceService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        uex_client_factory: Callable[[], PriceSource] | None = None,
        *,
        catalogue: Iterable[Ore] | None = None,
        max_part_bytes: int = MAX_PART_BYTES,
    ) -> None:
        self._store = store
        self._clock = clock
        self._source_factory = uex_client_factory
        self._catalogue = tuple(ore_catalogue.all_ores() if catalogue is None else catalogue)
        if max_part_bytes < 4:  # a UTF-8 character takes up to 4 bytes
            raise ValueError("max_part_bytes must be at least 4")
        self._max_part_bytes = max_part_bytes

    # --- reading ------------------------------------------------------------------------------

    def current(self) -> PriceSnapshot:
        """The stored snapshot, or the bundled offline sample when none was ever stored."""
        return self.stored() or bundled_snapshot()

    def stored(self) -> PriceSnapshot | None:
        header: Item | None = None
        for _ in range(3):
            items = self._store.query_all(PRICES_PK, SortKey.begins_with(CURRENT_SK))
            header = next((i for i in items if i["sk"] == CURRENT_SK), None)
            if header is None:
                return None
            by_sk = {i["sk"]: i for i in items}
            parts = [header, *(by_sk.get(_part_sk(CURRENT_PART, n)) for n in _extra(header))]
            body = _join(header["fetched_ms"], parts)
            if body is not None:
                return PriceSnapshot.from_dict(json.loads(body))
        # Read while refreshes were replacing the parts: the history copy never changes.
        return self.snapshot(int(header["fetched_ms"])) if header else None

    def snapshot(self, fetched_ms: int) -> PriceSnapshot | None:
        """A snapshot from history (None once its TTL has expired)."""
        header = self._store.get((PRICES_PK, f"{SNAP}{fetched_ms:013d}"))
        if header is None:
            return None
        prefix = f"{SNAP_PART}{fetched_ms:013d}#"
        by_sk = {i["sk"]: i for i in self._store.query_all(PRICES_PK, SortKey.begins_with(prefix))}
        parts = [by_sk.get(_part_sk(prefix, n)) for n in range(int(header["parts"]))]
        body = _join(fetched_ms, parts)
        return None if body is None else PriceSnapshot.from_dict(json.loads(body))

    def history(self, limit: int = 10) -> list[int]:
        """``fetched_ms`` of the stored history, newest first (load one with ``snapshot``)."""
        page = self._store.query(PRICES_PK, SortKey.begins_with(SNAP), forward=False, limit=limit)
        return [int(item["fetched_ms"]) for item in page.items]

    def last_refresh(self) -> RefreshOutcome | None:
        item = self._store.get((PRICES_PK, LAST_REFRESH_SK))
        return None if item is None else RefreshOutcome.from_item(item)

    def last_success_ms(self) -> int | None:
        item = self._store.get((PRICES_PK, LAST_REFRESH_SK))
        return None if item is None else item.get("last_ok_ms")

    def refresh_log(self, limit: int = 20) -> list[RefreshOutcome]:
        """Outcomes of recent refreshes, newest first."""
        sort = SortKey.begins_with(REFRESH)
        page = self._store.query(PRICES_PK, sort, forward=False, limit=limit)
        return [RefreshOutcome.from_item(item) for item in page.items]

    # --- refreshing ---------------------------------------------------------------------------

    def refresh(self) -> RefreshOutcome:
        """Fetch, build and store a snapshot. A failure keeps the current snapshot and is
        recorded with its reason; an unexpected exception is recorded, then raised."""
        now = self._clock.now_ms()
        if self._source_factory is None:
            return self._fail(now, "No price source is configured (offline mode).")
        try:
            snapshot = self._fetch(self._source_factory(), now)
        except PriceSourceError as error:
            return self._fail(now, error.message)
        except Exception as error:
            self._fail(now, f"Unexpected {type(error).__name__} while refreshing prices.")
            raise
        if snapshot.priced_count() == 0:
            # An empty answer must not replace real prices with nothing (the old bot's 0s).
            return self._fail(now, "UEX returned no price for any catalogue ore.")
        return self._save(snapshot, now)

    def _fetch(self, source: PriceSource, now: int) -> PriceSnapshot:
        refined = source.commodities_prices_all()
        raw = source.commodities_raw_prices_all()
        return build_snapshot(
            self._catalogue,
            refined,
            raw,
            fetched_ms=now,
            game_version=_game_version(source, [*refined, *raw]),
            yields=_yields(source),
        )

    def _save(self, snapshot: PriceSnapshot, now: int) -> RefreshOutcome:
        body = json.dumps(snapshot.to_dict(), separators=(",", ":"), sort_keys=True)
        size = len(body.encode())
        if size > MAX_SNAPSHOT_BYTES:
            return self._fail(now, f"The snapshot is too large to store ({size} bytes).")
        chunks = split_utf8(body, self._max_part_bytes)
        outcome = _success(snapshot, now, self._catalogue)
        history = self._history_ops(snapshot, chunks, now)
        try:
            self._store.transact([*history, *self._current_ops(snapshot, chunks), *_log(outcome)])
        except ConditionFailed:
            # A later refresh already made its snapshot current (overlapping runs); keep ours
            # as history only.
            self._store.transact([*history, *_log(outcome)])
        log.info("prices refreshed: %d priced, %d parts", outcome.priced, len(chunks))
        return outcome

    def _current_ops(self, snapshot: PriceSnapshot, chunks: list[str]) -> list[TxOp]:
        old = self._store.get((PRICES_PK, CURRENT_SK))
        newer_only = Or(ItemAbsent(), Compare("fetched_ms", "<", snapshot.fetched_ms))
        header = {**_header(snapshot, chunks), "pk": PRICES_PK, "sk": CURRENT_SK}
        ops: list[TxOp] = [TxPut(header, newer_only)]
        for n, chunk in enumerate(chunks[1:], start=1):
            ops.append(TxPut(_part(CURRENT_PART, n, chunk, snapshot.fetched_ms)))
        old_parts = int(old.get("parts", 1)) if old else 1
        ops += [
            TxDelete((PRICES_PK, _part_sk(CURRENT_PART, n))) for n in range(len(chunks), old_parts)
        ]
        return ops

    def _history_ops(self, snapshot: PriceSnapshot, chunks: list[str], now: int) -> list[TxOp]:
        ttl = now // 1000 + HISTORY_TTL_S
        stamp = f"{snapshot.fetched_ms:013d}"
        # The history header carries no body, so listing history reads a few bytes per entry.
        header = {**_header(snapshot, chunks), "pk": PRICES_PK, "sk": SNAP + stamp, "ttl": ttl}
        del header["body"]
        ops: list[TxOp] = [TxPut(header)]
        for n, chunk in enumerate(chunks):
            part = _part(f"{SNAP_PART}{stamp}#", n, chunk, snapshot.fetched_ms)
            ops.append(TxPut({**part, "ttl": ttl}))
        return ops

    def _fail(self, now: int, reason: str) -> RefreshOutcome:
        outcome = RefreshOutcome(ok=False, at_ms=now, reason=reason)
        log.error("price refresh failed: %s", reason)
        self._store.transact(_log(outcome))
        return outcome


# --- helpers ----------------------------------------------------------------------------------


def _game_version(source: PriceSource, quotes: list[SellQuote]) -> str:
    """UEX's LIVE version; failing that, the one most rows carry; else "unknown"."""
    try:
        live = source.game_versions().get("live")
    except PriceSourceError as error:
        log.warning("game version unavailable: %s", error.message)
        live = None
    if live:
        return live
    versions = [q.game_version for q in quotes if q.game_version]
    return max(set(versions), key=versions.count) if versions else "unknown"


def _yields(source: PriceSource) -> list[YieldBonus] | None:
    """The refineries' yield bonuses, or None when UEX would not give them: the prices are
    stored either way, and refinery estimates then say they use no bonus."""
    try:
        return source.refineries_yields()
    except PriceSourceError as error:
        log.warning("refinery yields unavailable: %s", error.message)
        return None


def _success(snapshot: PriceSnapshot, now: int, catalogue: tuple[Ore, ...]) -> RefreshOutcome:
    return RefreshOutcome(
        ok=True,
        at_ms=now,
        fetched_ms=snapshot.fetched_ms,
        game_version=snapshot.game_version,
        priced=snapshot.priced_count(),
        missing=tuple(ore.name for ore in snapshot.missing(catalogue)),
    )


def _log(outcome: RefreshOutcome) -> list[TxOp]:
    record = outcome.to_dict()
    entry = {
        **record,
        "pk": PRICES_PK,
        "sk": f"{REFRESH}{outcome.at_ms:013d}",
        "ttl": outcome.at_ms // 1000 + REFRESH_LOG_TTL_S,
    }
    latest = dict(record)
    if outcome.ok:
        latest["last_ok_ms"] = outcome.at_ms
    return [TxPut(entry), TxUpdate((PRICES_PK, LAST_REFRESH_SK), Update(set=latest))]


def _header(snapshot: PriceSnapshot, chunks: list[str]) -> Item:
    return {
        "fetched_ms": snapshot.fetched_ms,
        "game_version": snapshot.game_version,
        "source": snapshot.source,
        "parts": len(chunks),
        "body": chunks[0],
    }


def _part(prefix: str, n: int, chunk: str, fetched_ms: int) -> Item:
    return {"pk": PRICES_PK, "sk": _part_sk(prefix, n), "fetched_ms": fetched_ms, "body": chunk}


def _part_sk(prefix: str, n: int) -> str:
    return f"{prefix}{n:02d}"


def _extra(header: Item) -> range:
    return range(1, int(header.get("parts", 1)))


def _join(fetched_ms: int, parts: list[Item | None]) -> str | None:
    """The whole body, or None if a part is missing or belongs to another snapshot."""
    if any(p is None or p.get("fetched_ms") != fetched_ms for p in parts):
        return None
    return "".join(str(p["body"]) for p in parts if p is not None)


def split_utf8(text: str, max_bytes: int) -> list[str]:
    """Split text into pieces of at most ``max_bytes`` UTF-8 bytes, never inside a character."""
    data = text.encode()
    chunks: list[str] = []
    start = 0
    while start < len(data) or not chunks:
        end = min(start + max_bytes, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a continuation byte
            end -= 1
        chunks.append(data[start:end].decode())
        start = end
    return chunks
