"""The embedded default's job timers: nothing to set. ``serve`` runs one in-process timer that
looks for due refinery jobs every minute (``entrypoints/local_server.RefineryTimer``), so a
job's own timer would only repeat what that sweep does."""

from __future__ import annotations


class SweptTimers:
    """:class:`~sunday_mining.ports.schedules.JobTimers` for a process whose sweep runs often."""

    def set(self, guild_id: str, job_id: str, *, at_ms: int) -> None:
        return None

    def clear(self, guild_id: str, job_id: str) -> None:
        return None
