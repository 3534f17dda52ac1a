"""The composition root: wires adapters to services. Entrypoints call this and nothing else."""

from __future__ import annotations

from dataclasses import dataclass

from sunday_mining.config import Settings
from sunday_mining.domain.clock import Clock
from sunday_mining.ports.store import Store
from sunday_mining.services.guilds import GuildService
from sunday_mining.services.prices import PriceService
from sunday_mining.services.sessions import SessionService
from sunday_mining.services.summary import SummaryService
from sunday_mining.services.sweeps import AdhocSweeper
from sunday_mining.services.voice import VoiceIngestService
from sunday_mining.services.worker import WorkerService


@dataclass(frozen=True)
class Services:
    store: Store
    clock: Clock
    guilds: GuildService
    sessions: SessionService
    summaries: SummaryService
    voice: VoiceIngestService
    worker: WorkerService
    prices: PriceService


def build_services(store: Store, clock: Clock) -> Services:
    guilds = GuildService(store, clock)
    sessions = SessionService(store, clock, guilds)
    summaries = SummaryService(store, clock, guilds, sessions)
    sweeper = AdhocSweeper(clock, guilds, sessions, summaries)
    return Services(
        store=store,
        clock=clock,
        guilds=guilds,
        sessions=sessions,
        summaries=summaries,
        voice=VoiceIngestService(store, clock, sessions),
        worker=WorkerService(store, clock, guilds, sessions, sweeper),
        prices=PriceService(store, clock),
    )


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


def build_from_settings(settings: Settings) -> Services:
    from sunday_mining.adapters.system_clock import SystemClock

    return build_services(build_store(settings), SystemClock())
