"""How the payroll flow looks in Discord. Rendering only: every amount shown was computed by
the payroll engine (or typed by the officer); nothing here decides or adds up money.

Every view is one embed plus at most five action rows, each select at most 25 options (member
and payee lists are paged), every custom_id ``sm1:<action>:<payroll id>[:<arg>]``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sunday_mining.domain import ores
from sunday_mining.domain.durations import hms
from sunday_mining.domain.guild import DonationPolicy
from sunday_mining.domain.ores import Ore
from sunday_mining.domain.payroll import (
    ORG_PAYEE_ID,
    PRICE_TYPED,
    IncomeLine,
    LineKind,
    PayrollResult,
)
from sunday_mining.domain.prices import PriceSnapshot, format_auec
from sunday_mining.domain.session import PayrollState
from sunday_mining.interactions import custom_ids, render
from sunday_mining.interactions.payroll_names import NO_NAMES, Names, paid_as, plain, who
from sunday_mining.interactions.price_commands import source_line
from sunday_mining.interactions.responses import (
    COLOUR_INFO,
    COLOUR_OK,
    COLOUR_WARN,
    MAX_FIELD_VALUE,
    MAX_OPTIONS,
    Embed,
    button,
    clip,
    row,
    select,
    text_input,
)
from sunday_mining.services.payroll import (
    MAX_ADDED_MEMBERS,
    MAX_PICKED,
    AddedMembers,
    Member,
    Owed,
    PayableSession,
    PayrollStatus,
    PayrollVersion,
    age_text,
    unpaid_reason,
)
from sunday_mining.services.prices import bundled_snapshot

MEMBERS_PAGE = 20
PAYEES_PAGE = 15
ORES_PAGE = MAX_OPTIONS
MAX_ORES_PER_MODAL = 5  # Discord: at most 5 top-level components in a modal
STORY_CHARS = 2600  # leaves room for two fields of payouts and one of who is not paid
EMBED_BUDGET = 5800  # Discord's limit is 6,000 characters over all embeds of a message
PRIMARY, SECONDARY, SUCCESS, DANGER = 1, 2, 3, 4
# Escaped because linters take these signs for look-alike ASCII characters.
TIMES, MINUS, NOT_PAID = "\u00d7", "\u2212", "\u2796"
BY_HAND = "\u270d\ufe0f"  # the writing hand: a member an officer added, not seen in voice

Components = list[dict[str, Any]]
View = tuple[list[Embed], Components]

_STEPS = (("p", "Participants"), ("h", "Haul"), ("c", "Expenses & cuts"), ("r", "Preview"))


# --- small pieces -----------------------------------------------------------------------------


def scu(scu_centi: int) -> str:
    whole, centi = divmod(scu_centi, 100)
    return f"{whole:,}.{centi:02d}".rstrip("0").rstrip(".")


def multiplier(milli: int) -> str:
    return f"{milli // 1000}.{milli % 1000:03d}".rstrip("0").rstrip(".")


def percent(basis_points: int) -> str:
    return f"{basis_points // 100}.{basis_points % 100:02d}".rstrip("0").rstrip(".")


def counted_noun(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def pages(count: int, size: int) -> int:
    return max(1, -(-count // size))


def clamp_page(page: int, count: int, size: int) -> int:
    return min(max(0, page), pages(count, size) - 1)


def view_title(version: PayrollVersion, what: str) -> str:
    return f"Payroll v{version.number} — {version.session_name} · {what}"


def _fit(embed: Embed) -> Embed:
    """Trim the description so the whole embed stays within Discord's 6,000 characters."""
    used = len(embed.title) + sum(len(n) + len(v) for n, v, _ in embed.fields)
    used += len(embed.footer or "")
    room = EMBED_BUDGET - used
    if len(embed.description) > room:
        embed.description = clip(embed.description, max(room, 1))
    return embed


def lines_within(lines: Sequence[str], limit: int) -> str:
    """Whole lines up to ``limit`` characters, then how many more were left out."""
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        more = f"…and {len(lines) - index} more"
        if used + len(line) + 1 > limit - len(more) - 1:
            kept.append(more)
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


def _chunks(lines: Sequence[str], limit: int = MAX_FIELD_VALUE) -> list[str]:
    """Lines grouped into field-sized texts, never splitting a line."""
    chunks: list[str] = []
    current: list[str] = []
    for line in lines:
        text = clip(line, limit)
        if current and len("\n".join([*current, text])) > limit:
            chunks.append("\n".join(current))
            current = []
        current.append(text)
    if current:
        chunks.append("\n".join(current))
    return chunks


def multi_select(
    custom_id: str,
    options: Sequence[tuple[str, str, str | None, bool]],
    *,
    placeholder: str,
) -> dict[str, Any]:
    """A string select where any number (none included) of the options may be chosen;
    ``options`` are (label, value, description, chosen now)."""
    component = select(custom_id, [(a, b, c) for a, b, c, _ in options], placeholder=placeholder)
    for option, (_label, _value, _description, chosen) in zip(
        component["options"], options, strict=False
    ):
        if chosen:
            option["default"] = True
    component["min_values"] = 0
    component["max_values"] = len(component["options"])
    return component


def pager(action: str, payroll_id: str, view: str, page: int, total: int) -> list[dict[str, Any]]:
    if total <= 1:
        return []
    return [
        row(
            button(
                "◀ Previous",
                custom_ids.make(action, payroll_id, view, page - 1),
                disabled=page == 0,
            ),
            button(
                f"Page {page + 1} of {total}",
                custom_ids.make("pnoop", payroll_id, view),
                disabled=True,
            ),
            button(
                "Next ▶",
                custom_ids.make(action, payroll_id, view, page + 1),
                disabled=page >= total - 1,
            ),
        )
    ]


def steps_row(version: PayrollVersion, current: str, *extra: dict[str, Any]) -> dict[str, Any]:
    buttons = [
        button(
            label,
            custom_ids.make("pgo", version.payroll_id, view),
            style=PRIMARY if view == current else SECONDARY,
            disabled=view == current,
        )
        for view, label in _STEPS
    ]
    return row(*buttons, *extra)


