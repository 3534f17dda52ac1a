"""The org's books for officers, shown to the officer alone: ``/mining ledger`` (the org's cuts,
donations, reimbursed expenses and transfer fees per payroll and per month, with a CSV link),
``/mining stats`` (ops attended, time credited and pay per member, and who has not been seen
since) and ``/mining owed`` (every unpaid line across payrolls, marked paid a page at a time,
after a confirmation).

Loaded on first use, like payroll's handlers: the books bring the payroll engine's types. Every
command, button and select checks the caller's role again, from the signed payload. Marks go
through the payroll's payments, so they are the marks the per-payroll view shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sunday_mining.domain.books import (
    Ledger,
    LedgerAmounts,
    MemberStats,
    PayeeLine,
    Period,
    last_days,
    parse_month,
    parse_period,
)
from sunday_mining.domain.durations import hms
from sunday_mining.domain.errors import PermissionDenied
from sunday_mining.domain.guild import Role
from sunday_mining.domain.prices import format_auec
from sunday_mining.interactions import custom_ids
from sunday_mining.interactions.context import Context
from sunday_mining.interactions.payroll_names import Names, plain, who
from sunday_mining.interactions.permissions import has_role, is_admin, is_leader
from sunday_mining.interactions.responses import (
    COLOUR_INFO,
    COLOUR_OK,
    COLOUR_WARN,
    Embed,
    button,
    clip,
    message,
    row,
    select,
    update,
)
from sunday_mining.services.books import Marked, Pick, PickedLine

OWED_PAGE = 10  # lines per page, and so the most one select offers (Discord allows 25)
LEDGER_PAGE = 8  # months and payrolls per page
STATS_PAGE = 10
DEFAULT_DAYS = 30
SUCCESS = 3
ALL = "all"
_NAME_CHARS = 40
_MARKDOWN = str.maketrans({c: f"\\{c}" for c in "\\*_~|`>#[]()<:"})
_NO_HANDLE = "⚠️ no handle — ask them"
_STALE_NAMED = 3  # the list below the note names them all; the note stays short

View = tuple[list[Embed], list[dict[str, Any]]]
Handler = Callable[[Context, custom_ids.CustomId], dict[str, Any]]


def _require_books(ctx: Context) -> None:
    """The org's books are for payroll officers and op leaders (admins included)."""
    config = ctx.config
    if not (is_leader(ctx.interaction, config) or has_role(ctx.interaction, config, Role.PAYROLL)):
        raise PermissionDenied(
            "Only payroll officers and op leaders can read the org's books; an admin can add "
            "your role with /mining-admin roles add."
        )


def _require_payroll(ctx: Context) -> None:
    if not (is_admin(ctx.interaction) or has_role(ctx.interaction, ctx.config, Role.PAYROLL)):
        raise PermissionDenied(
            "Only payroll officers can see and mark what is still owed; an admin can add your "
            "role with /mining-admin roles add kind:payroll."
        )


def _page(custom_id: custom_ids.CustomId, index: int) -> int:
    text = custom_id.arg(index)
    return int(text) if text.isascii() and text.isdigit() else 0


def _pager(action: str, keys: tuple[str, ...], page: int, pages: int) -> list[dict[str, Any]]:
    """◀ and ▶ buttons carrying the page to show after ``keys``; none for a single page."""
    if pages <= 1:
        return []
    back = custom_ids.make(action, *keys, page - 1, "p")
    more = custom_ids.make(action, *keys, page + 1, "n")
    return [
        row(
            button("◀ Back", back, disabled=page == 0),
            button("More ▶", more, disabled=page >= pages - 1),
        )
    ]


