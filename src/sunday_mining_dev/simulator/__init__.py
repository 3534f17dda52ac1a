"""The local Discord: signed interactions in, REST calls out, a transcript of both.

Core modules import no FastAPI; the REST sink (:mod:`sunday_mining_dev.simulator.rest_sink`) is the
one that does, so import it explicitly where a sink has to run. Typical use::

    sink = SinkState(application_id=APP_ID, bot_token=BOT_TOKEN)
    with running_sink(sink) as api_base:            # http://127.0.0.1:PORT/api/v10
        app = build_app(public_key=keys.public_key_hex, discord_api=api_base, ...)
        with DiscordSimulator.in_process(app, keys=keys, application_id=APP_ID, sink=sink) as sim:
            lead = sim.guild.member("lead")
            status = sim.command(lead, "mining status")
            sim.click(lead, status, "status:refresh")
            print(sim.transcript.to_text())
"""

from __future__ import annotations

from sunday_mining_dev.simulator.client import DiscordSimulator
from sunday_mining_dev.simulator.keys import DevKeyPair
from sunday_mining_dev.simulator.messages import MessageFlag
from sunday_mining_dev.simulator.model import ChannelType, SimChannel, SimGuild, SimRole, SimUser
from sunday_mining_dev.simulator.options import OptionType
from sunday_mining_dev.simulator.payloads import InteractionType, PayloadFactory
from sunday_mining_dev.simulator.permissions import Permission
from sunday_mining_dev.simulator.rest_errors import DiscordError, Fault, Route
from sunday_mining_dev.simulator.rest_state import SinkState
from sunday_mining_dev.simulator.sample_guild import sample_guild
from sunday_mining_dev.simulator.tamper import Tamper
from sunday_mining_dev.simulator.transcript import Exchange, RestCall, RestLog, Transcript

__all__ = [
    "ChannelType",
    "DevKeyPair",
    "DiscordError",
    "DiscordSimulator",
    "Exchange",
    "Fault",
    "InteractionType",
    "MessageFlag",
    "OptionType",
    "PayloadFactory",
    "Permission",
    "RestCall",
    "RestLog",
    "Route",
    "SimChannel",
    "SimGuild",
    "SimRole",
    "SimUser",
    "SinkState",
    "Tamper",
    "Transcript",
    "sample_guild",
]
