"""Refinery jobs of a guild: add, list, edit the time left, collect, cancel, and the one notice
a job gets when it is due.

The store's copy of a job is the truth. A member's change is written only if the job is still
the version that was read; the notice is written only if the job is open, its due time is the
one that was found due and no notice is recorded (``notified_ms`` absent), and the post comes
after that write. So a timer that fires twice, late, or in a process that restarted sends one
notice for a due time, and a job cancelled or given a new time left meanwhile gets none for the
old one. A post that fails after the write is lost, not repeated: a notice is a courtesy.

Each open job has a timer (:class:`~sunday_mining.ports.schedules.JobTimers`) at its due time,
set on add, set again on an edit of the time left, cleared on collect and cancel. A timer is a
prompt, not the truth: one that fails to be set or cleared is logged and counted, and the
periodic sweep (:meth:`RefineryService.notify_all_due`) sends what it would have.

Besides the channel post, the owner gets a direct message unless they turned refinery messages
off (``/mining me``). A member whose DMs are closed (Discord's 50007) is logged and counted,
never retried; the channel post has gone out either way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sunday_mining.domain import ores as ore_catalogue
from sunday_mining.domain import refining
from sunday_mining.domain.clock import Clock
from sunday_mining.domain.errors import (
    ConditionFailed,
    DomainError,
    NotFound,
    PermissionDenied,
    StateConflict,
)
from sunday_mining.domain.ids import is_id, new_id
from sunday_mining.domain.prices import PriceSnapshot
from sunday_mining.domain.refining import Method, OreAmount, RefineryJob
from sunday_mining.ports.discord import DMS_CLOSED, DirectMessenger, DiscordApiError
from sunday_mining.ports.schedules import JobTimers
from sunday_mining.ports.store import (
    And,
    AttrAbsent,
    Item,
    ItemAbsent,
    SortKey,
    Store,
    Update,
    eq,
)
from sunday_mining.services import keys
from sunday_mining.services.errors import ErrorLog
from sunday_mining.services.guilds import GuildService
from sunday_mining.services.member_prefs import MemberPrefs
from sunday_mining.services.prices import PriceService
from sunday_mining.services.refinery_codec import job_from_item, job_to_item, version_of
from sunday_mining.services.send_once import marker_nonce
from sunday_mining.services.sessions import SessionService

log = logging.getLogger(__name__)

_CHANGED = "That job changed while you were working on it; run /mining refinery list again."


class NoticePoster(Protocol):
    """Posts a job's ready notice in a channel; it pings ``ping_users`` (the owner) and nobody
    else. ``adapters.discord_rest.DiscordRest`` has this call."""

    def send_channel_message(
        self,
        channel_id: str,
        *,
        content: str,
        nonce: str | None = None,
        ping_users: tuple[str, ...] = (),
    ) -> str: ...


@dataclass(frozen=True)
class Actor:
    """Who asks: a member, and whether they are an officer (a leader or a payroll officer),
    which the glue decides from the signed payload and the guild's roles."""

    user_id: str
    officer: bool = False


@dataclass(frozen=True)
class Announcing:
    """How a due job is announced beyond its channel post: its timer, the owner's direct
    message (unless ``prefs`` says they turned it off), and where refusals are counted."""

    timers: JobTimers | None = None
    prefs: MemberPrefs | None = None
    messenger: Callable[[], DirectMessenger] | None = None
    errors: ErrorLog | None = None


@dataclass(frozen=True)
class Terminal:
    terminal_id: int  # UEX's id; 0 for a refinery typed by name
    name: str


