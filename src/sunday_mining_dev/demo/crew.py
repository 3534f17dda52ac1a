"""The demo's org and its Sunday: who is in the server, and who sits where, second by second.

The script is generated from a fixed seed, so every run plays the same op: members seated
before the start, late joiners, a visitor who stays below the minimum, channel moves, early
leavers, two who drop and come back, three moves the worker misses while it is disconnected,
and a small crew on the side who run their own adhoc session in the lounge.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sunday_mining_dev.simulator import SimGuild
from sunday_mining_dev.simulator.permissions import Permission

SEED = 2026
OP_MINUTES = 180
OP_CHANNELS = (
    "Dispatch",
    "Rock Crackers",
    "Prospector Alpha",
    "Prospector Bravo",
    "Mole Team",
    "Refinery Run",
)
SIDE_CHANNEL = "Lounge"
# The worker is disconnected from minute 110 to 117 of the op.
GAP_MINUTES = (110, 117)
ADHOC_START_MINUTE = 30
STATUS_MINUTE = 75
# Two members set their in-game handles early on; the hauler logs a refinery job late in the op.
HANDLES_MINUTE = 10
REFINERY_MINUTE = 140
MINERS = (
    "aurora", "basalt", "cobalt", "drift", "ember", "flint", "garnet", "halo", "ion", "jade",
    "kite", "lumen", "mica", "nova", "onyx", "pyrite", "quartz", "rook", "shale", "talon",
    "umber", "vesper", "wren", "xenon", "yarrow", "zephyr", "atlas", "brisk", "cinder", "dune",
    "echo", "fable", "gale", "harbor", "iris", "juniper", "kestrel", "lark", "maple",
)  # fmt: skip
SIDE_CREW = ("sable", "tamsin", "ursa")
GAP_LEAVE = "left during the gap"


@dataclass(frozen=True)
class Move:
    """``user`` (a username) goes to ``channel`` (a channel name; None leaves voice)."""

    at_s: int  # seconds after the op's start; negative is before it
    user: str
    channel: str | None
    why: str


def demo_guild() -> SimGuild:
    """The server: six mining channels and a lounge, three roles, the staff and 42 members."""
    guild = SimGuild.create("Sunday Mining Co", seed=SEED)
    guild.add_text_channel("mining-ops")
    for name in (*OP_CHANNELS, SIDE_CHANNEL):
        guild.add_voice_channel(name)
    leader = guild.add_role("Leader", color=0xE67E22)
    payroll = guild.add_role("Payroll", color=0x2ECC71)
    adhoc = guild.add_role("Adhoc")
    guild.add_member("admin", permissions=Permission.ADMINISTRATOR, global_name="The Admin")
    guild.add_member("lead", roles=[leader], global_name="Op Lead")
    guild.add_member("purser", roles=[payroll], global_name="Purser")
    for name in MINERS:
        guild.add_member(name, global_name=name.capitalize())
    guild.add_member(SIDE_CREW[0], roles=[adhoc], global_name=SIDE_CREW[0].capitalize())
    for name in SIDE_CREW[1:]:
        guild.add_member(name, global_name=name.capitalize())
    return guild


def op_crew() -> tuple[str, ...]:
    """Everyone who flies the Sunday op: the lead and the miners."""
    return ("lead", *MINERS)


def sunday_script(seed: int = SEED) -> list[Move]:
    """Every move of the evening, in time order."""
    rng = random.Random(seed)
    crew = op_crew()
    home = {user: OP_CHANNELS[i % len(OP_CHANNELS)] for i, user in enumerate(crew)}
    pool = list(crew[1:])  # the lead is there from start to stop
    rng.shuffle(pool)
    late, pool = pool[:11], pool[11:]
    (visitor,), pool = pool[:1], pool[1:]
    movers, leavers, droppers = pool[:8], pool[8:14], pool[14:16]
    gap_leaver, gap_mover = pool[16], pool[17]
    seated = [u for u in crew if u not in late and u != visitor]
    moves = [Move(-300, u, home[u], "seated before the start") for u in seated]
    moves += [Move(_at(rng, 3, 55), u, home[u], "late joiner") for u in late[:-1]]
    moves.append(Move(_at(rng, 114, 114), late[-1], home[late[-1]], "joined during the gap"))
    moves += [Move(_at(rng, 20, 20), visitor, home[visitor], "visitor")]
    moves += [Move(_at(rng, 27, 27), visitor, None, "visitor leaves")]
    moves += [Move(_at(rng, 40, 160), u, _other(rng, home[u]), "channel move") for u in movers]
    moves += [Move(_at(rng, 60, 105), u, None, "early leaver") for u in leavers]
    for user in droppers:
        back = _at(rng, 70, 80)
        moves += [Move(back, user, None, "dropped"), Move(back + 900, user, home[user], "back")]
    moves.append(Move(_at(rng, 112, 112), gap_leaver, None, GAP_LEAVE))
    moves.append(Move(_at(rng, 113, 113), gap_mover, _other(rng, home[gap_mover]), "gap move"))
    moves += _side_crew(rng)
    return sorted(moves, key=lambda m: (m.at_s, m.user))


def _side_crew(rng: random.Random) -> list[Move]:
    """The lounge crew: they sit down before the adhoc starts and all leave well before the
    gap, so their session stops itself on the idle timeout while the worker is reporting."""
    moves = [Move(_at(rng, 25, 29), u, SIDE_CHANNEL, "side crew") for u in SIDE_CREW]
    moves += [Move(_at(rng, 85, 92), u, None, "side crew leaves") for u in SIDE_CREW]
    return moves


def _at(rng: random.Random, first_minute: int, last_minute: int) -> int:
    """A second inside [first_minute, last_minute]; never on a minute boundary, where the
    worker's snapshots are taken."""
    return rng.randint(first_minute, last_minute) * 60 + rng.randint(1, 59)


def _other(rng: random.Random, channel: str) -> str:
    return rng.choice([c for c in OP_CHANNELS if c != channel])
