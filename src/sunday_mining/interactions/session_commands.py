"""/mining start, stop, status and adhoc: parse, check, call a service, render."""

from __future__ import annotations

import re
from typing import Any

from sunday_mining.domain.errors import (
    ChannelTracked,
    NotFound,
    PermissionDenied,
    StateConflict,
    ValidationError,
)
from sunday_mining.domain.guild import GuildConfig, Role
from sunday_mining.domain.ids import is_id
from sunday_mining.domain.session import PayrollState, Session, SessionType
from sunday_mining.interactions import custom_ids, permissions, render
from sunday_mining.interactions.context import Context
from sunday_mining.interactions.payload import CONNECT, VIEW_CHANNEL, VOICE_CHANNEL_TYPES
from sunday_mining.interactions.responses import (
    COLOUR_INFO,
    Embed,
    button,
    choices,
    error,
    message,
    row,
    select,
    update,
)
from sunday_mining.services.worker import worker_freshness

LIST_PAGE = 10


def start(ctx: Context) -> dict[str, Any]:
    if not ctx.config.channel_ids:
        raise StateConflict(_not_set_up(ctx.config))
    permissions.require_leader(ctx.interaction, ctx.config)
    try:
        session = ctx.services.sessions.start_sunday(
            ctx.guild_id, ctx.user_id, ctx.interaction.string("name")
        )
    except ChannelTracked as blocked:
        # Often a member's adhoc session on a mining channel: offer the leader to stop it.
        stop_it = button(
            f"Stop {blocked.session_name}", custom_ids.make("stopfor", blocked.session_id), style=4
        )
        text = f"{blocked.message} Stop it here, then run /mining start again."
        return message(text, components=[row(stop_it)], ephemeral=True)
    return _started(ctx, session)


def _not_set_up(config: GuildConfig) -> str:
    text = (
        "Sunday Mining is not set up on this server yet, so there is no op to start. An admin "
        "(Manage Server) runs `/mining-admin channels add` for each mining voice channel and "
        "`/mining-admin roles add kind:leader` for the op leaders."
    )
    if not config.role_ids(Role.ADHOC):
        text += " Meanwhile anyone can track one voice channel with `/mining adhoc new`."
    return text


def stop_for_start(ctx: Context, custom_id: custom_ids.CustomId) -> dict[str, Any]:
    """The Stop button on a refused /mining start: leaders only, checked again on the click."""
    permissions.require_leader(ctx.interaction, ctx.config)
    session = ctx.services.sessions.get(ctx.guild_id, custom_id.arg(0))
    if not session.is_active:
        raise StateConflict(f"'{session.name}' has stopped already; run /mining start again.")
    stopped = ctx.services.sessions.stop(ctx.guild_id, session.session_id)
    embed, components = render.stop_summary(ctx.services.summaries.summary_of(stopped))
    return message(
        f"Stopped by <@{ctx.user_id}> to make way for the Sunday op; /mining start can run now.",
        embeds=[embed],
        components=components,
    )


def adhoc_new(ctx: Context) -> dict[str, Any]:
    permissions.require_adhoc_creator(ctx.interaction, ctx.config)
    channel = ctx.interaction.channel("channel")
    if channel is None:
        raise ValidationError("Pick the voice channel to track.")
    if channel.type not in VOICE_CHANNEL_TYPES:
        raise ValidationError(f"<#{channel.id}> is not a voice channel; pick a voice channel.")
    session = ctx.services.sessions.start_adhoc(
        ctx.guild_id,
        ctx.user_id,
        channel.id,
        channel_name=channel.name or None,
        name=ctx.interaction.string("name"),
    )
    response = _started(ctx, session)
    missing = _missing_bot_permissions(channel.app_permissions)
    if missing:
        response["data"]["content"] += (
            f"\n⚠️ The bot lacks {missing} in <#{channel.id}>, so the voice worker may not see "
            "who is there; an admin can fix the channel's permissions."
        )
    return response


