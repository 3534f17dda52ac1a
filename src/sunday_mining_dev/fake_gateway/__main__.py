"""``python -m sunday_mining_dev.fake_gateway``: the loopback fake Discord as a process of its own.

For running a worker that is not in this process (the container image in ``make image-check``):
point it at the fake with ``SM_DISCORD_API_BASE`` and ``SM_DISCORD_GATEWAY_URL``. The first line
on stdout is a JSON object with both addresses, the bot token and the sample guild; after that
one JSON line each time what the fake observed changes (identifies, resumes, a client
connected). It stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Sequence
from typing import Any

from sunday_mining_dev.fake_gateway.model import FakeGuild, FakeMember, FakeVoiceChannel
from sunday_mining_dev.fake_gateway.server import FakeDiscord

GUILD_ID = "800000000000000001"
DISPATCH_ID = "800000000000000011"
MINING_ID = "800000000000000012"


def sample_guild() -> FakeGuild:
    """Two voice channels, two members already seated in the mining one."""
    return FakeGuild(
        id=GUILD_ID,
        name="Sunday Miners",
        channels=[
            FakeVoiceChannel(DISPATCH_ID, "Dispatch", position=0),
            FakeVoiceChannel(MINING_ID, "Mining", position=1),
        ],
        members=[
            FakeMember("700000000000000001", "alice"),
            FakeMember("700000000000000002", "bob"),
        ],
        voice_states={"700000000000000001": MINING_ID, "700000000000000002": MINING_ID},
    )


def _observed(fake: FakeDiscord) -> dict[str, Any]:
    return {
        "identify_count": fake.identify_count,
        "resume_count": fake.resume_count,
        "connected": fake.connected,
        "protocol_errors": len(fake.protocol_errors),
    }


def _say(line: dict[str, Any]) -> None:
    print(json.dumps(line), flush=True)


async def run(heartbeat_interval_ms: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    guild = sample_guild()
    async with FakeDiscord(guilds=[guild], heartbeat_interval_ms=heartbeat_interval_ms) as fake:
        _say(
            {
                "rest_base": fake.rest_base,
                "gateway_url": fake.gateway_url,
                "token": fake.token,
                "guild_id": guild.id,
                "voice_states": guild.voice_states,
            }
        )
        last: dict[str, Any] = {}
        while not stop.is_set():
            now = _observed(fake)
            if now != last:
                _say(now)
                last = now
            try:
                await asyncio.wait_for(stop.wait(), 0.1)
            except TimeoutError:
                continue


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sunday_mining_dev.fake_gateway",
        description="A loopback fake of Discord's REST login and gateway, for a worker to use.",
    )
    parser.add_argument(
        "--heartbeat-ms", type=int, default=1000, help="gateway heartbeat interval (ms)"
    )
    args = parser.parse_args(argv)
    asyncio.run(run(args.heartbeat_ms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
