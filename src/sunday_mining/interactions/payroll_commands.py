"""/mining payroll: pick a session, validate participants, enter the haul and the cuts, preview,
finalize, then mark payments. Parse the interaction, call the payroll service, render.

Every step is a custom_id ``sm1:<action>:<payroll id>[:<arg>…]`` pointing at a stored version,
so any click works after a timeout or a cold start; the payroll role (or, for an adhoc
session, being its creator) is checked on every click and modal submit. Modals open only from
buttons and selects, never from a modal, and every answer is inline (no deferral).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from sunday_mining import observability
from sunday_mining.domain import ores
from sunday_mining.domain.errors import DomainError, NotFound, StoreError, ValidationError
from sunday_mining.domain.guild import Role
from sunday_mining.domain.ids import ascii_number, is_id, is_snowflake
from sunday_mining.domain.ores import Ore
from sunday_mining.domain.session import SessionType
from sunday_mining.domain.settlement import SettlementPlan
from sunday_mining.interactions import payroll_render as views
from sunday_mining.interactions import payroll_transfers as transfer_views
from sunday_mining.interactions import permissions
from sunday_mining.interactions.context import Context
from sunday_mining.interactions.custom_ids import CustomId
from sunday_mining.interactions.member_names import interaction_names
from sunday_mining.interactions.payout_notices import could_not_be_told, tell_payees
from sunday_mining.interactions.payroll_names import Names
from sunday_mining.interactions.responses import choices, message, modal, update
from sunday_mining.services.names import clean_name
from sunday_mining.services.payroll import (
    MAX_LABEL,
    OreEntry,
    PayrollStatus,
    PayrollVersion,
    PriceMode,
    owed_of,
    owed_total,
    settlement_of,
)

Handler = Callable[[Context, CustomId], dict[str, Any]]
PICK_PAGE = 25

# --- who may run payroll ----------------------------------------------------------------------


log = logging.getLogger(__name__)


def _is_officer(ctx: Context) -> bool:
    interaction = ctx.interaction
    return permissions.is_admin(interaction) or permissions.has_role(
        interaction, ctx.config, Role.PAYROLL
    )


def _require(ctx: Context, session_type: SessionType, creator_id: str) -> None:
    """Payroll officers pay any session; an adhoc session's creator pays their own."""
    if session_type is SessionType.ADHOC and creator_id == ctx.user_id:
        return
    permissions.require_payroll_officer(ctx.interaction, ctx.config)


def _version(ctx: Context, custom_id: CustomId) -> PayrollVersion:
    version = ctx.services.payroll.get(ctx.guild_id, custom_id.arg(0))
    _require(ctx, version.session_type, version.session_creator)
    return version


def _int(text: str, default: int = 0) -> int:
    number = ascii_number(text, 15)  # a page, a rev, or a snapshot's epoch milliseconds
    return default if number is None else number


# --- entry points -----------------------------------------------------------------------------


def payroll(ctx: Context) -> dict[str, Any]:
    session_id = (ctx.interaction.string("session") or "").strip()
    if session_id:
        embeds, components = _open(ctx, session_id)
    else:
        embeds, components = _pick(ctx, before=None)
    return message(embeds=embeds, components=components, ephemeral=True)


