"""The composition root of the pricing-refresh Lambda: settings → store, UEX client → service.

Kept apart from :mod:`sunday_mining.aws_root` so that httpx never loads on the interactions
path. Environment: ``SM_STORE``, ``SM_TABLE_NAME`` (and the other store settings of
:class:`~sunday_mining.config.Settings`), ``UEX_API_TOKEN`` (optional: the public price
endpoints need none; on AWS it comes from the ``SM_SECRETS_ARN`` secret), ``UEX_BASE_URL``
(optional).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from sunday_mining import observability
from sunday_mining.adapters.system_clock import SystemClock
from sunday_mining.adapters.uex import DEFAULT_BASE_URL, UexClient
from sunday_mining.aws_secrets import load_into_env_once
from sunday_mining.bootstrap import build_store
from sunday_mining.config import Settings
from sunday_mining.domain.clock import Clock
from sunday_mining.ports.store import Store
from sunday_mining.services.prices import PriceService, RefreshOutcome
from sunday_mining.services.worker import worker_freshness

log = logging.getLogger(__name__)

_service: PriceService | None = None
# The store _service was built on, to read the worker's heartbeat (None for a service handed in).
_built_on: tuple[PriceService, Store] | None = None
_clock: Clock = SystemClock()


def uex_client_factory(
    env: Mapping[str, str], http: httpx.Client | None = None
) -> Callable[[], UexClient]:
    """A factory of UEX clients sharing one connection pool, configured from ``env``."""
    base_url = env.get("UEX_BASE_URL") or DEFAULT_BASE_URL
    token = env.get("UEX_API_TOKEN") or None
    pool = http or httpx.Client()
    return lambda: UexClient(pool, base_url=base_url, token=token)


def build_price_service(
    store: Store, clock: Clock, env: Mapping[str, str], http: httpx.Client | None = None
) -> PriceService:
    return PriceService(store, clock, uex_client_factory(env, http))


def pricing_refresh_handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """One scheduled refresh; the outcome is stored by the service and returned small."""
    global _service, _built_on  # noqa: PLW0603 - reused by a warm container
    if _service is None:
        load_into_env_once()  # UEX_API_TOKEN from SM_SECRETS_ARN, once per cold start
        settings = Settings.from_env()
        observability.configure_lambda("pricing-refresh", settings.log_level)
        store = build_store(settings)
        _service = build_price_service(store, _clock, os.environ)
        _built_on = (_service, store)
    outcome = _service.refresh()
    store_now = _built_on[1] if _built_on and _built_on[0] is _service else None
    publish_metrics(_service, outcome, store_now, _clock.now_ms())
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
    ages = [
        observability.Metric(
            "PriceSnapshotAgeSeconds", "Seconds", prices.current().age_ms(now_ms) / 1000
        )
    ]
    heartbeat_ms = worker_freshness(store, now_ms).age_ms if store is not None else None
    if heartbeat_ms is not None:
        ages.append(
            observability.Metric("WorkerHeartbeatAgeSeconds", "Seconds", heartbeat_ms / 1000)
        )
    observability.emit(*ages)
    log.info(
        "price refresh",
        extra={"ok": outcome.ok, "reason": outcome.reason, "priced": outcome.priced},
    )
