"""Lambda entrypoint for Discord interactions, worker ingest and report links."""

from sunday_mining.entrypoints.interactions_lambda import interactions_handler as handler

__all__ = ["handler"]
