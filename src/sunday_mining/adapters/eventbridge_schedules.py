"""Refinery job timers on AWS: one EventBridge Scheduler schedule per job, ``at(...)`` its due
time, in the stack's schedule group, invoking the refinery notices function with the role the
template made for that alone. A fired schedule deletes itself (``ActionAfterCompletion``).

Schedule names are ``rj-<guild>-<job>`` (at most 49 characters, inside Scheduler's 64), so
replacing or deleting needs nothing but the ids.

Every call is made while a member waits for the interaction's answer (3 seconds in all), so each
is one attempt with short timeouts and none is tried again here: a timer that fails is logged
and counted by the service, and the periodic sweep sends its notice.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.config import Config

from sunday_mining.domain.errors import SchedulerUnavailable

# At most 1.5 s per call (connect 0.5 s, read 1 s), one attempt: botocore's retries would
# multiply it inside the 3-second answer.
SCHEDULER_CONFIG = Config(connect_timeout=0.5, read_timeout=1.0, retries={"total_max_attempts": 1})
NOTICE_SOURCE = "sunday-mining.schedule"
NOTICE_JOB = "refinery-notice"
# Scheduler refuses an at() in the past; a due time that has come already fires a minute on.
_SOONEST_MS = 60_000


@dataclass(frozen=True)
class ScheduleTarget:
    group: str
    function_arn: str
    role_arn: str


class EventBridgeTimers:
    def __init__(
        self,
        client: Callable[[], Any],
        target: ScheduleTarget,
        now_ms: Callable[[], int],
    ) -> None:
        self._client = client
        self._target = target
        self._now_ms = now_ms

    def set(self, guild_id: str, job_id: str, *, at_ms: int) -> None:
        """One create call. A timer from before (ConflictException: the service clears it
        first, so only when two edits raced) is not replaced here, which would be two more
        calls inside the answer: it fires for a due time the store no longer has, which sends
        nothing, and the sweep sends the notice of the new one."""
        request = self._request(guild_id, job_id, max(at_ms, self._now_ms() + _SOONEST_MS))
        try:
            self._client().create_schedule(**request)
        except Exception as error:
            raise SchedulerUnavailable(_explain(error)) from None

    def clear(self, guild_id: str, job_id: str) -> None:
        try:
            self._client().delete_schedule(
                Name=schedule_name(guild_id, job_id), GroupName=self._target.group
            )
        except Exception as error:
            if _code(error) != "ResourceNotFoundException":
                raise SchedulerUnavailable(_explain(error)) from None

    def _request(self, guild_id: str, job_id: str, at_ms: int) -> dict[str, Any]:
        at = datetime.fromtimestamp(at_ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
        event = {"source": NOTICE_SOURCE, "job": NOTICE_JOB, "guild_id": guild_id, "job_id": job_id}
        return {
            "Name": schedule_name(guild_id, job_id),
            "GroupName": self._target.group,
            "ScheduleExpression": f"at({at})",
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "ActionAfterCompletion": "DELETE",
            "Target": {
                "Arn": self._target.function_arn,
                "RoleArn": self._target.role_arn,
                "Input": json.dumps(event),
                # Past an hour the hourly sweep has sent the notice anyway.
                "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
            },
        }


def schedule_name(guild_id: str, job_id: str) -> str:
    return f"rj-{guild_id}-{job_id}"


def _code(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def _explain(error: Exception) -> str:
    """The AWS error code only: messages can carry account ids and ARNs."""
    code = _code(error)
    if code:
        return f"The scheduler refused the request ({code})."
    return f"The scheduler did not answer ({type(error).__name__})."
