"""Lambda entrypoint for the scheduled UEX price refresh (EventBridge Scheduler)."""

from __future__ import annotations

from typing import Any

from sunday_mining.entrypoints.pricing_lambda import pricing_refresh_handler


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return pricing_refresh_handler(event, context)
