"""The Sunday itself: the op runs for three (compressed) hours with the voice worker reporting
every minute, a small adhoc session runs on the side, two members set their in-game handles, the
hauler logs a refinery job (the refinery timer sweeps every minute), the worker loses its
connection for a while and comes back, and the lead stops the op.

Voice presence only ever reaches the app through the worker protocol over HTTP; commands only
as signed interactions. Every figure printed is read off the app's answers or its store.
"""

from __future__ import annotations

from dataclasses import dataclass

from sunday_mining.domain.session import SessionStatus
from sunday_mining.interactions.render import duration
from sunday_mining_dev.demo.clicks import DemoFailed, Member, between, custom_id, has, named
from sunday_mining_dev.demo.crew import (
    ADHOC_START_MINUTE,
    GAP_MINUTES,
    HANDLES_MINUTE,
    MINERS,
    OP_MINUTES,
    REFINERY_MINUTE,
    SIDE_CHANNEL,
    SIDE_CREW,
    STATUS_MINUTE,
    Move,
    sunday_script,
)
from sunday_mining_dev.demo.members import RefineryRun, set_handles
from sunday_mining_dev.demo.progress import Progress
from sunday_mining_dev.demo.stack import START_MS, Stack
from sunday_mining_dev.demo.worker import ScriptedWorker
from sunday_mining_dev.simulator import Exchange
from sunday_mining_dev.simulator.transcript import message_lines

OP_NAME = "Aaron Halo Sunday"
ADHOC_NAME = "Lounge rocks"
# The worker sends its first snapshot (READY) a few minutes before the lead starts the op.
WARM_UP_MINUTES = 3
# The connection drops between two ticks, as connections do, not on a minute boundary.
DROP_AFTER_MS = 23_000


@dataclass(frozen=True)
class OpResult:
    session_id: str
    adhoc_id: str