class RefineryService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        guilds: GuildService,
        sessions: SessionService,
        prices: PriceService,
        poster: Callable[[], NoticePoster] | None = None,
        announcing: Announcing | None = None,
    ) -> None:
        self._store = store
        self._announcing = announcing or Announcing()
        self._clock = clock
        self._guilds = guilds
        self._sessions = sessions
        self._prices = prices
        self._poster = poster

    # --- refineries ---------------------------------------------------------------------------

    def terminals(self) -> list[Terminal]:
        """The refinery terminals the stored price snapshot knows (none in the bundled one)."""
        return refinery_terminals(self._prices.current())

    def terminal(self, typed: str) -> Terminal:
        """The refinery as typed: the snapshot's terminal of that name (or its short name,
        "MIC-L1"), else the typed name itself with no UEX id."""
        name = " ".join(typed.split())
        wanted = name.casefold()
        for terminal in self.terminals():
            short = refining.short_terminal_name(terminal.name).casefold()
            if wanted in (terminal.name.casefold(), short):
                return terminal
        return Terminal(0, name[:100])

    def yield_bonuses(self, terminal: Terminal) -> dict[int, int] | None:
        """The refinery's UEX yield bonus per raw ore id from the stored prices, or None when
        they have none for it (a typed refinery, the bundled sample, an unreported one)."""
        if terminal.terminal_id == 0:
            return None
        return self._prices.current().refinery_bonuses(terminal.terminal_id)

    # --- adding and reading -------------------------------------------------------------------

    def add(
        self,
        guild_id: str,
        actor: Actor,
        *,
        terminal: Terminal,
        method: Method,
        ores: Sequence[OreAmount],
        cost: int,
        time_left_ms: int,
        session_id: str | None = None,
    ) -> RefineryJob:
        if session_id is not None:
            self._sessions.get(guild_id, session_id)  # refuses a session of another guild
        now = self._clock.now_ms()
        job = refining.open_job(
            guild_id=guild_id,
            job_id=new_id(now),
            owner_id=actor.user_id,
            session_id=session_id,
            terminal_id=terminal.terminal_id,
            terminal_name=terminal.name,
            method=method,
            ores=ores,
            bonuses=self.yield_bonuses(terminal),
            cost=cost,
            now_ms=now,
            time_left_ms=time_left_ms,
        )
        self._store.put(job_to_item(job, 1), condition=ItemAbsent())
        self._set_timer(job)
        return job

    def get(self, guild_id: str, job_id: str) -> RefineryJob:
        return job_from_item(self._item(guild_id, job_id))

    def all_jobs(self, guild_id: str) -> list[RefineryJob]:
        items = self._store.query_all(
            keys.refinery_pk(guild_id), SortKey.begins_with(keys.REFINERY_JOB_PREFIX)
        )
        return [job_from_item(item) for item in items]

    def mine(self, guild_id: str, user_id: str) -> list[RefineryJob]:
        """A member's open jobs, soonest due first."""
        return _open_by_due(j for j in self.all_jobs(guild_id) if j.owner_id == user_id)

    def of_session(self, guild_id: str, session_id: str) -> list[RefineryJob]:
        """Every job of a session (open, collected and cancelled), oldest first."""
        return [j for j in self.all_jobs(guild_id) if j.session_id == session_id]

    def open_jobs(self, guild_id: str) -> list[RefineryJob]:
        """The org's open jobs, soonest due first."""
        return _open_by_due(self.all_jobs(guild_id))

    # --- a member's changes -------------------------------------------------------------------

    def edit_time_left(
        self, guild_id: str, job_id: str, actor: Actor, time_left_ms: int
    ) -> RefineryJob:
        job = self._change(
            guild_id,
            job_id,
            actor,
            lambda job: refining.edit_time_left(job, self._clock.now_ms(), time_left_ms),
        )
        # A timer that could not be cleared is not set again: that would be a second slow call
        # inside the answer, and a conflict; the sweep sends the notice of the new due time.
        if self._clear_timer(job):
            self._set_timer(job)
        return job

    def collect(
        self, guild_id: str, job_id: str, actor: Actor, refined: Mapping[int, int]
    ) -> RefineryJob:
        """Collected with ``refined`` cSCU per raw ore id, as the member counted it."""
        job = self._change(
            guild_id,
            job_id,
            actor,
            lambda job: refining.collect(job, self._clock.now_ms(), refined),
        )
        self._clear_timer(job)
        return job

    def cancel(self, guild_id: str, job_id: str, actor: Actor) -> RefineryJob:
        job = self._change(
            guild_id, job_id, actor, lambda job: refining.cancel(job, self._clock.now_ms())
        )
        self._clear_timer(job)
        return job

    def require_may_change(self, job: RefineryJob, actor: Actor) -> None:
        if actor.user_id != job.owner_id and not actor.officer:
            raise PermissionDenied(
                "Only the member who added that job, an op leader or a payroll officer can "
                "change it."
            )

    def _change(
        self,
        guild_id: str,
        job_id: str,
        actor: Actor,
        change: Callable[[RefineryJob], RefineryJob],
    ) -> RefineryJob:
        item = self._item(guild_id, job_id)
        job = job_from_item(item)
        self.require_may_change(job, actor)
        changed = change(job)
        version = version_of(item)
        try:
            self._store.put(job_to_item(changed, version + 1), condition=eq("version", version))
        except ConditionFailed:
            raise StateConflict(_CHANGED) from None
        return changed

    def _item(self, guild_id: str, job_id: str) -> Item:
        # The id comes from a custom_id a user could edit: check its shape before using it.
        item = self._store.get(keys.refinery_job_key(guild_id, job_id)) if is_id(job_id) else None
        if item is None:
            raise NotFound("I can't find that refinery job; run /mining refinery list again.")
        return item

    # --- timers -------------------------------------------------------------------------------

    def _set_timer(self, job: RefineryJob) -> None:
        timers = self._announcing.timers
        if timers is not None:
            self._best_effort("set", lambda: timers.set(job.guild_id, job.job_id, at_ms=job.due_ms))

    def _clear_timer(self, job: RefineryJob) -> bool:
        timers = self._announcing.timers
        if timers is None:
            return True
        return self._best_effort("clear", lambda: timers.clear(job.guild_id, job.job_id))

    def _best_effort(self, verb: str, call: Callable[[], None]) -> bool:
        """The store has the job either way; the sweep covers a timer that failed. Whether
        the call went through."""
        try:
            call()
        except DomainError as failure:
            log.warning("refinery timer not %s: %s", verb, failure.message)
            if self._announcing.errors is not None:
                self._announcing.errors.record_failure(failure)
            return False
        return True

    # --- the notice when a job is due ---------------------------------------------------------

    def notify_job(self, guild_id: str, job_id: str) -> bool:
        """The notice of one job, when its timer fires: sent if it is due and not notified
        (whether or not the post then reached Discord); False for a job cancelled, collected,
        given a new time, notified already, or gone."""
        item = self._store.get(keys.refinery_job_key(guild_id, job_id)) if is_id(job_id) else None
        if item is None:
            return False
        job = job_from_item(item)
        now = self._clock.now_ms()
        if not refining.due_notice(job, now) or not self._claim_notice(job, now):
            return False
        self._post(refining.mark_notified(job, now))
        return True

    def notify_due(self, guild_id: str) -> list[RefineryJob]:
        """Send the notice of every open job of the guild that is due and not notified; the
        jobs whose notice this call recorded (whether or not the post then reached Discord)."""
        now = self._clock.now_ms()
        sent = []
        for job in self.all_jobs(guild_id):
            if not refining.due_notice(job, now):
                continue
            if self._claim_notice(job, now):
                self._post(refining.mark_notified(job, now))
                sent.append(job)
        return sent

    def notify_all_due(self) -> int:
        """:meth:`notify_due` for every registered guild; how many notices were recorded.
        A guild whose jobs can't be read is skipped until the next sweep."""
        count = 0
        for item in self._store.query_all(keys.GUILD_REGISTRY_PK):
            try:
                count += len(self.notify_due(str(item["sk"])))
            except DomainError as failure:
                log.warning("refinery sweep failed for a guild: %s", failure.message)
        return count

    def _claim_notice(self, job: RefineryJob, now: int) -> bool:
        condition = And(
            eq("state", refining.JobState.OPEN.value),
            eq("due_ms", job.due_ms),
            AttrAbsent("notified_ms"),
        )
        try:
            self._store.update(
                keys.refinery_job_key(job.guild_id, job.job_id),
                Update(set={"notified_ms": now}),
                condition=condition,
            )
        except ConditionFailed:
            return False  # notified by another sweep, or changed meanwhile
        return True

    def _post(self, job: RefineryJob) -> None:
        channel = self._notice_channel(job)
        if channel is None or self._poster is None:
            log.info("refinery notice has no channel", extra={"job_id": job.job_id})
        else:
            try:
                self._poster().send_channel_message(
                    channel,
                    content=notice_text(job),
                    nonce=_notice_nonce(job),
                    ping_users=(job.owner_id,),
                )
            except DomainError as failure:
                log.warning("refinery notice not posted: %s", failure.message)
        self._direct_message(job)

    def _direct_message(self, job: RefineryJob) -> None:
        prefs, messenger = self._announcing.prefs, self._announcing.messenger
        if messenger is None or prefs is None:
            return
        try:
            if not prefs.get(job.guild_id, job.owner_id).refinery_dms:
                return
            messenger().send_direct_message(
                job.owner_id, content=direct_text(job), nonce=_notice_nonce(job)
            )
        except DiscordApiError as refused:
            closed = refused.code == DMS_CLOSED
            log.info(
                "refinery DM refused",
                extra={"job_id": job.job_id, "dms_closed": closed, "code": refused.code},
            )
            if self._announcing.errors is not None:
                self._announcing.errors.record(
                    "refinery DM refused: DMs closed" if closed else "refinery DM refused"
                )
        except DomainError as failure:
            log.warning("refinery DM not sent: %s", failure.message)
            if self._announcing.errors is not None:
                self._announcing.errors.record_failure(failure)

    def _notice_channel(self, job: RefineryJob) -> str | None:
        if job.session_id is not None:
            try:
                session = self._sessions.get(job.guild_id, job.session_id)
            except NotFound:
                session = None
            if session is not None and session.channel_ids:
                return session.channel_ids[0]
        return self._guilds.get(job.guild_id).settings.report_channel_id


