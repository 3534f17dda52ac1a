"""The purser pays the op through ``/mining payroll``, click by click, as in the Discord client:
pick the session, check the participants (one time fix after the gap, one multiplier), enter the
haul priced from the bundled snapshot, take in the refinery job, name who sold which lines, add an
expense (the org cut comes from the server's settings), preview, finalize, then each seller
ticks the transfers they sent.

Which member to fix and what to type are the script's (an officer's) inputs; everything shown
back is the app's answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sunday_mining.interactions import custom_ids
from sunday_mining_dev.demo.clicks import (
    DemoFailed,
    Member,
    between,
    components,
    custom_id,
    embed_text,
    has,
    named,
    options,
    refused,
    shown,
)
from sunday_mining_dev.demo.crew import GAP_MINUTES, Move
from sunday_mining_dev.demo.members import HANDLES
from sunday_mining_dev.demo.progress import Progress, hhmm
from sunday_mining_dev.demo.stack import START_MS
from sunday_mining_dev.simulator import Exchange, SimGuild

# SCU typed by the purser, by ore name (priced from the snapshot: no price typed).
# The Quantainium and the Gold come in from the hauler's refinery job.
HAUL = (
    ("Bexalite", "120"),
    ("Taranite", "96.5"),
    ("Laranite", "210"),
)
HAULER = "harbor"
HAULER_MULTIPLIER = "1.5"
EXPENSE = ("Hull repairs", "84,500")
# Who sold which line and holds its aUEC (the rest stay with the purser, who entered them).
SELLERS = (("Quantainium", "harbor"), ("Laranite", "kite"))


@dataclass(frozen=True)
class PayrollOutcome:
    payroll_id: str
    final: Exchange  # the final payroll as the purser sees it


class Purser:
    def __init__(self, member: Member, guild: SimGuild, progress: Progress) -> None:
        self.member = member
        self.guild = guild
        self.progress = progress

    def pay(self, session_id: str, gap_leaver: Move) -> PayrollOutcome:
        """Up to the final payroll; :meth:`mark_all_paid` comes once the aUEC is sent."""
        view = self.pick(session_id)
        view = self.fix_gap_leaver(view, gap_leaver)
        view = self.set_multiplier(view, self.guild.member(HAULER).id)
        view = self.enter_haul(view)
        view = self.take_refinery_jobs(view)
        view = self.pick_sellers(view)
        view = self.add_cuts(view)
        outcome = self.finalize(view)
        self.show_handles(outcome.final)
        return outcome

    def pick(self, session_id: str) -> Exchange:
        picker = self.member.command("mining payroll")
        listed = [o for o in options(picker, "sm1:ppick") if o["value"] == session_id]
        if not listed:
            raise DemoFailed("the stopped op is not offered for payroll")
        choice = listed[0]
        self.progress.say("payroll", f"@Purser: /mining payroll → {choice['label']}")
        self.progress.detail(choice.get("description", ""))
        view = self.member.select(picker, "sm1:ppick", [session_id])
        self.progress.detail(between(embed_text(view), r"Step 1 of 4 · ([^.]*)\."))
        return view

    def fix_gap_leaver(self, view: Exchange, leaver: Move) -> Exchange:
        """The lead saw them leave during the gap; the app closed them at the last snapshot."""
        user = self.guild.member(leaver.user)
        view = self._page_with(view, user.id)
        label = _option_label(view, "sm1:pmem:", user.id)
        if "⚠️" not in label:
            raise DemoFailed(f"@{user.display_name} is not flagged by the gap: {label}")
        missed = (leaver.at_s - GAP_MINUTES[0] * 60) // 60
        left_at = hhmm(START_MS + leaver.at_s * 1000)
        opened = self._adjust(view, user.id)
        why = f"Left {left_at}, in the worker gap"
        view = refused(self.member.submit(opened, {"mult": "1", "adj": f"+{missed}", "why": why}))
        line = _member_line(view, user.id, user.display_name)
        self.progress.detail(f"⚠️ gap fix: {named(self.guild, line)}")
        return view

    def set_multiplier(self, view: Exchange, user_id: str) -> Exchange:
        view = self._page_with(view, user_id)
        opened = self._adjust(view, user_id)
        fields = {"mult": HAULER_MULTIPLIER, "adj": "0", "why": ""}
        view = refused(self.member.submit(opened, fields))
        line = _member_line(view, user_id, self.guild.member(HAULER).display_name)
        self.progress.detail(f"hauler: {named(self.guild, line)}")
        return view

    def enter_haul(self, view: Exchange) -> Exchange:
        view = self.member.click(view, custom_id(view, "sm1:pgo:", "Haul"))
        footer = str(view.data["embeds"][0].get("footer", {}).get("text", ""))
        self.progress.say("haul", f"prices: {footer}")
        if has(view, "sm1:pstale:"):
            warning = between(embed_text(view), r"The stored prices are ([^.]*) old")
            view = self.member.click(view, custom_id(view, "sm1:pstale:"))
            self.progress.detail(f"the snapshot is {warning} old: the purser accepts it")
        by_name = {o["label"]: o["value"] for o in options(view, "sm1:pore:")}
        picked = [by_name[name] for name, _ in HAUL]
        opened = self.member.select(view, custom_id(view, "sm1:pore:"), picked)
        amounts = {f"o{by_name[name]}": scu for name, scu in HAUL}
        view = refused(self.member.submit(opened, amounts))
        self.progress.detail(f"typed: {', '.join(f'{name} {scu} SCU' for name, scu in HAUL)}")
        return view

    def take_refinery_jobs(self, view: Exchange) -> Exchange:
        """The session's collected refinery job: its refined ore lines and its fee."""
        view = self.member.click(view, custom_id(view, "sm1:prefj:"))
        if view.content:
            raise DemoFailed(f"From refinery jobs: the app said {view.content!r}")
        typed = {name for name, _ in HAUL}
        refined = [line for line in _income_lines(view) if line.split(" — ")[0] not in typed]
        if not refined:
            raise DemoFailed("From refinery jobs added no ore line")
        self.progress.say("refinery", "@Purser: From refinery jobs →")
        for line in refined:
            self.progress.detail(named(self.guild, line))
        return view

    def pick_sellers(self, view: Exchange) -> Exchange:
        """Who sold a line… → the line → Sold by…: the member who holds its aUEC."""
        for ore, username in SELLERS:
            lines = options(view, "sm1:pseller:")
            line = next((o["value"] for o in lines if o["label"] == ore), None)
            if line is None:
                raise DemoFailed(f"no {ore} line to name the seller of")
            picked = self.member.select(view, custom_id(view, "sm1:pseller:"), [line])
            seller = self.guild.member(username)
            view = refused(self.member.select(picked, custom_id(picked, "sm1:pslu:"), [seller]))
        picks = ", ".join(f"{ore} @{self.guild.member(u).display_name}" for ore, u in SELLERS)
        self.progress.say("sellers", f"@Purser: Who sold a line… → Sold by… {picks}")
        for line in _income_lines(view):
            self.progress.detail(named(self.guild, line))
        return view

    def add_cuts(self, view: Exchange) -> Exchange:
        """The refinery fee, reimbursed to the hauler; the org cut is already there, from the
        server's settings."""
        view = self.member.click(view, custom_id(view, "sm1:pgo:", "Expenses & cuts"))
        if "Org cut" not in embed_text(view):
            raise DemoFailed("the org cut from the settings is not on the draft")
        label, amount = EXPENSE
        opened = self.member.click(view, custom_id(view, "sm1:pexp:"))
        hauler = self.guild.member(HAULER)
        view = refused(
            self.member.submit(opened, {"label": label, "amount": amount, "who": [hauler]})
        )
        text = embed_text(view)
        cuts = [line for line in text.split("\n") if line.startswith("**")]
        self.progress.say("cuts", named(self.guild, " · ".join(cuts)))
        return view

    def finalize(self, view: Exchange) -> PayrollOutcome:
        view = self.member.click(view, custom_id(view, "sm1:pgo:", "Preview"))
        totals = embed_text(view).split("\n")[0]
        self.progress.say("preview", named(self.guild, totals))
        confirm = self.member.click(view, custom_id(view, "sm1:pask:"))
        self.progress.say("finalize", str(confirm.data["embeds"][0]["title"]) + " → Yes")
        final = self.member.click(confirm, custom_id(confirm, "sm1:pfin:"))
        title = str(final.data["embeds"][0]["title"])
        if "final" not in title:
            raise DemoFailed(f"finalize answered {title!r}")
        self.progress.detail(title)
        parsed = custom_ids.parse(custom_id(final, "sm1:pgo:"))
        if parsed is None:
            raise DemoFailed("the final payroll carries no payroll id")
        return PayrollOutcome(parsed.arg(0), final)

    def show_handles(self, final: Exchange) -> None:
        """Where the purser pays: each payee with their in-game handle, or a note to ask."""
        lines = [_unnumbered(line.strip()) for line in embed_text(final).split("\n")]
        handles = [f"({handle})" for _, handle in HANDLES]
        with_handle = [line for line in lines if any(h in line for h in handles)]
        without = [line for line in lines if "(no handle yet)" in line][:1]
        if len(with_handle) != len(HANDLES):
            raise DemoFailed("the payments page does not show the members' handles")
        self.progress.say("handles", "the payments page pays by in-game handle:")
        for line in (*with_handle, *without):
            self.progress.detail(named(self.guild, line.removeprefix("⏳ ")))

    def settle(self, final: Exchange) -> Exchange:
        """Several sellers hold the aUEC: the payroll is paid by its transfers. The purser reads
        them and posts them in the channel; each seller opens their own with Tick my transfers
        and ticks them page by page as they send them in game (the purser, who sold the
        unnamed lines, sends most)."""
        listed = self.member.click(final, custom_id(final, "sm1:pgo:", "Transfers"))
        lines = embed_text(listed).split("\n")
        self.progress.say("transfers", f"@Purser: Transfers → {named(self.guild, lines[0])}")
        for line in lines[1:]:
            self.progress.detail(named(self.guild, line))
        posted = self.member.click(listed, custom_id(listed, "sm1:ptpost:"))
        if posted.ephemeral:
            raise DemoFailed(f"Post for the senders: the app said {shown(posted)!r}")
        self.progress.say("transfers", "@Purser: Post for the senders → posted in the channel")
        for username in dict.fromkeys(("purser", *(seller for _ore, seller in SELLERS))):
            self._tick_own(posted, Member(self.member.sim, username))
        again = self.member.click(listed, custom_id(listed, "sm1:pgo:", "Back to payments"))
        again = self.member.click(again, custom_id(again, "sm1:pgo:", "Transfers"))
        said = embed_text(again).split("\n")[0]
        self.progress.detail(named(self.guild, said))
        if not _all_sent(said):
            raise DemoFailed(f"the transfers are not all marked sent: {said!r}")
        return again

    def _tick_own(self, posted: Exchange, sender: Member) -> None:
        """Tick my transfers → every page of the sender's own list, all ticked."""
        mine = sender.click(posted, custom_id(posted, "sm1:ptmine:"))
        if not mine.ephemeral:
            raise DemoFailed("Tick my transfers did not answer the sender alone")
        count = 0
        for _ in range(100):
            listed = options(mine, "sm1:ptx:")
            values = [str(o["value"]) for o in listed]
            count += sum(1 for o in listed if not o.get("default"))
            mine = sender.select(mine, custom_id(mine, "sm1:ptx:"), values)
            if mine.content:
                raise DemoFailed(f"@{sender.user.display_name} ticking: {mine.content!r}")
            if not _enabled(mine, "sm1:ptv:", "Next ▶"):
                break
            mine = sender.click(mine, custom_id(mine, "sm1:ptv:", "Next ▶"))
        first = named(self.guild, embed_text(mine).split("\n")[0])
        self.progress.say(
            "transfers",
            f"@{sender.user.display_name}: Tick my transfers → ticks {count} sent in game: {first}",
        )

    def _adjust(self, view: Exchange, user_id: str) -> Exchange:
        """Pick the member in the participants menu, then Adjust time or multiplier…"""
        card = self.member.select(view, custom_id(view, "sm1:pmem:"), [user_id])
        return self.member.click(card, custom_id(card, "sm1:padj:"))

    def _page_with(self, view: Exchange, user_id: str) -> Exchange:
        """Page through the participants until ``user_id`` is on the page."""
        for _ in range(10):
            if any(o["value"] == user_id for o in options(view, "sm1:pmem:")):
                return view
            view = self.member.click(view, custom_id(view, "sm1:pv:", "Next ▶"))
        raise DemoFailed("that member is on none of the participant pages")