# --- step 0: pick a session -------------------------------------------------------------------


def pick_view(
    sessions: Sequence[PayableSession],
    *,
    before: str | None,
    more: bool,
    now_ms: int,
    time_zone: str,
) -> View:
    embed = Embed("Payroll — pick a session", colour=COLOUR_INFO)
    newest = button("Newest", custom_ids.make("ppage"), disabled=before is None)
    if not sessions:
        embed.description = (
            "No stopped session is waiting for a payroll. Stop one with /mining stop, or open "
            "a final payroll with `/mining payroll session:` to mark payments or amend it."
        )
        return [embed], [row(newest)] if before else []
    embed.description = (
        "Newest first. Sessions with a final payroll are not listed; type their name in "
        "`/mining payroll session:` to see them."
    )
    options = [
        (s.session.name, s.session.session_id, _session_line(s, now_ms, time_zone))
        for s in sessions
    ]
    components = [row(select(custom_ids.make("ppick"), options, placeholder="Which session?"))]
    buttons = [newest]
    if more:
        buttons.append(button("Older", custom_ids.make("ppage", sessions[-1].session.session_id)))
    components.append(row(*buttons))
    return [embed], components


def _session_line(entry: PayableSession, now_ms: int, time_zone: str) -> str:
    session = entry.session
    day = datetime.fromtimestamp(session.started_ms / 1000, tz=UTC).astimezone(ZoneInfo(time_zone))
    parts = [
        render.badge(session),
        day.strftime("%Y-%m-%d"),
        render.duration(session.length_ms(now_ms)),
    ]
    parts.append(
        f"{entry.participants} participants"
        if entry.participants is not None
        else "participants counted when opened"
    )
    if session.payroll_state is PayrollState.DRAFT:
        parts.append("draft started")
    return " · ".join(parts)


# --- step 1: participants ---------------------------------------------------------------------


def _member_line(number: int, m: Member, names: Names) -> str:
    mark = "✅" if m.included else NOT_PAID
    # h:mm:ss: the exact credited time the share is computed from, as the report and CSV show it
    text = f"`{number:>3}.` {mark} {who(m.user_id, names)} — {hms(m.seconds)}"
    if m.adjust_s:
        sign = "+" if m.adjust_s > 0 else MINUS
        text += f" ({sign}{render.seconds_text(abs(m.adjust_s))}: {clip(m.reason, 40)})"
    if m.multiplier_milli != 1000:
        text += f" {TIMES}{multiplier(m.multiplier_milli)}"
    if m.donates:
        text += " 💝 donor"
    if m.below_minimum:
        text += " 🕒"
    if m.gap_affected:
        text += " ⚠️"
    if m.added_by_hand and m.added_by:
        text += f" {BY_HAND} added by {who(m.added_by, names)}"
    return text


def _member_option(m: Member, names: Names) -> tuple[str, str, str]:
    """(label, value, description) of a member in the participants menu."""
    marks = (("  🕒", m.below_minimum), ("  ⚠️", m.gap_affected), (f"  {BY_HAND}", m.added_by_hand))
    flags = "".join(f for f, on in marks if on)
    label = f"{clip(plain(m.user_id, names), 60)} · {hms(m.seconds)}{flags}"
    said = ["paid" if m.included else "not paid"]
    if m.donates:
        said.append("donates their share")
    if m.multiplier_milli != 1000:
        said.append(f"{TIMES}{multiplier(m.multiplier_milli)}")
    return label, m.user_id, " · ".join(said)


def participants_view(
    version: PayrollVersion, page: int, names: Names = NO_NAMES, note: tuple[str, str] | None = None
) -> View:
    members = version.members
    total = pages(len(members), MEMBERS_PAGE)
    page = clamp_page(page, len(members), MEMBERS_PAGE)
    start = page * MEMBERS_PAGE
    shown = members[start : start + MEMBERS_PAGE]
    paid = sum(1 for m in members if m.included)
    embed = Embed(view_title(version, "participants"), colour=COLOUR_INFO)
    legend = [f"✅ paid · {NOT_PAID} not paid"]
    if any(m.below_minimum for m in members):
        minimum = render.seconds_text(version.minimum_s)
        legend.append(f"🕒 below the minimum of {minimum} (paid only if you include them)")
    if any(m.gap_affected for m in members):
        legend.append("⚠️ the voice worker missed something: check their time")
    if any(m.added_by_hand for m in members):
        legend.append(f"{BY_HAND} added by hand (not in voice): give them time with Adjust")
    head = f"Step 1 of 4 · {len(members)} listed, {paid} paid. " + " · ".join(legend) + "."
    lines = [_member_line(start + i + 1, m, names) for i, m in enumerate(shown)]
    embed.description = (
        head + "\n\n" + ("\n".join(lines) if lines else "Nobody sat in the channels.")
    )
    if note:
        embed.add(*note)
    embed.add(
        "What next",
        "To exclude someone, include them again, mark a donation or adjust their time, pick "
        "them in the menu. When the list is right: **Sale total…** if the haul was sold in one "
        "go, or **Haul** to enter ore amounts.",
    )
    embed.footer = f"Page {page + 1} of {total}" if total > 1 else None
    pid = version.payroll_id
    components: Components = []
    if shown:
        picker = select(
            custom_ids.make("pmem", pid, page),
            [_member_option(m, names) for m in shown],
            placeholder="Change someone: exclude, include, donate, adjust time…",
        )
        components.append(row(picker))
    tools = _draft_tools(version)
    paging = pager("pv", pid, "p", page, total)
    if paging:
        paging[0]["components"] += tools  # 3 + 2 buttons in one row
        components += paging
    else:
        components.append(row(*tools))
    components.append(row(button("Sale total…", custom_ids.make("psale", pid), style=PRIMARY)))
    components.append(steps_row(version, "p"))
    return [_fit(embed)], components


