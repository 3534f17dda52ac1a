"""The embedded default: the whole app on one machine (SQLite file, local folders, uvicorn)."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import httpx
import uvicorn
from starlette.types import ASGIApp

from sunday_mining.config import Settings
from sunday_mining.container import Services
from sunday_mining.domain.errors import DomainError, Unavailable
from sunday_mining.entrypoints.factories import build_from_settings, build_store
from sunday_mining.ports.store import Store
from sunday_mining.schema.migrations import MigrationReport, migrate

if TYPE_CHECKING:
    from sunday_mining.services.unpaid_reminder import UnpaidReminder

log = logging.getLogger(__name__)


def migrate_table(
    settings: Settings, *, create_table: bool = False, store: Store | None = None
) -> MigrationReport:
    from sunday_mining.adapters.system_clock import SystemClock

    if settings.store == "dynamodb" and create_table:
        _create_dynamodb_table_if_missing(settings)
    return migrate(store or build_store(settings), SystemClock())


def schema_problems(settings: Settings) -> list[str]:
    from sunday_mining.schema.health import check_health

    store = build_store(settings)
    if settings.store == "dynamodb":
        from sunday_mining.adapters.schema_inspect import describe_dynamodb

        live = describe_dynamodb(_dynamodb_client(settings), settings.table_name, store)
    else:
        from sunday_mining.adapters.schema_inspect import describe_sqlite

        live = describe_sqlite(settings.sqlite_path, store)
    return check_health(live)


def _dynamodb_client(settings: Settings):  # type: ignore[no-untyped-def]
    import boto3

    return boto3.client(
        "dynamodb", region_name=settings.aws_region, endpoint_url=settings.dynamodb_endpoint
    )


def _create_dynamodb_table_if_missing(settings: Settings) -> None:
    from sunday_mining.adapters.dynamodb_table import create_table

    client = _dynamodb_client(settings)
    if settings.table_name not in client.list_tables()["TableNames"]:
        create_table(client, settings.table_name)


def serve(settings: Settings, *, host: str, port: int) -> None:
    from sunday_mining.web.app import create_app_from_settings

    store = build_store(settings)  # one store (a connection per thread) for the whole process
    migrate_table(settings, store=store)
    services = build_from_settings(settings, store=store)
    _resume_jobs(services)
    app = create_app_from_settings(services, settings)
    refresher = PriceRefresher(settings, store, interval_s=settings.price_refresh_s)
    if settings.price_refresh_s:
        refresher.start()
    expiry = ExpirySweeper(store)
    expiry.start()
    refinery = RefineryTimer(services.refinery.notify_all_due)
    refinery.start()
    reminder = UnpaidReminderTimer(services.make_unpaid_reminder)
    reminder.start()
    try:
        # log_config=None: uvicorn's own lines, the access log included, go through the one
        # redacting handler configure_logging installed, in the same form as the app's.
        uvicorn.run(
            app, host=host, port=port, log_level=settings.log_level.lower(), log_config=None
        )
    finally:
        refresher.stop()
        expiry.stop()
        refinery.stop()
        reminder.stop()


def _resume_jobs(services: Services) -> None:
    """Run again the jobs a previous process took and did not finish (it was killed, say):
    a finalized payroll's report still reaches Discord, once (jobs are idempotent by key)."""
    from sunday_mining.adapters.jobs import InProcessJobs

    reports = services.reports
    jobs = reports.jobs if reports is not None else None
    if isinstance(jobs, InProcessJobs):
        resumed = jobs.resume()
        if resumed:
            log.info("unfinished jobs resumed", extra={"jobs": resumed})


class ExpirySweeper:
    """The embedded default's stand-in for DynamoDB's time to live. Items with a ``ttl`` (voice
    observations, member names, price history, markers) are meant to go once it has passed;
    SQLite keeps them until something deletes them, so this does, at start and then hourly.
    A store without ``purge_expired`` (DynamoDB, which does it itself) is left alone."""

    def __init__(
        self, store: Store, *, interval_s: float = 3600, now_s: Callable[[], float] = time.time
    ) -> None:
        self._purge: Callable[[int], int] | None = getattr(store, "purge_expired", None)
        self._interval_s = interval_s
        self._now_s = now_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sm-expiry", daemon=True)

    def start(self) -> None:
        if self._purge is not None:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def sweep(self) -> int:
        """Delete what has expired now; how many items went (0 when the store does it itself)."""
        if self._purge is None:
            return 0
        try:
            gone = self._purge(int(self._now_s()))
        except DomainError:
            log.warning("could not delete expired items; trying again later")
            return 0
        if gone:
            log.info("expired items deleted", extra={"deleted": gone})
        return gone

    def _run(self) -> None:
        self.sweep()
        while not self._stop.wait(self._interval_s):
            self.sweep()


class RefineryTimer:
    """The embedded default's stand-in for one-time schedules: every minute, the refinery jobs
    that are due get their notice. The store says whether a notice went out, so a sweep that
    runs late, twice, or in a process started after a crash sends each notice once."""

    def __init__(self, sweep: Callable[[], int], *, interval_s: float = 60) -> None:
        self._sweep = sweep
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sm-refinery", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def sweep(self) -> int:
        """Send what is due now; how many notices went out (0 when the store failed)."""
        try:
            sent = self._sweep()
        except DomainError:
            log.warning("could not sweep refinery jobs; trying again in a minute")
            return 0
        if sent:
            log.info("refinery notices sent", extra={"notices": sent})
        return sent

    def _run(self) -> None:
        self.sweep()
        while not self._stop.wait(self._interval_s):
            self.sweep()


class UnpaidReminderTimer:
    """The embedded default's stand-in for the weekly reminder's schedule: every hour it asks;
    the service posts at most once a week per guild (the store keeps which week it posted), so
    restarts and a late first run change nothing. Nothing runs without a reminder service."""

    def __init__(
        self, make: Callable[[], UnpaidReminder] | None, *, interval_s: float = 3600
    ) -> None:
        self._make = make
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sm-reminder", daemon=True)

    def start(self) -> None:
        if self._make is not None:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def sweep(self) -> int:
        """Post the reminders due now; how many (0 when the store or Discord failed)."""
        if self._make is None:
            return 0
        try:
            posted = self._make().remind_all()
        except DomainError:
            log.warning("could not send the unpaid reminders; trying again in an hour")
            return 0
        if posted:
            log.info("unpaid reminders posted", extra={"reminders": posted})
        return posted

    def _run(self) -> None:
        self.sweep()
        while not self._stop.wait(self._interval_s):
            self.sweep()


class PriceRefresher:
    """The embedded default's stand-in for the scheduled pricing Lambda: a background timer."""

    def __init__(self, settings: Settings, store: Store, *, interval_s: int) -> None:
        self._settings = settings
        self._store = store
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sm-prices", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:

        from sunday_mining.adapters.system_clock import SystemClock
        from sunday_mining.entrypoints.pricing_lambda import build_price_service

        service = build_price_service(self._store, SystemClock(), self._settings)
        while not self._stop.is_set():
            outcome = service.refresh()  # a failure is recorded by the service, never raised
            log.info("price refresh", extra={"ok": outcome.ok, "reason": outcome.reason})
            self._stop.wait(self._interval_s)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def running_app(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve an app in a background thread; yields its base URL and stops it on exit."""
    port = port or free_port(host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="sunday-mining-http", daemon=True)
    thread.start()
    base = f"http://{host}:{port}"
    try:
        _wait_until_up(base)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _wait_until_up(base: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/health", timeout=1.0).status_code == 200:
                return
        time.sleep(0.05)
    raise Unavailable("The local server did not start in time.")