def _pages(count: int, size: int, page: int) -> tuple[int, int]:
    pages = max(1, -(-count // size))
    return min(max(page, 0), pages - 1), pages


def _text(name: str) -> str:
    return clip(name, _NAME_CHARS).translate(_MARKDOWN)


def _names(ctx: Context, user_ids: Sequence[str]) -> tuple[Names, Names]:
    return (
        ctx.services.names.lookup(ctx.guild_id, user_ids),
        ctx.services.handles.lookup(ctx.guild_id, user_ids),
    )


# --- /mining ledger -------------------------------------------------------------------------


def ledger(ctx: Context) -> dict[str, Any]:
    _require_books(ctx)
    typed = ctx.interaction.string("month")
    month = parse_month(typed, ctx.config.settings.time_zone).label if typed else None
    embeds, components = _ledger_view(ctx, month, 0)
    return message(embeds=embeds, components=components, ephemeral=True)


def ledger_page(ctx: Context, custom_id: custom_ids.CustomId) -> dict[str, Any]:
    """``bldg:<YYYY-MM | all>:<page>:<p|n>``."""
    _require_books(ctx)
    key = custom_id.arg(0)
    embeds, components = _ledger_view(ctx, None if key == ALL else key, _page(custom_id, 1))
    return update(embeds=embeds, components=components)


def _ledger_view(ctx: Context, month: str | None, page: int) -> View:
    zone = ctx.config.settings.time_zone
    period = parse_month(month, zone) if month else None
    books = ctx.services.books.ledger(ctx.guild_id, zone, period)
    entries = _ledger_entries(books)
    page, pages = _pages(len(entries), LEDGER_PAGE, page)
    title = f"The org's books — {month or 'every month'}"
    if not books.payrolls:
        where = f"in {month}" if month else "yet"
        return [Embed(title, f"No final payroll {where}: nothing to add up.", COLOUR_INFO)], []
    total = books.total
    said = (
        f"From {_count(len(books.payrolls), 'final payroll')} (an amendment replaces what it "
        f"supersedes), in aUEC: the org took **{total.to_org:,}** (cuts {total.org_cut:,}, "
        f"donations {total.donations:,}) of {total.gross:,} gross; expenses reimbursed "
        f"{total.reimbursed:,}; transfer fees {total.fees:,}."
    )
    shown = entries[page * LEDGER_PAGE : (page + 1) * LEDGER_PAGE]
    embed = Embed(title, said + "\n\n" + "\n".join(shown), COLOUR_INFO)
    if pages > 1:
        embed.footer = f"Page {page + 1} of {pages}"
    components = _pager("bldg", (month or ALL,), page, pages)
    link = _csv_link(ctx, month)
    if link:
        components.append(row({"type": 2, "style": 5, "label": "CSV (spreadsheet)", "url": link}))
    return [embed], components


def _ledger_entries(books: Ledger) -> list[str]:
    entries = []
    for month in books.months:
        entries.append(
            f"📅 **{month.month}** · {_count(month.payrolls, 'payroll')} — "
            + _amounts(month.amounts)
        )
        for p in (p for p in books.payrolls if p.month == month.month):
            version = f" v{p.number}" if p.number > 1 else ""
            entries.append(
                f"• **{_text(p.session_name)}**{version} · <t:{p.op_ms // 1000}:d> — "
                + _amounts(p.amounts)
            )
    return entries


def _amounts(amounts: LedgerAmounts) -> str:
    return (
        f"gross {amounts.gross:,} · cuts {amounts.org_cut:,} · donations {amounts.donations:,} · "
        f"reimbursed {amounts.reimbursed:,} · fees {amounts.fees:,}"
    )


def _csv_link(ctx: Context, month: str | None) -> str | None:
    reports = ctx.services.reports
    if reports is None:
        return None
    from sunday_mining.reports.ledger_csv import books_id

    return reports.links.books_url(books_id(ctx.guild_id, month), now_s=ctx.now_ms() // 1000)


# --- /mining stats --------------------------------------------------------------------------


def stats(ctx: Context) -> dict[str, Any]:
    _require_books(ctx)
    typed = ctx.interaction.string("period")
    period = _period(ctx, typed.strip().lower() if typed else f"{DEFAULT_DAYS}d")
    embeds, components = _stats_view(ctx, period, 0)
    return message(embeds=embeds, components=components, ephemeral=True)


def stats_page(ctx: Context, custom_id: custom_ids.CustomId) -> dict[str, Any]:
    """``bst:<YYYY-MM | Nd>:<page>:<p|n>``."""
    _require_books(ctx)
    embeds, components = _stats_view(ctx, _period(ctx, custom_id.arg(0)), _page(custom_id, 1))
    return update(embeds=embeds, components=components)


def _period(ctx: Context, typed: str) -> tuple[str, Period]:
    """The period and the key its pager carries: a month as YYYY-MM, or days as "90d"."""
    period = parse_period(typed, ctx.config.settings.time_zone, ctx.now_ms())
    if period.label.startswith("the last"):
        days = (period.end_ms - 1 - period.start_ms) // 86_400_000
        return f"{days}d", last_days(days, ctx.now_ms())
    return period.label, period


def _stats_view(ctx: Context, keyed: tuple[str, Period], page: int) -> View:
    key, period = keyed
    found = ctx.services.books.stats(ctx.guild_id, period)
    title = f"Attendance and pay — {period.label}"
    if not found:
        said = f"Nobody attended an op with a final payroll in {period.label} or before."
        return [Embed(title, said)], []
    page, pages = _pages(len(found), STATS_PAGE, page)
    shown = found[page * STATS_PAGE : (page + 1) * STATS_PAGE]
    names, handles = _names(ctx, [s.user_id for s in shown])
    seen = sum(1 for s in found if s.ops or s.payout)
    said = (
        f"{_count(seen, 'member')} attended or were paid in {period.label}: ops attended, time "
        "credited and what the final payrolls give them. Members who attended before but not "
        "in this period are listed last, with when they were last seen."
    )
    lines = [_stats_line(s, names, handles) for s in shown]
    embed = Embed(title, said + "\n\n" + "\n".join(lines), COLOUR_INFO)
    if pages > 1:
        embed.footer = f"Page {page + 1} of {pages}"
    return [embed], _pager("bst", (key,), page, pages)


def _stats_line(s: MemberStats, names: Names, handles: Names) -> str:
    handle = handles.get(s.user_id)
    name = f"**{who(s.user_id, names)}**" + (f" (`{handle}`)" if handle else "")
    if not s.ops and not s.payout:
        since = f"<t:{s.last_op_ms // 1000}:d>" if s.last_op_ms else "earlier"
        return f"{name} · not seen since {since}"
    owed = f", {format_auec(s.owed)} still owed" if s.owed else ", all paid" if s.payout else ""
    return f"{name} · {_count(s.ops, 'op')} · {hms(s.credited_s)} · {format_auec(s.payout)}{owed}"


# --- /mining owed ---------------------------------------------------------------------------


def owed(ctx: Context) -> dict[str, Any]:
    _require_payroll(ctx)
    embeds, components = _owed_view(ctx, 0)
    return message(embeds=embeds, components=components, ephemeral=True)


def owed_page(ctx: Context, custom_id: custom_ids.CustomId) -> dict[str, Any]:
    """``bowed:<page>:<p|n|b>``: another page, or back from a confirmation."""
    _require_payroll(ctx)
    embeds, components = _owed_view(ctx, _page(custom_id, 0))
    return update(embeds=embeds, components=components)


def owed_pick(ctx: Context, custom_id: custom_ids.CustomId) -> dict[str, Any]:
    """``bown:<page>``: the lines ticked in the menu; ask before marking them paid."""
    _require_payroll(ctx)
    page = _page(custom_id, 0)
    lines = {_value(x): x for x in ctx.services.books.still_owed(ctx.guild_id)}
    picked = [lines[v] for v in dict.fromkeys(ctx.interaction.values) if v in lines]
    if not picked or len(picked) != len(set(ctx.interaction.values)):
        note = (
            "⚠️ Nothing was picked: the list changed since it was shown (a line was paid or its "
            "payroll amended). Pick again below."
        )
        embeds, components = _owed_view(ctx, page, note)
        return update(embeds=embeds, components=components)
    pick = ctx.services.books.remember_pick(ctx.guild_id, ctx.user_id, picked, ctx.now_ms())
    names, handles = _names(ctx, [x.payee_id for x in picked])
    embed = Embed(
        "Mark these lines paid?",
        f"{_count(len(picked), 'line')}, **{format_auec(pick.total)}** in all. Nothing is "
        "marked until you press **Mark paid**.\n\n"
        + "\n".join(_owed_line(x, names, handles) for x in picked),
        COLOUR_WARN,
    )
    buttons = row(
        button("Mark paid", custom_ids.make("bpay", pick.pick_id), style=SUCCESS),
        button("Back", custom_ids.make("bowed", page, "b")),
    )
    return update(embeds=[embed], components=[buttons])


def owed_confirm(ctx: Context, custom_id: custom_ids.CustomId) -> dict[str, Any]:
    """``bpay:<pick id>``: mark the picked lines paid, unless one changed since."""
    _require_payroll(ctx)
    books = ctx.services.books
    pick = books.pick(ctx.guild_id, custom_id.arg(0), ctx.now_ms())
    if pick.by != ctx.user_id:
        raise PermissionDenied(
            "That confirmation belongs to another officer; run /mining owed to pick your own."
        )
    done = books.mark_picked(ctx.guild_id, pick, ctx.user_id, ctx.services.payroll)
    embeds, components = _owed_view(ctx, 0, _marked_note(ctx, pick, done))
    return update(embeds=embeds, components=components)


def _marked_note(ctx: Context, pick: Pick, done: Marked) -> str:
    if done.marked:
        return f"✅ Marked {_count(len(done.marked), 'line')} paid ({format_auec(pick.total)})."
    names, _ = _names(ctx, [x.payee_id for x in done.stale])
    sessions = _session_names(ctx, done.stale)
    changed = ", ".join(
        f"{who(x.payee_id, names)} in {sessions.get(x.payroll_id, 'an amended payroll')}"
        for x in done.stale[:_STALE_NAMED]
    )
    if len(done.stale) > _STALE_NAMED:
        changed += f" and {len(done.stale) - _STALE_NAMED:,} more"
    return (
        f"⚠️ Nothing was marked: {_count(len(done.stale), 'line')} changed since you picked "
        f"it (already marked paid, or its payroll amended): {changed}. Pick again below."
    )


def _session_names(ctx: Context, lines: Sequence[PickedLine]) -> dict[str, str]:
    wanted = {x.payroll_id for x in lines}
    finals = ctx.services.books.final_payrolls(ctx.guild_id)
    return {p.payroll_id: _text(p.session_name) for p in finals if p.payroll_id in wanted}


def _owed_view(ctx: Context, page: int, note: str = "") -> View:
    lines = ctx.services.books.still_owed(ctx.guild_id)
    head = f"{note}\n\n" if note else ""
    if not lines:
        said = "Nobody is owed anything: every line of every final payroll is marked paid. ✅"
        return [Embed("Still owed across payrolls", head + said, COLOUR_OK)], []
    page, pages = _pages(len(lines), OWED_PAGE, page)
    shown = lines[page * OWED_PAGE : (page + 1) * OWED_PAGE]
    names, handles = _names(ctx, [x.payee_id for x in shown])
    total = sum(x.owed for x in lines)
    said = (
        f"{_count(len(lines), 'line')} still owed, **{format_auec(total)}** in all, oldest "
        "first. Tick the lines you have paid in the menu, then confirm."
    )
    embed = Embed(
        "Still owed across payrolls",
        head + said + "\n\n" + "\n".join(_owed_line(x, names, handles) for x in shown),
        COLOUR_INFO,
    )
    if pages > 1:
        embed.footer = f"Page {page + 1} of {pages}"
    options = [
        (
            clip(_option_label(x, names, handles), 100),
            _value(x),
            clip(f"{format_auec(x.owed)} · {x.session_name}{_version(x)}", 100),
        )
        for x in shown
    ]
    menu = select(
        custom_ids.make("bown", page), options, placeholder="Tick the lines you have paid"
    )
    menu["max_values"] = len(menu["options"])
    return [embed], [row(menu), *_pager("bowed", (), page, pages)]


def _owed_line(x: PayeeLine, names: Names, handles: Names) -> str:
    handle = handles.get(x.payee_id)
    payee = f"**{who(x.payee_id, names)}** " + (f"(`{handle}`)" if handle else f"({_NO_HANDLE})")
    since = f" · since <t:{x.owed_since_ms // 1000}:R>" if x.owed_since_ms else ""
    earlier = f" ({format_auec(x.paid_before)} paid earlier)" if x.paid_before else ""
    return (
        f"{payee} — **{format_auec(x.owed)}**{earlier} · {_text(x.session_name)}{_version(x)}"
        f"{since}"
    )


def _option_label(x: PayeeLine, names: Names, handles: Names) -> str:
    handle = handles.get(x.payee_id)
    return f"{plain(x.payee_id, names)} " + (f"({handle})" if handle else "— no handle")


def _value(x: PayeeLine | PickedLine) -> str:
    return f"{x.payroll_id}.{x.payee_id}"


def _version(x: PayeeLine) -> str:
    return f" v{x.number}" if x.number > 1 else ""


def _count(n: int, thing: str) -> str:
    return f"{n:,} {thing}" + ("" if n == 1 else "s")


COMPONENTS: dict[str, Handler] = {
    "bldg": ledger_page,  # :<YYYY-MM | all>:<page>:<p|n>
    "bst": stats_page,  # :<YYYY-MM | Nd>:<page>:<p|n>
    "bowed": owed_page,  # :<page>:<p|n|b>
    "bown": owed_pick,  # :<page>, the select of the lines on that page
    "bpay": owed_confirm,  # :<pick id>
}
