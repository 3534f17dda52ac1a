"""/mining diagnostics: one message, a line per check, and the fix for every ⚠️ and ❌."""

from __future__ import annotations

from typing import Any

from sunday_mining.interactions import permissions
from sunday_mining.interactions.context import Context
from sunday_mining.interactions.responses import (
    COLOUR_ERROR,
    COLOUR_OK,
    COLOUR_WARN,
    MAX_EMBED_DESCRIPTION,
    Embed,
    message,
)
from sunday_mining.services.diagnostic_probes import Check, Status

_ICON = {Status.OK: "✅", Status.WARN: "⚠️", Status.FAIL: "❌"}


def render(checks: list[Check]) -> Embed:
    lines: list[str] = []
    for check in checks:
        lines.append(f"{_ICON[check.status]} **{check.area}** — {check.value}")
        if check.fix and check.status is not Status.OK:
            lines.append(f"  ↳ {check.fix}")
    text = ""
    for index, line in enumerate(lines):
        more = f"\n…and {len(lines) - index} more lines"
        if len(text) + len(line) + 1 > MAX_EMBED_DESCRIPTION - len(more):
            text += more
            break
        text += ("\n" if text else "") + line
    worst = max((c.status for c in checks), key=[Status.OK, Status.WARN, Status.FAIL].index)
    colour = {Status.OK: COLOUR_OK, Status.WARN: COLOUR_WARN, Status.FAIL: COLOUR_ERROR}[worst]
    return Embed("Sunday Mining diagnostics", text, colour)


def diagnostics(ctx: Context) -> dict[str, Any]:
    permissions.require_leader(ctx.interaction, ctx.config)
    checks = ctx.services.diagnostics.run(ctx.guild_id)
    return message(embeds=[render(checks)], ephemeral=True)
