"""Price snapshots: what each ore sold for, terminal by terminal, at one moment.

Prices are integer aUEC per SCU. A snapshot covers every catalogue ore; an ore nobody buys has
an entry without a price, so a missing price is visible (``missing``) instead of silently 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

from sunday_mining.domain.errors import DomainError
from sunday_mining.domain.ores import Ore


def format_auec(amount: int) -> str:
    """1234567 -> "1,234,567 aUEC"."""
    return f"{amount:,} aUEC"


PriceSourceName = Literal["uex", "bundled"]
DAY_MS = 86_400_000


class PriceSourceError(DomainError):
    """The price source gave no usable answer; the message is short and safe to show."""


def to_auec(value: object) -> int | None:
    """A UEX price (float, int or numeric text) as whole aUEC, or None if it is not a price.

    UEX sends floats such as 147250.75 and, on some endpoints, numbers as text. Python's
    ``round`` rounds halves to even and sees binary noise (2.675 becomes 2.67), so the same
    listed price could round differently from one place to another. Going through
    ``Decimal(str(value))`` rounds the number as UEX printed it, halves up: 147250.5 -> 147251.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or number < 0:
        return None
    return int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def mean_half_up(values: Iterable[int]) -> int | None:
    """The mean of whole non-negative numbers, rounded half up, in exact integer arithmetic."""
    items = list(values)
    if not items:
        return None
    return (2 * sum(items) + len(items)) // (2 * len(items))


@dataclass(frozen=True, slots=True)
class TerminalPrice:
    terminal_id: int
    terminal_name: str
    price_sell: int  # aUEC per SCU the terminal pays; terminals paying 0 are left out


@dataclass(frozen=True, slots=True)
class OrePrice:
    ore_id: int
    best_sell: int | None
    average_sell: int | None  # unweighted mean over the terminals (or a UEX-wide average)
    terminals: tuple[TerminalPrice, ...] = ()  # best first

    @property
    def has_price(self) -> bool:
        return self.best_sell is not None or self.average_sell is not None

    def at(self, terminal_id: int) -> TerminalPrice | None:
        return next((t for t in self.terminals if t.terminal_id == terminal_id), None)

    @staticmethod
    def from_terminals(ore_id: int, terminals: Iterable[TerminalPrice]) -> OrePrice:
        paying = sorted(
            (t for t in terminals if t.price_sell > 0),
            key=lambda t: (-t.price_sell, t.terminal_name, t.terminal_id),
        )
        best = paying[0].price_sell if paying else None
        average = mean_half_up(t.price_sell for t in paying)
        return OrePrice(ore_id, best, average, tuple(paying))