def member_view(version: PayrollVersion, member: Member, page: int, names: Names) -> View:
    """One participant and what can be done about them, each an explicit button."""
    pid, uid = version.payroll_id, member.user_id
    embed = Embed(clip(view_title(version, plain(uid, names)), 256), colour=COLOUR_INFO)
    said = [f"{who(uid, names)} — credited **{hms(member.seconds)}**"]
    if member.adjust_s:
        sign = "+" if member.adjust_s > 0 else MINUS
        said.append(
            f"Measured {hms(member.credited_s)}, adjusted {sign}"
            f"{render.seconds_text(abs(member.adjust_s))}: {member.reason}"
        )
    if member.multiplier_milli != 1000:
        said.append(f"Multiplier {TIMES}{multiplier(member.multiplier_milli)}")
    if member.included:
        said.append("✅ Paid a share by time.")
    else:
        said.append(f"{NOT_PAID} Not paid: {unpaid_reason(version, uid, 'excluded')}.")
    if member.donates:
        said.append(f"💝 Donates their share ({_donation_words(version)}).")
    if member.below_minimum:
        minimum = render.seconds_text(version.minimum_s)
        said.append(f"🕒 Below the minimum of {minimum}: paid only if you include them.")
    if member.gap_affected:
        said.append("⚠️ The voice worker missed something during their time: check it.")
    if member.added_by_hand and member.added_by:
        said.append(f"{BY_HAND} Added by hand by {who(member.added_by, names)}.")
    embed.description = "\n".join(said)
    if member.included:
        paid = button("Exclude", custom_ids.make("pmset", pid, uid, "x"), style=DANGER)
    else:
        paid = button("Include again", custom_ids.make("pmset", pid, uid, "i"), style=SUCCESS)
    if member.donates:
        gift = button("Keeps their share", custom_ids.make("pmset", pid, uid, "k"))
    else:
        gift = button("Donates their share", custom_ids.make("pmset", pid, uid, "d"))
    adjust = button(
        "Adjust time or multiplier…", custom_ids.make("padj", pid, uid, page), style=PRIMARY
    )
    back = button("Back to participants", custom_ids.make("pv", pid, "p", page))
    return [_fit(embed)], [row(paid, gift, adjust), row(back)]


def _donation_words(version: PayrollVersion) -> str:
    if version.donation_policy is DonationPolicy.ORG:
        return "it goes to the org"
    return "it is shared among the others by their time"


MEMBER_DONE = {
    "x": "Excluded {name}: listed, not paid.",
    "i": "Included {name} again: paid a share by time.",
    "d": "{name} donates their share.",
    "k": "{name} keeps their share.",
}


def member_note(flag: str, user_id: str, names: Names) -> tuple[str, str]:
    """What an explicit action on a member did, for the participants page that follows."""
    return "Done", MEMBER_DONE[flag].format(name=who(user_id, names))


def _draft_tools(version: PayrollVersion) -> list[dict[str, Any]]:
    """The participants step's buttons that are not a select: add members, discard."""
    pid = version.payroll_id
    return [
        button("Add members…", custom_ids.make("padd", pid)),
        button("Discard draft…", custom_ids.make("pdel", pid), style=DANGER),
    ]


def add_members_view(version: PayrollVersion) -> View:
    """A user select (Discord lists the server's members) to add who was not in voice."""
    pid = version.payroll_id
    room = MAX_ADDED_MEMBERS - version.added_by_hand
    embed = Embed(view_title(version, "add members"), colour=COLOUR_INFO)
    embed.description = (
        "Add members who mined with the crew but were not in the tracked voice channels (their "
        "voice was broken, or they were on comms elsewhere). They join the participants with "
        f"no credited time, marked {BY_HAND}; then pick them in the participants menu and give "
        "them time with **Adjust time or multiplier…**, with a reason. Bots and members "
        "already listed are skipped."
    )
    components: Components = []
    if room > 0:
        most = min(MAX_PICKED, room)
        picker = {
            "type": 5,
            "custom_id": custom_ids.make("paddm", pid),
            "placeholder": f"Members to add (up to {most} at a time)",
            "min_values": 1,
            "max_values": most,
        }
        components.append(row(picker))
        embed.footer = f"{counted_noun(room, 'more member')} can be added by hand to this payroll."
    else:
        embed.description += (
            f"\n\nThis payroll already holds {MAX_ADDED_MEMBERS} members added by hand, the most "
            "it can; exclude or adjust them instead."
        )
    components.append(row(button("Back to participants", custom_ids.make("pgo", pid, "p"))))
    return [_fit(embed)], components


def added_note(outcome: AddedMembers, names: Names) -> tuple[str, str]:
    """What adding members did, for the participants view that follows."""
    said = (
        f"Added {_named_list(outcome.added, names)} with no credited time: pick them in the "
        "menu to give them time."
    )
    skipped = [f"{_named_list(outcome.bots, names)} (bots are never paid)"] if outcome.bots else []
    if outcome.already:
        skipped.append(f"{_named_list(outcome.already, names)} (already listed)")
    if skipped:
        said += " Skipped " + " and ".join(skipped) + "."
    return f"{BY_HAND} Added by hand", clip(said, MAX_FIELD_VALUE)


def _named_list(user_ids: Sequence[str], names: Names) -> str:
    return ", ".join(who(u, names) for u in user_ids)


def member_modal(version: PayrollVersion, member: Member, names: Names) -> dict[str, Any]:
    adjust = f"{member.adjust_s // 60:+d}" if member.adjust_s else "0"
    return {
        "custom_id": custom_ids.make("pmm", version.payroll_id, member.user_id),
        "title": clip(plain(member.user_id, names), 45),
        "components": [
            _described(
                text_input(
                    "mult", "Multiplier", value=multiplier(member.multiplier_milli), max_length=6
                ),
                "1 is normal; 1.5 pays half again as much per minute, 0 pays nothing.",
            ),
            _described(
                text_input("adj", "Time adjustment (minutes)", value=adjust, max_length=6),
                f"Credited {render.seconds_text(member.credited_s)}; e.g. +30 or -15.",
            ),
            _described(
                text_input(
                    "why",
                    "Reason for the adjustment",
                    value=member.reason or None,
                    required=False,
                    max_length=200,
                    paragraph=True,
                ),
                "Needed when the time changes; kept in the audit log.",
            ),
        ],
    }


