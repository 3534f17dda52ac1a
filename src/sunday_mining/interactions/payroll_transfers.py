"""How a settlement plan looks in Discord: who will pay whom in the preview, and the transfers
of a final payroll by sender, each with its paid mark. Rendering only: every amount comes from
the plan (domain/settlement.py) as the payroll service stored it.

A page of transfers fits one phone screen, because officers post it in the channel for the
senders to mark: ``ptv:<id>:<t officer's view | s posted for the senders | m a sender's
own>:<page>``.
"""

from __future__ import annotations

from collections.abc import Sequence

from sunday_mining.domain.prices import format_auec
from sunday_mining.domain.settlement import SettlementPlan, Transfer
from sunday_mining.interactions import custom_ids
from sunday_mining.interactions.payroll_names import NO_NAMES, Names, paid_as, plain, who
from sunday_mining.interactions.payroll_render import (
    SUCCESS,
    Components,
    View,
    clamp_page,
    counted_noun,
    lines_within,
    multi_select,
    pager,
    pages,
    percent,
    view_title,
)
from sunday_mining.interactions.responses import COLOUR_OK, COLOUR_WARN, Embed, button, clip, row
from sunday_mining.services.payroll import PayrollStatus, PayrollVersion, SentBefore

TRANSFERS_PAGE = 4  # with the sender lines, the select and the buttons: one phone screen
PREVIEW_CHARS = 900  # the preview's settlement field, within Discord's 1,024 per field
OFFICER, SHARED, MINE = "t", "s", "m"


def fee_rule(plan: SettlementPlan) -> str:
    if plan.fee_bp == 0:
        return "No transfer fee."
    return f"Transfer fee {percent(plan.fee_bp)} %, paid by the sender on top."


def by_sender(plan: SettlementPlan) -> list[tuple[int, Transfer]]:
    """The transfers with their places in the plan, grouped by sender (largest sender first,
    as planned)."""
    order: dict[str, int] = {}
    for transfer in plan.transfers:
        order.setdefault(transfer.sender, len(order))
    indexed = list(enumerate(plan.transfers))
    return sorted(indexed, key=lambda it: order[it[1].sender])


def previewlines_within(plan: SettlementPlan, names: Names = NO_NAMES) -> list[str]:
    """One line per sender: what it costs them in all and whom they send what."""
    lines = []
    for sender in dict.fromkeys(t.sender for t in plan.transfers):
        sent, cost, fees = _sent_by(plan, sender)
        to = " · ".join(f"{who(t.receiver, names)} {t.amount_received:,}" for t in sent)
        fee_text = f" (fees {fees:,})" if fees else ""
        lines.append(f"**{who(sender, names)}** sends {format_auec(cost)}{fee_text}: {to}")
    if not lines:
        lines.append("Every seller already holds their payout: nobody sends anything.")
    return lines


def preview_field(plan: SettlementPlan | None, problem: str, names: Names) -> tuple[str, str]:
    """The preview's "who will pay whom" field: the plan, or why it can't be made yet."""
    if plan is None:
        return "Who will pay whom", f"⚠️ {problem}"
    head = f"{counted_noun(len(plan.transfers), 'transfer')}. {fee_rule(plan)}"
    return "Who will pay whom", lines_within(
        [head, *previewlines_within(plan, names)], PREVIEW_CHARS
    )


def sent_before_line(before: Sequence[SentBefore]) -> str:
    """One line: what was sent under the versions this one replaced (this plan counts it)."""
    numbers = sorted({x.number for x in before})
    under = ", ".join(f"v{n}" for n in numbers)
    total = sum(x.transfer.amount_received for x in before)
    return (
        f"Already sent under {under}: {counted_noun(len(before), 'transfer')}, "
        f"{format_auec(total)}."
    )


def _transfer_line(transfer: Transfer, names: Names, handles: Names) -> str:
    mark = "✅" if transfer.paid else "⏳"
    text = f"{mark} {transfer.amount_sent:,} → {paid_as(transfer.receiver, names, handles)}"
    if transfer.fee:
        text += f", who gets {transfer.amount_received:,}"
    return text


def _sent_by(plan: SettlementPlan, sender: str) -> tuple[list[Transfer], int, int]:
    """The sender's transfers, what they cost them in all and the part of it lost to fees."""
    sent = [t for t in plan.transfers if t.sender == sender]
    return sent, sum(t.amount_sent for t in sent), sum(t.fee for t in sent)


def _sender_line(plan: SettlementPlan, sender: str, names: Names, handles: Names) -> str:
    _sent, cost, fees = _sent_by(plan, sender)
    fee_text = f", fees {fees:,}" if fees else ""
    return f"**{paid_as(sender, names, handles)}** sends {format_auec(cost)}{fee_text}:"


def listed_for(plan: SettlementPlan, view: str, viewer: str) -> list[tuple[int, Transfer]]:
    """The transfers a view lists, with their places in the plan: all of them by sender, or
    (MINE) only those ``viewer`` sends."""
    listed = by_sender(plan)
    return [it for it in listed if it[1].sender == viewer] if view == MINE else listed


def _paged(listed: list[tuple[int, Transfer]], page: int) -> tuple[int, list[tuple[int, Transfer]]]:
    """The page asked for, kept within the list, and the transfers on it."""
    page = clamp_page(page, len(listed), TRANSFERS_PAGE)
    return page, listed[page * TRANSFERS_PAGE : (page + 1) * TRANSFERS_PAGE]