def _enabled(exchange: Exchange, prefix: str, label: str) -> bool:
    return any(
        str(c.get("custom_id", "")).startswith(prefix)
        and c.get("label") == label
        and not c.get("disabled")
        for c in components(exchange)
    )


def _all_sent(first_line: str) -> bool:
    """Whether the transfers page's first line reads "n of n transfers sent"."""
    found = re.match(r"(\d+) of (\d+) transfers? sent", first_line)
    return found is not None and found[1] == found[2]


def _option_label(view: Exchange, prefix: str, value: str) -> str:
    return next(str(o["label"]) for o in options(view, prefix) if o["value"] == value)


def _member_line(view: Exchange, user_id: str, name: str) -> str:
    """The participant's line on the page, which names them (or mentions them, unnamed)."""
    for line in embed_text(view).split("\n"):
        if f"<@{user_id}>" in line or re.search(rf"` \S+ {re.escape(name)} — ", line):
            return _unnumbered(line)
    raise DemoFailed("the participant is missing from the page")


def _income_lines(view: Exchange) -> list[str]:
    """The haul step's income lines as listed, without their numbers: each ore, its SCU and
    price, and who sold it."""
    return [
        _unnumbered(line).replace("**", "")
        for line in embed_text(view).split("\n")
        if line.startswith("`") and " SCU " in line
    ]


def _unnumbered(line: str) -> str:
    """A listed line without its "`  3.`" number."""
    return re.sub(r"^`\s*\d+\.`\s*", "", line)