def _described(label: dict[str, Any], description: str) -> dict[str, Any]:
    return {**label, "description": clip(description, 100)}


def user_field(custom_id: str, label: str, description: str, *, required: bool) -> dict[str, Any]:
    """A member picker in a modal (Discord fills it with the server's members)."""
    picker: dict[str, Any] = {
        "type": 5,
        "custom_id": custom_id,
        "required": required,
        "min_values": 1 if required else 0,
        "max_values": 1,
    }
    return {"type": 18, "label": label, "description": clip(description, 100), "component": picker}


# --- step 2: haul ------------------------------------------------------------------------------


def _ore_pages() -> list[list[Ore]]:
    # Refined ores first (what terminals buy most), then raw, 25 to a page.
    ordered = sorted(ores.all_ores(), key=lambda ore: ore.is_raw)
    return [ordered[i : i + ORES_PAGE] for i in range(0, len(ordered), ORES_PAGE)]


def price_hint(snapshot: PriceSnapshot, ore_id: int) -> str:
    price = snapshot.price(ore_id)
    if price is None:
        return "no price in the snapshot: type one"
    if price.best_sell is not None:
        return f"best {format_auec(price.best_sell)}/SCU"
    return f"average {format_auec(price.average_sell or 0)}/SCU"


_SOURCE_WORDS = {
    "snapshot:best": "best terminal price",
    "snapshot:average": "average across terminals",
    PRICE_TYPED: "typed price",
}


def source_words(price_source: str) -> str:
    """A stored price source in words (the stored value is an internal token)."""
    if price_source.startswith("snapshot:terminal:"):
        return "one terminal's price"
    return _SOURCE_WORDS.get(price_source, "price")


def has_terminal_prices(snapshot: PriceSnapshot) -> bool:
    """Whether the snapshot names a best terminal price (the bundled sample has averages only)."""
    return any(p.best_sell is not None for p in snapshot.prices.values())


def income_line(line: IncomeLine, snapshot: PriceSnapshot | None = None) -> str:
    if line.is_sale:
        return f"**{line.name}** — sale total {format_auec(line.value)}"
    words = source_words(line.price_source)
    if line.price_source == "snapshot:average" and snapshot is not None:
        price = snapshot.price(line.ore_id or 0)
        if has_terminal_prices(snapshot) and price is not None and price.best_sell is None:
            words += ": no terminal price for it"
    return (
        f"**{line.name}** — {scu(line.scu_centi)} SCU {TIMES} {line.price_per_scu:,} aUEC "
        f"({words}) = {format_auec(line.value)}"
    )


def pricing_rule(snapshot: PriceSnapshot) -> str:
    """Which price an ore amount gets when none is typed, and why."""
    if has_terminal_prices(snapshot):
        return (
            "Ores are priced at the best terminal price in the snapshot (the average where no "
            "terminal is listed); after the SCU, `avg` uses the average price and `@ 9000` "
            "types the price."
        )
    return (
        "This snapshot has no terminal prices, only the average across terminals, so ores are "
        "priced at the average; after the SCU, `@ 9000` types the price a terminal paid."
    )


def sold_by(line: IncomeLine, names: Names) -> str:
    return f" · sold by {who(line.seller_id, names)}" if line.seller_id else ""


def haul_view(
    version: PayrollVersion,
    snapshot: PriceSnapshot,
    now_ms: int,
    ore_page: int,
    names: Names = NO_NAMES,
) -> View:
    pid = version.payroll_id
    embed = Embed(view_title(version, "haul"), colour=COLOUR_INFO)
    lines = [
        f"`{i + 1}.` {income_line(x, snapshot)}{sold_by(x, names)}"
        for i, x in enumerate(version.income)
    ]
    embed.description = (
        "Step 2 of 4 · pick ores and type their SCU (up to 5 at a time), paste a list, or "
        f"enter what a terminal paid with **Sale total**. {pricing_rule(snapshot)} Each line "
        "is sold by whoever entered it unless you pick its seller: who holds its aUEC.\n\n"
        + ("\n".join(lines) if lines else "No income yet.")
    )
    stale = snapshot.is_stale(now_ms) and version.stale_accepted_ms != snapshot.fetched_ms
    if stale:
        embed.colour = COLOUR_WARN
        embed.add(
            "⚠️ Old prices",
            f"The stored prices are {age_text(snapshot.age_ms(now_ms))} old. Press "
            "'Use these prices' to price ores with them anyway, or type each price.",
        )
    embed.footer = source_line(snapshot, now_ms)
    all_pages = _ore_pages()
    ore_page = min(max(0, ore_page), len(all_pages) - 1)
    picker = select(
        custom_ids.make("pore", pid, ore_page),
        [
            (o.name, str(o.uex_id), f"{o.code} · {price_hint(snapshot, o.uex_id)}")
            for o in all_pages[ore_page]
        ],
        placeholder=f"Add ore amounts (list {ore_page + 1} of {len(all_pages)})",
    )
    picker["max_values"] = min(MAX_ORES_PER_MODAL, len(picker["options"]))
    components = [row(picker)]
    if version.income:
        components.append(
            row(
                select(
                    custom_ids.make("prm", pid),
                    [
                        (clip(x.name, 80), str(i), "remove this line")
                        for i, x in enumerate(version.income)
                    ],
                    placeholder="Remove a line…",
                )
            )
        )
        components.append(
            row(
                select(
                    custom_ids.make("pseller", pid),
                    [
                        (clip(x.name, 80), str(i), clip(sold_by(x, names).lstrip(" ·"), 100))
                        for i, x in enumerate(version.income)
                    ],
                    placeholder="Who sold a line…",
                )
            )
        )
    buttons = [
        button("Paste a list", custom_ids.make("ppaste", pid)),
        button("Sale total", custom_ids.make("psale", pid)),
        button("From refinery jobs", custom_ids.make("prefj", pid)),
        button("More ores ▶", custom_ids.make("pv", pid, "h", (ore_page + 1) % len(all_pages))),
    ]
    if stale:
        buttons.append(
            button(
                "Use these prices",
                custom_ids.make("pstale", pid, snapshot.fetched_ms),
                style=DANGER,
            )
        )
    components.append(row(*buttons))
    components.append(steps_row(version, "h"))
    return [_fit(embed)], components


