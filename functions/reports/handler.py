"""Lambda entrypoint for payroll reports (invoked asynchronously by the interactions function)."""

from __future__ import annotations

from typing import Any

from sunday_mining.entrypoints.reports_lambda import reports_handler


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return reports_handler(event, context)
