"""/mining refinery add and list, and the buttons and modals of a job: collect, edit the time
left, cancel. Loaded on first use by the router (``REFINERY_COMPONENTS``, ``REFINERY_MODALS``).

Every button and modal reads the job again and re-checks who asks: the job's owner, a leader or
a payroll officer may change it; anyone may add jobs of their own and list them.
"""

from __future__ import annotations

import re
from typing import Any

from sunday_mining.domain import ores as ore_catalogue
from sunday_mining.domain import refining
from sunday_mining.domain.errors import NotFound, PermissionDenied, ValidationError
from sunday_mining.domain.guild import Role
from sunday_mining.domain.ids import is_id
from sunday_mining.domain.prices import format_auec
from sunday_mining.domain.refining import RefineryJob
from sunday_mining.domain.session import SessionType
from sunday_mining.interactions import custom_ids, permissions
from sunday_mining.interactions.context import Context
from sunday_mining.interactions.custom_ids import CustomId
from sunday_mining.interactions.responses import (
    COLOUR_INFO,
    COLOUR_OK,
    Embed,
    button,
    choices,
    message,
    modal,
    row,
    text_input,
    update,
)
from sunday_mining.services.refinery import Actor, RefineryService, ore_names

PAGE = 4  # a row of buttons per job, and one row for the pager: five rows at most
MAX_ORES = 5  # one input per ore in the collect modal, and a modal holds five
_MINE, _ORG = "m", "o"
_THOUSANDS = re.compile(r"(?<=\d)[ ,_](?=\d)")


# --- who asks ---------------------------------------------------------------------------------


def _actor(ctx: Context) -> Actor:
    interaction = ctx.interaction
    officer = permissions.is_leader(interaction, ctx.config) or permissions.has_role(
        interaction, ctx.config, Role.PAYROLL
    )
    return Actor(ctx.user_id, officer=officer)


def _service(ctx: Context) -> RefineryService:
    return ctx.services.refinery


def _job(ctx: Context, custom_id: CustomId) -> RefineryJob:
    """The job a button or modal names, which the caller may change (checked every time)."""
    job = _service(ctx).get(ctx.guild_id, custom_id.arg(0))
    _service(ctx).require_may_change(job, _actor(ctx))
    return job


# --- /mining refinery add ---------------------------------------------------------------------


def add(ctx: Context) -> dict[str, Any]:
    session_id = ctx.interaction.string("session") or _active_op(ctx)
    if session_id is not None:
        ctx.services.sessions.get(ctx.guild_id, session_id)  # the session must be this guild's
    terminal = ctx.interaction.string("terminal") or ""
    inputs = [
        text_input("terminal", "Refinery", value=terminal, placeholder="e.g. MIC-L1"),
        text_input("method", "Method", placeholder="e.g. Dinyx, Ferron, Cormack", max_length=40),
        text_input(
            "ores",
            "Ores and raw SCU",
            placeholder="e.g. Quantainium 48, Gold 12.5",
            max_length=400,
            paragraph=True,
        ),
        text_input("cost", "Cost (aUEC)", placeholder="e.g. 25000", max_length=20),
        text_input("time", "Time left", placeholder="e.g. 12h 30m", max_length=30),
    ]
    return modal(custom_ids.make("rfadd", session_id or ""), "New refinery job", inputs)


def _active_op(ctx: Context) -> str | None:
    """The running Sunday op, which a job added during it belongs to unless told otherwise."""
    for session in ctx.services.sessions.active(ctx.guild_id):
        if session.type is SessionType.SUNDAY:
            return session.session_id
    return None