def _notice_nonce(job: RefineryJob) -> str:
    """One nonce per job and due time: the client's own retry after a 5xx that came once
    Discord had made the message gets the first message back, not a second notice."""
    pk, sk = keys.refinery_job_key(job.guild_id, job.job_id)
    return marker_nonce((pk, f"{sk}#NOTICE#{job.due_ms}"))


def notice_text(job: RefineryJob) -> str:
    return f"<@{job.owner_id}> {direct_text(job)}"


def direct_text(job: RefineryJob) -> str:
    place = refining.short_terminal_name(job.terminal_name)
    return (
        f"Your refinery job at {place} ({ore_names(job)}) is ready to collect. "
        "Mark it collected in /mining refinery list."
    )


def ore_names(job: RefineryJob) -> str:
    names = []
    for job_ore in job.ores:
        ore = ore_catalogue.get(job_ore.ore_id)
        refined = ore_catalogue.refined_of(ore) if ore is not None else None
        names.append((refined or ore).name if ore is not None else f"ore {job_ore.ore_id}")
    return ", ".join(names)


def refinery_terminals(snapshot: PriceSnapshot) -> list[Terminal]:
    """Terminals of the snapshot that are refineries ("Refinement Processing - MIC-L1": UEX
    prices raw ore at the refineries' own terminals), by name."""
    found: dict[int, str] = {}
    for price in snapshot.prices.values():
        for terminal in price.terminals:
            if "refine" in terminal.terminal_name.casefold():
                found[terminal.terminal_id] = terminal.terminal_name
    return sorted((Terminal(i, n) for i, n in found.items()), key=lambda t: t.name.casefold())


def _open_by_due(jobs: Iterable[RefineryJob]) -> list[RefineryJob]:
    return sorted((j for j in jobs if j.is_open), key=lambda j: (j.due_ms, j.job_id))
