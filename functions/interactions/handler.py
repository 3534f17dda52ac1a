"""Lambda entrypoint for Discord interactions, worker ingest and report links."""

from sunday_mining.aws_root import interactions_handler as handler

__all__ = ["handler"]
