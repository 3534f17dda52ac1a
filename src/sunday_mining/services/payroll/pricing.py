"""Pricing an ore entry from the price snapshot, or as the officer typed it."""

from __future__ import annotations

from sunday_mining.domain import ores as ore_catalogue
from sunday_mining.domain.errors import ValidationError
from sunday_mining.domain.payroll import (
    PRICE_TYPED,
    IncomeLine,
)
from sunday_mining.domain.prices import PriceSnapshot
from sunday_mining.services.payroll.model import OreEntry, PayrollVersion, PriceMode
from sunday_mining.services.payroll.text import age_text, scu_text


def price_line(
    entry: OreEntry, snapshot: PriceSnapshot, draft: PayrollVersion, now: int
) -> IncomeLine:
    ore = ore_catalogue.get(entry.ore_id)
    if ore is None:
        raise ValidationError("I don't know that ore; pick one from the list.")
    if entry.mode is PriceMode.TYPED:
        if entry.typed_price is None:
            raise ValidationError(f"Type a price for {ore.name}, e.g. 10 @ 9000.")
        return IncomeLine.ore(ore.uex_id, ore.name, entry.scu_centi, entry.typed_price, PRICE_TYPED)
    price = snapshot.price(ore.uex_id)
    if price is None:
        raise ValidationError(
            f"No terminal buys {ore.name} in the price snapshot; type its price, e.g. "
            f"'{ore.code} {scu_text(entry.scu_centi)} @ 9000'."
        )
    if snapshot.is_stale(now) and draft.stale_accepted_ms != snapshot.fetched_ms:
        age = age_text(snapshot.age_ms(now))
        raise ValidationError(
            f"The stored prices are {age} old; press 'Use these prices' on the haul step to "
            "accept them, or type each price (e.g. 32.5 @ 9000)."
        )
    value, source = price.best_sell, "snapshot:best"
    if entry.mode is PriceMode.AVERAGE or value is None:
        # A snapshot with only UEX-wide averages has no best price: the line says so.
        value, source = price.average_sell, "snapshot:average"
    if value is None:  # has_price guarantees one of the two
        raise ValidationError(f"{ore.name} has no price in the snapshot; type its price.")
    return IncomeLine.ore(ore.uex_id, ore.name, entry.scu_centi, value, source, snapshot.fetched_ms)
