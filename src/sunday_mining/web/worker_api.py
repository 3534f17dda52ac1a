"""The worker's ingest API (docs/worker-protocol.md): lease, heartbeat and voice batches.

Authenticated with an HMAC over the timestamp, the method, the endpoint's path and the raw body,
checked before anything is parsed; the body is read only up to its ceiling. Every endpoint is
idempotent, so a request replayed to the same endpoint inside the window changes nothing.
The request models and the HMAC check load with the first worker request (web/worker_models.py),
not with the app: a cold start answering Discord needs neither.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from sunday_mining import observability
from sunday_mining.container import Services
from sunday_mining.domain.errors import DomainError, StoreError
from sunday_mining.domain.presence import Gap
from sunday_mining.ports.metrics import Metric
from sunday_mining.services.worker import Heartbeat, NotLeaseHolder
from sunday_mining.web.capped_body import read_capped
from sunday_mining.web.offload import Offload, in_thread

if TYPE_CHECKING:
    from sunday_mining.web.worker_models import HeartbeatRequest

log = logging.getLogger("sunday_mining.worker_api")

MAX_BODY_BYTES = 1024 * 1024
PREFIX = "/worker/v1"
OUTDATED = (
    "worker protocol v1 is not accepted any more: upgrade the voice worker to this release "
    "(protocol v2 signs the method and path too)"
)


def _error(status: int, text: str) -> JSONResponse:
    return JSONResponse({"error": text}, status_code=status)


Handler = Callable[[bytes], Awaitable[Response]]


def _count_gaps(beat: HeartbeatRequest) -> None:
    """The worker's blind time since its last heartbeat (gateway down): voice not recorded."""
    seconds = sum(max(0, g.end_ms - g.start_ms) for g in beat.gaps) / 1000
    if seconds:
        observability.emit(Metric("WorkerGapSeconds", "Seconds", seconds))


def worker_router(
    services: Services,
    secret: str,
    wall_clock: Callable[[], float] = time.time,
    offload: Offload = in_thread,
) -> APIRouter:
    router = APIRouter(prefix=PREFIX)

    async def authenticated(
        request: Request, endpoint: str, handle: Callable[[bytes], Any]
    ) -> Response:
        body = await read_capped(request, MAX_BODY_BYTES)
        if body is None:
            return _error(413, "body too large")
        from sunday_mining.ports import worker_protocol as protocol

        now_s = int(wall_clock())
        # The route's own path, not the URL's: a proxy's prefix does not change what is signed.
        if not protocol.verify(
            secret, request.headers, request.method, PREFIX + endpoint, body, now_s
        ):
            return await unauthenticated(request, body, now_s)
        try:
            result = await offload(handle, body)
        except ValidationError:
            return _error(400, "the body does not match the protocol")
        except NotLeaseHolder as refused:
            return _error(409, refused.message)
        except StoreError as failure:
            return _error(503, failure.message)
        except DomainError as refused:
            return _error(400, refused.message)
        return JSONResponse(result)

    async def unauthenticated(request: Request, body: bytes, now_s: int) -> Response:
        from sunday_mining.ports import worker_protocol as protocol

        if not protocol.signed_by_outdated_worker(secret, request.headers, body, now_s):
            return _error(401, "invalid worker signature")
        log.warning("a voice worker of protocol v1 was refused: it must be upgraded")
        # On a store failure the worker hears why all the same; diagnostics miss it this time.
        with contextlib.suppress(StoreError):
            await offload(services.worker.note_outdated_worker)
        return _error(401, OUTDATED)

    @router.post("/lease")
    async def lease(request: Request) -> Response:
        def handle(body: bytes) -> dict[str, Any]:
            from sunday_mining.web.worker_models import LeaseRequest

            asked = LeaseRequest.model_validate_json(body)
            granted = services.worker.acquire(asked.worker_id, asked.ttl_s)
            return {
                "granted": granted.granted,
                "holder": granted.holder,
                "expires_ms": granted.expires_ms,
            }

        return await authenticated(request, "/lease", handle)

    @router.post("/lease/release")
    async def release(request: Request) -> Response:
        def handle(body: bytes) -> dict[str, Any]:
            from sunday_mining.web.worker_models import ReleaseRequest

            asked = ReleaseRequest.model_validate_json(body)
            return {"released": services.worker.release(asked.worker_id)}

        return await authenticated(request, "/lease/release", handle)

    @router.post("/heartbeat")
    async def heartbeat(request: Request) -> Response:
        def handle(body: bytes) -> dict[str, Any]:
            from sunday_mining.web.worker_models import HeartbeatRequest

            beat = HeartbeatRequest.model_validate_json(body)
            _count_gaps(beat)
            # The newest heartbeat is 0 s old now. Published with every beat, the stale-worker
            # alarm sees data every period while the worker lives and none once it stops
            # (missing data breaches); the hourly price refresh publishes the real age too.
            observability.emit(Metric("WorkerHeartbeatAgeSeconds", "Seconds", 0))
            answer = services.worker.heartbeat(
                Heartbeat(
                    worker_id=beat.worker_id,
                    conn=beat.conn,
                    state=beat.state,
                    latency_ms=beat.latency_ms,
                    reconnects_24h=beat.reconnects_24h,
                    guilds=tuple(beat.guilds),
                    gaps=tuple(Gap(g.start_ms, g.end_ms) for g in beat.gaps),
                    voice=beat.stored_voice(),
                    channels=beat.stored_channels(),
                    loop_lag_p99_ms=beat.loop_lag_p99_ms,
                )
            )
            return {
                "lease": {"granted": answer.lease.granted, "expires_ms": answer.lease.expires_ms},
                "presence": answer.presence,
                "watch": answer.watch,
                "server_ms": answer.server_ms,
            }

        return await authenticated(request, "/heartbeat", handle)

    @router.post("/batches")
    async def batches(request: Request) -> Response:
        def handle(body: bytes) -> dict[str, Any]:
            from sunday_mining.web.worker_models import BatchRequest

            batch = BatchRequest.model_validate_json(body)
            services.worker.require_holder(batch.worker_id)
            result = services.voice.record(batch.to_batch())
            log.info(
                "voice batch",
                extra={
                    "guild_id": batch.guild_id,
                    "conn": batch.conn,
                    "batch_seq": batch.batch_seq,
                    "stored": result.stored,
                    "duplicate": result.duplicate,
                    "names_written": result.names_written,
                },
            )
            observability.count("VoiceEventsIngested", result.stored)
            if result.corrections:
                observability.count("ReconcileCorrections", result.corrections)
            return {
                "duplicate": result.duplicate,
                "stored": result.stored,
                "ignored": dict(result.ignored),
            }

        return await authenticated(request, "/batches", handle)

    return router
