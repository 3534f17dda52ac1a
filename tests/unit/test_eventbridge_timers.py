"""Refinery timers on EventBridge Scheduler are set while a member waits for the 3-second
answer: each call is one attempt that gives up within 1.5 s, and nothing is tried again."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from sunday_mining.adapters.eventbridge_schedules import (
    SCHEDULER_CONFIG,
    EventBridgeTimers,
    ScheduleTarget,
)
from sunday_mining.domain.errors import SchedulerUnavailable

TARGET = ScheduleTarget("group", "arn:function", "arn:role")


class Scheduler:
    """The scheduler client's two calls; every call is refused with ``code``."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.calls: list[str] = []

    def create_schedule(self, **_: Any) -> None:
        self._refuse("CreateSchedule")

    def delete_schedule(self, **_: Any) -> None:
        self._refuse("DeleteSchedule")

    def _refuse(self, operation: str) -> None:
        self.calls.append(operation)
        raise ClientError({"Error": {"Code": self.code, "Message": "no"}}, operation)


def test_each_scheduler_call_is_one_attempt_that_gives_up_within_a_second_and_a_half() -> None:
    assert SCHEDULER_CONFIG.connect_timeout + SCHEDULER_CONFIG.read_timeout <= 1.5
    assert SCHEDULER_CONFIG.retries is not None
    assert SCHEDULER_CONFIG.retries["total_max_attempts"] == 1


def test_a_timer_from_before_is_left_to_the_sweep_not_replaced_with_more_calls() -> None:
    client = Scheduler("ConflictException")
    timers = EventBridgeTimers(lambda: client, TARGET, lambda: 0)
    with pytest.raises(SchedulerUnavailable, match="ConflictException"):
        timers.set("1", "2", at_ms=3_600_000)
    assert client.calls == ["CreateSchedule"]


def test_a_timer_gone_already_is_cleared_without_complaint() -> None:
    client = Scheduler("ResourceNotFoundException")
    EventBridgeTimers(lambda: client, TARGET, lambda: 0).clear("1", "2")
    assert client.calls == ["DeleteSchedule"]
