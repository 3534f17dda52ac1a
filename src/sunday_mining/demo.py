"""`make demo`: the whole app on the embedded default, played through the Discord simulator.

A fresh SQLite store, the real HTTP app on a loopback port, and a scripted Sunday op: an admin
sets the server up, members sit in the mining channels, a leader starts the op, checks status
and stops it. Time is compressed: the app's clock is moved by the script, not by waiting.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.bootstrap import Services, build_services
from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.presence import VoiceEvent
from sunday_mining.interactions.commands import command_json
from sunday_mining.local import running_app
from sunday_mining.schema.migrations import migrate
from sunday_mining.services.voice import VoiceBatch
from sunday_mining.simulator import (
    DevKeyPair,
    DiscordSimulator,
    Exchange,
    SimGuild,
    sample_guild,
)
from sunday_mining.web.app import create_app

DEMO_DIR = Path("var/demo")
START_MS = 1_795_370_400_000  # Sunday 2026-11-22 18:00 UTC


@dataclass
class _Voice:
    """Stands in for the voice worker: reports members sitting down, moving and leaving."""

    services: Services
    clock: FixedClock
    guild_id: str
    seq: int = 0

    def move(self, user_id: str, channel_id: str | None) -> None:
        self.seq += 1
        event = VoiceEvent(self.clock.now_ms(), "demo-worker", self.seq, user_id, channel_id)
        self.services.voice.record(
            VoiceBatch(self.guild_id, "demo-worker", self.seq, events=(event,))
        )


def _named(guild: SimGuild, text: str) -> str:
    """Mentions as a Discord client shows them: <@id> → @name, <#id> → #channel."""
    names = {f"<@{m.id}>": f"@{m.display_name}" for m in guild.members}
    names |= {f"<#{c.id}>": f"#{c.name}" for c in guild.channels}
    names |= {f"<@&{r.id}>": f"@{r.name}" for r in guild.roles}
    return re.sub(r"<[@#]&?\d+>", lambda m: names.get(m.group(0), m.group(0)), text)


def _say(guild: SimGuild, step: str, exchange: Exchange) -> None:
    shown = exchange.content.split("\n")[0]
    if not shown and exchange.data.get("embeds"):
        shown = exchange.data["embeds"][0].get("title", "")
    print(f"  {step:<30} → {_named(guild, shown)}")


def run(base_dir: Path = DEMO_DIR) -> Path:
    """Play the op; returns the transcript's path."""
    shutil.rmtree(base_dir, ignore_errors=True)  # a second run starts clean
    base_dir.mkdir(parents=True)
    clock = FixedClock(START_MS)
    store = SqliteStore(base_dir / "demo.sqlite3")
    migrate(store, clock)
    services = build_services(store, clock)
    keys = DevKeyPair.generate()
    guild = sample_guild()
    app = create_app(services, public_key_hex=keys.public_key_hex)
    with (
        running_app(app) as base,
        DiscordSimulator.over_http(base, keys=keys, guild=guild, definitions=command_json()) as sim,
    ):
        print(f"Sunday Mining is listening on {base} (store: {base_dir / 'demo.sqlite3'})")
        admin, lead = guild.member("admin"), guild.member("lead")
        voice = _Voice(services, clock, guild.id)
        mining_1, mining_2 = guild.channel("Mining 1"), guild.channel("Mining 2")

        _say(
            guild,
            "admin: channels add Mining 1",
            sim.command(admin, "mining-admin channels add", channel=mining_1, dispatch=True),
        )
        _say(
            guild,
            "admin: channels add Mining 2",
            sim.command(admin, "mining-admin channels add", channel=mining_2),
        )
        _say(
            guild,
            "admin: roles add leader",
            sim.command(admin, "mining-admin roles add", kind="leader", role=guild.role("Leader")),
        )

        voice.move(guild.member("ana").id, mining_1.id)
        voice.move(guild.member("ben").id, mining_1.id)
        _say(guild, "lead: /mining start", sim.command(lead, "mining start", name="Demo Sunday"))
        clock.advance(minutes=25)
        voice.move(guild.member("cy").id, mining_2.id)
        clock.advance(minutes=35)
        voice.move(guild.member("ben").id, mining_2.id)
        clock.advance(minutes=30)
        voice.move(guild.member("cy").id, None)
        status = sim.command(lead, "mining status")
        _say(guild, "lead: /mining status", status)
        clock.advance(minutes=30)
        stopped = sim.command(lead, "mining stop")
        _say(guild, "lead: /mining stop", stopped)
        for field in stopped.data["embeds"][0]["fields"]:
            value = _named(guild, field["value"]).replace("\n", "; ")
            print(f"    {field['name']}: {value}")
        transcript = base_dir / "transcript.txt"
        transcript.write_text(sim.transcript.to_text(), encoding="utf-8")
        sim.transcript.save(base_dir / "transcript.json")
    store.close()
    print(f"What Discord would have shown: {transcript}")
    return transcript
