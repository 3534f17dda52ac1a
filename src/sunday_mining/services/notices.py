"""Notices the app posts on its own, as the bot: today, an adhoc session that stopped itself.

An adhoc session stops when its channel has been empty for the idle timeout, or at its maximum
length, noticed on a worker heartbeat. The members should not have to guess: the bot says so in
the voice channel's text chat. Posting is a job (``NOTICE_JOB``) so the heartbeat never waits
on Discord; the job posts once per notice (a marker item is created conditionally first), and a
failed post is only logged: a notice is a courtesy, the session has stopped either way. The
job's payload is the guild, the channel and the text, never a credential: it posts as the bot,
with the bot token the job's own process loads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from sunday_mining.domain.clock import Clock
from sunday_mining.domain.errors import ConditionFailed, DomainError
from sunday_mining.domain.session import Session, StopReason
from sunday_mining.ports.jobs import Job, JobQueue
from sunday_mining.ports.store import ItemAbsent, Store
from sunday_mining.services import keys
from sunday_mining.services.guilds import GuildService
from sunday_mining.services.job_kinds import NOTICE_JOB

log = logging.getLogger(__name__)

NOTICE_PREFIX = "NOTICE#"
NOTICE_TTL_S = 7 * 86_400  # the marker only guards against a duplicated job


class ChannelPoster(Protocol):
    """A post as the bot; ``nonce`` (at most 25 characters) is enforced: the same post sent
    again within a few minutes is the first one."""

    def send_channel_message(
        self, channel_id: str, *, content: str, nonce: str | None = None
    ) -> str: ...


class Notices:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        guilds: GuildService,
        jobs: JobQueue | None,
        poster: Callable[[], ChannelPoster],
    ) -> None:
        self._store = store
        self._clock = clock
        self._guilds = guilds
        self._jobs = jobs
        self._poster = poster

    def adhoc_stopped(self, session: Session) -> None:
        """Queue the notice for an adhoc session the sweeper stopped (never raises)."""
        if self._jobs is None or not session.channel_ids:
            return  # the reports function runs notices; it never stops sessions itself
        if session.stop_reason is StopReason.COMMAND:
            return
        payload = {
            "guild_id": session.guild_id,
            "channel_id": session.channel_ids[0],
            "content": self.adhoc_text(session),
        }
        try:
            self._jobs.submit(Job(NOTICE_JOB, f"adhoc-stop:{session.session_id}", payload))
        except DomainError:
            log.warning("adhoc stop notice not queued", extra={"session_id": session.session_id})

    def adhoc_text(self, session: Session) -> str:
        settings = self._guilds.get(session.guild_id).settings
        if session.stop_reason is StopReason.MAX_LENGTH:
            why = f"it reached the {settings.adhoc_max_length_s // 3600}-hour limit"
        else:
            why = f"nobody was in the channel for {settings.adhoc_idle_timeout_s // 60} minutes"
        until = (session.stopped_ms or 0) // 1000
        return (
            f"⏹️ The adhoc session **{session.name}** stopped by itself: {why}. "
            f"Time counted until <t:{until}:t>. <@{session.creator_id}> can pay it with "
            "/mining payroll, or start it again with /mining adhoc load."
        )

    def run_job(self, job: Job) -> None:
        """Post once: a duplicated job finds the marker and posts nothing."""
        guild_id = str(job.payload["guild_id"])
        marker = {
            "pk": keys.guild_pk(guild_id),
            "sk": f"{NOTICE_PREFIX}{job.key[:80]}",
            "ttl": self._clock.now_ms() // 1000 + NOTICE_TTL_S,
        }
        try:
            self._store.put(marker, condition=ItemAbsent())
        except ConditionFailed:
            return
        try:
            self._poster().send_channel_message(
                str(job.payload["channel_id"]), content=str(job.payload["content"])
            )
        except DomainError as error:
            log.warning("notice not posted: %s", error.message, extra={"job_key": job.key})
