"""/mining me: a member's own pay, shown to them alone — their handle, what they are owed, their
recent sessions and their lines in the final payrolls, newest first, a page at a time.

The books load on first use (they bring the payroll's stored versions and the engine's types),
like payroll's handlers. The pager's buttons carry only a page number: whoever presses one sees
their own books, read from the signed payload, so a forwarded button shows nobody else's pay.

Two switches sit under the view: payout messages (their line by direct message when a payroll
becomes final or an amendment changes it) and refinery messages. A switch's button carries which
switch and the state it sets, never whose: it changes the presser's own, from the signed payload.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sunday_mining.domain.durations import hms
from sunday_mining.domain.errors import ValidationError
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


def me_switch(ctx: Context, custom_id: custom_ids.CustomId) -> dict[str, Any]:
    """``mepref:<pay|ref>:<on|off>:<page>``: turn one of the caller's own messages on or off."""
    switch, state = custom_id.arg(0), custom_id.arg(1)
    if switch not in _SWITCHES or state not in ("on", "off"):
        raise ValidationError("That button is from an older message; run /mining me again.")
    ctx.services.prefs.set(ctx.guild_id, ctx.user_id, **{_SWITCHES[switch]: state == "on"})
    page = custom_id.arg(2)
    embeds, components = _view(ctx, int(page) if page.isdigit() else 0)
    return update(embeds=embeds, components=components)


_SWITCHES = {"pay": "payout_dms", "ref": "refinery_dms"}


def _switches(ctx: Context, page: int) -> tuple[str, dict[str, Any]]:
    """The sentence saying how the caller's messages stand, and the buttons that change them."""
    prefs = ctx.services.prefs.get(ctx.guild_id, ctx.user_id)

    def said(on: bool) -> str:
        return "on" if on else "off"

    sentence = (
        f"Direct messages from the bot — payouts: **{said(prefs.payout_dms)}**, "
        f"refinery jobs: **{said(prefs.refinery_dms)}**."
    )
    buttons = row(
        _switch_button("payout", "pay", prefs.payout_dms, page),
        _switch_button("refinery", "ref", prefs.refinery_dms, page),
    )
    return sentence, buttons


def _switch_button(what: str, switch: str, on: bool, page: int) -> dict[str, Any]:
    label = f"Turn {what} messages {'off' if on else 'on'}"
    return button(label, custom_ids.make("mepref", switch, "off" if on else "on", page))


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
            "You have no in-game handle yet: set one with `/mining handle set` so whoever "
            "sends your aUEC knows where to send it."
        )
    if lines:
        said.append(
            f"Final payrolls credit you with **{format_auec(view.payout)}** in "
            f"{_count(len(lines))}."
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
    sentence, switches = _switches(ctx, page)
    embed.add("Your messages", sentence)
    if pages == 1:
        return [embed], [switches]
    pager = row(
        button("◀ Newer", custom_ids.make("me", page - 1, "p"), disabled=page == 0),
        button("Older ▶", custom_ids.make("me", page + 1, "n"), disabled=page >= pages - 1),
    )
    return [embed], [pager, switches]


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
