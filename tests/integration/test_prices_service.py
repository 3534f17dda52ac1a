"""The price service on real stores with a fake UEX (httpx.MockTransport fed by fixtures)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.uex import FIXTURES, FakeUex, fixture

from sunday_mining.config import Settings
from sunday_mining.domain import ores
from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.prices import (
    OrePrice,
    PriceSnapshot,
    PriceSourceError,
    TerminalPrice,
    mean_half_up,
    to_auec,
)
from sunday_mining.entrypoints import pricing_lambda
from sunday_mining.ports.store import SortKey, Store
from sunday_mining.services import prices as prices_module
from sunday_mining.services.prices import (
    MAX_PART_BYTES,
    PRICES_PK,
    PriceService,
    RefreshOutcome,
    bundled_snapshot,
)

T0 = 1_795_370_400_000  # 2026-11-22 18:00 UTC, where the clock fixture starts
HOUR_MS = 3_600_000
DYNAMODB_ITEM_LIMIT = 400 * 1024


@pytest.fixture
def uex() -> FakeUex:
    return FakeUex()


@pytest.fixture
def service(sqlite_store: Store, clock: FixedClock, uex: FakeUex) -> PriceService:
    return PriceService(sqlite_store, clock, uex.client)


def expected_prices(name: str, commodity_id: int) -> list[int]:
    rows = fixture(name)["data"]
    found = [to_auec(r["price_sell"]) for r in rows if r["id_commodity"] == commodity_id]
    return sorted((p for p in found if p), reverse=True)


# --- refresh ----------------------------------------------------------------------------------


def test_refresh_prices_every_catalogue_ore_by_id(service: PriceService, clock: FixedClock) -> None:
    outcome = service.refresh()
    assert outcome.ok
    assert outcome.reason is None
    assert outcome.fetched_ms == T0
    assert outcome.game_version == "4.9"
    snapshot = service.current()
    assert snapshot.source == "uex"
    assert snapshot.fetched_ms == T0
    assert set(snapshot.prices) == {ore.uex_id for ore in ores.all_ores()}
    assert outcome.priced == 50
    assert outcome.missing == ("Ouratite (Raw)", "Inert Materials")
    assert [o.name for o in snapshot.missing(ores.all_ores())] == list(outcome.missing)


def test_refined_ore_uses_commodity_terminals_without_the_one_paying_zero(
    service: PriceService,
) -> None:
    service.refresh()
    quan = service.current().price(58)
    assert quan is not None
    expected = expected_prices("commodities_prices_all.json", 58)
    assert [t.price_sell for t in quan.terminals] == expected
    assert quan.best_sell == expected[0]
    assert quan.average_sell == mean_half_up(expected)
    paying_zero = fixture("commodities_prices_all.json")["data"][0]
    assert paying_zero["price_sell"] == 0
    assert quan.at(paying_zero["id_terminal"]) is None


def test_raw_ore_uses_refinery_prices_not_the_refined_ore_sharing_its_code(
    service: PriceService,
) -> None:
    service.refresh()
    snapshot = service.current()
    raw, refined = snapshot.price(59), snapshot.price(58)
    assert raw is not None
    assert refined is not None
    assert [t.price_sell for t in raw.terminals] == expected_prices(
        "commodities_raw_prices_all.json", 59
    )
    assert all(t.terminal_name.startswith("Refinement") for t in raw.terminals)
    assert raw.best_sell is not None
    assert refined.best_sell is not None
    assert raw.best_sell < refined.best_sell / 2


def test_a_raw_ore_sold_at_commodity_terminals_is_priced_there(service: PriceService) -> None:
    service.refresh()
    ice = service.current().price(125)
    assert ice is not None
    assert [t.price_sell for t in ice.terminals] == expected_prices(
        "commodities_prices_all.json", 125
    )


def test_commodities_outside_the_catalogue_are_ignored(service: PriceService) -> None:
    service.refresh()
    snapshot = service.current()
    assert not {109, 36, 25} & set(snapshot.prices)  # Steel, Hadanite, Diamond


def test_game_version_falls_back_to_the_rows_when_game_versions_fails(
    service: PriceService, uex: FakeUex
) -> None:
    uex.fail("game_versions", lambda: httpx.Response(503))
    outcome = service.refresh()
    assert outcome.ok
    assert outcome.game_version == "4.9"


def test_refresh_stores_current_history_and_an_outcome(
    service: PriceService, sqlite_store: Store, clock: FixedClock
) -> None:
    service.refresh()
    items = {item["sk"]: item for item in sqlite_store.query_all(PRICES_PK)}
    stamp = f"{T0:013d}"
    assert {"CURRENT", f"SNAP#{stamp}", f"REFRESH#{stamp}", "LAST_REFRESH"} <= set(items)
    assert items[f"SNAP#{stamp}"]["ttl"] > T0 // 1000
    assert "body" not in items[f"SNAP#{stamp}"]  # listing history reads no prices
    assert items[f"SNAPPART#{stamp}#00"]["ttl"] == items[f"SNAP#{stamp}"]["ttl"]
    assert items[f"REFRESH#{stamp}"]["ok"] is True
    assert items["LAST_REFRESH"]["last_ok_ms"] == T0


def test_history_keeps_every_snapshot_newest_first(
    service: PriceService, clock: FixedClock, uex: FakeUex
) -> None:
    service.refresh()
    clock.advance(ms=HOUR_MS)
    uex.overrides["game_versions"] = {"status": "ok", "data": {"live": "4.9.1"}}
    service.refresh()
    assert service.history() == [T0 + HOUR_MS, T0]
    older = service.snapshot(T0)
    assert older is not None
    assert older.game_version == "4.9"
    assert service.current().game_version == "4.9.1"


# --- failures keep the last snapshot ----------------------------------------------------------


def test_a_failed_refresh_keeps_the_last_snapshot_and_records_why(
    service: PriceService, clock: FixedClock, uex: FakeUex
) -> None:
    service.refresh()
    before = service.current()
    clock.advance(ms=HOUR_MS)
    uex.fail("*", lambda: httpx.Response(503))
    outcome = service.refresh()
    assert not outcome.ok
    assert outcome.reason is not None
    assert "UEX server error (HTTP 503)" in outcome.reason
    assert service.current() == before
    last = service.last_refresh()
    assert last is not None
    assert not last.ok
    assert last.reason == outcome.reason
    assert last.at_ms == T0 + HOUR_MS
    assert service.last_success_ms() == T0
    assert [o.ok for o in service.refresh_log()] == [False, True]


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: httpx.Response(429), "UEX rate limit"),
        (
            lambda: httpx.Response(200, json=fixture("error_requests_limit_reached.json")),
            "UEX rate limit",
        ),
        (
            lambda: httpx.Response(400, json=fixture("error_missing_id_commodity.json")),
            "UEX answered status 'missing_id_commodity'",
        ),
        (
            lambda: httpx.Response(403, text=(FIXTURES / "cloudflare_403.html").read_text()),
            "UEX refused the request (HTTP 403)",
        ),
    ],
)
def test_failure_reasons_are_short_and_recorded(
    service: PriceService, uex: FakeUex, make: Callable[[], httpx.Response], reason: str
) -> None:
    uex.fail("commodities_prices_all", make)
    outcome = service.refresh()
    assert not outcome.ok
    assert outcome.reason is not None
    assert outcome.reason.startswith(reason)
    assert service.stored() is None
    assert service.current().source == "bundled"


def test_an_empty_answer_does_not_replace_real_prices(
    service: PriceService, clock: FixedClock, uex: FakeUex
) -> None:
    service.refresh()
    clock.advance(ms=HOUR_MS)
    uex.overrides["commodities_prices_all"] = fixture("empty.json")
    uex.overrides["commodities_raw_prices_all"] = {"status": "ok", "data": None}
    outcome = service.refresh()
    assert not outcome.ok
    assert outcome.reason == "UEX returned no price for any catalogue ore."
    assert service.current().fetched_ms == T0


def test_without_a_price_source_refresh_records_offline_mode(
    sqlite_store: Store, clock: FixedClock
) -> None:
    service = PriceService(sqlite_store, clock, None)
    outcome = service.refresh()
    assert not outcome.ok
    assert "No price source" in (outcome.reason or "")
    assert service.last_refresh() == outcome


def test_an_unexpected_error_is_recorded_then_raised(
    sqlite_store: Store, clock: FixedClock
) -> None:
    class Broken:
        def commodities_prices_all(self) -> list[Any]:
            raise RuntimeError("bug")

        def commodities_raw_prices_all(self) -> list[Any]:
            return []

        def refineries_yields(self) -> list[Any]:
            return []

        def game_versions(self) -> dict[str, str]:
            return {}

    service = PriceService(sqlite_store, clock, Broken)
    with pytest.raises(RuntimeError):
        service.refresh()
    last = service.last_refresh()
    assert last is not None
    assert last.reason == "Unexpected RuntimeError while refreshing prices."


# --- bundled fallback and staleness -----------------------------------------------------------


def test_current_falls_back_to_the_bundled_offline_snapshot(service: PriceService) -> None:
    snapshot = service.current()
    assert snapshot.source == "bundled"
    assert snapshot == bundled_snapshot()
    quan = snapshot.price(58)
    assert quan is not None
    assert quan.average_sell == 143973
    assert quan.best_sell is None
    assert quan.terminals == ()
    assert snapshot.is_stale(T0)


def test_the_bundled_file_is_labelled_as_an_offline_sample() -> None:
    path = Path(prices_module.__file__).parents[1] / "data" / "prices_bundled.json"
    data = json.loads(path.read_text("utf-8"))
    assert data["source"] == "bundled"
    assert data["date"].startswith("2026-06")
    assert "offline sample for the demo and tests, not live prices" in data["note"].lower()


def test_staleness_follows_the_clock(service: PriceService, clock: FixedClock) -> None:
    service.refresh()
    clock.advance(ms=HOUR_MS)
    snapshot = service.current()
    assert snapshot.age_ms(clock.now_ms()) == HOUR_MS
    assert not snapshot.is_stale(clock.now_ms())
    clock.advance(ms=24 * HOUR_MS)
    assert snapshot.is_stale(clock.now_ms())
    assert not snapshot.is_stale(clock.now_ms(), max_age_ms=48 * HOUR_MS)


# --- item sizes, parts and races --------------------------------------------------------------


def item_bytes(item: dict[str, Any]) -> int:
    """DynamoDB's count, rounded up: UTF-8 bytes of names and strings, numbers as digits."""
    size = 0
    for name, value in item.items():
        text = value if isinstance(value, str) else json.dumps(value)
        size += len(name.encode()) + len(text.encode())
    return size


