"""What members do for themselves during the evening: set their in-game handle, log a refinery
job and collect it once the bot says it is ready, and look up their own pay with /mining me.

The refinery notice comes from ``serve``'s own timer (the stack's): the script sweeps it once a
minute of the op's clock, and reads the notice where Discord would show it, in the local
Discord's record of what the bot posted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from sunday_mining_dev.demo.clicks import (
    DemoFailed,
    Member,
    custom_id,
    embed_text,
    named,
    refused,
    shown,
)
from sunday_mining_dev.demo.progress import Progress
from sunday_mining_dev.demo.stack import Stack
from sunday_mining_dev.simulator import DiscordSimulator, Exchange, RestCall

# Who sets an in-game handle during the op (the others stay "no handle yet").
HANDLES = (("harbor", "Harbor-Hauls"), ("kite", "Kite-SC"), ("ember", "Ember-Rock"))
# The hauler takes a load to the refinery while the op runs; it is ready after the op stops.
REFINERY_OWNER = "harbor"
REFINERY_FORM = {
    "terminal": "ARC-L1",
    "method": "Dinyx",
    "ores": "Quantainium 96, Gold 128",
    "cost": "62,400",
    "time": "55m",
}
# The owner goes to collect a couple of minutes after the bot's notice.
COLLECT_AFTER_MINUTES = 2
READY = "is ready to collect"
_CHANNEL_POST = re.compile(r"/channels/(\d+)/messages$")


def set_handles(sim: DiscordSimulator, progress: Progress) -> None:
    """Each member types their own handle once; the purser sees it where they pay."""
    for username, handle in HANDLES:
        member = Member(sim, username)
        answer = refused(member.command("mining handle set", handle=handle))
        said = embed_text(answer).replace("`", "")
        progress.say("handle", f"@{member.user.display_name}: /mining handle set → {said}")


class RefineryRun:
    """One refinery job: logged through the form, announced by the bot when due, collected."""

    def __init__(self, stack: Stack, progress: Progress) -> None:
        self.stack = stack
        self.progress = progress
        self.owner = Member(stack.sim, REFINERY_OWNER)
        self.notice_ms: int | None = None
        self.collected = False

    def add(self) -> None:
        opened = self.owner.command("mining refinery add")
        added = refused(self.owner.submit(opened, REFINERY_FORM))
        job = self._named(str(added.data["embeds"][0]["description"]))
        who = f"@{self.owner.user.display_name}: /mining refinery add"
        self.progress.say("refinery", f"{who} → {shown(added)}: {job}")
        for line in embed_text(added).split("\n")[2:]:
            self.progress.detail(line)

    def tick(self) -> None:
        """A minute of the refinery timer; the owner collects a little after the notice."""
        if self.notice_ms is None:
            self._sweep()
            return
        due = self.notice_ms + COLLECT_AFTER_MINUTES * 60_000
        if not self.collected and self.stack.clock.now_ms() >= due:
            self._collect()
        self.stack.refinery.sweep()

    def _sweep(self) -> None:
        calls = self.stack.sink.log.calls
        before = len(calls)
        if not self.stack.refinery.sweep():
            return
        for call in self.stack.sink.log.calls[before:]:
            content = _content(call)
            if READY in content:
                self.notice_ms = self.stack.clock.now_ms()
                where = self._channel(call)
                self.progress.say("refinery", f"the bot in {where}: {self._named(content)}")
        if self.notice_ms is None:
            raise DemoFailed("the refinery timer found the job due but posted no notice")

    def _collect(self) -> None:
        listed = self.owner.command("mining refinery list")
        opened = self.owner.click(listed, custom_id(listed, "sm1:rfc:"))
        done = self.owner.submit(opened, dict(_prefilled(opened.data)))
        if not done.content.startswith("Collected"):  # its answer is bare content, as a refusal
            raise DemoFailed(f"collecting the refinery job: the app said {done.content!r}")
        self.collected = True
        name = self.owner.user.display_name
        self.progress.say("refinery", f"@{name}: /mining refinery list → Collect → {shown(done)}")

    def _channel(self, call: RestCall) -> str:
        found = _CHANNEL_POST.search(call.path)
        return self._named(f"<#{found.group(1)}>") if found else "a direct message"

    def _named(self, text: str) -> str:
        return named(self.stack.guild, text)


def my_pay(sim: DiscordSimulator, username: str, progress: Progress) -> None:
    """/mining me: the member's own standing and their line in the op's payroll."""
    member = Member(sim, username)
    answer = refused(member.command("mining me"))
    progress.say("me", f"@{member.user.display_name}: /mining me → {_standing(answer)}")
    progress.detail(named(sim.guild, _payout_line(answer)))


def _standing(answer: Exchange) -> str:
    """The answer's first sentence: what the member is still owed, if anything."""
    description = str(answer.data["embeds"][0].get("description", ""))
    return description.split(". ", maxsplit=1)[0].rstrip(".").replace("**", "") + "."


def _payout_line(answer: Exchange) -> str:
    for field in answer.data["embeds"][0].get("fields", []):
        if str(field.get("name", "")).startswith("Your payouts"):
            return str(field["value"]).split("\n")[0]
    raise DemoFailed("/mining me lists no payout")


def _prefilled(form: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """The form's text inputs as the app filled them in (the collect form's estimates)."""
    for top in form.get("components", []):
        for child in (top.get("component"), *top.get("components", [])):
            if child and child.get("type") == 4:
                yield str(child["custom_id"]), str(child.get("value", ""))


def _content(call: RestCall) -> str:
    request = call.request if isinstance(call.request, dict) else {}
    return str(request.get("content") or "")