class Evening:
    """Plays the script minute by minute: moves first, then the worker's tick, then whatever
    the members do at that minute."""

    def __init__(self, stack: Stack, progress: Progress) -> None:
        self.stack = stack
        self.progress = progress
        guild = stack.guild
        self.ids = {m.username: m.id for m in guild.members}
        self.worker = ScriptedWorker(
            stack.worker_http,
            stack.worker_secret,
            stack.clock,
            guild_id=guild.id,
            voice_channels={c.name: c.id for c in guild.voice_channels()},
            bot_id=stack.sim.application_id,
            names={m.id: m.display_name for m in guild.members},
        )
        self.seated: dict[str, str] = {}
        self.pending: list[Move] = sunday_script()
        self.session_id = ""
        self.adhoc_id = ""
        self.adhoc_stop_seen = False
        self.refinery = RefineryRun(stack, progress)

    def play(self) -> OpResult:
        """From the worker's first snapshot to the lead's /mining stop."""
        self.worker.connect()
        self.progress.say("worker", f"lease granted to {self.worker.worker_id}; READY snapshot")
        for minute in range(-WARM_UP_MINUTES, OP_MINUTES + 1):
            self.minute(minute)
        self.stop()
        return OpResult(self.session_id, self.adhoc_id)

    def minute(self, minute: int) -> None:
        now = START_MS + minute * 60_000
        self.stack.clock.set(now)
        self._apply_moves(now)
        self.refinery.tick()  # the app's own timer: it runs whether or not the worker reports
        gap_start, gap_end = GAP_MINUTES
        if gap_start < minute < gap_end:
            return  # disconnected: nothing reaches the app
        if minute == gap_end:
            self._reconnect()
        self.worker.tick(self.seated)
        if minute == gap_start:
            # The app notices the silence on its own too; both gaps are kept.
            self.worker.drop(now + DROP_AFTER_MS)
            self.progress.say("worker", "the worker loses its gateway connection (no heartbeats)")
        self._members_act(minute)
        self._notice_adhoc_stop()

    def keep_reporting(self, minutes: int) -> None:
        """Time passes after the op; the worker keeps reporting (and heartbeating)."""
        for _ in range(minutes):
            self.stack.clock.advance(minutes=1)
            self.worker.tick(self.seated)
            self.refinery.tick()

    def _apply_moves(self, now: int) -> None:
        while self.pending and START_MS + self.pending[0].at_s * 1000 <= now:
            move = self.pending.pop(0)
            user_id = self.ids[move.user]
            if move.channel is None:
                self.seated.pop(user_id, None)
            else:
                self.seated[user_id] = move.channel
            self.worker.saw(START_MS + move.at_s * 1000, user_id, move.channel)

    def _reconnect(self) -> None:
        self.worker.connect()
        self.progress.say(
            "worker",
            "reconnected as a new connection; its heartbeat reports the gap, a fresh snapshot "
            "follows",
        )

    def _members_act(self, minute: int) -> None:
        if minute == 0:
            self._start()
        elif minute == ADHOC_START_MINUTE:
            self._adhoc()
        elif minute == HANDLES_MINUTE:
            set_handles(self.stack.sim, self.progress)
        elif minute == STATUS_MINUTE:
            self._status()
        elif minute == REFINERY_MINUTE:
            self.refinery.add()

    def _start(self) -> None:
        started = Member(self.stack.sim, "lead").command("mining start", name=OP_NAME)
        self.session_id = self._active_id(OP_NAME)
        self.progress.say("start", "@Op Lead: /mining start → " + self._started(started))

    def _adhoc(self) -> None:
        creator = Member(self.stack.sim, SIDE_CREW[0])
        lounge = self.stack.guild.channel(SIDE_CHANNEL)
        started = creator.command("mining adhoc new", channel=lounge, name=ADHOC_NAME)
        self.adhoc_id = self._active_id(ADHOC_NAME)
        who = f"@{creator.user.display_name}: /mining adhoc new #{SIDE_CHANNEL}"
        self.progress.say("adhoc", f"{who} → " + self._started(started))

    def _started(self, exchange: Exchange) -> str:
        """The reply's first line and how many the app found already seated."""
        seated = between(exchange.content, r"(\d+ already there)")
        return f"{self._line(exchange)} ({seated})"

    def _status(self) -> None:
        status = Member(self.stack.sim, "lead").command("mining status")
        embed = status.data["embeds"][0]
        fields = {f["name"]: f["value"] for f in embed.get("fields", [])}
        facts = [f"{name}: {value}" for name, value in fields.items() if "\n" not in value]
        self.progress.say("status", f"@Op Lead: /mining status → {embed['title']}")
        self.progress.detail(named(self.stack.guild, " · ".join(facts)))

    def stop(self) -> None:
        stopped = Member(self.stack.sim, "lead").command("mining stop")
        self.progress.say("stop", "@Op Lead: /mining stop → " + self._line(stopped))
        embed = stopped.data["embeds"][0]
        self.progress.detail(named(self.stack.guild, embed.get("description", "")))
        for field in embed.get("fields", []):
            self.progress.detail(named(self.stack.guild, f"{field['name']}: {field['value']}"))
        self._everyones_time(stopped)
        self._show_tally()

    def _everyones_time(self, stopped: Exchange) -> None:
        """A miner opens the full list behind the public summary and turns its page."""
        miner = Member(self.stack.sim, MINERS[0])
        first = miner.click(stopped, custom_id(stopped, "sm1:slist:"))
        footer = first.data["embeds"][0].get("footer", {}).get("text", "one page")
        top = next((line for line in message_lines(first.data) if "`" in line), "")
        self.progress.detail(
            f"@{miner.user.display_name} pressed Everyone's time (just for them): {footer}, "
            + named(self.stack.guild, top.replace("`", ""))
        )
        if has(first, "sm1:slist:"):
            miner.click(first, custom_id(first, "sm1:slist:", "Next ▶"))

    def _show_tally(self) -> None:
        """What the app answered the worker, summed over the evening."""
        tally = self.worker.tally
        ignored = "".join(f", {n} ignored ({why})" for why, n in sorted(tally.ignored.items()))
        self.progress.detail(
            f"worker protocol: {tally.batches} batches and {tally.heartbeats} heartbeats "
            f"answered, {tally.stored:,} records stored{ignored}"
        )

    def _notice_adhoc_stop(self) -> None:
        if not self.adhoc_id or self.adhoc_stop_seen:
            return
        session = self.stack.services.sessions.get(self.stack.guild.id, self.adhoc_id)
        if session.status is SessionStatus.ACTIVE:
            return
        self.adhoc_stop_seen = True
        reason = session.stop_reason.value if session.stop_reason else "stopped"
        self.progress.say(
            "adhoc",
            f"'{session.name}' stopped itself ({reason.replace('_', ' ')}), "
            f"{duration(session.length_ms(self.stack.clock.now_ms()))} long",
        )

    def _active_id(self, name: str) -> str:
        for session in self.stack.services.sessions.active(self.stack.guild.id):
            if session.name == name:
                return session.session_id
        raise DemoFailed(f"the app did not start '{name}'")

    def _line(self, exchange: Exchange) -> str:
        """The reply's first line, as the member reads it."""
        return named(self.stack.guild, exchange.content.split("\n")[0])
