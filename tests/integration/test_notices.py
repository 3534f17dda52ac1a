"""An adhoc session that stops itself is announced by the bot in its channel: queued as a job on
the heartbeat that stopped it, posted once, never in the way of the heartbeat."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.worker_service import GUILD, SIDE, beat, seat

from sunday_mining.adapters.jobs import InProcessJobs, JobHandler
from sunday_mining.adapters.local_blobs import FolderBlobs
from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.errors import Unavailable
from sunday_mining.entrypoints.factories import ReportSetup, Services, build_services
from sunday_mining.ports.jobs import Job
from sunday_mining.reports.links import ReportLinks
from sunday_mining.services.job_kinds import NOTICE_JOB


class Poster:
    def __init__(self, fail: bool = False) -> None:
        self.posted: list[tuple[str, str]] = []
        self.fail = fail

    def send_channel_message(self, channel_id: str, *, content: str) -> str:
        if self.fail:
            raise Unavailable("Discord did not answer.")
        self.posted.append((channel_id, content))
        return str(len(self.posted))


@pytest.fixture
def poster() -> Poster:
    return Poster()


@pytest.fixture
def wired(
    tmp_path: Path, clock: FixedClock, poster: Poster
) -> Iterator[tuple[Services, InProcessJobs]]:
    handlers: dict[str, JobHandler] = {}
    jobs = InProcessJobs(handlers, sleep=lambda _: None)
    store = SqliteStore(tmp_path / "n.sqlite3")
    setup = ReportSetup(
        FolderBlobs(tmp_path / "reports"),
        ReportLinks(b"k" * 32, "https://sm.example"),
        jobs=jobs,
        channel_poster=lambda: poster,
    )
    services = build_services(store, clock, reports=setup)
    assert services.notices is not None
    handlers[NOTICE_JOB] = services.notices.run_job
    yield services, jobs
    jobs.close()
    store.close()


def test_an_idle_stop_is_announced_once_in_the_sessions_channel(
    wired: tuple[Services, InProcessJobs], clock: FixedClock, poster: Poster
) -> None:
    services, jobs = wired
    services.guilds.set_setting(GUILD, "adhoc-idle-timeout", "10")
    services.worker.acquire("w1", 600)
    session = services.sessions.start_adhoc(GUILD, "501", SIDE, name="Quarry run")
    seat(services, clock, "501", SIDE, 1)
    clock.advance(minutes=30)
    seat(services, clock, "501", None, 2)
    left_s = clock.now_ms() // 1000
    clock.advance(minutes=11)
    services.worker.heartbeat(beat())
    services.worker.heartbeat(beat())  # already stopped: nothing more to say
    jobs.drain()
    ((channel, text),) = poster.posted
    assert channel == SIDE
    assert "**Quarry run** stopped by itself" in text
    assert "nobody was in the channel for 10 minutes" in text
    assert f"<t:{left_s}:t>" in text  # the stop time is when the last member left
    assert "<@501>" in text
    assert services.sessions.get(GUILD, session.session_id).stop_reason is not None


def test_a_stop_at_the_maximum_length_says_so(
    wired: tuple[Services, InProcessJobs], clock: FixedClock, poster: Poster
) -> None:
    services, jobs = wired
    services.guilds.set_setting(GUILD, "adhoc-max-length", "2")
    services.worker.acquire("w1", 600)
    services.sessions.start_adhoc(GUILD, "501", SIDE)
    seat(services, clock, "501", SIDE, 1)
    clock.advance(minutes=125)
    services.worker.heartbeat(beat())
    jobs.drain()
    ((_, text),) = poster.posted
    assert "it reached the 2-hour limit" in text


def test_a_duplicated_notice_job_posts_once_and_a_stop_by_command_posts_nothing(
    wired: tuple[Services, InProcessJobs], clock: FixedClock, poster: Poster
) -> None:
    services, _ = wired
    assert services.notices is not None
    job = Job(NOTICE_JOB, "adhoc-stop:x", {"guild_id": GUILD, "channel_id": SIDE, "content": "hi"})
    services.notices.run_job(job)
    services.notices.run_job(job)
    assert poster.posted == [(SIDE, "hi")]

    session = services.sessions.start_adhoc(GUILD, "501", SIDE)
    stopped = services.sessions.stop(GUILD, session.session_id)
    services.notices.adhoc_stopped(stopped)
    assert poster.posted == [(SIDE, "hi")]


def test_a_failed_post_is_logged_and_the_heartbeat_is_untouched(
    tmp_path: Path, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    failing = Poster(fail=True)
    store = SqliteStore(tmp_path / "f.sqlite3")
    setup = ReportSetup(
        FolderBlobs(tmp_path / "r"),
        ReportLinks(b"k" * 32, "https://sm.example"),
        jobs=InProcessJobs({}),
        channel_poster=lambda: failing,
    )
    services = build_services(store, clock, reports=setup)
    assert services.notices is not None
    services.notices.run_job(
        Job(NOTICE_JOB, "adhoc-stop:y", {"guild_id": GUILD, "channel_id": SIDE, "content": "x"})
    )
    assert "notice not posted: Discord did not answer." in caplog.text
    store.close()