def full_size_snapshot(fetched_ms: int) -> PriceSnapshot:
    """Far beyond UEX today (2 597 + 335 rows in all): every ore at 250 terminals of its own,
    each with a long name, about 1 MB of JSON."""
    prices = {}
    for ore in ores.all_ores():
        terminals = [
            TerminalPrice(
                ore.uex_id * 1000 + n, f"Refinement Processing - Long Name {n:04d}", n + 1
            )
            for n in range(250)
        ]
        prices[ore.uex_id] = OrePrice.from_terminals(ore.uex_id, terminals)
    return PriceSnapshot(fetched_ms, "4.9", "uex", prices)


class FullSizeSource:
    def __init__(self, snapshot: PriceSnapshot) -> None:
        self.snapshot = snapshot

    def commodities_prices_all(self) -> list[Any]:
        from sunday_mining.domain.prices import SellQuote

        return [
            SellQuote(ore_id, t.terminal_id, t.terminal_name, t.price_sell)
            for ore_id, price in self.snapshot.prices.items()
            for t in price.terminals
        ]

    def commodities_raw_prices_all(self) -> list[Any]:
        return []

    def refineries_yields(self) -> list[Any]:
        raise PriceSourceError("This source has no refinery yields.")  # as the snapshot

    def game_versions(self) -> dict[str, str]:
        return {"live": "4.9"}