def _missing_bot_permissions(app_permissions: int | None) -> str:
    if app_permissions is None:
        return ""
    lacking = [
        name
        for bit, name in ((VIEW_CHANNEL, "View Channel"), (CONNECT, "Connect"))
        if not app_permissions & bit
    ]
    return " and ".join(lacking)


def _started(ctx: Context, session: Session) -> dict[str, Any]:
    seated = session.windows[-1].seated_in(session.channel_ids)
    text = (
        f"{render.badge(session)} **{session.name}** started by <@{ctx.user_id}>.\n"
        f"Tracking {render.where(session, names_up_to=6)}; {seated} already there. "
        "Time counts from now until /mining stop."
    )
    status_button = row(button("Status", custom_ids.make("status"), style=2))
    return message(text, components=[status_button])


# --- stop -------------------------------------------------------------------------------------


def stop(ctx: Context) -> dict[str, Any]:
    active = ctx.services.sessions.active(ctx.guild_id)
    mine = [s for s in active if permissions.may_manage(ctx.interaction, ctx.config, s)]
    if not mine:
        if active:
            raise PermissionDenied(
                "Only op leaders (or an adhoc session's creator) can stop a session; "
                "/mining status shows what is running."
            )
        return error("Nothing is running. /mining status shows recent sessions' state.")
    if len(mine) == 1:
        return _stop_and_summarise(ctx, mine[0])
    options = [
        (s.name, s.session_id, f"{render.badge(s)} · {render.duration(s.length_ms(ctx.now_ms()))}")
        for s in mine
    ]
    picker = row(select(custom_ids.make("stop"), options, placeholder="Which session?"))
    return message(
        "Several sessions are running; which one should stop?", components=[picker], ephemeral=True
    )


def stop_picked(ctx: Context, _: custom_ids.CustomId) -> dict[str, Any]:
    if len(ctx.interaction.values) != 1:
        raise ValidationError("Pick one session to stop.")
    session = ctx.services.sessions.get(ctx.guild_id, ctx.interaction.values[0])
    return _stop_and_summarise(ctx, session)


def _stop_and_summarise(ctx: Context, session: Session) -> dict[str, Any]:
    permissions.require_manage(ctx.interaction, ctx.config, session)
    stopped = ctx.services.sessions.stop(ctx.guild_id, session.session_id)
    embed, components = render.stop_summary(ctx.services.summaries.summary_of(stopped))
    return message(f"Stopped by <@{ctx.user_id}>.", embeds=[embed], components=components)


def full_list(ctx: Context, custom_id: custom_ids.CustomId) -> dict[str, Any]:
    """Everyone's time, behind the stop summary's button: the member's own paged copy (a new
    ephemeral message from the public summary, the same message turned from its own pager)."""
    session_id, page = custom_id.arg(0), custom_id.arg(1)
    if not is_id(session_id) or (page and not _PAGE.fullmatch(page)):
        raise NotFound("That button is from an older message; run /mining status.")
    summary = ctx.services.summaries.summary(ctx.guild_id, session_id)
    embed, components = render.full_list(summary, int(page or 0))
    if not page:
        return message(embeds=[embed], components=components, ephemeral=True)
    return update(embeds=[embed], components=components)


_PAGE = re.compile(r"-?\d{1,4}", re.ASCII)


# --- status -----------------------------------------------------------------------------------


def _status_parts(ctx: Context) -> tuple[list[Embed], list[dict[str, Any]]]:
    active = ctx.services.sessions.active(ctx.guild_id)
    summaries = [ctx.services.summaries.summary_of(s) for s in active]
    freshness = worker_freshness(ctx.services.store, ctx.now_ms())
    embeds, components = render.status_message(summaries, freshness)
    if not active and ctx.config.version == 0:
        embeds = [_setup_steps()]
    return embeds, components


