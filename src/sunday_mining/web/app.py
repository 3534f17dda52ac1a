"""The HTTP app: health now; interactions, worker ingest and report links hang off it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from sunday_mining import __version__
from sunday_mining.config import Settings
from sunday_mining.container import Services
from sunday_mining.domain.errors import StoreError
from sunday_mining.web.interactions import interactions_router
from sunday_mining.web.offload import Offload, in_thread
from sunday_mining.web.signature import SignatureVerifier


def create_app(
    services: Services,
    *,
    public_key_hex: str | None,
    signature_max_age_s: int | None = 300,
    worker_secret: str | None = None,
    wall_clock: Callable[[], float] = time.time,
    offload: Offload = in_thread,
) -> FastAPI:
    """The app. Without a public key it serves health only (and says so in the log).
    ``offload``: how routes run blocking work (see web/offload.py; Lambda passes ``inline``)."""
    # No API description either: the routes are Discord's, the worker's and a link's, not a
    # public API, and a map of them helps nobody but a prober.
    app = FastAPI(
        title="Sunday Mining",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.services = services
    if public_key_hex:
        verifier = SignatureVerifier(public_key_hex, max_age_s=signature_max_age_s)
        app.include_router(interactions_router(services, verifier, wall_clock, offload))
    else:
        logging.getLogger(__name__).warning(
            "DISCORD_PUBLIC_KEY is not set: /interactions is disabled"
        )
    if worker_secret:
        from sunday_mining.web.worker_api import worker_router

        app.include_router(worker_router(services, worker_secret, wall_clock, offload))

    if services.make_reports is not None:
        from sunday_mining.web.reports import books_router, reports_router

        app.include_router(reports_router(services.make_reports))
        app.include_router(books_router(services))

    @app.get("/health")
    def health() -> JSONResponse:
        try:
            services.store.get(("META", "SCHEMA"))
        except StoreError as error:
            return JSONResponse({"status": "unavailable", "store": error.message}, status_code=503)
        return JSONResponse({"status": "ok", "version": __version__})

    return app


def create_app_from_settings(
    services: Services, settings: Settings, *, offload: Offload = in_thread
) -> FastAPI:
    return create_app(
        services,
        public_key_hex=settings.discord_public_key,
        signature_max_age_s=settings.signature_max_age_s,
        worker_secret=settings.worker_secret,
        offload=offload,
    )
