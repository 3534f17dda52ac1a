"""One-time timers for refinery jobs: a job's notice at its due time.

On AWS an EventBridge Scheduler schedule per job (``adapters/eventbridge_schedules.py``);
locally nothing to set, because ``serve``'s timer looks for due jobs every minute
(``adapters/local_schedules.py``). A timer is only a prompt: the store says whether a notice
is due, so a timer that fires twice, late or never costs nothing but latency (the periodic
sweep catches a lost one).
"""

from __future__ import annotations

from typing import Protocol


class JobTimers(Protocol):
    def set(self, guild_id: str, job_id: str, *, at_ms: int) -> None:
        """Fire once at ``at_ms`` (epoch ms) for the job. A timer it still has may be refused
        (clear it first): the caller waits on one call, never on a replacement."""
        ...

    def clear(self, guild_id: str, job_id: str) -> None:
        """Remove the job's timer; a timer that is gone already is fine."""
        ...
