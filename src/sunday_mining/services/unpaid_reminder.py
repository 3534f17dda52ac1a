"""The weekly reminder of unpaid lines: once a week, a guild that set ``unpaid-reminder-days``
(and a report channel) gets a short list there of the lines unpaid for longer than that, oldest
first, by name and handle, with the amounts.

A schedule calls :meth:`UnpaidReminder.remind_all` (EventBridge Scheduler on AWS, through the
reports function; an in-process timer in ``serve``). Whenever it runs, a guild is reminded at
most once per ISO week (Monday to Sunday, UTC): a marker per guild and week, claimed through the
delivery markers reports use (``services/send_once.py``), so a late, repeated or retried run
posts nothing more; the post's nonce, made from that marker, keeps a retry after a post whose
answer was lost from posting it twice. A week with nothing overdue posts nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sunday_mining.domain.books import PayeeLine, still_owed
from sunday_mining.domain.clock import Clock
from sunday_mining.domain.errors import DependencyUnavailable, DomainError, StoreError
from sunday_mining.domain.prices import format_auec
from sunday_mining.domain.wording import counted
from sunday_mining.ports.store import Key, Store
from sunday_mining.services import keys
from sunday_mining.services.books import Books
from sunday_mining.services.guilds import GuildService
from sunday_mining.services.handles import Handles
from sunday_mining.services.notices import ChannelPoster
from sunday_mining.services.send_once import FAILED, SENT, Claim, SendOnce, marker_nonce

log = logging.getLogger(__name__)

DAY_MS = 86_400_000
MARKER_PREFIX = "UNPAIDREMINDER#"
LEASE_MS = 150_000
MARKER_TTL_S = 14 * 86_400  # a week's marker only has to outlive its week
# A public message fits one phone screen (about 700 characters): a member's name shows as up to
# 32 characters, so each line is budgeted as rendered, and the rest is counted, not listed.
MESSAGE_BUDGET = 640
NAME_SHOWN = 32
SESSION_SHOWN = 30
MAX_LINES = 8


class UnpaidReminder:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        guilds: GuildService,
        books: Callable[[], Books],
        handles: Handles,
        poster: Callable[[], ChannelPoster],
    ) -> None:
        self._store = store
        self._clock = clock
        self._guilds = guilds
        self._books = books
        self._handles = handles
        self._poster = poster
        self._send_once = SendOnce(store, clock, lease_ms=LEASE_MS)

    def remind_all(self) -> int:
        """:meth:`remind` for every registered guild; how many reminders were posted. A guild
        that fails is logged; when the store or Discord was down for one, the first such
        failure is raised once every guild was tried, so the schedule's retry runs again (the
        week's markers keep the guilds already reminded from a second post)."""
        posted, down = 0, None
        for item in self._store.query_all(keys.GUILD_REGISTRY_PK):
            try:
                posted += self.remind(str(item["sk"]))
            except DomainError as failure:
                log.warning("unpaid reminder failed for a guild: %s", failure.message)
                if isinstance(failure, DependencyUnavailable | StoreError) and down is None:
                    down = failure
        if down is not None:
            raise down
        return posted

    def remind(self, guild_id: str) -> bool:
        """Post this week's reminder if it is due and not posted yet; whether it was posted."""
        settings = self._guilds.get(guild_id).settings
        days, channel = settings.unpaid_reminder_days, settings.report_channel_id
        if not days or channel is None:
            return False
        now = self._clock.now_ms()
        overdue = self.overdue(guild_id, days, now)
        if not overdue:
            return False
        handles = self._handles.lookup(guild_id, {line.payee_id for line in overdue})
        text = reminder_text(overdue, handles, days)
        # Everything is read before the claim: a claim left "sending" holds the week's post
        # back for the lease, which may outlast the retries.
        marker = _marker(guild_id, now)
        ttl = now // 1000 + MARKER_TTL_S
        if self._send_once.claim(marker, ttl=ttl).claim not in (Claim.TAKEN, Claim.RESUMED):
            return False
        try:
            self._poster().send_channel_message(channel, content=text, nonce=marker_nonce(marker))
        except DomainError:
            self._send_once.mark(marker, FAILED)
            raise
        self._send_once.mark(marker, SENT, sent_ms=self._clock.now_ms())
        return True

    def overdue(self, guild_id: str, days: int, now_ms: int) -> list[PayeeLine]:
        """Lines unpaid for more than ``days``, oldest debt first (the org's never)."""
        cutoff = now_ms - days * DAY_MS
        lines = still_owed(self._books().final_payrolls(guild_id))
        return [line for line in lines if (line.owed_since_ms or now_ms) < cutoff]


def _marker(guild_id: str, now_ms: int) -> Key:
    year, week, _ = datetime.fromtimestamp(now_ms / 1000, UTC).isocalendar()
    return keys.guild_pk(guild_id), f"{MARKER_PREFIX}{year}-W{week:02d}"


def reminder_text(lines: Sequence[PayeeLine], handles: dict[str, str], days: int) -> str:
    """The public message: a heading, as many lines as fit a phone screen, then the rest
    counted, and where to mark them paid."""
    head = f"⏳ **Unpaid for more than {counted(days, 'day')}**, oldest first:"
    tail = "Payroll officers: mark them paid with /mining owed."
    shown: list[str] = []
    used = len(head) + len(tail) + 40  # the "and N more" line
    for line in lines[:MAX_LINES]:
        text, rendered = _line(line, handles.get(line.payee_id))
        if used + rendered > MESSAGE_BUDGET:
            break
        shown.append(text)
        used += rendered + 1
    rest = lines[len(shown) :]
    more = [f"…and {counted(len(rest), 'more line')}, {format_auec(_sum(rest))}."] if rest else []
    return "\n".join([head, *shown, *more, tail])


def _line(line: PayeeLine, handle: str | None) -> tuple[str, int]:
    """The line and its length as a member reads it (the mention shows as a name)."""
    who = f"<@{line.payee_id}>"
    named = f" (`{handle}`)" if handle else " (no handle)"
    session = line.session_name[:SESSION_SHOWN]
    since = f"<t:{(line.owed_since_ms or 0) // 1000}:d>"
    text = f"• {who}{named} — **{format_auec(line.owed)}** · {session} · since {since}"
    return text, len(text) - len(who) - len(since) + NAME_SHOWN + 10


def _sum(lines: Sequence[PayeeLine]) -> int:
    return sum(line.owed for line in lines)