def payroll_button(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    """The Payroll button under a stop summary (a public message): answer privately."""
    embeds, components = _open(ctx, custom_id.arg(0))
    return message(embeds=embeds, components=components, ephemeral=True)


def pick_selected(ctx: Context, _: CustomId) -> dict[str, Any]:
    if len(ctx.interaction.values) != 1:
        raise ValidationError("Pick one session.")
    embeds, components = _open(ctx, ctx.interaction.values[0])
    return update(embeds=embeds, components=components)


def pick_page(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    before = custom_id.arg(0)
    if before and not is_id(before):
        raise NotFound("That page is out of date; run /mining payroll again.")
    embeds, components = _pick(ctx, before=before or None)
    return update(embeds=embeds, components=components)


def _pick(ctx: Context, *, before: str | None) -> views.View:
    creator = None if _is_officer(ctx) else ctx.user_id
    sessions, more = ctx.services.payroll.payable_sessions(
        ctx.guild_id, before=before, limit=PICK_PAGE, creator_id=creator
    )
    if creator is not None and not sessions and before is None:
        # Not an officer and no adhoc session of their own: say who may run payroll.
        permissions.require_payroll_officer(ctx.interaction, ctx.config)
    return views.pick_view(
        sessions,
        before=before,
        more=more,
        now_ms=ctx.now_ms(),
        time_zone=ctx.config.settings.time_zone,
    )


def _open(ctx: Context, session_id: str) -> views.View:
    if not is_id(session_id):
        raise NotFound("Pick a session from the list as you type.")
    session = ctx.services.sessions.get(ctx.guild_id, session_id)
    _require(ctx, session.type, session.creator_id)
    version = ctx.services.payroll.open(ctx.guild_id, session_id, ctx.user_id)
    return _view(ctx, version, "p" if version.is_draft else "f", 0)


def session_autocomplete(ctx: Context) -> dict[str, Any]:
    typed = (ctx.interaction.focused or ("", ""))[1]
    creator = None if _is_officer(ctx) else ctx.user_id
    found = ctx.services.payroll.recent_for_autocomplete(ctx.guild_id, typed, creator_id=creator)
    return choices([(f"{s.name} · payroll {s.payroll_state.value}", s.session_id) for s in found])


# --- moving between steps ---------------------------------------------------------------------


def go(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    """``pgo:<id>:<view>`` (step buttons, first page) and ``pv:<id>:<view>:<page>`` (pagers);
    two actions because one message can't hold two components with the same custom_id."""
    version = _version(ctx, custom_id)
    embeds, components = _view(ctx, version, custom_id.arg(1), _int(custom_id.arg(2)))
    return update(embeds=embeds, components=components)


def _names(ctx: Context, version: PayrollVersion) -> Names:
    """The remembered display names of everyone the payroll lists (one read per screen)."""
    ids = {m.user_id for m in version.members}
    ids |= {m.added_by for m in version.members if m.added_by}
    ids |= {e.claimant_id for e in version.expenses if e.claimant_id}
    ids |= {f.payee_id for f in version.flats} | {p.payee_id for p in version.percentages}
    ids |= {line.seller_id for line in version.income if line.seller_id}
    # The treasurer holds the org's cut in a plan: the one stored, or for a draft the guild's.
    treasurer = ctx.config.settings.treasurer_id
    if version.settlement is not None:
        treasurer = version.settlement.treasurer_id
    if treasurer:
        ids.add(treasurer)
    if version.finalized_by:
        ids.add(version.finalized_by)
    try:
        names = ctx.services.names.lookup(ctx.guild_id, ids)
    except StoreError:
        # Names only dress the screen (mentions stand in): after a committed change, a failed
        # read must not report the change as failed.
        log.warning("member names not read", extra={"guild_id": ctx.guild_id})
        names = {}
    # This interaction's names are remembered only once it succeeds: use them already.
    seen = interaction_names(ctx.interaction.raw)
    return {**names, **{u: clean_name(n) for u, n in seen.items() if u in ids and clean_name(n)}}


def _handles(ctx: Context, version: PayrollVersion) -> Names:
    """The payees' in-game handles, for the views where they are paid; best effort like the
    names (a payee then reads as having none)."""
    ids = {p for p, _net in version.payees()}
    if version.settlement is not None:
        ids |= {t.sender for t in version.settlement.transfers}
    try:
        return ctx.services.handles.lookup(ctx.guild_id, sorted(ids))
    except StoreError:
        log.warning("handles not read", extra={"guild_id": ctx.guild_id})
        return {}


def _view(ctx: Context, version: PayrollVersion, view: str, page: int) -> views.View:
    service = ctx.services.payroll
    names = _names(ctx, version)
    if not version.is_draft and view in ("p", "h", "c"):
        view = "f"  # a finalized draft's old buttons lead to the payments view
    if version.is_draft and view in ("f", "o", "t"):
        view = "p"
    if view == "h":
        return views.haul_view(version, service.current_prices(), ctx.now_ms(), page, names)
    if view == "c":
        return views.cuts_view(version, names)
    if view == "r":
        return _preview(ctx, version, page, names)
    if view in ("f", "o", "t"):
        return _payments(ctx, version, view, page, names)
    return views.participants_view(version, page, names)


def _preview(ctx: Context, version: PayrollVersion, page: int, names: Names) -> views.View:
    shown = ctx.services.payroll.preview_of(version)
    field = None
    if shown.plan is not None or shown.problem:
        field = transfer_views.preview_field(shown.plan, shown.problem, names)
    return views.preview_view(version, shown.result, page, names, field)


def _payments(
    ctx: Context, version: PayrollVersion, view: str, page: int, names: Names
) -> views.View:
    """The final payroll (f), what is still owed (o) and, paid by a plan, its transfers (t)."""
    version, owed, total = ctx.services.payroll.still_owed(ctx.guild_id, version.payroll_id)
    handles = _handles(ctx, version)
    plan = settlement_of(version)
    if plan is not None and view == "t":
        return transfer_views.transfers_view(version, plan, page, names, handles)
    if plan is not None and view == "o":
        return transfer_views.owed_view(version, plan, page, names, handles)
    if view == "o":
        untold = could_not_be_told(ctx, version)
        return views.owed_view(version, owed, total, page, names, handles, untold)
    return _final(ctx, version, page, names, handles, total)


def _final(
    ctx: Context,
    version: PayrollVersion,
    page: int,
    names: Names,
    handles: Names,
    owed: int,
    note: str = "",
) -> views.View:
    plan = settlement_of(version)
    return views.final_view(
        version,
        page,
        owed if plan is None else transfer_views.still_to_send(plan),
        names=names,
        handles=handles,
        reports=_reports_on(ctx),
        note=note,
        plan_line="" if plan is None else transfer_views.summary(plan),
    )


def _updated(ctx: Context, version: PayrollVersion, view: str, page: int = 0) -> dict[str, Any]:
    embeds, components = _view(ctx, version, view, page)
    return update(embeds=embeds, components=components)


# --- step 1: participants ---------------------------------------------------------------------


def _member_page(version: PayrollVersion, member_id: str) -> int:
    index = next(i for i, m in enumerate(version.members) if m.user_id == member_id)
    return index // views.MEMBERS_PAGE


def member_pick(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    """A member picked in the participants menu: their card, with one button per action."""
    version = _version(ctx, custom_id)
    draft = ctx.services.payroll.draft(ctx.guild_id, version.payroll_id)
    if len(ctx.interaction.values) != 1:
        raise ValidationError("Pick one member.")
    member = draft.member(ctx.interaction.values[0])
    page = _member_page(draft, member.user_id)
    embeds, components = views.member_view(draft, member, page, _names(ctx, draft))
    return update(embeds=embeds, components=components)


_MEMBER_FLAGS = {"x": ("included", False), "i": ("included", True), "d": ("donates", True)}
_MEMBER_FLAGS["k"] = ("donates", False)


def member_set(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    """``pmset:<id>:<member>:<x|i|d|k>``: exclude, include again, donates, keeps their share."""
    version = _version(ctx, custom_id)
    member_id, flag = custom_id.arg(1), custom_id.arg(2)
    if flag not in _MEMBER_FLAGS or not is_snowflake(member_id):
        raise NotFound("That button is from an older message; run /mining payroll again.")
    what, value = _MEMBER_FLAGS[flag]
    service = ctx.services.payroll
    set_flag = service.set_included if what == "included" else service.set_donors
    chosen = (member_id,) if value else ()
    saved = set_flag(ctx.guild_id, version.payroll_id, ctx.user_id, [member_id], chosen)
    names = _names(ctx, saved)
    note = views.member_note(flag, member_id, names)
    page = _member_page(saved, member_id)
    embeds, components = views.participants_view(saved, page, names, note=note)
    return update(embeds=embeds, components=components)


def adjust_open(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    """``padj:<id>:<member>``: the time and multiplier form of one member."""
    version = _version(ctx, custom_id)
    draft = ctx.services.payroll.draft(ctx.guild_id, version.payroll_id)
    member = draft.member(custom_id.arg(1))
    spec = views.member_modal(draft, member, _names(ctx, draft))
    return modal(spec["custom_id"], spec["title"], spec["components"])


def member_submit(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    version = _version(ctx, custom_id)
    member_id = custom_id.arg(1)
    fields = ctx.interaction.fields
    saved = ctx.services.payroll.adjust_member(
        ctx.guild_id,
        version.payroll_id,
        ctx.user_id,
        member_id,
        multiplier_milli=parse_multiplier(fields.get("mult", "1")),
        adjust_s=parse_minutes(fields.get("adj", "0")) * 60,
        reason=fields.get("why", ""),
    )
    return _updated(ctx, saved, "p", _member_page(saved, member_id))


def add_open(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    """Add members…: show the user select (on the draft only, to payroll officers)."""
    version = _version(ctx, custom_id)
    draft = ctx.services.payroll.draft(ctx.guild_id, version.payroll_id)
    embeds, components = views.add_members_view(draft)
    return update(embeds=embeds, components=components)


def add_picked(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    """Members picked in the user select join the draft with no credited time."""
    version = _version(ctx, custom_id)
    picked = ctx.interaction.values
    outcome = ctx.services.payroll.add_members(
        ctx.guild_id, version.payroll_id, ctx.user_id, picked, bots=_bots(ctx, picked)
    )
    saved = outcome.version
    names = _names(ctx, saved)
    embeds, components = views.participants_view(
        saved,
        _member_page(saved, outcome.added[0]),
        names,
        note=views.added_note(outcome, names),
    )
    return update(embeds=embeds, components=components)


def _bots(ctx: Context, picked: tuple[str, ...]) -> set[str]:
    """Which picked users are bots, from the select's resolved users (Discord sends each)."""
    data = ctx.interaction.raw.get("data")
    resolved = data.get("resolved") if isinstance(data, dict) else None
    users = resolved.get("users") if isinstance(resolved, dict) else None
    bots = set()
    for user_id in picked:
        user = users.get(user_id) if isinstance(users, dict) else None
        if not isinstance(user, dict):
            raise ValidationError("Pick the members from the member list.")
        if user.get("bot") is True:
            bots.add(user_id)
    return bots


# --- step 2: haul -------------------------------------------------------------------------------


def ores_pick(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    version = _version(ctx, custom_id)
    draft = ctx.services.payroll.draft(ctx.guild_id, version.payroll_id)
    picked = [_ore(value) for value in ctx.interaction.values]
    if not 1 <= len(picked) <= views.MAX_ORES_PER_MODAL:
        raise ValidationError(f"Pick 1 to {views.MAX_ORES_PER_MODAL} ores at a time.")
    spec = views.amounts_modal(draft, picked)
    return modal(spec["custom_id"], spec["title"], spec["components"])


def _ore(value: str) -> Ore:
    number = ascii_number(value)
    ore = None if number is None else ores.get(number)
    if ore is None:
        raise ValidationError("I don't know that ore; pick one from the list.")
    return ore


def amounts_submit(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    version = _version(ctx, custom_id)
    picked = [_ore(value) for value in custom_id.args[1:]]
    fields = ctx.interaction.fields
    entries = [parse_amount(fields.get(f"o{ore.uex_id}", ""), ore) for ore in picked]
    saved = ctx.services.payroll.set_ores(ctx.guild_id, version.payroll_id, ctx.user_id, entries)
    return _updated(ctx, saved, "h")


def paste_open(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    version = _version(ctx, custom_id)
    spec = views.paste_modal(ctx.services.payroll.draft(ctx.guild_id, version.payroll_id))
    return modal(spec["custom_id"], spec["title"], spec["components"])


def paste_submit(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    version = _version(ctx, custom_id)
    fields = ctx.interaction.fields
    entries = parse_haul_list(fields.get("list", ""))
    seller = _picked_user(fields, "seller")
    saved = ctx.services.payroll.set_ores(
        ctx.guild_id, version.payroll_id, ctx.user_id, entries, seller
    )
    return _updated(ctx, saved, "h")


def sale_open(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    version = _version(ctx, custom_id)
    spec = views.sale_modal(ctx.services.payroll.draft(ctx.guild_id, version.payroll_id))
    return modal(spec["custom_id"], spec["title"], spec["components"])


def sale_submit(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    version = _version(ctx, custom_id)
    fields = ctx.interaction.fields
    total = parse_auec(fields.get("total", ""), "The sale total")
    saved = ctx.services.payroll.add_sale(
        ctx.guild_id,
        version.payroll_id,
        ctx.user_id,
        fields.get("label", ""),
        total,
        _picked_user(fields, "seller"),
    )
    return _updated(ctx, saved, "h")


def _line_index(value: str, draft: PayrollVersion) -> int:
    index = ascii_number(value, 2)
    if index is None or not 0 <= index < len(draft.income):
        raise ValidationError("That line is gone already; pick one from the list.")
    return index


def seller_pick(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    """A line picked in "Who sold a line…": a member select for its seller."""
    version = _version(ctx, custom_id)
    draft = ctx.services.payroll.draft(ctx.guild_id, version.payroll_id)
    values = ctx.interaction.values
    if len(values) != 1:
        raise ValidationError("Pick one line.")
    embeds, components = views.seller_view(draft, _line_index(values[0], draft), _names(ctx, draft))
    return update(embeds=embeds, components=components)


def seller_set(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    """``pslu:<id>:<line>``: the member picked as the line's seller."""
    version = _version(ctx, custom_id)
    values = ctx.interaction.values
    if len(values) != 1 or not is_snowflake(values[0]):
        raise ValidationError("Pick one member.")
    index = ascii_number(custom_id.arg(1), 2)
    if index is None:
        raise NotFound("That menu is from an older message; run /mining payroll again.")
    saved = ctx.services.payroll.set_seller(
        ctx.guild_id, version.payroll_id, ctx.user_id, index, values[0]
    )
    return _updated(ctx, saved, "h")


def income_remove(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    version = _version(ctx, custom_id)
    values = ctx.interaction.values
    index = ascii_number(values[0]) if len(values) == 1 else None
    if index is None:
        raise ValidationError("Pick one line to remove.")
    saved = ctx.services.payroll.remove_income(ctx.guild_id, version.payroll_id, ctx.user_id, index)
    return _updated(ctx, saved, "h")


def refinery_take(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    """``prefj:<id>``: the session's collected refinery jobs become ore lines and expenses."""
    version = _version(ctx, custom_id)
    jobs = ctx.services.refinery.of_session(ctx.guild_id, version.session_id)
    taken = ctx.services.payroll.take_refinery_jobs(
        ctx.guild_id, version.payroll_id, ctx.user_id, jobs
    )
    answer = _updated(ctx, taken.version, "h")
    if not taken.jobs:
        answer["data"]["content"] = (
            "No collected refinery job in this session yet: collect them in "
            "/mining refinery list first."
        )
    return answer


def stale_accept(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    version = _version(ctx, custom_id)
    saved = ctx.services.payroll.accept_stale_prices(
        ctx.guild_id, version.payroll_id, ctx.user_id, _int(custom_id.arg(1), -1)
    )
    return _updated(ctx, saved, "h")


# --- step 3: expenses and cuts ------------------------------------------------------------------


def expense_open(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    version = _version(ctx, custom_id)
    spec = views.expense_modal(ctx.services.payroll.draft(ctx.guild_id, version.payroll_id))
    return modal(spec["custom_id"], spec["title"], spec["components"])


def flat_open(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    version = _version(ctx, custom_id)
    spec = views.flat_modal(ctx.services.payroll.draft(ctx.guild_id, version.payroll_id))
    return modal(spec["custom_id"], spec["title"], spec["components"])


def percentage_open(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    version = _version(ctx, custom_id)
    draft = ctx.services.payroll.draft(ctx.guild_id, version.payroll_id)
    spec = views.percentage_modal(draft, ctx.config.settings.org_cut_bp)
    return modal(spec["custom_id"], spec["title"], spec["components"])


def _picked_user(fields: dict[str, str], name: str) -> str | None:
    value = fields.get(name, "").split(",")[0].strip()
    if value and not is_snowflake(value):
        raise ValidationError("Pick the member from the list.")
    return value or None


def expense_submit(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    version = _version(ctx, custom_id)
    fields = ctx.interaction.fields
    saved = ctx.services.payroll.add_expense(
        ctx.guild_id,
        version.payroll_id,
        ctx.user_id,
        fields.get("label", ""),
        parse_auec(fields.get("amount", ""), "The expense"),
        _picked_user(fields, "who"),
    )
    return _updated(ctx, saved, "c")


def flat_submit(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    version = _version(ctx, custom_id)
    fields = ctx.interaction.fields
    saved = ctx.services.payroll.add_flat(
        ctx.guild_id,
        version.payroll_id,
        ctx.user_id,
        fields.get("label", ""),
        parse_auec(fields.get("amount", ""), "The flat amount"),
        _picked_user(fields, "who") or "",
    )
    return _updated(ctx, saved, "c")


def percentage_submit(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    version = _version(ctx, custom_id)
    fields = ctx.interaction.fields
    saved = ctx.services.payroll.add_percentage(
        ctx.guild_id,
        version.payroll_id,
        ctx.user_id,
        fields.get("label", ""),
        parse_percent(fields.get("percent", "")),
        _picked_user(fields, "who"),
    )
    return _updated(ctx, saved, "c")


def cut_remove(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    version = _version(ctx, custom_id)
    if len(ctx.interaction.values) != 1:
        raise ValidationError("Pick one line to remove.")
    saved = ctx.services.payroll.remove_cut(
        ctx.guild_id, version.payroll_id, ctx.user_id, ctx.interaction.values[0]
    )
    return _updated(ctx, saved, "c")


# --- step 4: finalize ---------------------------------------------------------------------------


def finalize_ask(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    draft = _version(ctx, custom_id)
    result = ctx.services.payroll.result_of(draft)
    if not draft.is_draft:
        return _updated(ctx, draft, "f")
    if draft.rev != _int(custom_id.arg(1), -1):
        raise ValidationError("The payroll changed since this preview; press Preview again.")
    embeds, components = views.confirm_view(draft, result)
    return update(embeds=embeds, components=components)


def finalize_confirm(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    version = _version(ctx, custom_id)
    final = ctx.services.payroll.finalize(
        ctx.guild_id, version.payroll_id, ctx.user_id, expected_rev=_int(custom_id.arg(1), -1)
    )
    observability.count("PayrollsFinalized")
    note = tell_payees(ctx, final, _request_report(ctx, final, post_to_channel=True))
    # Rendered from what finalize() wrote, not read back: a store hiccup after the commit must
    # not tell the officer to try again (the retry would answer that it is already final).
    total = owed_total(owed_of(final, final.paid_before or {}))
    embeds, components = _final(
        ctx, final, 0, _names(ctx, final), _handles(ctx, final), total, note
    )
    return update(embeds=embeds, components=components)


# --- discard a draft ----------------------------------------------------------------------------


def discard_ask(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    version = _version(ctx, custom_id)
    draft = ctx.services.payroll.draft(ctx.guild_id, version.payroll_id)
    embeds, components = views.discard_view(draft)
    return update(embeds=embeds, components=components)


def discard_confirm(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    version = _version(ctx, custom_id)
    gone = ctx.services.payroll.discard(
        ctx.guild_id, version.payroll_id, ctx.user_id, expected_rev=_int(custom_id.arg(1), -1)
    )
    # Rendered from the deleted draft, not read back (as after finalize): nothing to retry.
    embeds, components = views.discarded_view(gone, ctx.user_id)
    return update(embeds=embeds, components=components)


# --- reports ------------------------------------------------------------------------------------


def _reports_on(ctx: Context) -> bool:
    return ctx.services.reports is not None and ctx.services.reports.jobs is not None


def _request_report(ctx: Context, version: PayrollVersion, *, post_to_channel: bool) -> str:
    """Hand the report to the job runner; the sentence to show says what happens next. The
    payroll is final either way: a report that could not be started can be rebuilt."""
    if not _reports_on(ctx):
        return ""
    try:
        _submit_report(ctx, version, post_to_channel=post_to_channel)
    except DomainError as failure:
        ctx.services.errors.record_failure(failure)
        why = failure.message.rstrip(".")
        return f"⚠️ The report could not be started: {why}. Press **Rebuild report** to try again."
    return "📄 The report (PDF and CSV) is being built and will arrive here in a moment."


def _submit_report(ctx: Context, version: PayrollVersion, *, post_to_channel: bool) -> None:
    """Raises the failure of the part that refused (the store, the job runner)."""
    from sunday_mining.reports.service import ReportRequest

    reports = ctx.services.reports
    if reports is None:
        raise ValidationError("Reports are not set up on this installation; ask an admin.")

    interaction = ctx.interaction
    request = ReportRequest(
        guild_id=ctx.guild_id,
        payroll_id=version.payroll_id,
        requested_by=ctx.user_id,
        request_key=interaction.id,
        application_id=interaction.application_id,
        interaction_token=interaction.token,
        interaction_ms=ctx.now_ms(),
        attachment_size_limit=interaction.attachment_size_limit,
        post_to_channel=post_to_channel,
    )
    reports.request(request)


def rebuild_report(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    version = _version(ctx, custom_id)
    if version.is_draft:
        raise ValidationError("Only a finalized payroll has a report; finalize it first.")
    if not _reports_on(ctx):
        raise ValidationError("Reports are not set up on this installation; ask an admin.")
    _submit_report(ctx, version, post_to_channel=False)
    return message(
        f"📄 Rebuilding the report for '{version.session_name}' (version {version.number}); "
        "it will arrive here in a moment.",
        ephemeral=True,
    )


# --- after finalize -----------------------------------------------------------------------------


def paid(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    version = _version(ctx, custom_id)
    page = _int(custom_id.arg(1))
    shown = views.paid_page(version, page)
    saved = ctx.services.payroll.set_paid(
        ctx.guild_id, version.payroll_id, ctx.user_id, shown, ctx.interaction.values
    )
    return _updated(ctx, saved, "f", page)


def all_paid_ask(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    """Mark all paid…: say how many and how much, and ask (nothing is marked yet)."""
    version = _version(ctx, custom_id)
    version, owed, total = ctx.services.payroll.still_owed(ctx.guild_id, version.payroll_id)
    if version.status is not PayrollStatus.FINAL:
        raise ValidationError(
            "Payments are marked on the current final payroll; run /mining payroll."
        )
    embeds, components = views.all_paid_view(version, owed, total)
    return update(embeds=embeds, components=components)


def all_paid_confirm(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    version = _version(ctx, custom_id)
    saved = ctx.services.payroll.set_all_paid(ctx.guild_id, version.payroll_id, ctx.user_id)
    return _updated(ctx, saved, "f")


# --- transfers of a payroll paid by a settlement plan ---------------------------------------


def _may_mark_any(ctx: Context, version: PayrollVersion) -> bool:
    """Whoever may run this payroll marks any transfer; anyone else only their own."""
    try:
        _require(ctx, version.session_type, version.session_creator)
    except DomainError:
        return False
    return True


def _plan(ctx: Context, version: PayrollVersion) -> SettlementPlan:
    plan = settlement_of(version)
    if plan is None:
        # Only those who may run the payroll learn how it is paid.
        _require(ctx, version.session_type, version.session_creator)
        raise ValidationError("This payroll is paid payee by payee; run /mining payroll.")
    return plan


def _transfers(ctx: Context, version: PayrollVersion, view: str, page: int) -> views.View:
    plan = _plan(ctx, version)
    names, handles = _names(ctx, version), _handles(ctx, version)
    shown = view if view in (transfer_views.SHARED, transfer_views.MINE) else transfer_views.OFFICER
    return transfer_views.transfers_view(
        version, plan, page, names, handles, view=shown, viewer=ctx.user_id
    )


def transfers_page(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    """A page of the transfers: the officer's copy, the copy posted for the senders, which any
    member of the server may read, or a sender's own (marking is checked per transfer)."""
    version = ctx.services.payroll.get(ctx.guild_id, custom_id.arg(0))
    view = custom_id.arg(1)
    if view not in (transfer_views.SHARED, transfer_views.MINE):
        _require(ctx, version.session_type, version.session_creator)
    embeds, components = _transfers(ctx, version, view, _int(custom_id.arg(2)))
    return update(embeds=embeds, components=components)


def transfers_mine(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    """From the posted copy: the presser's own transfers, for them alone, to tick and page
    without moving the page everyone else sees."""
    version = ctx.services.payroll.get(ctx.guild_id, custom_id.arg(0))
    embeds, components = _transfers(ctx, version, transfer_views.MINE, 0)
    return message(embeds=embeds, components=components, ephemeral=True)


def transfers_paid(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    """Ticks on a page of transfers: a sender marks their own, an officer any of them. Only
    what the member changed on the page is applied, against what the page showed, so a page
    shown before someone else's mark never takes it back."""
    version = ctx.services.payroll.get(ctx.guild_id, custom_id.arg(0))
    view, page, showed = custom_id.arg(1), _int(custom_id.arg(2)), custom_id.arg(3)
    plan = _plan(ctx, version)
    listed = transfer_views.page_of(plan, view, ctx.user_id, page)
    if len(showed) != len(listed) or set(showed) - {"0", "1"}:
        raise ValidationError("That list is out of date; open the transfers again.")
    chosen = {ascii_number(value, 4) for value in ctx.interaction.values}
    changed = [
        index
        for (index, _t), was in zip(listed, showed, strict=True)
        if (index in chosen) != (was == "1")
    ]
    saved = ctx.services.payroll.set_transfers_paid(
        ctx.guild_id,
        version.payroll_id,
        ctx.user_id,
        changed,
        [index for index in changed if index in chosen],
        officer=_may_mark_any(ctx, version),
    )
    embeds, components = _transfers(ctx, saved, view, page)
    return update(embeds=embeds, components=components)


def transfers_post(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    """Post the transfers in the channel, so each sender can tick their own."""
    version = _version(ctx, custom_id)
    embeds, components = _transfers(ctx, version, transfer_views.SHARED, 0)
    return message(embeds=embeds, components=components)


def amend(ctx: Context, custom_id: CustomId) -> dict[str, Any]:
    version = _version(ctx, custom_id)
    draft = ctx.services.payroll.amend(ctx.guild_id, version.payroll_id, ctx.user_id)
    return _updated(ctx, draft, "p")


# --- parsing what officers type -----------------------------------------------------------------

# ASCII digits only: in Python's default (Unicode) mode \d also matches "٣" and the like.
_SCU = re.compile(r"(\d{1,9})(?:\.(\d+))?", re.ASCII)
_WHOLE = re.compile(r"\d{1,15}", re.ASCII)
_PERCENT = re.compile(r"(\d{1,3})(?:\.(\d{1,2}))?", re.ASCII)
_MULTIPLIER = re.compile(r"(\d{1,2})(?:\.(\d{1,3}))?", re.ASCII)
_MINUTES = re.compile(r"[+-]?\d{1,4}", re.ASCII)
_THOUSANDS = re.compile(r"(?<=\d)[ ,_](?=\d{3}\b)", re.ASCII)
_AVERAGE_WORDS = frozenset({"avg", "average"})


def _shown(text: str) -> str:
    return text.strip()[:40] or "(empty)"


def parse_scu(text: str, what: str) -> int:
    """SCU as typed ("32.5", "120 scu") to whole centi-SCU, exactly: never through a float."""
    raw = text.strip().lower().removesuffix("scu").strip()
    if raw.startswith("-"):
        raise ValidationError(f"{what}: SCU can't be negative; type the amount, e.g. 32.5.")
    match = _SCU.fullmatch(raw)
    if match is None:
        raise ValidationError(f"{what}: '{_shown(text)}' isn't an amount of SCU; type e.g. 32.5.")
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > 2:
        raise ValidationError(f"{what}: SCU has at most two decimals, e.g. 32.57.")
    centi = int(whole) * 100 + int(fraction.ljust(2, "0"))
    if centi == 0:
        raise ValidationError(f"{what}: the SCU must be more than 0; remove the line instead.")
    return centi


def parse_auec(text: str, what: str) -> int:
    """Whole aUEC; spaces, commas and underscores between digits and an "aUEC" are fine."""
    raw = text.strip().lower().removesuffix("auec").strip()
    if raw.startswith("-"):
        raise ValidationError(f"{what} can't be negative; type an amount in aUEC.")
    digits = _THOUSANDS.sub("", raw)
    if _WHOLE.fullmatch(digits) is None:
        raise ValidationError(
            f"{what}: '{_shown(text)}' isn't a whole number of aUEC; type e.g. 25000."
        )
    return int(digits)


def parse_percent(text: str) -> int:
    raw = text.strip().removesuffix("%").strip()
    if raw.startswith("-"):
        raise ValidationError("A percentage can't be negative.")
    match = _PERCENT.fullmatch(raw)
    if match is None:
        raise ValidationError(f"'{_shown(text)}' isn't a percentage; type e.g. 10 or 12.5.")
    basis_points = int(match.group(1)) * 100 + int((match.group(2) or "").ljust(2, "0"))
    if basis_points > 10_000:
        raise ValidationError("A percentage can be at most 100 %.")
    return basis_points


def parse_multiplier(text: str) -> int:
    raw = text.strip().lower().lstrip("x\u00d7").strip() or "1"
    match = _MULTIPLIER.fullmatch(raw)
    if match is None:
        raise ValidationError(f"'{_shown(text)}' isn't a multiplier; type e.g. 1 or 1.5.")
    return int(match.group(1)) * 1000 + int((match.group(2) or "").ljust(3, "0"))


def parse_minutes(text: str) -> int:
    raw = text.strip().lower().removesuffix("min").strip() or "0"
    if _MINUTES.fullmatch(raw) is None:
        raise ValidationError(f"'{_shown(text)}' isn't a number of minutes; type e.g. +30 or -15.")
    return int(raw)


def parse_amount(text: str, ore: Ore) -> OreEntry:
    """``32.5``, ``32.5 avg`` (average price) or ``32.5 @ 9000`` (a typed price per SCU)."""
    body, at, price = text.partition("@")
    words = body.split()
    mode = PriceMode.BEST
    if words and words[-1].lower() in _AVERAGE_WORDS:
        mode = PriceMode.AVERAGE
        words.pop()
    elif words and words[-1].lower() == "best":
        words.pop()
    if len(words) != 1:
        raise ValidationError(
            f"{ore.name}: '{_shown(text)}' isn't an amount; type the SCU, e.g. 32.5."
        )
    scu = parse_scu(words[0], ore.name)
    if not at:
        return OreEntry(ore.uex_id, scu, mode)
    typed = parse_auec(price, f"The price of {ore.name}")
    return OreEntry(ore.uex_id, scu, PriceMode.TYPED, typed)


def parse_haul_list(text: str) -> list[OreEntry]:
    """``QUAN 32.5, LARA 120 avg, Gold 8 @ 6100``; every part that can't be read is named."""
    parts = [p.strip() for p in re.split(r"[,;\n]", text) if p.strip()]
    if not parts:
        raise ValidationError("Paste at least one ore and its SCU, e.g. QUAN 32.5.")
    entries: list[OreEntry] = []
    problems: list[str] = []
    for part in parts:
        try:
            entries.append(_haul_part(part))
        except ValidationError as failure:
            problems.append(f"'{_shown(part)}' ({failure.message.rstrip('.')})")
    if problems:
        raise ValidationError(
            f"I couldn't read {'; '.join(problems[:5])}"
            + (f" and {len(problems) - 5} more" if len(problems) > 5 else "")
            + ". Fix those and paste again; nothing was saved."
        )
    return entries


def _haul_part(part: str) -> OreEntry:
    body, at, price = part.partition("@")
    words = body.replace(":", " ").replace("=", " ").split()
    if len(words) < 2:
        raise ValidationError("an ore and its SCU, please")
    first = next((i for i, w in enumerate(words) if w[:1] in "0123456789-+."), None)
    if first is None or first == 0:
        first = len(words) - 1  # no number: the last word is meant as the amount
    name = " ".join(words[:first])
    ore = ores.lookup(name)
    if ore is None:
        raise ValidationError(f"no ore called '{name[:MAX_LABEL]}'")
    return parse_amount(" ".join(words[first:]) + (f" @ {price}" if at else ""), ore)


# --- the router's tables ------------------------------------------------------------------------

# Arguments after the action (":<id>" unless noted): <id> is a payroll version's id.
COMPONENTS: dict[str, Handler] = {
    "payroll": payroll_button,  # :<session id>, the stop summary's button
    "ppick": pick_selected,
    "ppage": pick_page,  # [:<last session id shown>] keyset paging
    "pgo": go,  # :<id>:<view>; p participants, h haul, c cuts, r preview, f final, o owed,
    # t transfers (a payroll paid by a settlement plan)
    "pv": go,  # :<id>:<view>:<page>
    "pmem": member_pick,  # :<id>:<page>, shows one member's actions
    "pmset": member_set,  # :<id>:<member>:<x exclude | i include | d donates | k keeps>
    "padj": adjust_open,  # :<id>:<member>[:<page>], opens the pmm modal
    "padd": add_open,  # :<id>, shows the paddm user select
    "paddm": add_picked,  # :<id>, members to add by hand
    "pore": ores_pick,  # :<id>:<ore page>, opens the pam modal
    "ppaste": paste_open,
    "psale": sale_open,
    "prm": income_remove,
    "pseller": seller_pick,  # :<id>, a line picked: shows the pslu user select
    "pslu": seller_set,  # :<id>:<line index>, the seller picked
    "pstale": stale_accept,  # :<id>:<fetched_ms of the snapshot accepted>
    "prefj": refinery_take,  # :<id>, the session's collected refinery jobs
    "pexp": expense_open,
    "pflat": flat_open,
    "ppct": percentage_open,
    "pcut": cut_remove,
    "pask": finalize_ask,  # :<id>:<rev previewed>
    "pfin": finalize_confirm,  # :<id>:<rev previewed>
    "pdel": discard_ask,  # :<id>
    "pdelok": discard_confirm,  # :<id>:<rev shown when asked>
    "ppaid": paid,  # :<id>:<page>
    "pall": all_paid_ask,  # :<id>
    "pallok": all_paid_confirm,  # :<id>
    "pamend": amend,
    "prep": rebuild_report,  # :<id>
    "ptv": transfers_page,  # :<id>:<t officer's | s posted | m own>:<page>, the transfers
    "ptx": transfers_paid,  # :<id>:<t | s | m>:<page>:<marks shown>, the transfers ticked
    "ptmine": transfers_mine,  # :<id>, from the posted copy: the presser's own transfers
    "ptpost": transfers_post,  # :<id>, posts the transfers in the channel for the senders
}

MODALS: dict[str, Handler] = {
    "pmm": member_submit,  # :<id>:<member's user id>
    "pam": amounts_submit,  # :<id>:<ore id>… (at most 5)
    "ppl": paste_submit,
    "psl": sale_submit,
    "pexm": expense_submit,
    "pflm": flat_submit,
    "ppcm": percentage_submit,
}
