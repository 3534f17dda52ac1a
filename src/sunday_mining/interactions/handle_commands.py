"""/mining handle set <handle> [member] and /mining handle clear [member]: the in-game handle a
member is paid under. Anyone sets their own; payroll officers and leaders may set or clear one
for a member (the service writes that to the audit log)."""

from __future__ import annotations

from typing import Any

from sunday_mining.domain.errors import PermissionDenied
from sunday_mining.domain.guild import Role
from sunday_mining.interactions import permissions
from sunday_mining.interactions.context import Context
from sunday_mining.interactions.responses import COLOUR_OK, Embed, message

FOR_OTHERS = (
    "Only payroll officers and op leaders can change another member's handle; leave out the "
    "member option to change your own."
)


def handle_set(ctx: Context) -> dict[str, Any]:
    member = _member(ctx)
    handle = ctx.services.handles.set(
        ctx.guild_id, member, ctx.interaction.string("handle") or "", by=ctx.user_id
    )
    if member == ctx.user_id:
        said = f"Your in-game handle is now `{handle}`: payouts show it beside your name."
    else:
        said = f"<@{member}>'s in-game handle is now `{handle}` (noted in the audit log)."
    return _done(said)


def handle_clear(ctx: Context) -> dict[str, Any]:
    member = _member(ctx)
    cleared = ctx.services.handles.clear(ctx.guild_id, member, by=ctx.user_id)
    whose = "Your" if member == ctx.user_id else f"<@{member}>'s"
    if not cleared:
        return _done(f"{whose} in-game handle was not set; nothing changed.")
    note = "" if member == ctx.user_id else " (noted in the audit log)"
    return _done(f"{whose} in-game handle is cleared{note}.")


def _done(said: str) -> dict[str, Any]:
    # An embed, not bare content: bare content is the shape of a refusal.
    return message(embeds=[Embed("In-game handle", said, COLOUR_OK)], ephemeral=True)


def _member(ctx: Context) -> str:
    """Whose handle: the caller's, or the member option's when an officer names one."""
    member = ctx.interaction.user("member")
    if member is None or member == ctx.user_id:
        return ctx.user_id
    config = ctx.config
    officer = permissions.is_leader(ctx.interaction, config) or permissions.has_role(
        ctx.interaction, config, Role.PAYROLL
    )
    if not officer:
        raise PermissionDenied(FOR_OTHERS)
    return member