def page_of(plan: SettlementPlan, view: str, viewer: str, page: int) -> list[tuple[int, Transfer]]:
    return _paged(listed_for(plan, view, viewer), page)[1]


def shown_marks(shown: list[tuple[int, Transfer]]) -> str:
    """What a page showed ticked, one digit a transfer: a tick is applied against it, so a page
    shown before someone else's mark never takes that mark back."""
    return "".join("1" if t.paid else "0" for _i, t in shown)


def transfers_view(
    version: PayrollVersion,
    plan: SettlementPlan,
    page: int,
    names: Names = NO_NAMES,
    handles: Names = NO_NAMES,
    *,
    view: str = OFFICER,
    viewer: str = "",
) -> View:
    """A page of transfers by sender with a select to tick the ones sent (the sender or an
    officer may); ``view`` SHARED is the copy posted in the channel for the senders, MINE the
    private list of what ``viewer`` sends, opened from it."""
    listed = listed_for(plan, view, viewer)
    total = pages(len(listed), TRANSFERS_PAGE)
    page, shown = _paged(listed, page)
    counted_in = [t for _i, t in listed]
    unpaid = [t for t in counted_in if not t.paid]
    final = version.status is PayrollStatus.FINAL
    title = "your transfers" if view == MINE else "transfers"
    embed = Embed(view_title(version, title), colour=COLOUR_WARN if unpaid else COLOUR_OK)
    sent = len(counted_in) - len(unpaid)
    lines = [
        f"{sent} of {counted_noun(len(counted_in), 'transfer')} sent · "
        f"**{format_auec(sum(t.amount_sent for t in unpaid))}** still to send. {fee_rule(plan)}"
    ]
    if version.settlement is not None and version.settlement.sent_before:
        lines.append(sent_before_line(version.settlement.sent_before))
    if not final:
        lines.append("This version was replaced: its transfers can't be marked any more.")
    last = None
    for _index, transfer in shown:
        if transfer.sender != last:
            lines.append(_sender_line(plan, transfer.sender, names, handles))
            last = transfer.sender
        lines.append(_transfer_line(transfer, names, handles))
    if not counted_in:
        lines.append(
            "You send nothing in this payroll."
            if view == MINE
            else "Every seller already holds their payout: nobody sends anything."
        )
    embed.description = "\n".join(lines)
    pid = version.payroll_id
    components: Components = []
    if final and shown:
        options = [
            (
                clip(f"{plain(t.sender, names)} → {plain(t.receiver, names)}", 80),
                str(index),
                f"{t.amount_sent:,} aUEC sent",
                t.paid,
            )
            for index, t in shown
        ]
        placeholder = "Tick the transfers that were sent (on this page)"
        ticks = custom_ids.make("ptx", pid, view, page, shown_marks(shown))
        components.append(row(multi_select(ticks, options, placeholder=placeholder)))
    components += pager("ptv", pid, view, page, total)
    if view == OFFICER:
        buttons = [button("Back to payments", custom_ids.make("pgo", pid, "f"))]
        if final and plan.transfers:
            buttons.insert(
                0, button("Post for the senders", custom_ids.make("ptpost", pid), style=SUCCESS)
            )
        components.append(row(*buttons))
    if view == SHARED and final and plan.transfers:
        mine = button("Tick my transfers", custom_ids.make("ptmine", pid), style=SUCCESS)
        components.append(row(mine))
    return [embed], components


def owed_view(
    version: PayrollVersion,
    plan: SettlementPlan,
    page: int,
    names: Names = NO_NAMES,
    handles: Names = NO_NAMES,
) -> View:
    """Still owed, for a payroll paid by transfers: the transfers not marked sent, by sender."""
    listed = [(i, t) for i, t in by_sender(plan) if not t.paid]
    total = pages(len(listed), TRANSFERS_PAGE * 3)
    page = clamp_page(page, len(listed), TRANSFERS_PAGE * 3)
    shown = listed[page * TRANSFERS_PAGE * 3 : (page + 1) * TRANSFERS_PAGE * 3]
    embed = Embed(view_title(version, "still owed"), colour=COLOUR_WARN if listed else COLOUR_OK)
    if not listed:
        embed.description = "Every transfer has been sent. ✅"
    else:
        owed = sum(t.amount_received for _i, t in listed)
        lines = [
            f"{counted_noun(len(listed), 'transfer')} not sent yet: **{format_auec(owed)}** still "
            f"owed, {format_auec(sum(t.amount_sent for _i, t in listed))} to send with the fees."
        ]
        last = None
        for _index, transfer in shown:
            if transfer.sender != last:
                lines.append(f"**{paid_as(transfer.sender, names, handles)}** still sends:")
                last = transfer.sender
            lines.append(_transfer_line(transfer, names, handles))
        embed.description = "\n".join(lines)
    pid = version.payroll_id
    components = pager("pv", pid, "o", page, total)
    components.append(
        row(
            button("Transfers", custom_ids.make("pgo", pid, OFFICER)),
            button("Back to payments", custom_ids.make("pgo", pid, "f")),
        )
    )
    return [embed], components


def still_to_send(plan: SettlementPlan) -> int:
    """What the final payroll says is still owed: the unsent transfers' amounts received."""
    return sum(t.amount_received for t in plan.unpaid())


def summary(plan: SettlementPlan) -> str:
    """The final payroll's line about its plan."""
    sent = len(plan.transfers) - len(plan.unpaid())
    return (
        f"Paid by {counted_noun(len(plan.transfers), 'transfer')} between members ({sent} sent): "
        "press **Transfers** to see who sends whom and tick them."
    )
