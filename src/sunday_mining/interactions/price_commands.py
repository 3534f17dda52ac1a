"""/mining prices [ore]: what the stored snapshot says, with its source and age."""

from __future__ import annotations

from typing import Any

from sunday_mining.domain import ores
from sunday_mining.domain.errors import ValidationError
from sunday_mining.domain.ids import ascii_number
from sunday_mining.domain.prices import PriceSnapshot, format_auec
from sunday_mining.interactions.context import Context
from sunday_mining.interactions.render import duration
from sunday_mining.interactions.responses import COLOUR_INFO, COLOUR_WARN, Embed, choices, message

TOP_TERMINALS = 10


def source_line(snapshot: PriceSnapshot, now_ms: int) -> str:
    if snapshot.source == "bundled":
        return (
            "⚠️ Bundled offline sample, not live prices: the price refresh has not run yet "
            "(see /mining diagnostics)."
        )
    age = duration(snapshot.age_ms(now_ms))
    stale = " ⚠️ more than a day old" if snapshot.is_stale(now_ms) else ""
    return f"UEX prices fetched {age} ago, game version {snapshot.game_version}.{stale}"


def _headline(price_best: int | None, price_average: int | None) -> str:
    """An ore's prices in words: the best terminal price and the average across terminals, or
    the average alone when no terminal is listed (as in the bundled sample)."""
    if price_best is not None and price_average is not None:
        return f"best {format_auec(price_best)} · average {format_auec(price_average)}"
    if price_best is not None:
        return f"best {format_auec(price_best)}"
    if price_average is not None:
        return f"{format_auec(price_average)} on average"
    return "no price"


def _terminals_note(snapshot: PriceSnapshot) -> str:
    if any(p.best_sell is not None for p in snapshot.prices.values()):
        return "The best price is the best terminal's; payroll uses it unless told otherwise."
    return (
        "This snapshot lists no terminals, only the average across them, so payroll prices "
        "ores at the average until the price refresh brings terminal prices."
    )


def prices(ctx: Context) -> dict[str, Any]:
    snapshot = ctx.services.prices.current()
    now = ctx.now_ms()
    typed = ctx.interaction.string("ore")
    colour = COLOUR_WARN if snapshot.source == "bundled" or snapshot.is_stale(now) else COLOUR_INFO
    if typed:
        return message(embeds=[_one_ore(snapshot, typed, now, colour)], ephemeral=True)
    lines = []
    for ore in ores.all_ores():
        price = snapshot.price(ore.uex_id)
        if price is not None and not ore.is_raw:
            lines.append((price.best_sell or price.average_sell or 0, ore.name, price))
    lines.sort(key=lambda entry: (-entry[0], entry[1]))
    body = "\n".join(
        f"**{name}** — {_headline(p.best_sell, p.average_sell)}" for _, name, p in lines
    )
    description = f"{_terminals_note(snapshot)}\n\n{body}" if body else "No prices yet."
    embed = Embed("Refined ore prices (aUEC per SCU)", description, colour)
    embed.footer = source_line(snapshot, now)
    return message(embeds=[embed], ephemeral=True)


def _one_ore(snapshot: PriceSnapshot, typed: str, now: int, colour: int) -> Embed:
    number = ascii_number(typed)
    ore = ores.lookup(typed) if number is None else ores.get(number)
    if ore is None:
        raise ValidationError(f"I don't know an ore called '{typed[:40]}'; pick one from the list.")
    price = snapshot.price(ore.uex_id)
    embed = Embed(f"{ore.name} ({ore.code})", colour=colour)
    if price is None:
        embed.description = "No terminal buys it in this snapshot."
    else:
        embed.description = _headline(price.best_sell, price.average_sell) + " per SCU"
        if price.best_sell is None:
            embed.description += "; no terminal is listed for it in this snapshot"
        terminals = [
            f"{t.terminal_name} — {format_auec(t.price_sell)}"
            for t in price.terminals[:TOP_TERMINALS]
        ]
        if terminals:
            embed.add("Where it sells best", "\n".join(terminals))
    pair = ores.raw_of(ore) if not ore.is_raw else ores.refined_of(ore)
    if pair is not None and pair.uex_id != ore.uex_id:
        paired = snapshot.price(pair.uex_id)
        embed.add(
            pair.name,
            _headline(paired.best_sell, paired.average_sell) if paired else "no price",
        )
    embed.footer = source_line(snapshot, now)
    return embed


def ore_autocomplete(ctx: Context) -> dict[str, Any]:
    typed = (ctx.interaction.focused or ("", ""))[1]
    return choices([(ore.name, str(ore.uex_id)) for ore in ores.search(typed)])
