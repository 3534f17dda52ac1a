"""Lambda entrypoint for refinery job notices (EventBridge Scheduler: a job's one-time schedule,
and the periodic sweep)."""

from __future__ import annotations

from typing import Any

from sunday_mining.entrypoints.refinery_lambda import refinery_notices_handler


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return refinery_notices_handler(event, context)
