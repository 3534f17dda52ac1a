"""/mining prices through the simulator: the bundled sample at first, then a stored snapshot."""

from __future__ import annotations

from tests.e2e.conftest import Discord

from sunday_mining.domain.prices import OrePrice, PriceSnapshot, TerminalPrice
from sunday_mining.services.prices import PriceService

QUANTANIUM = "Quantainium"  # UEX's spelling; "Quantanium" is an alias


def test_prices_before_any_refresh_say_they_are_the_offline_sample(discord: Discord) -> None:
    answer = discord.command("ben", "mining prices")
    assert answer.ephemeral
    embed = answer.data["embeds"][0]
    assert embed["title"] == "Refined ore prices (aUEC per SCU)"
    assert "Bundled offline sample, not live prices" in embed["footer"]["text"]
    assert f"**{QUANTANIUM}**" in embed["description"]


def test_prices_from_averages_only_read_as_averages_and_say_why(discord: Discord) -> None:
    description = discord.command("ben", "mining prices").data["embeds"][0]["description"]
    assert "no terminal ·" not in description
    assert f"**{QUANTANIUM}** — 143,973 aUEC on average" in description
    assert "payroll prices ores at the average" in description


def test_autocomplete_offers_ores_and_the_choice_shows_its_terminals(discord: Discord) -> None:
    suggestions = discord.autocomplete("ben", "mining prices", "ore", "quan")
    names = [c["name"] for c in suggestions.data["choices"]]
    assert names[0] == QUANTANIUM
    ore_id = suggestions.data["choices"][0]["value"]
    quant = int(ore_id)
    snapshot = PriceSnapshot(
        fetched_ms=discord.clock.now_ms() - 3 * 3_600_000,
        game_version="4.3.2",
        source="uex",
        prices={
            quant: OrePrice.from_terminals(
                quant,
                [TerminalPrice(1, "Refinery A", 21_000), TerminalPrice(2, "Refinery B", 19_500)],
            )
        },
    )
    PriceService(discord.services.store, discord.clock)._save(snapshot, discord.clock.now_ms())
    answer = discord.command("ben", "mining prices", ore=ore_id)
    embed = answer.data["embeds"][0]
    assert embed["title"].startswith(QUANTANIUM)
    assert embed["description"] == "best 21,000 aUEC · average 20,250 aUEC per SCU"
    assert embed["fields"][0]["value"] == "Refinery A — 21,000 aUEC\nRefinery B — 19,500 aUEC"
    assert embed["footer"]["text"] == "UEX prices fetched 3 h 00 min ago, game version 4.3.2."


def test_an_unknown_ore_gets_a_clear_answer(discord: Discord) -> None:
    answer = discord.command("ben", "mining prices", ore="unobtainium")
    assert answer.ephemeral
    assert answer.content == "I don't know an ore called 'unobtainium'; pick one from the list."