def seller_view(version: PayrollVersion, index: int, names: Names) -> View:
    """A user select (Discord lists the server's members) for who sold one income line."""
    pid = version.payroll_id
    line = version.income[index]
    embed = Embed(view_title(version, "seller"), colour=COLOUR_INFO)
    embed.description = (
        f"**{line.name}** — {format_auec(line.value)}{sold_by(line, names)}\n\n"
        "Pick who sold it and holds its aUEC: a participant of this payroll. When the haul has "
        "several sellers, the final payroll says who sends whom how much."
    )
    picker = {
        "type": 5,
        "custom_id": custom_ids.make("pslu", pid, index),
        "placeholder": "Sold by…",
        "min_values": 1,
        "max_values": 1,
    }
    back = button("Back to the haul", custom_ids.make("pgo", pid, "h"))
    return [_fit(embed)], [row(picker), row(back)]


def amounts_modal(version: PayrollVersion, picked: Sequence[Ore]) -> dict[str, Any]:
    current = {line.ore_id: line for line in version.income if not line.is_sale}
    fields = []
    for ore in picked[:MAX_ORES_PER_MODAL]:
        line = current.get(ore.uex_id)
        fields.append(
            text_input(
                f"o{ore.uex_id}",
                f"{ore.name} (SCU)",
                value=_amount_text(line),
                placeholder="32.5 · or 32.5 avg · or 32.5 @ 9000",
                max_length=40,
            )
        )
    return {
        "custom_id": custom_ids.make("pam", version.payroll_id, *(o.uex_id for o in picked)),
        "title": "Ore amounts",
        "components": fields,
    }


def _amount_text(line: IncomeLine | None) -> str | None:
    if line is None:
        return None
    text = scu(line.scu_centi)
    if line.price_source == "typed":
        return f"{text} @ {line.price_per_scu}"
    return text + (" avg" if line.price_source == "snapshot:average" else "")


def paste_modal(version: PayrollVersion) -> dict[str, Any]:
    return {
        "custom_id": custom_ids.make("ppl", version.payroll_id),
        "title": "Paste the haul",
        "components": [
            _described(
                text_input(
                    "list",
                    "Ores and SCU",
                    paragraph=True,
                    max_length=1500,
                    placeholder="QUAN 32.5, LARA 120 avg, Gold 8 @ 6100",
                ),
                "Separate ores with commas or new lines; no thousands separators.",
            ),
            _sold_by_field(),
        ],
    }


def _sold_by_field() -> dict[str, Any]:
    return user_field(
        "seller", "Sold by", "Who holds the aUEC; leave empty if you do.", required=False
    )


def sale_modal(version: PayrollVersion) -> dict[str, Any]:
    return {
        "custom_id": custom_ids.make("psl", version.payroll_id),
        "title": "Sale total",
        "components": [
            text_input("label", "What was sold, where", value="Sale", max_length=60),
            _described(
                text_input("total", "Total paid (aUEC)", placeholder="1250000", max_length=20),
                "What the terminal actually paid, in whole aUEC.",
            ),
            _sold_by_field(),
        ],
    }


# --- step 3: expenses and cuts ----------------------------------------------------------------


def cuts_view(version: PayrollVersion, names: Names = NO_NAMES) -> View:
    pid = version.payroll_id
    embed = Embed(view_title(version, "expenses & cuts"), colour=COLOUR_INFO)
    embed.description = (
        "Step 3 of 4 · expenses come off the top (reimbursed to whoever paid them), then flat "
        "amounts, then percentages of what is left; the rest is split by time. Adding one "
        "with the same name replaces it."
    )
    entries = _cut_entries(version, names)
    embed.add("Expenses", lines_within([t for k, t in entries if k[0] == "e"], 1000) or "None")
    embed.add("Flat amounts", lines_within([t for k, t in entries if k[0] == "f"], 1000) or "None")
    embed.add("Percentages", lines_within([t for k, t in entries if k[0] == "p"], 1000) or "None")
    components: Components = []
    if entries:
        components.append(
            row(
                select(
                    custom_ids.make("pcut", pid),
                    [
                        (clip(text.replace("**", ""), 100), key, "remove this line")
                        for key, text in entries
                    ],
                    placeholder="Remove a line…",
                )
            )
        )
    components.append(
        row(
            button("Add expense", custom_ids.make("pexp", pid)),
            button("Add flat amount", custom_ids.make("pflat", pid)),
            button("Add percentage", custom_ids.make("ppct", pid)),
        )
    )
    components.append(steps_row(version, "c"))
    return [_fit(embed)], components


def _cut_entries(version: PayrollVersion, names: Names) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for i, e in enumerate(version.expenses):
        paid = f", reimbursed to {who(e.claimant_id, names)}" if e.claimant_id else ", deducted"
        found.append((f"e{i}", f"**{e.label}** — {format_auec(e.amount)}{paid}"))
    for i, f in enumerate(version.flats):
        to = who(f.payee_id, names)
        found.append((f"f{i}", f"**{f.label}** — {format_auec(f.amount)} to {to}"))
    for i, p in enumerate(version.percentages):
        to = who(p.payee_id, names)
        found.append((f"p{i}", f"**{p.label}** — {percent(p.basis_points)} % to {to}"))
    return found


def expense_modal(version: PayrollVersion) -> dict[str, Any]:
    return {
        "custom_id": custom_ids.make("pexm", version.payroll_id),
        "title": "Add an expense",
        "components": [
            text_input("label", "Expense", placeholder="Refinery fee", max_length=60),
            text_input("amount", "Amount (aUEC)", placeholder="25000", max_length=20),
            user_field(
                "who",
                "Paid by (reimbursed)",
                "Leave empty when nobody is reimbursed.",
                required=False,
            ),
        ],
    }


