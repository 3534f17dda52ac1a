"""The async job port: work that may outlast Discord's 3-second deadline.

An interaction hands a job over *before* its response returns (a Lambda is frozen the moment it
answers, so nothing may be left running in the background). Jobs are idempotent by ``key``: the
runner may deliver one twice, and the job itself must make the second delivery harmless.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Job:
    kind: str
    key: str
    payload: dict[str, Any] = field(default_factory=dict)


class JobQueue(ABC):
    @abstractmethod
    def submit(self, job: Job) -> None:
        """Accept the job for later execution; raise JobsUnavailable if it cannot be accepted."""
