"""The composition root: wires adapters to services. Entrypoints call this and nothing else.

The payroll, report and diagnostics services are made on first use: a cold start that answers
a worker heartbeat, a PING or /mining status never imports the payroll engine, the report code
or the checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from sunday_mining.config import Settings
from sunday_mining.container import Once, ReportSetup, Services
from sunday_mining.domain.clock import Clock
from sunday_mining.domain.errors import DiscordUnavailable
from sunday_mining.ports.discord import DirectMessenger
from sunday_mining.ports.schedules import JobTimers
from sunday_mining.ports.store import Store
from sunday_mining.services.diagnostic_probes import Check, FailedJobs, Probes, Status
from sunday_mining.services.errors import ErrorLog
from sunday_mining.services.guilds import GuildService
from sunday_mining.services.handles import Handles
from sunday_mining.services.job_kinds import (
    NOTICE_JOB,
    PAYOUT_NOTICE_JOB,
    REPORT_JOB,
    UNPAID_REMINDER_JOB,
)
from sunday_mining.services.member_prefs import MemberPrefs
from sunday_mining.services.names import MemberNames
from sunday_mining.services.notices import Notices
from sunday_mining.services.prices import PriceService
from sunday_mining.services.replays import SeenInteractions
from sunday_mining.services.sessions import SessionService
from sunday_mining.services.summary import SummaryService
from sunday_mining.services.sweeps import AdhocSweeper
from sunday_mining.services.voice import VoiceIngestService
from sunday_mining.services.worker import WorkerService

if TYPE_CHECKING:  # loaded on first use (see Services.payroll, .reports and .diagnostics)
    from sunday_mining.ports.jobs import Job
    from sunday_mining.reports.service import ReportService
    from sunday_mining.services.books import Books
    from sunday_mining.services.diagnostics import DiagnosticsService
    from sunday_mining.services.payout_notices import PayoutNotices
    from sunday_mining.services.payroll import PayrollService
    from sunday_mining.services.refinery import RefineryService
    from sunday_mining.services.unpaid_reminder import UnpaidReminder

__all__ = ["Once", "ReportSetup", "Services", "build_from_settings", "build_services"]


def build_services(
    store: Store,
    clock: Clock,
    probes: Probes | None = None,
    reports: ReportSetup | None = None,
    refinery_timers: JobTimers | None = None,
) -> Services:
    guilds = GuildService(store, clock)
    sessions = SessionService(store, clock, guilds)
    summaries = SummaryService(store, clock, guilds, sessions)
    sweeper = AdhocSweeper(clock, guilds, sessions, summaries)
    prices = PriceService(store, clock)
    errors = ErrorLog(store, clock)
    names = MemberNames(store, clock)
    probes = probes or Probes(schema_problems=list, discord_configured=False)

    def make_payroll() -> PayrollService:
        from sunday_mining.services.payroll import PayrollService

        return PayrollService(store, clock, guilds, sessions, summaries, prices)

    payroll = Once(make_payroll)

    def make_refinery() -> RefineryService:
        from sunday_mining.services.refinery import Announcing, NoticePoster, RefineryService

        # The bot's REST client (DiscordRest) also pings the owner and sends direct messages.
        poster = cast(
            "Callable[[], NoticePoster] | None",
            reports.channel_poster if reports is not None else None,
        )
        announcing = Announcing(
            timers=refinery_timers,
            prefs=MemberPrefs(store, clock),
            messenger=_direct_messenger(poster),
            errors=errors,
        )
        return RefineryService(store, clock, guilds, sessions, prices, poster, announcing)

    refinery = Once(make_refinery)
    report_service = _report_service(
        store, clock, guilds, sessions, summaries, payroll, names, reports, refinery
    )
    notices = (
        Notices(store, clock, guilds, reports.jobs, reports.channel_poster)
        if reports is not None and reports.channel_poster is not None
        else None
    )
    if report_service is not None and probes.reports is None:
        probes = replace(probes, reports=_report_probe(report_service))
    return Services(
        store=store,
        clock=clock,
        guilds=guilds,
        sessions=sessions,
        summaries=summaries,
        voice=VoiceIngestService(store, clock, sessions, names),
        names=names,
        seen=SeenInteractions(store, clock),
        handles=Handles(store, clock),
        prefs=MemberPrefs(store, clock),
        worker=WorkerService(
            store,
            clock,
            guilds,
            sessions,
            sweeper.sweep,
            on_adhoc_stopped=notices.adhoc_stopped if notices else None,
        ),
        notices=notices,
        prices=prices,
        errors=errors,
        make_diagnostics=Once(
            lambda: _diagnostics_class()(store, clock, guilds, sessions, prices, errors, probes)
        ),
        make_payroll=payroll,
        make_books=Once(lambda: _books_class()(store, sessions, summaries)),
        make_refinery=refinery,
        make_reports=report_service,
        make_payout_notices=_payout_notices(store, clock, guilds, payroll, reports),
        make_unpaid_reminder=_unpaid_reminder(store, clock, guilds, sessions, summaries, reports),
    )


def _payout_notices(
    store: Store,
    clock: Clock,
    guilds: GuildService,
    payroll: Callable[[], PayrollService],
    setup: ReportSetup | None,
) -> Callable[[], PayoutNotices] | None:
    """Payout notices, made on first use (None when Discord can't be reached as the bot)."""
    if setup is None or setup.messenger is None:
        return None
    messenger = setup.messenger

    def make() -> PayoutNotices:
        from sunday_mining.services.payout_notices import PayoutNotices

        prefs, handles = MemberPrefs(store, clock), Handles(store, clock)
        return PayoutNotices(
            store,
            clock,
            guilds,
            prefs,
            handles,
            payroll,
            setup.jobs,
            messenger,
            sole_sender=setup.sole_sender,
        )

    return Once(make)


def _books_class() -> type[Books]:
    from sunday_mining.services.books import Books

    return Books


def _diagnostics_class() -> type[DiagnosticsService]:
    from sunday_mining.services.diagnostics import DiagnosticsService

    return DiagnosticsService


def _report_probe(reports: Callable[[], ReportService]) -> Callable[[], Check]:
    def check() -> Check:
        status, value, fix = reports().health()
        return Check("Reports", Status(status), value, fix)

    return check


def _report_service(
    store: Store,
    clock: Clock,
    guilds: GuildService,
    sessions: SessionService,
    summaries: SummaryService,
    payroll: Callable[[], PayrollService],
    names: MemberNames,
    setup: ReportSetup | None,
    refinery: Callable[[], RefineryService],
) -> Callable[[], ReportService] | None:
    """The report service, made on first use (None without reports)."""
    if setup is None:
        return None

    def make() -> ReportService:
        from sunday_mining.observability import CurrentMetrics
        from sunday_mining.reports.files import render_files
        from sunday_mining.reports.service import ReportService

        return ReportService(
            store,
            clock,
            guilds,
            sessions,
            summaries,
            payroll(),
            blobs=setup.blobs,
            links=setup.links,
            lookup_names=names.lookup,
            lookup_handles=Handles(store, clock).lookup,
            jobs=setup.jobs,
            renderer=render_files,
            metrics=CurrentMetrics(),
            deliverer=setup.deliverer,
            sole_sender=setup.sole_sender,
            session_jobs=lambda guild_id, session_id: refinery().of_session(guild_id, session_id),
        )

    return Once(make)


def _unpaid_reminder(
    store: Store,
    clock: Clock,
    guilds: GuildService,
    sessions: SessionService,
    summaries: SummaryService,
    setup: ReportSetup | None,
) -> Callable[[], UnpaidReminder] | None:
    """The weekly reminder of unpaid lines, made on first use (None: nothing posts as the bot)."""
    if setup is None or setup.channel_poster is None:
        return None
    poster = setup.channel_poster

    def make() -> UnpaidReminder:
        from sunday_mining.services.unpaid_reminder import UnpaidReminder

        books = Once(lambda: _books_class()(store, sessions, summaries))
        return UnpaidReminder(store, clock, guilds, books, Handles(store, clock), poster)

    return Once(make)


def build_store(settings: Settings) -> Store:
    """The configured store adapter (imports boto3 only when DynamoDB is asked for)."""
    if settings.store == "dynamodb":
        import boto3

        from sunday_mining.adapters.dynamodb_store import DynamoDbStore

        client = boto3.client(
            "dynamodb", region_name=settings.aws_region, endpoint_url=settings.dynamodb_endpoint
        )
        return DynamoDbStore(client, settings.table_name)
    from sunday_mining.adapters.sqlite_store import SqliteStore

    settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteStore(settings.sqlite_path)


def build_from_settings(
    settings: Settings,
    clock: Clock | None = None,
    *,
    run_jobs: bool = True,
    own_failures: bool = True,
    store: Store | None = None,
) -> Services:
    """``clock``: the system clock unless given (the demo plays a compressed op on its own).
    ``run_jobs`` is False in the reports function, which runs report jobs rather than asks.
    ``own_failures`` is False for a process that runs no jobs worth counting (the status CLI):
    diagnostics then shows no in-memory failed-jobs line, which would always read empty.
    ``store``: one the root opened already (serve shares one with its timers)."""
    from sunday_mining.adapters.jobs import JobHandler
    from sunday_mining.adapters.system_clock import SystemClock
    from sunday_mining.entrypoints.report_factories import failed_jobs, report_setup

    store = store or build_store(settings)
    clock = clock or SystemClock()
    handlers: dict[str, JobHandler] = {}
    setup = report_setup(settings, clock, handlers, run_jobs=run_jobs, journal=store)
    jobs = setup.jobs if setup else None
    probes = build_probes(settings, store, failed_jobs=failed_jobs(settings, jobs, own_failures))
    services = build_services(store, clock, probes, setup, refinery_timers(settings, clock))
    if services.make_reports is not None:
        make_reports = services.make_reports
        handlers[REPORT_JOB] = lambda job: make_reports().run_job(job)
    if services.notices is not None:
        handlers[NOTICE_JOB] = services.notices.run_job
    if (make_notices := services.make_payout_notices) is not None:
        handlers[PAYOUT_NOTICE_JOB] = lambda job: make_notices().run_job(job)
    if (make_reminder := services.make_unpaid_reminder) is not None:

        def remind(_: Job) -> None:
            make_reminder().remind_all()

        handlers[UNPAID_REMINDER_JOB] = remind
    return services


def build_probes(
    settings: Settings, store: Store, *, failed_jobs: FailedJobs | None = None
) -> Probes:
    """Diagnostics' view of what lies outside the services; every probe imports lazily, so
    none of this weighs on a cold start. ``failed_jobs``: see report_wiring.failed_jobs."""

    def schema_problems() -> list[str]:
        from sunday_mining.schema.health import check_health

        if settings.store == "dynamodb":
            from sunday_mining.adapters.schema_inspect import describe_dynamodb
            from sunday_mining.entrypoints.report_factories import boto3_client

            # In a diagnostics thread, beside the S3 and SQS checks: one client at a time.
            client = boto3_client(
                "dynamodb", region_name=settings.aws_region, endpoint_url=settings.dynamodb_endpoint
            )
            return check_health(describe_dynamodb(client, settings.table_name, store))
        from sunday_mining.adapters.schema_inspect import describe_sqlite

        return check_health(describe_sqlite(settings.sqlite_path, store))

    token, app_id = settings.discord_bot_token, settings.discord_application_id

    def rest() -> Any:
        from sunday_mining.entrypoints.report_factories import discord_rest

        return discord_rest(settings)

    def bot_name() -> str:
        return str(rest().current_user().get("username", "bot"))

    def commands_current() -> bool:
        from sunday_mining.interactions.commands import command_json, same_commands

        return same_commands(rest().commands(), command_json())

    return Probes(
        schema_problems=schema_problems,
        discord_configured=bool(app_id and settings.discord_public_key),
        discord_token=bot_name if token and app_id else None,
        commands_current=commands_current if token and app_id else None,
        failed_jobs=failed_jobs,
    )


# --- refinery jobs: the owner's direct message and the job timers ---------------------------


def _direct_messenger(poster: Callable[[], Any] | None) -> Callable[[], DirectMessenger] | None:
    """The bot's REST client as a DirectMessenger; a build whose client lacks that call
    answers DiscordUnavailable when a message is due (logged and counted, never raised)."""
    if poster is None:
        return None

    def messenger() -> DirectMessenger:
        client = poster()
        if not callable(getattr(client, "send_direct_message", None)):
            raise DiscordUnavailable("This build's Discord client sends no direct messages.")
        return cast("DirectMessenger", client)

    return messenger


def refinery_timers(settings: Settings, clock: Clock) -> JobTimers:
    """EventBridge Scheduler schedules when the template named their group, role and target;
    otherwise none (``serve``'s sweep every minute stands in for them)."""
    group = settings.refinery_schedule_group
    role = settings.refinery_scheduler_role_arn
    target = settings.refinery_notices_function_arn
    if group and role and target:
        from sunday_mining.adapters.eventbridge_schedules import (
            SCHEDULER_CONFIG,
            EventBridgeTimers,
            ScheduleTarget,
        )
        from sunday_mining.entrypoints.report_factories import boto3_client

        client = Once(
            lambda: boto3_client(
                "scheduler", region_name=settings.aws_region, config=SCHEDULER_CONFIG
            )
        )
        return EventBridgeTimers(client, ScheduleTarget(group, target, role), clock.now_ms)
    from sunday_mining.adapters.local_schedules import SweptTimers

    return SweptTimers()
