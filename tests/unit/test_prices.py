"""Price snapshots as domain values: rounding, best/average, missing ores, staleness, encoding."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sunday_mining.domain import ores
from sunday_mining.domain.prices import (
    DAY_MS,
    OrePrice,
    PriceSnapshot,
    SellQuote,
    TerminalPrice,
    build_snapshot,
    mean_half_up,
    to_auec,
)
from sunday_mining.services.prices import split_utf8


@pytest.mark.parametrize(
    ("value", "auec"),
    [
        (147250.5, 147251),
        (147250.49, 147250),
        (2.675, 3),
        (0.5, 1),
        (1.5, 2),
        (2.5, 3),  # round() would give 2
        (61000, 61000),
        ("61000.5", 61001),
        (" 12 ", 12),
        (0, 0),
    ],
)
def test_uex_prices_round_half_up(value: object, auec: int) -> None:
    assert to_auec(value) == auec


@pytest.mark.parametrize(
    "value", [None, True, False, -1, -0.5, float("nan"), float("inf"), "", "n/a", "1e", [1], {}]
)
def test_things_that_are_not_prices(value: object) -> None:
    assert to_auec(value) is None


def test_mean_rounds_half_up_exactly() -> None:
    assert mean_half_up([1, 2]) == 2
    assert mean_half_up([1, 2, 2]) == 2
    assert mean_half_up([10**15 + 1, 10**15]) == 10**15 + 1
    assert mean_half_up([]) is None


def test_ore_price_sorts_terminals_best_first_and_drops_zero() -> None:
    price = OrePrice.from_terminals(
        58, [TerminalPrice(1, "B", 100), TerminalPrice(2, "A", 300), TerminalPrice(3, "C", 0)]
    )
    assert [t.terminal_id for t in price.terminals] == [2, 1]
    assert (price.best_sell, price.average_sell) == (300, 200)
    assert price.at(3) is None
    assert price.at(1) == TerminalPrice(1, "B", 100)


def test_an_ore_without_terminals_has_no_price() -> None:
    price = OrePrice.from_terminals(58, [])
    assert not price.has_price
    assert price.best_sell is None
    assert price.average_sell is None


def quote(commodity: int, terminal: int, price: int | None, name: str = "T") -> SellQuote:
    return SellQuote(commodity, terminal, name, price)


def test_build_matches_by_id_and_keeps_raw_and_refined_apart() -> None:
    catalogue = [o for o in ores.all_ores() if o.uex_id in (58, 59)]
    snapshot = build_snapshot(
        catalogue,
        [quote(58, 1, 150_000), quote(58, 2, 0)],
        [quote(59, 9, 60_000)],
        fetched_ms=5,
        game_version="4.9",
    )
    assert snapshot.prices[58].best_sell == 150_000
    assert snapshot.prices[59].best_sell == 60_000
    assert [t.terminal_id for t in snapshot.prices[58].terminals] == [1]


def test_a_terminal_in_both_lists_counts_once_from_the_ores_own_list() -> None:
    ice = [o for o in ores.all_ores() if o.uex_id == 125]
    snapshot = build_snapshot(
        ice,
        [quote(125, 7, 500, "commodity"), quote(125, 8, 450)],
        [quote(125, 7, 400, "refinery")],
        fetched_ms=5,
        game_version="4.9",
    )
    assert [(t.terminal_id, t.price_sell) for t in snapshot.prices[125].terminals] == [
        (8, 450),
        (7, 400),
    ]


def test_missing_lists_catalogue_ores_without_a_price() -> None:
    catalogue = [o for o in ores.all_ores() if o.uex_id in (58, 59, 42)]
    snapshot = build_snapshot(catalogue, [quote(58, 1, 10)], [], fetched_ms=0, game_version="x")
    assert [o.uex_id for o in snapshot.missing(catalogue)] == [59, 42]
    assert snapshot.price(59) is None
    assert snapshot.priced_count() == 1


def test_staleness_is_strictly_older_than_the_limit() -> None:
    snapshot = PriceSnapshot(1_000, "4.9", "uex", {})
    assert snapshot.age_ms(1_000 + DAY_MS) == DAY_MS
    assert not snapshot.is_stale(1_000 + DAY_MS)
    assert snapshot.is_stale(1_001 + DAY_MS)
    assert snapshot.age_ms(0) == 0  # a clock behind the snapshot is not negative age


def test_snapshot_round_trips_through_json() -> None:
    catalogue = ores.all_ores()
    snapshot = build_snapshot(
        catalogue,
        [quote(58, 1, 150_000, "TDD - Area 18"), quote(33, 1, 30_000, "TDD - Area 18")],
        [quote(59, 246, 61_000, "Refinement Processing - ARC-L1")],
        fetched_ms=123,
        game_version="4.9",
    )
    text = json.dumps(snapshot.to_dict())
    assert PriceSnapshot.from_dict(json.loads(text)) == snapshot
    assert json.loads(text)["terminals"] == {
        "1": "TDD - Area 18",
        "246": "Refinement Processing - ARC-L1",
    }


def test_unknown_sources_are_refused() -> None:
    with pytest.raises(ValueError, match="price source"):
        PriceSnapshot.from_dict(
            {"fetched_ms": 1, "game_version": "x", "source": "web", "prices": {}}
        )


@given(st.text(), st.integers(min_value=4, max_value=64))
def test_split_utf8_never_cuts_a_character(text: str, max_bytes: int) -> None:
    chunks = split_utf8(text, max_bytes)
    assert "".join(chunks) == text
    assert all(len(chunk.encode()) <= max_bytes for chunk in chunks)
    assert chunks == [""] or all(chunks)


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False))
def test_to_auec_is_half_up_of_the_printed_number(value: object) -> None:
    from decimal import ROUND_HALF_UP, Decimal

    assert isinstance(value, Decimal)
    expected = int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert to_auec(str(value)) == expected
    assert to_auec(float(value)) == expected
