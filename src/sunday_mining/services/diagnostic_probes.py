"""What /mining diagnostics reports (``Check``, ``Status``) and what only the composition root
can hand it (``Probes``): light, so that the root can wire them without loading the checks
themselves (services/diagnostics.py), which are made with the first /mining diagnostics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    area: str
    status: Status
    value: str
    fix: str | None = None


@dataclass(frozen=True)
class FailedJobs:
    """The jobs that failed every attempt and wait for someone: on AWS the on-failure queue;
    locally the in-process runner's own record, held in memory (a restart forgets it)."""

    count: Callable[[], int]  # raises a DomainError when it can't be read
    in_memory: bool = False


@dataclass(frozen=True)
class Probes:
    """What only the composition root can see: the live table, Discord, the report store, the
    on-failure queue."""

    schema_problems: Callable[[], list[str]]
    discord_configured: bool
    discord_token: Callable[[], str] | None = None  # returns the bot's name; raises if refused
    commands_current: Callable[[], bool] | None = None
    reports: Callable[[], Check] | None = None
    failed_jobs: FailedJobs | None = None  # None: no queue this process can see, so no line
