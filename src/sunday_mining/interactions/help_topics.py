"""/mining help: short, example-led help for every command."""

from __future__ import annotations

from typing import Any

from sunday_mining.interactions.context import Context
from sunday_mining.interactions.responses import COLOUR_INFO, Embed, message

TOPICS: dict[str, tuple[str, str]] = {
    "start": (
        "/mining start [name]",
        "Op leaders start the Sunday op on every mining channel. Everyone already sitting in "
        "those channels counts from that moment.\nExample: `/mining start name:Aaron Halo run`",
    ),
    "stop": (
        "/mining stop",
        "Stops the op (leaders) or your adhoc session and closes everyone's time at that moment. "
        "The channel gets a short summary (start and stop to the second, how many are paid, "
        "whose time needs a look); Everyone's time shows each member's time, and the Payroll "
        "button leads on.\nExample: `/mining stop`",
    ),
    "status": (
        "/mining status",
        "Everything running now: channels, elapsed time, participants, the top times, and "
        "whether the voice worker is reporting. Press Refresh to update it.\n"
        "Example: `/mining status`",
    ),
    "adhoc": (
        "/mining adhoc new <channel> [name] · load <session> · list",
        "A one-channel session any member can run (unless the server limits it to roles).\n"
        "Example: `/mining adhoc new channel:#Rock-2 name:Quantanium hunt`\n"
        "`/mining adhoc load` reopens one of your stopped, unpaid sessions; the pause does not "
        "count. `/mining adhoc list` pages through your sessions.",
    ),
    "payroll": (
        "/mining payroll [session]",
        "Payroll officers turn a stopped session's haul into payouts: pick the session, check "
        "the participants (Add members… adds anyone who mined but was not in voice), enter "
        "the ore, preview, finalize. Discard draft… deletes a draft to start over.\n"
        "Example: `/mining payroll`",
    ),
    "prices": (
        "/mining prices [ore]",
        "Current ore prices from the stored UEX snapshot, with their age.\n"
        "Example: `/mining prices ore:Quantanium`",
    ),
    "me": (
        "/mining me",
        "Your own pay, shown to you alone: what you are still owed and since when, your "
        "payouts in the final payrolls (paid or owed), your recent sessions with your time, "
        "and your in-game handle.\nExample: `/mining me`",
    ),
    "handle": (
        "/mining handle set <handle> · clear",
        "Your Star Citizen handle, printed beside your name where you are paid (the payroll's "
        "payments and still-owed lists, the PDF and the CSV), so the purser sends the aUEC to "
        "the right player.\n"
        "Example: `/mining handle set handle:Kite_SC`\n"
        "Payroll officers and leaders can set or clear one for a member with the `member` "
        "option; the audit log keeps it.",
    ),
    "refinery": (
        "/mining refinery add [terminal] [session] · list [all] [session]",
        "Your refinery jobs: add one through a form (refinery, method, ores with raw SCU, cost, "
        "time left as the game shows it) and see the refined SCU to expect (an estimate). The "
        "bot posts once when it is ready. List shows the time left, with Collect, Time left "
        "and Cancel.\nExample: `/mining refinery add terminal:MIC-L1`",
    ),
    "ledger": (
        "/mining ledger [month]",
        "Payroll officers and leaders: the org's books from the final payrolls (an amendment "
        "replaces what it supersedes): its cuts, donations to it, reimbursed expenses and "
        "transfer fees per payroll and per month, with totals, and a CSV link.\n"
        "Example: `/mining ledger month:2026-11`",
    ),
    "stats": (
        "/mining stats [period]",
        "Payroll officers and leaders: per member, ops attended, time credited and pay in a "
        "month or the last days (30 unless told), and who has not been seen since when.\n"
        "Example: `/mining stats period:90d`",
    ),
    "owed": (
        "/mining owed",
        "Payroll officers: every unpaid line across the final payrolls, oldest first, with "
        "the payee's handle. Tick the lines you have paid, confirm, and they are marked paid "
        "in their payrolls.\nExample: `/mining owed`",
    ),
    "diagnostics": (
        "/mining diagnostics",
        "Leaders and admins: checks the database, prices, the voice worker and channel "
        "permissions, each with a fix.\nExample: `/mining diagnostics`",
    ),
    "admin": (
        "/mining-admin channels · roles · settings",
        "Manage Server only.\nExample: `/mining-admin channels add channel:#Mining-1 "
        "dispatch:True`\n"
        "`/mining-admin roles add kind:leader role:@Officers`\n"
        "`/mining-admin settings set name:minimum-participation value:15`\n"
        "`/mining-admin settings report-channel channel:#payroll` (where everyone reads the final "
        "payroll)",
    ),
}


def help_command(ctx: Context) -> dict[str, Any]:
    topic = ctx.interaction.string("topic")
    if topic in TOPICS:
        title, text = TOPICS[topic]
        return message(embeds=[Embed(title, text, COLOUR_INFO)], ephemeral=True)
    embed = Embed(
        "Sunday Mining",
        "Tracks who sits in the mining voice channels during an op and turns the haul into a "
        "payroll. `/mining help topic:<command>` shows more.",
        COLOUR_INFO,
    )
    for title, text in TOPICS.values():
        embed.add(title, text.split("\n")[0])
    return message(embeds=[embed], ephemeral=True)
