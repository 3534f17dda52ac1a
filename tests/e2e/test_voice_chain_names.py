"""Display names along the whole voice chain: the loopback fake Discord → the real discord.py
client in the worker → the app's ingest API → the store, where a report can read them."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.voice_chain import (
    ANA,
    BEN,
    CY,
    GUILD,
    JUKEBOX,
    ROCK,
    Chain,
    chain,
    start_one_worker,
    world,
)

from sunday_mining_dev.fake_gateway import FakeGuild, FakeMember


def named_world() -> FakeGuild:
    """Ana sits in Rock from the start with a nickname; Ben has a global name, Cy neither."""
    guild = world(**{ANA: ROCK})
    guild.members = [
        FakeMember(ANA, "ana", global_name="Ana Smith", nick="Rockbreaker"),
        FakeMember(BEN, "ben", global_name="Ben B"),
        FakeMember(CY, "cy"),
        FakeMember(JUKEBOX, "jukebox", bot=True),
    ]
    return guild


def names_of(c: Chain) -> dict[str, str]:
    return c.services.names.lookup(GUILD, [ANA, BEN, CY, JUKEBOX])


@pytest.mark.asyncio
async def test_display_names_seen_by_the_worker_arrive_in_the_store(tmp_path: Path) -> None:
    async with chain(tmp_path, named_world()) as c:
        await start_one_worker(c)
        # From the snapshot sent when the guild became available: Ana was already seated.
        await c.until(lambda: names_of(c) == {ANA: "Rockbreaker"}, "ana's name")
        c.services.sessions.start_sunday(GUILD, "lead")  # so that `advance` awaits snapshots
        await c.fake.voice_join(GUILD, BEN, ROCK)
        await c.fake.voice_join(GUILD, CY, ROCK)
        await c.fake.voice_join(GUILD, JUKEBOX, ROCK)  # a bot: its name is never kept
        expected = {ANA: "Rockbreaker", BEN: "Ben B", CY: "cy"}
        await c.until(lambda: names_of(c) == expected, "the names of those who joined")
        await c.advance(2)  # snapshots after the bot's join, naming the same members
        assert names_of(c) == expected
