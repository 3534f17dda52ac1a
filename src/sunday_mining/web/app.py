"""The HTTP app: health now; interactions, worker ingest and report links hang off it."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from sunday_mining import __version__
from sunday_mining.bootstrap import Services
from sunday_mining.domain.errors import StoreError


def create_app(services: Services) -> FastAPI:
    app = FastAPI(title="Sunday Mining", version=__version__, docs_url=None, redoc_url=None)
    app.state.services = services

    @app.get("/health")
    def health() -> JSONResponse:
        try:
            services.store.get(("META", "SCHEMA"))
        except StoreError as error:
            return JSONResponse({"status": "unavailable", "store": error.message}, status_code=503)
        return JSONResponse({"status": "ok", "version": __version__})

    return app