def flat_modal(version: PayrollVersion) -> dict[str, Any]:
    return {
        "custom_id": custom_ids.make("pflm", version.payroll_id),
        "title": "Add a flat amount",
        "components": [
            text_input("label", "For", placeholder="Escort", max_length=60),
            text_input("amount", "Amount (aUEC)", placeholder="50000", max_length=20),
            user_field("who", "Paid to", "Who receives this amount.", required=True),
        ],
    }


def percentage_modal(version: PayrollVersion, org_cut_bp: int) -> dict[str, Any]:
    current = next((p for p in version.percentages if p.label.casefold() == "org cut"), None)
    value = (
        percent(current.basis_points if current else org_cut_bp)
        if (current or org_cut_bp)
        else None
    )
    return {
        "custom_id": custom_ids.make("ppcm", version.payroll_id),
        "title": "Add a percentage",
        "components": [
            text_input("label", "Name", value="Org cut", max_length=60),
            _described(
                text_input(
                    "percent",
                    "Percent of what is left",
                    value=value,
                    placeholder="10",
                    max_length=6,
                ),
                "Of the pool after expenses and flat amounts; e.g. 10 or 12.5.",
            ),
            user_field("who", "Paid to", "Leave empty for the org.", required=False),
        ],
    }


# --- step 4: preview, confirm -----------------------------------------------------------------


def _payout_lines(
    result: PayrollResult,
    version: PayrollVersion,
    start: int,
    payees: Sequence[tuple[str, int]],
    names: Names,
    handles: Names | None = None,
) -> list[str]:
    """``handles`` where the payees are paid (the payments view): each name with its handle."""
    by_payee: dict[str, list[str]] = {}
    for line in result.lines:
        if line.kind is LineKind.TRANSFER_FEE:
            by_payee.setdefault(line.payee_id, []).append(f"fee {MINUS}{line.fee:,}")
        elif line.amount:
            by_payee.setdefault(line.payee_id, []).append(
                f"{_KIND_WORDS[line.kind]} {line.amount:,}"
            )
    by_hand = _added_by_hand(version)
    lines = []
    for i, (payee_id, net) in enumerate(payees):
        mark = ""
        if version.status is not PayrollStatus.DRAFT:
            # The org's lines are what the org keeps: nobody pays them, nobody marks them.
            mark = "🏦 " if payee_id == ORG_PAYEE_ID else _paid_mark(version, payee_id)
        parts = " · ".join(by_payee.get(payee_id, []))
        shown = who(payee_id, names) if handles is None else paid_as(payee_id, names, handles)
        name = shown + (f" {BY_HAND}" if payee_id in by_hand else "")
        lines.append(f"`{start + i + 1:>3}.` {mark}{name} — **{format_auec(net)}** ({parts})")
    return lines


def _paid_mark(version: PayrollVersion, payee_id: str) -> str:
    return "✅ " if payee_id in version.paid else "⏳ "


def _added_by_hand(version: PayrollVersion) -> set[str]:
    return {m.user_id for m in version.members if m.added_by_hand}


def _unpaid_line(version: PayrollVersion, user_id: str, reason: str, names: Names) -> str:
    """The reason in the words the report uses; the mark shows a member added by hand."""
    mark = f" {BY_HAND}" if user_id in _added_by_hand(version) else ""
    return f"{who(user_id, names)}{mark} — {unpaid_reason(version, user_id, reason)}"


_KIND_WORDS = {
    LineKind.SHARE: "share",
    LineKind.DONATION_RECEIVED: "donations",
    LineKind.FLAT: "flat",
    LineKind.PERCENTAGE: "cut",
    LineKind.REIMBURSEMENT: "reimbursed",
    LineKind.TRANSFER_FEE: "fee",
}


_USER_ID = re.compile(r"\b(\d{15,20})\b")
# Versions computed before the preview said the price source once carry it on every ore line.
_LINE_SOURCE = re.compile(r"; price [^()]*(?:\([^()]*\)[^()]*)*\)\.$")


def _named(sentence: str, names: Names) -> str:
    """The engine names payees by id; the preview names them as the app knows them."""
    named = _USER_ID.sub(lambda m: who(m.group(1), names), sentence)
    return _LINE_SOURCE.sub(").", named).replace(f"to {ORG_PAYEE_ID}", "to the org")


def prices_used(version: PayrollVersion) -> str:
    """Where the ore lines' prices came from, said once for the whole haul."""
    ores_priced = [x for x in version.income if not x.is_sale]
    if not ores_priced:
        return ""
    by_source: dict[str, list[str]] = {}
    for line in ores_priced:
        by_source.setdefault(source_words(line.price_source), []).append(line.name)
    if len(by_source) == 1:
        said = f"{next(iter(by_source))} for every ore"
    else:
        said = "; ".join(f"{words} for {', '.join(n)}" for words, n in by_source.items())
    taken = sorted({x.snapshot_ms for x in ores_priced if x.snapshot_ms is not None})
    if taken:
        when = ", ".join(
            f"{datetime.fromtimestamp(t / 1000, tz=UTC):%Y-%m-%d %H:%M} UTC" for t in taken
        )
        sample = bundled_snapshot().fetched_ms in taken
        said += f", from the {'bundled sample' if sample else 'price snapshot'} of {when}"
    return f"Prices: {said}."


def _totals(result: PayrollResult) -> str:
    return (
        f"Gross **{format_auec(result.gross)}** · pool after expenses and flats "
        f"{format_auec(result.pool)} · split by time {format_auec(result.share_pool)} · "
        f"donated {format_auec(result.donated)} ({result.donation_policy.value}) · transfer fees "
        f"{format_auec(result.total_fees)} · unclaimed expenses {format_auec(result.deducted)}"
    )


