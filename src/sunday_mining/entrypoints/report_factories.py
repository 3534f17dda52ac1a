"""How reports are wired from settings: where files go, how links are signed, how the job runs,
how Discord is reached. Imported by the composition roots only; every heavy import is lazy.

* Locally: a folder (``SM_REPORTS_DIR``), jobs on in-process threads, a link key generated once
  and kept beside the SQLite file (unless ``SM_LINK_SIGNING_KEY`` is set).
* On AWS: S3 (``SM_REPORTS_BUCKET``), jobs by async invoke of ``SM_REPORTS_FUNCTION``, the link
  key from the secret. Without a key on DynamoDB reports are off, and diagnostics say so.

Jobs that fail every attempt wait in the on-failure queue (``SM_FAILURE_QUEUE_URL``) on AWS and
in the in-process runner's memory locally; diagnostics count them (:func:`failed_jobs`).
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sunday_mining.adapters.jobs import InProcessJobs, JobHandler, LambdaJobs
from sunday_mining.config import Settings
from sunday_mining.container import Once, ReportSetup
from sunday_mining.domain.clock import Clock
from sunday_mining.ports.blobs import BlobStore
from sunday_mining.ports.jobs import JobQueue
from sunday_mining.ports.store import Store
from sunday_mining.reports.links import ReportLinks
from sunday_mining.services.diagnostic_probes import FailedJobs

if TYPE_CHECKING:
    from sunday_mining.adapters.discord_rest import DiscordRest
    from sunday_mining.reports.service import Deliverer

log = logging.getLogger(__name__)

LOCAL_KEY_FILE = "link-signing.key"


def report_setup(
    settings: Settings,
    clock: Clock,
    handlers: dict[str, JobHandler],
    *,
    run_jobs: bool = True,
    journal: Store | None = None,
) -> ReportSetup | None:
    """The reports' adapters, or None (with a warning) when links can't be signed.

    ``handlers`` is filled by the caller once the services exist (the job runs a service
    method); ``run_jobs`` is False inside the reports function, which runs jobs, not asks.
    ``journal``: where in-process jobs are written down until they have run (the store)."""
    key = settings.link_signing_key or _local_key(settings)
    if key is None:
        log.warning("SM_LINK_SIGNING_KEY is not set: payroll reports are off")
        return None
    links = ReportLinks(key.encode(), settings.base_url, valid_days=settings.report_link_days)
    rest = _rest_factory(settings)
    jobs = _jobs(settings, handlers, journal) if run_jobs else None
    return ReportSetup(
        blobs=_blobs(settings),
        links=links,
        jobs=jobs,
        # Delivery happens where jobs run: not in an interactions function that hands them
        # to the reports function (which is the one that needs it).
        deliverer=None if isinstance(jobs, LambdaJobs) else _deliverer(rest, clock),
        channel_poster=rest,
        messenger=rest,
        # serve's own job threads are the only senders: what a killed serve left half-sent is
        # taken over at once when it starts again.
        sole_sender=isinstance(jobs, InProcessJobs),
    )


def _deliverer(rest: Callable[[], DiscordRest], clock: Clock) -> Deliverer:
    from sunday_mining.reports.sending import DiscordDeliverer

    return DiscordDeliverer(rest, clock)


# boto3's default session is not safe to make clients from in two threads at once, and the
# diagnostics checks run in threads (the S3 probe and the queue depth may both come first).
_MAKING = threading.RLock()


def boto3_client(service: str, **options: Any) -> Any:
    """``boto3.client``, one thread at a time (see _MAKING)."""
    import boto3

    with _MAKING:
        return boto3.client(service, **options)  # type: ignore[call-overload]


def _local_key(settings: Settings) -> str | None:
    """Locally a key is made once and kept (0600) beside the store, so links survive restarts."""
    if settings.store != "sqlite":
        return None
    path = settings.sqlite_path.parent / LOCAL_KEY_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _blobs(settings: Settings) -> BlobStore:
    if settings.reports_bucket:
        from botocore.config import Config

        from sunday_mining.adapters.s3_blobs import S3_CONFIG, S3Blobs

        # Another endpoint (a moto server locally) is addressed by path, not by bucket host name.
        config = S3_CONFIG.merge(Config(s3={"addressing_style": "path"}))
        # Each client costs tens of milliseconds to make, and the interactions function's cold
        # start needs neither S3 nor Lambda to answer Discord: made on first use.
        client = Once(
            lambda: boto3_client(
                "s3",
                region_name=settings.aws_region,
                endpoint_url=settings.s3_endpoint,
                config=config if settings.s3_endpoint else S3_CONFIG,
            )
        )
        return S3Blobs(client, settings.reports_bucket)
    from sunday_mining.adapters.local_blobs import FolderBlobs

    return FolderBlobs(settings.reports_folder)


def _jobs(
    settings: Settings, handlers: dict[str, JobHandler], journal: Store | None
) -> JobQueue | None:
    """The reports function on AWS; threads in a long-running process (``serve``, whatever the
    store), journalled in the store so that a restart runs what a killed process left. A Lambda
    without a reports function runs no jobs: it is frozen the moment it answers, so a thread
    would never finish."""
    if settings.reports_function:
        client = Once(lambda: boto3_client("lambda", region_name=settings.aws_region))
        return LambdaJobs(client, settings.reports_function)
    if not settings.on_lambda:
        return InProcessJobs(handlers, journal=journal)
    log.warning("SM_REPORTS_FUNCTION is not set: reports can't be requested")
    return None


def failed_jobs(settings: Settings, jobs: JobQueue | None, own: bool = True) -> FailedJobs | None:
    """Diagnostics' count of jobs that failed every attempt: the on-failure queue when its URL
    is set, the in-process runner's own record locally (unless ``own`` is False), else None
    (not visible from here)."""
    if settings.failure_queue_url:
        from sunday_mining.adapters.sqs_failures import SQS_CONFIG, SqsFailureQueue

        client = Once(
            lambda: boto3_client("sqs", region_name=settings.aws_region, config=SQS_CONFIG)
        )
        return FailedJobs(SqsFailureQueue(client, settings.failure_queue_url).depth)
    if own and isinstance(jobs, InProcessJobs):
        return FailedJobs(jobs.failed_count, in_memory=True)
    return None


def _rest_factory(settings: Settings) -> Callable[[], DiscordRest]:
    """One REST client, made on first use (httpx stays off the interactions cold start).
    Follow-ups need only the interaction token; posting as the bot needs the bot token
    (without one, Discord refuses that route and the follow-up stays the only one)."""

    return Once(lambda: discord_rest(settings))


def discord_rest(settings: Settings) -> DiscordRest:
    """The Discord REST client as the settings configure it (the one place that makes it)."""
    from sunday_mining.adapters.discord_rest import DiscordRest

    return DiscordRest(
        token=settings.discord_bot_token or "",
        application_id=settings.discord_application_id or "",
        base_url=settings.discord_api_base,
    )
