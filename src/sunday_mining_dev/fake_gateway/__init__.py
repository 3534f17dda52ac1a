"""A loopback fake of Discord's REST login and gateway v10 that the real discord.py connects to.

Usage (tests, demo)::

    async with FakeDiscord(guilds=[guild], heartbeat_interval_ms=1000) as fake:
        with fake.patch_discord():
            await client.start(fake.token)
"""

from __future__ import annotations

from sunday_mining_dev.fake_gateway.model import FakeGuild, FakeMember, FakeVoiceChannel
from sunday_mining_dev.fake_gateway.server import FakeDiscord, VoiceRequest

__all__ = ["FakeDiscord", "FakeGuild", "FakeMember", "FakeVoiceChannel", "VoiceRequest"]