def test_a_fixture_snapshot_is_one_small_item(service: PriceService, sqlite_store: Store) -> None:
    service.refresh()
    current = sqlite_store.get((PRICES_PK, "CURRENT"))
    assert current is not None
    assert current["parts"] == 1
    assert item_bytes(current) < 50_000


def test_a_huge_snapshot_is_split_below_the_dynamodb_item_limit(
    sqlite_store: Store, clock: FixedClock
) -> None:
    big = full_size_snapshot(T0)
    service = PriceService(sqlite_store, clock, lambda: FullSizeSource(big))
    assert service.refresh().ok
    items = sqlite_store.query_all(PRICES_PK)
    assert max(item_bytes(i) for i in items) < MAX_PART_BYTES + 1_000 < DYNAMODB_ITEM_LIMIT
    current = sqlite_store.get((PRICES_PK, "CURRENT"))
    assert current is not None
    assert current["parts"] > 1
    assert service.current() == big
    assert service.snapshot(T0) == big


def test_the_dynamodb_store_accepts_a_huge_snapshot(
    dynamodb_store: Store, clock: FixedClock
) -> None:
    big = full_size_snapshot(T0)
    service = PriceService(dynamodb_store, clock, lambda: FullSizeSource(big))
    assert service.refresh().ok
    assert service.current() == big


