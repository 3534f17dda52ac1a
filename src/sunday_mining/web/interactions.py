"""POST /interactions: verify the signature on the raw bytes, parse, dispatch, answer inline."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from sunday_mining import observability
from sunday_mining.container import Services
from sunday_mining.interactions import custom_ids
from sunday_mining.interactions.payload import BadPayload, Interaction, InteractionType, parse
from sunday_mining.interactions.responses import error
from sunday_mining.interactions.router import dispatch
from sunday_mining.ports.metrics import Metric
from sunday_mining.web.capped_body import read_capped
from sunday_mining.web.offload import Offload, in_thread
from sunday_mining.web.signature import SignatureVerifier

log = logging.getLogger("sunday_mining.interactions")

# Discord's own payloads are a few KB even with resolved data; anything far bigger is not one.
MAX_BODY_BYTES = 256 * 1024
FAILED = "Something went wrong on our side and it has been logged; please try again."


def interactions_router(
    services: Services,
    verifier: SignatureVerifier,
    wall_clock: Callable[[], float] = time.time,
    offload: Offload = in_thread,
) -> APIRouter:
    router = APIRouter()

    @router.post("/interactions")
    async def interactions(request: Request) -> Response:
        body = await read_capped(request, MAX_BODY_BYTES)
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
        # RecursionError: a signed body nested a thousand deep is malformed, not a crash.
        except (ValueError, RecursionError, BadPayload):
            return JSONResponse({"error": "not an interaction"}, status_code=400)
        command = command_label(interaction)
        with observability.correlated(
            interaction_id=interaction.id, guild_id=interaction.guild_id, command=command
        ):
            answer = await _answer(interaction, command, services, offload)
        return JSONResponse(answer)

    return router


async def _answer(
    interaction: Interaction, command: str, services: Services, offload: Offload
) -> dict[str, Any]:
    """Dispatch off the event loop; log and count the outcome (never the token or the body)."""
    started = time.perf_counter()
    try:
        answer = await offload(dispatch, interaction, services)
        outcome = "ok" if answer.get("data", {}).get("flags") is None else "ephemeral"
    except Exception:
        # A bug must still get an answer inside Discord's deadline, not "interaction failed".
        log.exception("interaction failed")
        services.errors.record("unexpected")
        answer, outcome = error(FAILED), "error"
    latency_ms = round((time.perf_counter() - started) * 1000, 1)
    log.info(
        "interaction",
        extra={
            "interaction_id": interaction.id,
            "interaction_type": int(interaction.type),
            "command": command,
            "guild_id": interaction.guild_id,
            "outcome": outcome,
            "latency_ms": latency_ms,
        },
    )
    # Every distinct dimension set is a billed custom metric: the count is per command (slash
    # commands by path, every button, select or form as one), the latency per outcome only.
    observability.emit(
        Metric("Interactions", "Count", 1),
        Command=metric_command(interaction, command),
        Outcome=outcome,
    )
    observability.emit(Metric("InteractionLatency", "Milliseconds", latency_ms), Outcome=outcome)
    return answer


def metric_command(interaction: Interaction, label: str) -> str:
    """The Command dimension: a slash command's path, else the kind of interaction."""
    if interaction.type is InteractionType.MESSAGE_COMPONENT:
        return "component"
    if interaction.type is InteractionType.MODAL_SUBMIT:
        return "modal"
    if interaction.type is InteractionType.AUTOCOMPLETE:
        return "autocomplete"
    return label


def command_label(interaction: Interaction) -> str:
    """A low-cardinality name for metrics and logs: the command path, or the component's
    action (its custom id's arguments are ids, which would make a dimension per click)."""
    if interaction.type is InteractionType.PING:
        return "ping"
    if interaction.path:
        return interaction.path
    parsed = custom_ids.parse(interaction.custom_id)
    return f"{custom_ids.PREFIX}:{parsed.action}" if parsed else "unknown component"