def add_submitted(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    fields = ctx.interaction.fields
    session_id = custom_id.arg(0) or None
    if session_id is not None and not is_id(session_id):
        raise NotFound("That form is out of date; run /mining refinery add again.")
    ores = refining.parse_ore_amounts(fields.get("ores", ""))
    if len(ores) > MAX_ORES:
        raise ValidationError(f"A job takes up to {MAX_ORES} ores here; add a second job.")
    service = _service(ctx)
    job = service.add(
        ctx.guild_id,
        _actor(ctx),
        terminal=service.terminal(fields.get("terminal", "")),
        method=refining.parse_method(fields.get("method", "")),
        ores=ores,
        cost=parse_cost(fields.get("cost", "")),
        time_left_ms=refining.parse_time_left(fields.get("time", "")),
        session_id=session_id,
    )
    embed = _job_embed(ctx, job, title="Refinery job added")
    embed.footer = _estimate_note(job)
    return message(embeds=[embed], components=[_job_row(job)], ephemeral=True)


def _estimate_note(job: RefineryJob) -> str:
    basis = f"game {refining.GAME_VERSION} method yields, default ore factor"
    if job.bonus_known:
        bonus = f"{_place(job)}'s refinery bonus from UEX"
    else:
        bonus = (
            f"no refinery bonus, as the stored prices have no UEX yield figures for {_place(job)}"
        )
    return f"Refined SCU is an estimate ({basis}, {bonus}); type what you actually collect."


def terminal_autocomplete(ctx: Context) -> dict[str, Any]:
    typed = (ctx.interaction.focused or ("", ""))[1].casefold()
    found = [t for t in _service(ctx).terminals() if typed in t.name.casefold()]
    return choices([(t.name, t.name) for t in found])


def session_autocomplete(ctx: Context) -> dict[str, Any]:
    typed = (ctx.interaction.focused or ("", ""))[1].casefold()
    sessions, _ = ctx.services.sessions.recent(ctx.guild_id, limit=25)
    return choices([(s.name, s.session_id) for s in sessions if typed in s.name.casefold()])


def parse_cost(text: str) -> int:
    raw = _THOUSANDS.sub("", text.strip().casefold().removesuffix("auec").strip())
    if not raw.isascii() or not raw.isdigit():
        raise ValidationError("Type the refinery's cost in whole aUEC, e.g. 25000.")
    return int(raw)


# --- /mining refinery list --------------------------------------------------------------------


def list_jobs(ctx: Context) -> dict[str, Any]:
    option = ctx.interaction.option("all")
    scope = ctx.interaction.string("session") or (_ORG if option and option.value else _MINE)
    embed, components = _page(ctx, scope, 0)
    return message(embeds=[embed], components=components, ephemeral=True)


def list_page(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    """``rfl:<m|o|session id>:<page>``."""
    page = custom_id.arg(1)
    embed, components = _page(ctx, custom_id.arg(0), int(page) if page.isdigit() else 0)
    return update(embeds=[embed], components=components)


def _page(ctx: Context, scope: str, page: int) -> tuple[Embed, list[dict[str, Any]]]:
    service = _service(ctx)
    if scope == _MINE:
        jobs, title = service.mine(ctx.guild_id, ctx.user_id), "Your refinery jobs"
    elif scope == _ORG:
        if not _actor(ctx).officer:
            raise PermissionDenied("Only op leaders and payroll officers can list every job.")
        jobs, title = service.open_jobs(ctx.guild_id), "The org's open refinery jobs"
    elif is_id(scope):
        session = ctx.services.sessions.get(ctx.guild_id, scope)
        jobs, title = service.of_session(ctx.guild_id, scope), f"Refinery jobs of {session.name}"
    else:
        raise NotFound("That list is out of date; run /mining refinery list again.")
    pages = max(1, -(-len(jobs) // PAGE))
    page = min(page, pages - 1)
    shown = jobs[page * PAGE : (page + 1) * PAGE]
    embed = Embed(title, colour=COLOUR_INFO)
    if not jobs:
        embed.description = "No open jobs. Add one with /mining refinery add."
        return embed, []
    now = ctx.now_ms()
    for number, job in enumerate(shown, start=page * PAGE + 1):
        embed.add(f"{number} · {_place(job)} · {job.method.name}", _summary(job, now))
    embed.footer = f"Page {page + 1} of {pages}"
    components = [_job_row(job, number) for number, job in enumerate(shown, page * PAGE + 1)]
    components = [c for c in components if c["components"]]
    if pages > 1:
        components.append(
            row(
                button("Previous", custom_ids.make("rfl", scope, page - 1), disabled=page == 0),
                button("Next", custom_ids.make("rfl", scope, page + 1), disabled=page >= pages - 1),
            )
        )
    return embed, components


def _summary(job: RefineryJob, now: int) -> str:
    ores = ", ".join(f"{name} {_scu(o.raw_centi)}" for name, o in _named(job))
    if job.is_open:
        left = job.due_ms - now
        state = (
            f"ready in {refining.format_time_left(left)} (<t:{job.due_ms // 1000}:t>)"
            if left > 0
            else "ready to collect"
        )
    else:
        state = job.state.value
    return f"{ores} SCU raw · {state} · <@{job.owner_id}>"


def _job_row(job: RefineryJob, number: int | None = None) -> dict[str, Any]:
    if not job.is_open:
        return row()
    tag = f" {number}" if number is not None else ""
    return row(
        button(f"Collect{tag}", custom_ids.make("rfc", job.job_id), style=3),
        button(f"Time left{tag}", custom_ids.make("rft", job.job_id)),
        button(f"Cancel{tag}", custom_ids.make("rfx", job.job_id), style=4),
    )


# --- a job's buttons --------------------------------------------------------------------------


def collect_button(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    job = _job(ctx, custom_id)
    estimates = {y.ore_id: y.collected_scu for y in job.estimate()}
    inputs = [
        text_input(
            str(o.ore_id),
            f"{name} collected (SCU)",
            value=str(estimates.get(o.ore_id, 0)),
            max_length=12,
        )
        for name, o in _named(job)[:MAX_ORES]
    ]
    title = f"Collect at {_place(job)}"
    return modal(custom_ids.make("rfcm", job.job_id), title, inputs)


def collect_submitted(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    job = _job(ctx, custom_id)
    fields = ctx.interaction.fields
    refined = {o.ore_id: _collected(fields.get(str(o.ore_id), ""), name) for name, o in _named(job)}
    done = _service(ctx).collect(ctx.guild_id, job.job_id, _actor(ctx), refined)
    got = ", ".join(f"{name} {_scu(o.refined_centi or 0)}" for name, o in _named(done))
    return _done(
        "Refinery job collected",
        f"Collected at {_place(done)}: {got} SCU. The payroll of its session can take it in.",
    )


def time_button(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    job = _job(ctx, custom_id)
    left = refining.format_time_left(job.due_ms - ctx.now_ms())
    return modal(
        custom_ids.make("rftm", job.job_id),
        "Time left, as the game shows it",
        [text_input("time", "Time left", value=left, placeholder="e.g. 12h 30m", max_length=30)],
    )


def time_submitted(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    job = _job(ctx, custom_id)
    time_left = refining.parse_time_left(ctx.interaction.fields.get("time", ""))
    changed = _service(ctx).edit_time_left(ctx.guild_id, job.job_id, _actor(ctx), time_left)
    return _done(
        "Refinery job: time left changed",
        f"The job at {_what(changed)} is now ready <t:{changed.due_ms // 1000}:R>; "
        "you'll get a notice then.",
    )


def cancel_button(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    job = _job(ctx, custom_id)
    _service(ctx).cancel(ctx.guild_id, job.job_id, _actor(ctx))
    return _done(
        "Refinery job cancelled", f"Cancelled the job at {_what(job)}; no notice will come."
    )


COMPONENTS = {"rfl": list_page, "rfc": collect_button, "rft": time_button, "rfx": cancel_button}
MODALS = {"rfadd": add_submitted, "rfcm": collect_submitted, "rftm": time_submitted}


# --- rendering --------------------------------------------------------------------------------


def _job_embed(ctx: Context, job: RefineryJob, *, title: str) -> Embed:
    embed = Embed(title, colour=COLOUR_OK)
    embed.description = (
        f"{job.terminal_name} · {job.method.name} · cost {format_auec(job.cost)} · "
        f"ready <t:{job.due_ms // 1000}:R>"
    )
    lines = []
    for (name, job_ore), estimate in zip(_named(job), job.estimate(), strict=True):
        lines.append(
            f"{name}: {_scu(job_ore.raw_centi)} SCU raw → about "
            f"{_scu(estimate.refined_centi)} SCU refined, "
            f"{estimate.collected_scu} SCU to collect in whole boxes"
        )
    embed.add("Expected (estimate)", "\n".join(lines))
    return embed


def _done(title: str, said: str) -> dict[str, Any]:
    # An embed, not bare content: bare content is the shape of a refusal.
    return message(embeds=[Embed(title, said, COLOUR_OK)], ephemeral=True)


def _what(job: RefineryJob) -> str:
    """The job as its owner knows it: "MIC-L1 (Quantainium, Gold)"."""
    return f"{_place(job)} ({ore_names(job)})"


def _named(job: RefineryJob) -> list[tuple[str, refining.JobOre]]:
    named = []
    for job_ore in job.ores:
        ore = ore_catalogue.get(job_ore.ore_id)
        refined = ore_catalogue.refined_of(ore) if ore is not None else None
        name = (refined or ore).name if ore is not None else f"Ore {job_ore.ore_id}"
        named.append((name, job_ore))
    return named


def _place(job: RefineryJob) -> str:
    return refining.short_terminal_name(job.terminal_name)


def _scu(centi: int) -> str:
    whole, rest = divmod(centi, 100)
    return f"{whole:,}" if not rest else f"{whole:,}.{rest:02d}".rstrip("0")


def _collected(text: str, name: str) -> int:
    if text.strip() in ("0", "0.0", "0.00"):
        return 0
    return refining.parse_scu(text, name)
