"""The composition root of the pricing-refresh Lambda: settings → store, UEX client → service.

Kept apart from the interactions function's root so that httpx never loads on its path.
Settings: the store's, ``uex_api_token`` (optional: the public price endpoints need none; on AWS
it comes from the ``SM_SECRETS_ARN`` secret) and ``uex_base_url`` (optional).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from sunday_mining import observability
from sunday_mining.adapters.aws_secrets import load_secrets
from sunday_mining.adapters.system_clock import SystemClock
from sunday_mining.adapters.uex import DEFAULT_BASE_URL, UexClient
from sunday_mining.config import Settings
from sunday_mining.domain.clock import Clock
from sunday_mining.entrypoints.factories import build_store
from sunday_mining.ports.metrics import Metric
from sunday_mining.ports.store import Store
from sunday_mining.services.prices import PriceService, RefreshOutcome
from sunday_mining.services.worker import worker_freshness

log = logging.getLogger(__name__)

# The service and the store it was built on (for the worker's heartbeat), once per cold start.
_built: tuple[PriceService, Store] | None = None
_clock: Clock = SystemClock()


def uex_client_factory(
    settings: Settings, http: httpx.Client | None = None
) -> Callable[[], UexClient]:
    """A factory of UEX clients sharing one connection pool."""
    base_url = settings.uex_base_url or DEFAULT_BASE_URL
    pool = http or httpx.Client()
    return lambda: UexClient(pool, base_url=base_url, token=settings.uex_api_token)


def build_price_service(
    store: Store, clock: Clock, settings: Settings, http: httpx.Client | None = None
) -> PriceService:
    return PriceService(store, clock, uex_client_factory(settings, http))


def pricing_refresh_handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """One scheduled refresh; the outcome is stored by the service and returned small."""
    global _built  # noqa: PLW0603 - reused by a warm container
    if _built is None:
        settings = Settings.from_env(secrets=load_secrets())  # once per cold start
        observability.configure_lambda("pricing-refresh", settings.log_level, settings.stack_name)
        store = build_store(settings)
        _built = (build_price_service(store, _clock, settings), store)
    service, store = _built
    outcome = service.refresh()
    publish_metrics(service, outcome, store, _clock.now_ms())
    return {
        "ok": outcome.ok,
        "reason": outcome.reason,
        "fetched_ms": outcome.fetched_ms,
        "game_version": outcome.game_version,
        "priced": outcome.priced,
        "missing": len(outcome.missing),
    }


def publish_metrics(
    prices: PriceService, outcome: RefreshOutcome, store: Store | None, now_ms: int
) -> None:
    """The refresh outcome and the two freshness ages the stack's alarms watch.

    The worker's heartbeat age is published here because this function runs on a schedule
    whether or not anyone uses the app; a worker that never reported publishes nothing, which
    the alarm counts as breaching.
    """
    observability.count("PriceRefreshes", Outcome="ok" if outcome.ok else "failed")
    ages = [Metric("PriceSnapshotAgeSeconds", "Seconds", prices.current().age_ms(now_ms) / 1000)]
    heartbeat_ms = worker_freshness(store, now_ms).age_ms if store is not None else None
    if heartbeat_ms is not None:
        ages.append(Metric("WorkerHeartbeatAgeSeconds", "Seconds", heartbeat_ms / 1000))
    observability.emit(*ages)
    log.info(
        "price refresh",
        extra={"ok": outcome.ok, "reason": outcome.reason, "priced": outcome.priced},
    )
