"""The refinery timer of `sunday-mining serve` on the services it is given, with a fixed clock:
one notice when a job is due, late or not; none before, none twice, none after a restart, none
for a cancelled job, and one for each new due time after an edit."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sunday_mining.adapters.local_blobs import FolderBlobs
from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.errors import Unavailable
from sunday_mining.domain.refining import HOUR_MS, method_by_code, parse_ore_amounts
from sunday_mining.entrypoints.factories import ReportSetup, Services, build_services
from sunday_mining.entrypoints.local_server import RefineryTimer
from sunday_mining.reports.links import ReportLinks
from sunday_mining.services.refinery import Actor, Terminal

GUILD = "g1"
REPORT_CHANNEL = "900000000000000001"
OWNER = Actor("u-owner")


class Poster:
    def __init__(self) -> None:
        self.posted: list[tuple[str, str]] = []

    def send_channel_message(
        self,
        channel_id: str,
        *,
        content: str,
        nonce: str | None = None,
        ping_users: tuple[str, ...] = (),
    ) -> str:
        self.posted.append((channel_id, content))
        return str(len(self.posted))


@pytest.fixture
def poster() -> Poster:
    return Poster()


class Process:
    """One `serve` process on the database at ``path``: its services and its timer."""

    def __init__(self, path: Path, clock: FixedClock, poster: Poster) -> None:
        self.store = SqliteStore(path)
        setup = ReportSetup(
            FolderBlobs(path.parent / "reports"),
            ReportLinks(b"k" * 32, "https://sm.example"),
            channel_poster=lambda: poster,
        )
        self.services: Services = build_services(self.store, clock, reports=setup)
        self.timer = RefineryTimer(self.services.refinery.notify_all_due)


@pytest.fixture
def processes(tmp_path: Path, clock: FixedClock, poster: Poster) -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        process.store.close()


@pytest.fixture
def start(
    tmp_path: Path, clock: FixedClock, poster: Poster, processes: list[Process]
) -> Callable[[], Process]:
    def make() -> Process:
        process = Process(tmp_path / "serve.sqlite3", clock, poster)
        processes.append(process)
        return process

    return make


def add_job(process: Process) -> str:
    process.services.guilds.set_report_channel(GUILD, REPORT_CHANNEL)
    job = process.services.refinery.add(
        GUILD,
        OWNER,
        terminal=Terminal(0, "Refinement Processing - MIC-L1"),
        method=method_by_code("DIN"),
        ores=parse_ore_amounts("Quantainium 48"),
        cost=25_000,
        time_left_ms=2 * HOUR_MS,
    )
    return job.job_id


def test_a_due_job_gets_one_notice_and_a_late_or_second_sweep_none(
    start: Callable[[], Process], clock: FixedClock, poster: Poster
) -> None:
    serve = start()
    add_job(serve)
    clock.advance(minutes=119)
    assert serve.timer.sweep() == 0
    clock.advance(minutes=1)
    assert serve.timer.sweep() == 1
    assert poster.posted == [
        (
            REPORT_CHANNEL,
            "<@u-owner> Your refinery job at MIC-L1 (Quantainium) is ready to collect. "
            "Mark it collected in /mining refinery list.",
        )
    ]
    clock.advance(minutes=300)
    assert serve.timer.sweep() == 0


def test_a_late_first_sweep_sends_the_notice_once(
    start: Callable[[], Process], clock: FixedClock, poster: Poster
) -> None:
    serve = start()
    add_job(serve)
    clock.advance(minutes=60 * 24)  # the machine was off when the job was due
    assert serve.timer.sweep() == 1
    assert serve.timer.sweep() == 0
    assert len(poster.posted) == 1


def test_after_a_restart_a_notice_sent_is_not_sent_again(
    start: Callable[[], Process], clock: FixedClock, poster: Poster
) -> None:
    first = start()
    add_job(first)
    clock.advance(minutes=120)
    first.timer.sweep()
    again = start()
    assert again.timer.sweep() == 0
    assert len(poster.posted) == 1


def test_a_job_due_while_the_process_was_down_is_announced_by_the_next_one(
    start: Callable[[], Process], clock: FixedClock, poster: Poster
) -> None:
    add_job(start())
    clock.advance(minutes=180)
    assert start().timer.sweep() == 1
    assert len(poster.posted) == 1


def test_a_cancelled_job_gets_no_notice(
    start: Callable[[], Process], clock: FixedClock, poster: Poster
) -> None:
    serve = start()
    job = add_job(serve)
    serve.services.refinery.cancel(GUILD, job, OWNER)
    clock.advance(minutes=600)
    assert serve.timer.sweep() == 0
    assert poster.posted == []


def test_an_edited_job_is_announced_at_its_new_time_only(
    start: Callable[[], Process], clock: FixedClock, poster: Poster
) -> None:
    serve = start()
    job = add_job(serve)
    serve.services.refinery.edit_time_left(GUILD, job, OWNER, 4 * HOUR_MS)
    clock.advance(minutes=120)  # the old due time
    assert serve.timer.sweep() == 0
    clock.advance(minutes=120)
    assert serve.timer.sweep() == 1
    assert serve.timer.sweep() == 0


def test_a_store_failure_is_logged_and_the_next_minute_tries_again() -> None:
    calls: list[int] = []

    def sweep() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise Unavailable()
        return 0

    timer = RefineryTimer(sweep)
    assert timer.sweep() == 0
    assert timer.sweep() == 0
    assert len(calls) == 2


def test_the_timer_sweeps_at_start_and_then_on_its_interval() -> None:
    swept = threading.Semaphore(0)

    def sweep() -> int:
        swept.release()
        return 0

    timer = RefineryTimer(sweep, interval_s=0.01)
    timer.start()
    try:
        assert all(swept.acquire(timeout=5) for _ in range(3))
    finally:
        timer.stop()