def test_fewer_parts_next_time_removes_the_leftovers(
    sqlite_store: Store, clock: FixedClock, uex: FakeUex
) -> None:
    service = PriceService(sqlite_store, clock, uex.client, max_part_bytes=1_000)
    service.refresh()
    many = len(sqlite_store.query_all(PRICES_PK, SortKey.begins_with("CURRENT")))
    assert many > 5
    assert service.current().fetched_ms == T0
    clock.advance(ms=HOUR_MS)
    fewer = PriceService(sqlite_store, clock, uex.client)
    fewer.refresh()
    assert len(sqlite_store.query_all(PRICES_PK, SortKey.begins_with("CURRENT"))) == 1
    assert fewer.current() == service.current()
    assert service.snapshot(T0) is not None


def test_a_torn_read_of_current_falls_back_to_the_history_copy(
    sqlite_store: Store, clock: FixedClock, uex: FakeUex
) -> None:
    service = PriceService(sqlite_store, clock, uex.client, max_part_bytes=2_000)
    service.refresh()
    part = sqlite_store.get((PRICES_PK, "CURRENT#PART#01"))
    assert part is not None
    sqlite_store.put({**part, "fetched_ms": T0 + 1})  # as if a newer refresh were half-written
    snapshot = service.current()
    assert snapshot.fetched_ms == T0
    assert snapshot == service.snapshot(T0)


def test_an_older_refresh_never_replaces_a_newer_current_snapshot(
    service: PriceService, clock: FixedClock
) -> None:
    clock.set(T0 + HOUR_MS)
    service.refresh()
    clock.set(T0)  # an overlapping run that started earlier finishes later
    outcome = service.refresh()
    assert outcome.ok
    assert service.current().fetched_ms == T0 + HOUR_MS
    assert service.history() == [T0 + HOUR_MS, T0]


# --- the Lambda composition root --------------------------------------------------------------


def test_the_factory_reads_base_url_and_token_from_env(uex: FakeUex) -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return uex(request)

    http = httpx.Client(transport=httpx.MockTransport(record))
    env = {"UEX_BASE_URL": "https://uex.example/2.0/", "UEX_API_TOKEN": "t" * 40}
    pricing_lambda.uex_client_factory(Settings.from_env(env), http)().game_versions()
    assert str(seen[0].url) == "https://uex.example/2.0/game_versions"
    assert seen[0].headers["Authorization"] == "Bearer " + "t" * 40


def test_the_handler_refreshes_and_answers_a_small_outcome(
    sqlite_store: Store, clock: FixedClock, uex: FakeUex, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    http = httpx.Client(transport=httpx.MockTransport(uex))
    service = pricing_lambda.build_price_service(sqlite_store, clock, Settings.from_env({}), http)
    monkeypatch.setattr(pricing_lambda, "_built", (service, sqlite_store))
    path = Path(__file__).resolve().parents[2] / "functions" / "pricing_refresh" / "handler.py"
    spec = importlib.util.spec_from_file_location("pricing_refresh_handler", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    answer = module.handler({"source": "aws.scheduler"}, None)
    assert answer == {
        "ok": True,
        "reason": None,
        "fetched_ms": T0,
        "game_version": "4.9",
        "priced": 50,
        "missing": 2,
    }
    json.dumps(answer)
    assert RefreshOutcome.from_item({**service.refresh_log()[0].to_dict()}).ok


def test_a_refresh_keeps_the_refineries_yield_bonuses(
    sqlite_store: Store, clock: FixedClock
) -> None:
    service = PriceService(sqlite_store, clock, FakeUex().client)
    assert service.refresh().ok
    current = service.current()
    assert current.refinery_bonuses(246) == {59: 3, 34: -2}
    assert current.refinery_bonuses(243) is None  # only unusable rows for MIC-L2


def test_a_refresh_without_the_yields_endpoint_keeps_the_prices_and_no_yields(
    sqlite_store: Store, clock: FixedClock
) -> None:
    uex = FakeUex()
    uex.fail("refineries_yields", lambda: httpx.Response(404, text="not here"))
    service = PriceService(sqlite_store, clock, uex.client)
    outcome = service.refresh()
    assert outcome.ok
    assert outcome.priced > 0
    assert service.current().yields is None
