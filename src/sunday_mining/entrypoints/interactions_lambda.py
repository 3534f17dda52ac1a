"""The composition root of the Lambda functions: settings → adapters → services → handler.

Built once per cold start and reused by every invocation of a warm container.
"""

from __future__ import annotations

from typing import Any

_interactions: Any = None


def interactions_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _interactions  # noqa: PLW0603 - the cached app is the point of a warm container
    if _interactions is None:
        from mangum import Mangum

        from sunday_mining import observability
        from sunday_mining.adapters.aws_secrets import load_secrets
        from sunday_mining.config import Settings
        from sunday_mining.entrypoints.factories import build_from_settings
        from sunday_mining.web.app import create_app_from_settings

        settings = Settings.from_env(secrets=load_secrets())  # once per cold start
        observability.configure_lambda("interactions", settings.log_level, settings.stack_name)
        from sunday_mining.web.offload import inline

        # One event at a time per container: handlers run on the loop (web/offload.py).
        app = create_app_from_settings(build_from_settings(settings), settings, offload=inline)
        _interactions = observability.lambda_entry(Mangum(app, lifespan="off"))
    response: dict[str, Any] = _interactions(event, context)
    return response