@dataclass(frozen=True)
class PriceSnapshot:
    fetched_ms: int
    game_version: str
    source: PriceSourceName
    prices: dict[int, OrePrice] = field(default_factory=dict)
    # Refinery yield bonuses in percent, by refinery terminal id then raw ore id (UEX's
    # ``refineries_yields``); None when the snapshot has none (the bundled sample, or UEX did
    # not answer that endpoint).
    yields: dict[int, dict[int, int]] | None = None

    def price(self, ore_id: int) -> OrePrice | None:
        found = self.prices.get(ore_id)
        return found if found is not None and found.has_price else None

    def age_ms(self, now: int) -> int:
        return max(0, now - self.fetched_ms)

    def is_stale(self, now: int, max_age_ms: int = DAY_MS) -> bool:
        return self.age_ms(now) > max_age_ms

    def missing(self, catalogue: Iterable[Ore]) -> tuple[Ore, ...]:
        """The catalogue ores this snapshot has no price for."""
        return tuple(ore for ore in catalogue if self.price(ore.uex_id) is None)

    def priced_count(self) -> int:
        return sum(1 for price in self.prices.values() if price.has_price)

    def refinery_bonuses(self, terminal_id: int) -> dict[int, int] | None:
        """The refinery's yield bonus per raw ore id (an ore without a row has none), or None
        when this snapshot has no yield rows for that refinery."""
        if self.yields is None or terminal_id not in self.yields:
            return None
        return dict(self.yields[terminal_id])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, ints only; terminal names once in a table to keep stored items small."""
        names: dict[str, str] = {}
        prices: dict[str, Any] = {}
        for ore_id in sorted(self.prices):
            price = self.prices[ore_id]
            for t in price.terminals:
                names[str(t.terminal_id)] = t.terminal_name
            prices[str(ore_id)] = {
                "best_sell": price.best_sell,
                "average_sell": price.average_sell,
                "sell": [[t.terminal_id, t.price_sell] for t in price.terminals],
            }
        data: dict[str, Any] = {
            "fetched_ms": self.fetched_ms,
            "game_version": self.game_version,
            "source": self.source,
            "terminals": names,
            "prices": prices,
        }
        if self.yields is not None:
            data["yields"] = {
                str(terminal): {str(ore): bonus for ore, bonus in sorted(by_ore.items())}
                for terminal, by_ore in sorted(self.yields.items())
            }
        return data

    @staticmethod
    def from_dict(data: dict[str, Any]) -> PriceSnapshot:
        source = data["source"]
        if source not in ("uex", "bundled"):
            raise ValueError(f"unknown price source {source!r}")
        names: dict[str, str] = data.get("terminals", {})
        prices = {
            int(ore_id): _ore_price_from_dict(int(ore_id), entry, names)
            for ore_id, entry in data["prices"].items()
        }
        yields = data.get("yields")
        return PriceSnapshot(
            int(data["fetched_ms"]),
            str(data["game_version"]),
            source,
            prices,
            None
            if yields is None
            else {
                int(terminal): {int(ore): int(bonus) for ore, bonus in by_ore.items()}
                for terminal, by_ore in yields.items()
            },
        )


def _ore_price_from_dict(ore_id: int, entry: dict[str, Any], names: dict[str, str]) -> OrePrice:
    terminals = tuple(
        TerminalPrice(int(tid), names.get(str(tid), f"Terminal {tid}"), int(price))
        for tid, price in entry.get("sell", [])
    )
    return OrePrice(ore_id, entry.get("best_sell"), entry.get("average_sell"), terminals)


# --- building a snapshot from a price source's rows -------------------------------------------


@dataclass(frozen=True, slots=True)
class YieldBonus:
    """A refinery terminal's yield bonus for one raw ore, in whole percent, as the price
    source reported it (UEX ``refineries_yields``: ``value``)."""

    terminal_id: int
    commodity_id: int
    percent: int


@dataclass(frozen=True, slots=True)
class SellQuote:
    """One terminal's sell price for one commodity, as the price source reported it."""

    commodity_id: int
    terminal_id: int
    terminal_name: str
    price_sell: int | None  # None or 0: the terminal is not buying
    game_version: str | None = None


def build_snapshot(
    catalogue: Iterable[Ore],
    refined_quotes: Iterable[SellQuote],
    raw_quotes: Iterable[SellQuote],
    *,
    fetched_ms: int,
    game_version: str,
    source: PriceSourceName = "uex",
    yields: Iterable[YieldBonus] | None = None,
) -> PriceSnapshot:
    """Price every catalogue ore from terminal quotes, matched by commodity id only.

    Refined ore is priced at commodity terminals (``commodities_prices``), raw ore at refinery
    "Ore Sales" terminals (``commodities_raw_prices``). A raw ore that also shows up at a
    commodity terminal (Ice, Inert Materials) keeps those rows too; where one terminal appears
    in both lists, the list for the ore's own form wins.
    """
    refined = _by_commodity(refined_quotes)
    raw = _by_commodity(raw_quotes)
    prices: dict[int, OrePrice] = {}
    for ore in catalogue:
        own, other = (raw, refined) if ore.is_raw else (refined, raw)
        merged = _merge(own.get(ore.uex_id, []), other.get(ore.uex_id, []))
        prices[ore.uex_id] = OrePrice.from_terminals(ore.uex_id, merged)
    by_terminal: dict[int, dict[int, int]] | None = None
    if yields is not None:
        by_terminal = {}
        for bonus in yields:
            by_terminal.setdefault(bonus.terminal_id, {})[bonus.commodity_id] = bonus.percent
    return PriceSnapshot(fetched_ms, game_version, source, prices, by_terminal)


def _by_commodity(quotes: Iterable[SellQuote]) -> dict[int, list[SellQuote]]:
    grouped: dict[int, list[SellQuote]] = {}
    for quote in quotes:
        if quote.price_sell:
            grouped.setdefault(quote.commodity_id, []).append(quote)
    return grouped


def _merge(first: list[SellQuote], second: list[SellQuote]) -> list[TerminalPrice]:
    seen: set[int] = set()
    merged: list[TerminalPrice] = []
    for quote in (*first, *second):
        if quote.terminal_id in seen or quote.price_sell is None:
            continue
        seen.add(quote.terminal_id)
        merged.append(TerminalPrice(quote.terminal_id, quote.terminal_name, quote.price_sell))
    return merged