def preview_view(
    version: PayrollVersion,
    result: PayrollResult,
    page: int,
    names: Names = NO_NAMES,
    settlement: tuple[str, str] | None = None,
) -> View:
    """``settlement``: the field that says who will pay whom, for a payroll with several
    sellers."""
    payees = _payees(version, result)
    total = pages(len(payees), PAYEES_PAGE)
    page = clamp_page(page, len(payees), PAYEES_PAGE)
    start = page * PAYEES_PAGE
    shown = payees[start : start + PAYEES_PAGE]
    draft = version.status is PayrollStatus.DRAFT
    title = "preview" if draft else f"how it was worked out ({version.status.value})"
    embed = Embed(view_title(version, title), colour=COLOUR_INFO if draft else COLOUR_OK)
    # Who is not paid has a field of its own; on a big op those sentences would crowd out the
    # steps that explain the money.
    unpaid_notes = tuple(f"{u.user_id} is not paid" for u in result.unpaid)
    story = [f"• {_named(s, names)}" for s in result.explanations if not s.startswith(unpaid_notes)]
    head = _totals(result)
    prices = prices_used(version)
    if prices:
        head += f"\n{prices}"
    embed.description = head + "\n\n**How it was worked out**\n" + lines_within(story, STORY_CHARS)
    lines = _payout_lines(result, version, start, shown, names)
    for n, chunk in enumerate(_chunks(lines)[:2]):
        embed.add(f"Payouts ({page + 1}/{total})" if n == 0 else "Payouts (cont.)", chunk)
    if result.unpaid:
        unpaid = [_unpaid_line(version, u.user_id, u.reason, names) for u in result.unpaid]
        embed.add("Listed, not paid", lines_within(unpaid, 600))
    if settlement is not None:
        embed.add(*settlement)
    pid = version.payroll_id
    components = pager("pv", pid, "r", page, total)
    if draft:
        finalize = button("Finalize…", custom_ids.make("pask", pid, version.rev), style=SUCCESS)
        components.append(steps_row(version, "r", finalize))
    else:
        components.append(row(button("Back to payments", custom_ids.make("pgo", pid, "f"))))
    return [_fit(embed)], components


def _payees(version: PayrollVersion, result: PayrollResult) -> list[tuple[str, int]]:
    if version.result is not None:
        return version.payees()
    nets = result.payouts_by_payee()
    return sorted(((p, n) for p, n in nets.items() if n > 0), key=lambda x: (-x[1], x[0]))


def confirm_view(version: PayrollVersion, result: PayrollResult) -> View:
    payees = _payees(version, result)
    embed = Embed(
        f"Finalize version {version.number} of '{version.session_name}'?",
        f"Gross {format_auec(result.gross)} to {len(payees)} payees, as in the preview.\n"
        "A final payroll can't be edited: a correction is an amendment (a new version that "
        "replaces this one when finalized). Payments are marked on the final payroll.",
        COLOUR_WARN,
    )
    pid = version.payroll_id
    return [embed], [
        row(
            button("Yes, finalize", custom_ids.make("pfin", pid, version.rev), style=SUCCESS),
            button("Back to the preview", custom_ids.make("pgo", pid, "r")),
        )
    ]


# --- discard a draft ----------------------------------------------------------------------------


def discard_view(version: PayrollVersion) -> View:
    """The second step of Discard draft…, like Finalize: say what goes, then ask."""
    entered = [
        counted_noun(len(version.members), "participant"),
        counted_noun(len(version.income), "income line"),
        counted_noun(len(version.expenses) + len(version.flats) + len(version.percentages), "cut"),
    ]
    after = (
        "The final payroll it would have replaced stays as it is, with its paid marks."
        if version.supersedes
        else f"'{version.session_name}' goes back to having no payroll; start again with "
        "`/mining payroll`, which reads everyone's time afresh."
    )
    embed = Embed(
        f"Discard version {version.number} of '{version.session_name}'?",
        f"This deletes the draft and everything entered in it ({', '.join(entered)}). {after} "
        "The audit log keeps a record.",
        COLOUR_WARN,
    )
    pid = version.payroll_id
    return [embed], [
        row(
            button("Yes, discard", custom_ids.make("pdelok", pid, version.rev), style=DANGER),
            button("Back to participants", custom_ids.make("pgo", pid, "p")),
        )
    ]


def discarded_view(version: PayrollVersion, by: str) -> View:
    """After the draft is gone: nothing of it is left to click, except the final it amended."""
    embed = Embed(view_title(version, "discarded"), colour=COLOUR_WARN)
    if version.supersedes is None:
        embed.description = (
            f"<@{by}> discarded this draft. '{version.session_name}' has no payroll now; run "
            "`/mining payroll` to start again."
        )
        return [embed], []
    embed.description = (
        f"<@{by}> discarded this amendment. The final payroll it would have replaced stays as "
        "it is, with its paid marks."
    )
    back = button("Back to the final payroll", custom_ids.make("pgo", version.supersedes, "f"))
    return [embed], [row(back)]


# --- after finalize: payments, still owed ------------------------------------------------------


def members_paid(version: PayrollVersion) -> list[tuple[str, int]]:
    """The payees someone has to pay: every payee but the org, whose lines it keeps."""
    return [(p, net) for p, net in version.payees() if p != ORG_PAYEE_ID]


def paid_page(version: PayrollVersion, page: int) -> list[str]:
    """The members on a page of the payments view (the org is listed, never marked)."""
    start = page * PAYEES_PAGE
    return [p for p, _net in version.payees()[start : start + PAYEES_PAGE] if p != ORG_PAYEE_ID]


