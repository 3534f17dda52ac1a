"""POST /interactions: verify the signature on the raw bytes, parse, dispatch, answer inline."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from sunday_mining.bootstrap import Services
from sunday_mining.interactions.payload import BadPayload, parse
from sunday_mining.interactions.responses import error
from sunday_mining.interactions.router import dispatch
from sunday_mining.web.signature import SignatureVerifier

log = logging.getLogger("sunday_mining.interactions")

# Discord's own payloads are a few KB even with resolved data; anything far bigger is not one.
MAX_BODY_BYTES = 256 * 1024
FAILED = "Something went wrong on our side and it has been logged; please try again."


async def _read_capped(request: Request) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def interactions_router(
    services: Services, verifier: SignatureVerifier, wall_clock: Callable[[], float] = time.time
) -> APIRouter:
    router = APIRouter()

    @router.post("/interactions")
    async def interactions(request: Request) -> Response:
        body = await _read_capped(request)
        if body is None:
            return JSONResponse({"error": "body too large"}, status_code=413)
        signed = verifier.verify(
            request.headers.get("x-signature-ed25519"),
            request.headers.get("x-signature-timestamp"),
            body,
            now_s=int(wall_clock()),
        )
        if not signed:
            return JSONResponse({"error": "invalid request signature"}, status_code=401)
        try:
            interaction = parse(json.loads(body))
        except (ValueError, BadPayload):
            return JSONResponse({"error": "not an interaction"}, status_code=400)
        started = time.perf_counter()
        try:
            answer = await run_in_threadpool(dispatch, interaction, services)
            outcome = "ok" if answer.get("data", {}).get("flags") is None else "ephemeral"
        except Exception:
            # A bug must still get an answer inside Discord's deadline, not "interaction failed".
            log.exception("interaction failed", extra={"interaction_id": interaction.id})
            services.errors.record("unexpected")
            answer, outcome = error(FAILED), "error"
        log.info(
            "interaction",
            extra={
                "interaction_id": interaction.id,
                "interaction_type": int(interaction.type),
                "command": interaction.path or interaction.custom_id.split(":")[:2],
                "guild_id": interaction.guild_id,
                "outcome": outcome,
                "latency_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return JSONResponse(answer)

    return router
