"""/mining me: a member's own pay, shown to them alone — their handle, what they are owed, their
recent sessions and their lines in the final payrolls, newest first, a page at a time.

The books load on first use (they bring the payroll's stored versions and the engine's types),
like payroll's handlers. The pager's buttons carry only a page number: whoever presses one sees
their own books, read from the signed payload, so a forwarded button shows nobody else's pay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sunday_mining.domain.durations import hms
from sunday_mining.domain.prices import format_auec
from sunday_mining.interactions import custom_ids
from sunday_mining.interactions.context import Context
from sunday_mining.interactions.responses import (
    COLOUR_INFO,
    COLOUR_OK,
    Embed,
    button,
    clip,
    message,
    row,
    update,
)

if TYPE_CHECKING:  # the books bring the payroll engine's types, which a cold start does not need
    from sunday_mining.domain.books import PayeeLine

LINES_PAGE = 6
_NAME_CHARS = 50
_MARKDOWN = str.maketrans({c: f"\\{c}" for c in "\\*_~|`>#[]()<:"})

View = tuple[list[Embed], list[dict[str, Any]]]


def me(ctx: Context) -> dict[str, Any]:
    embeds, components = _view(ctx, 0)
    return message(embeds=embeds, components=components, ephemeral=True)


def me_page(ctx: Context, custom_id: custom_ids.CustomId) -> dict[str, Any]:
    """``me:<page>:<p|n>``: another page of the caller's own lines."""
    page = custom_id.arg(0)
    embeds, components = _view(ctx, int(page) if page.isdigit() else 0)
    return update(embeds=embeds, components=components)


def _view(ctx: Context, page: int) -> View:
    books = ctx.services.books.member(ctx.guild_id, ctx.user_id)
    handle = ctx.services.handles.get(ctx.guild_id, ctx.user_id)
    view = books.view
    lines = view.lines
    pages = max(1, -(-len(lines) // LINES_PAGE))
    page = min(max(page, 0), pages - 1)
    owed_in = sum(1 for line in lines if line.owed)
    said = [_owed_sentence(view.owed, owed_in, bool(lines))]
    if handle:
        said.append(f"Your in-game handle: `{handle}`.")
    else:
        said.append(
            "You have no in-game handle yet: set one with `/mining handle set` so the purser "
            "knows where to send your aUEC."
        )
    if lines:
        said.append(
            f"Final payrolls have given you **{format_auec(view.payout)}** in {_count(len(lines))}."
        )
    embed = Embed("Your mining pay", " ".join(said), COLOUR_INFO if view.owed else COLOUR_OK)
    if books.sessions:
        embed.add(
            "Your recent sessions",
            "\n".join(
                f"**{_name(s.name)}** · <t:{s.started_ms // 1000}:d> · {hms(s.credited_s)} · "
                f"{s.status}"
                for s in books.sessions
            ),
        )
    shown = lines[page * LINES_PAGE : (page + 1) * LINES_PAGE]
    if shown:
        title = "Your payouts" + (f" ({page + 1}/{pages})" if pages > 1 else "")
        embed.add(title, "\n".join(_line(line) for line in shown))
    if pages == 1:
        return [embed], []
    pager = row(
        button("◀ Newer", custom_ids.make("me", page - 1, "p"), disabled=page == 0),
        button("Older ▶", custom_ids.make("me", page + 1, "n"), disabled=page >= pages - 1),
    )
    return [embed], [pager]


def _owed_sentence(owed: int, payrolls: int, paid_ever: bool) -> str:
    if owed:
        return f"Still owed to you: **{format_auec(owed)}** from {_count(payrolls)}."
    if paid_ever:
        return "Nobody owes you anything: every payout has been marked paid. ✅"
    return "No final payroll pays you yet."


def _line(line: PayeeLine) -> str:
    version = f" v{line.number}" if line.number > 1 else ""
    head = (
        f"**{_name(line.session_name)}**{version} · <t:{line.op_ms // 1000}:d> — "
        f"**{format_auec(line.payout)}**"
    )
    if line.paid_ms is not None:
        return f"{head} · ✅ paid <t:{line.paid_ms // 1000}:R>"
    since = f" since <t:{line.owed_since_ms // 1000}:R>" if line.owed_since_ms else ""
    if line.over_paid:
        return f"{head} · over-paid {format_auec(line.over_paid)} earlier: settle it in game"
    if line.paid_before:
        return (
            f"{head} · {format_auec(line.paid_before)} paid earlier, "
            f"⏳ **{format_auec(line.owed)}** still owed{since}"
        )
    if line.owed:
        return f"{head} · ⏳ owed{since}"
    return f"{head} · settled"


def _name(text: str) -> str:
    return clip(text, _NAME_CHARS).translate(_MARKDOWN)


def _count(payrolls: int) -> str:
    return f"{payrolls} payroll" + ("" if payrolls == 1 else "s")