def final_view(
    version: PayrollVersion,
    page: int,
    owed_total: int,
    *,
    names: Names = NO_NAMES,
    handles: Names = NO_NAMES,
    reports: bool = False,
    note: str = "",
    plan_line: str = "",
) -> View:
    """``plan_line`` sums up the settlement plan of a payroll paid by transfers: then each
    transfer is marked (under Transfers), not each payee."""
    result = version.result
    assert result is not None  # only final and superseded versions come here
    payees = version.payees()
    total = pages(len(payees), PAYEES_PAGE)
    page = clamp_page(page, len(payees), PAYEES_PAGE)
    start = page * PAYEES_PAGE
    shown = payees[start : start + PAYEES_PAGE]
    final = version.status is PayrollStatus.FINAL
    state = "final" if final else "superseded by a newer version"
    embed = Embed(view_title(version, state), colour=COLOUR_OK if final else COLOUR_WARN)
    when = f"<t:{(version.finalized_ms or 0) // 1000}:f>"
    members = members_paid(version)
    paid = sum(1 for p, _ in members if p in version.paid)
    marked = "hold their payout" if version.settlement else "marked paid"
    embed.description = (
        f"Finalized by {who(version.finalized_by or '', names)} {when}.\n{_totals(result)}\n\n"
        f"{paid} of {counted_noun(len(members), 'member')} {marked} · still owed "
        f"**{format_auec(owed_total)}**."
    )
    kept = dict(payees).get(ORG_PAYEE_ID)
    treasurer = version.settlement.treasurer_id if version.settlement else None
    if kept and treasurer:
        embed.description += (
            f" The org's {format_auec(kept)} 🏦 is held by its treasurer, {who(treasurer, names)}."
        )
    elif kept:
        embed.description += f" The org keeps its {format_auec(kept)} 🏦: nobody pays it."
    if version.paid_before:
        embed.description += (
            "\nSome payees were paid under an earlier version and their amount has changed "
            "since: **Still owed** shows the difference."
        )
    if plan_line:
        embed.description += f"\n{plan_line}"
    if note:
        embed.description += f"\n\n{note}"
    lines = _payout_lines(result, version, start, shown, names, handles)
    for n, chunk in enumerate(_chunks(lines)[:2]):
        embed.add(f"Payouts ({page + 1}/{total})" if n == 0 else "Payouts (cont.)", chunk)
    pid = version.payroll_id
    components: Components = []
    by_transfers = version.settlement is not None
    on_page = [] if by_transfers else paid_page(version, page)
    if final and on_page:
        nets = dict(payees)
        options = [
            (
                clip(plain(p, names), 60),
                p,
                f"{format_auec(nets[p])}",
                p in version.paid,
            )
            for p in on_page
        ]
        components.append(
            row(
                multi_select(
                    custom_ids.make("ppaid", pid, page),
                    options,
                    placeholder="Tick who has received their aUEC (on this page)",
                )
            )
        )
    components += pager("pv", pid, "f", page, total)
    buttons = []
    if by_transfers:
        buttons.append(button("Transfers", custom_ids.make("pgo", pid, "t"), style=SUCCESS))
    elif final and paid < len(members):
        buttons.append(button("Mark all paid…", custom_ids.make("pall", pid), style=SUCCESS))
    buttons += [
        button("Still owed", custom_ids.make("pgo", pid, "o")),
        button("How it was worked out", custom_ids.make("pgo", pid, "r")),
    ]
    if reports:
        buttons.append(button("Rebuild report", custom_ids.make("prep", pid)))
    if final:
        buttons.append(button("Amend", custom_ids.make("pamend", pid), style=DANGER))
    components.append(row(*buttons))
    return [_fit(embed)], components


def all_paid_view(version: PayrollVersion, owed: Sequence[Owed], total: int) -> View:
    """The second step of Mark all paid…: say what it marks, then ask."""
    members = members_paid(version)
    unmarked = sum(1 for p, _ in members if p not in version.paid)
    embed = Embed(
        f"Mark all {counted_noun(len(members), 'member')} of '{version.session_name}' paid?",
        f"{counted_noun(unmarked, 'member')} not marked yet, **{format_auec(total)}** still owed. "
        "Do this once everyone has received their aUEC in game; a mark can be taken back on "
        "the payments page. The org's own lines are not payments and are left out.",
        COLOUR_WARN,
    )
    if any(o.due < 0 for o in owed):
        embed.description += (
            " Members over-paid under an earlier version are marked too: settle that in game."
        )
    pid = version.payroll_id
    return [embed], [
        row(
            button("Yes, all paid", custom_ids.make("pallok", pid), style=SUCCESS),
            button("Back to payments", custom_ids.make("pgo", pid, "f")),
        )
    ]


def owed_view(
    version: PayrollVersion,
    owed: Sequence[Owed],
    total: int,
    page: int,
    names: Names = NO_NAMES,
    handles: Names = NO_NAMES,
) -> View:
    count = pages(len(owed), MEMBERS_PAGE)
    page = clamp_page(page, len(owed), MEMBERS_PAGE)
    start = page * MEMBERS_PAGE
    lines = [_owed_line(o, names, handles) for o in owed[start : start + MEMBERS_PAGE]]
    owing = sum(1 for o in owed if o.due > 0)
    over = [o for o in owed if o.due < 0]
    embed = Embed(view_title(version, "still owed"), colour=COLOUR_WARN if owed else COLOUR_OK)
    said = [
        f"{counted_noun(owing, 'member')} still owed, **{format_auec(total)}** in total."
        if owing
        else "Nobody is owed anything more. ✅"
    ]
    if over:
        over_total = sum(-o.due for o in over)
        said.append(
            f"{counted_noun(len(over), 'member')} over-paid under an earlier version, "
            f"**{format_auec(over_total)}** in total: settle that with them in game."
        )
    embed.description = (
        " ".join(said) + "\n\n" + "\n".join(lines) if owed else "Everyone has been paid. ✅"
    )
    pid = version.payroll_id
    components = pager("pv", pid, "o", page, count)
    buttons = [button("Back to payments", custom_ids.make("pgo", pid, "f"))]
    if owing and version.status is PayrollStatus.FINAL:
        buttons.insert(0, button("Mark all paid…", custom_ids.make("pall", pid), style=SUCCESS))
    components.append(row(*buttons))
    return [_fit(embed)], components


def _owed_line(o: Owed, names: Names, handles: Names) -> str:
    text = f"{paid_as(o.payee_id, names, handles)} — **{format_auec(o.net)}**"
    if o.paid_before is None:
        return text
    text += f" · paid {format_auec(o.paid_before)} under v{o.paid_under}"
    if o.due > 0:
        return text + f" · **{format_auec(o.due)}** still owed"
    if o.due < 0:
        return text + f" · over-paid **{format_auec(-o.due)}**"
    return text + " · settled"