def status(ctx: Context) -> dict[str, Any]:
    embeds, components = _status_parts(ctx)
    return message(embeds=embeds, components=components, ephemeral=True)


def status_refresh(ctx: Context, _: custom_ids.CustomId) -> dict[str, Any]:
    embeds, components = _status_parts(ctx)
    return update(embeds=embeds, components=components)


def _setup_steps() -> Embed:
    return Embed(
        "Sunday Mining is not set up here yet",
        "An admin (Manage Server) sets it up in four steps:\n"
        "1. `/mining-admin channels add` for each mining voice channel (mark one `dispatch`).\n"
        "2. `/mining-admin roles add` to name the leader, payroll and adhoc roles.\n"
        "3. `/mining-admin settings set` for the minimum time, org cut and time zone.\n"
        "4. `/mining-admin settings report-channel` so everyone sees the final payroll.\n"
        "Members can already run `/mining adhoc new` on any voice channel.",
        COLOUR_INFO,
    )


# --- adhoc load and list ----------------------------------------------------------------------


def adhoc_load(ctx: Context) -> dict[str, Any]:
    session_id = (ctx.interaction.string("session") or "").strip()
    if not is_id(session_id):
        raise NotFound("Pick one of your sessions from the list as you type.")
    session = ctx.services.sessions.get(ctx.guild_id, session_id)
    permissions.require_manage(ctx.interaction, ctx.config, session)
    reopened = ctx.services.sessions.reopen(ctx.guild_id, session.session_id)
    return message(
        f"{render.badge(reopened)} **{reopened.name}** is running again on "
        f"{render.channels_text(reopened)}. The time it was stopped does not count.",
        components=[row(button("Status", custom_ids.make("status")))],
    )


def adhoc_load_autocomplete(ctx: Context) -> dict[str, Any]:
    typed = (ctx.interaction.focused or ("", ""))[1].lower()
    sessions, _ = ctx.services.sessions.by_creator(ctx.guild_id, ctx.user_id, limit=100)
    found = [
        (f"{s.name} · {render.duration(s.length_ms(ctx.now_ms()))}", s.session_id)
        for s in sessions
        if s.type is SessionType.ADHOC
        and not s.is_active
        and s.payroll_state is not PayrollState.FINAL
        and typed in s.name.lower()
    ]
    return choices(found)


def adhoc_list(ctx: Context) -> dict[str, Any]:
    embed, components = _list_page(ctx, before=None)
    return message(embeds=[embed], components=components, ephemeral=True)


def adhoc_list_page(ctx: Context, custom_id: custom_ids.CustomId) -> dict[str, Any]:
    before = custom_id.arg(0)
    if before and not is_id(before):
        raise NotFound("That page is out of date; run /mining adhoc list again.")
    embed, components = _list_page(ctx, before=before or None)
    return update(embeds=[embed], components=components)


def _list_page(ctx: Context, *, before: str | None) -> tuple[Embed, list[dict[str, Any]]]:
    sessions, more = ctx.services.sessions.by_creator_before(
        ctx.guild_id, ctx.user_id, before=before, limit=LIST_PAGE
    )
    embed = Embed("Your sessions", colour=COLOUR_INFO)
    if not sessions:
        embed.description = "No sessions yet. Start one with /mining adhoc new."
        return embed, []
    now = ctx.now_ms()
    lines = []
    for s in sessions:
        state = "running" if s.is_active else f"stopped · payroll {s.payroll_state.value}"
        lines.append(
            f"**{s.name}** — {render.badge(s)} · {render.duration(s.length_ms(now))} · {state}"
        )
    embed.description = "\n".join(lines)
    buttons = [button("Newest", custom_ids.make("alist"), disabled=before is None)]
    if more:
        buttons.append(button("Older", custom_ids.make("alist", sessions[-1].session_id)))
    return embed, [row(*buttons)]
