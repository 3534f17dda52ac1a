"""Refinery job timers on AWS, on moto: each job's one-time EventBridge Scheduler schedule made,
made again and deleted as the interactions function's services change the job, and fired
through the refinery notices function's handler with the schedule's own input (or the sweep's
sample event). One notice each time it should — due, late — and none otherwise: early, fired
twice, after a cold start, cancelled, or for a time left that was edited since.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ConnectTimeoutError
from tests.support.aws import REGION, aws_env, moto_account
from tests.support.iam import allowed, recorded_calls
from tests.support.lambda_events import LambdaContext

from sunday_mining.adapters.eventbridge_schedules import schedule_name
from sunday_mining.config import Settings
from sunday_mining.container import Services
from sunday_mining.domain.clock import FixedClock, ms_to_iso
from sunday_mining.domain.refining import HOUR_MS, method_by_code, parse_ore_amounts
from sunday_mining.entrypoints import refinery_lambda, report_factories
from sunday_mining.entrypoints.factories import build_from_settings
from sunday_mining.services.refinery import Actor, Terminal

ROOT = Path(__file__).resolve().parents[2]
SWEEP_EVENT = json.loads((ROOT / "infra" / "events" / "refinery-sweep.json").read_text("utf-8"))
GUILD = "1100000000000000001"
REPORT_CHANNEL = "900000000000000001"
OWNER = Actor("1200000000000000007")
GROUP = "sunday-mining-refinery"
ROLE_ARN = "arn:aws:iam::123456789012:role/sunday-mining-refinery-scheduler"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:sunday-mining-refinery-notices"
NOTICE = (
    "Your refinery job at MIC-L1 (Quantainium) is ready to collect. "
    "Mark it collected in /mining refinery list."
)


class FakeDiscord:
    """The bot's REST client as the notices need it: channel posts and direct messages."""

    def __init__(self) -> None:
        self.posted: list[tuple[str, str]] = []
        self.direct: list[tuple[str, str]] = []

    def send_channel_message(self, channel_id: str, *, content: str, **_: Any) -> str:
        self.posted.append((channel_id, content))
        return str(len(self.posted))

    def send_direct_message(self, user_id: str, *, content: str, nonce: str | None = None) -> str:
        self.direct.append((user_id, content))
        return str(len(self.direct))


@pytest.fixture
def discord() -> FakeDiscord:
    return FakeDiscord()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, clock: FixedClock, discord: FakeDiscord) -> Iterator[None]:
    """The interactions function's and the notices function's environment, on moto."""
    aws_env(
        monkeypatch,
        SM_LOG_LEVEL="INFO",
        SM_REFINERY_SCHEDULE_GROUP=GROUP,
        SM_REFINERY_SCHEDULER_ROLE_ARN=ROLE_ARN,
        SM_REFINERY_NOTICES_FUNCTION_ARN=FUNCTION_ARN,
    )
    monkeypatch.setattr(refinery_lambda, "_services", None)
    monkeypatch.setattr(refinery_lambda, "_clock", clock)
    monkeypatch.setattr(report_factories, "discord_rest", lambda settings: discord)
    secret = {"DISCORD_BOT_TOKEN": "bot-token-for-tests", "SM_LINK_SIGNING_KEY": "l" * 48}
    with moto_account(monkeypatch, secret):
        scheduler().create_schedule_group(Name=GROUP)
        yield


def scheduler() -> Any:
    return boto3.client("scheduler", region_name=REGION)


@pytest.fixture
def app(aws: None, clock: FixedClock) -> Services:
    """What the interactions function builds (its settings come from the environment)."""
    services = build_from_settings(Settings.from_env(), clock)
    services.guilds.set_report_channel(GUILD, REPORT_CHANNEL)
    return services


def add_job(app: Services, hours: int = 2) -> str:
    job = app.refinery.add(
        GUILD,
        OWNER,
        terminal=Terminal(0, "Refinement Processing - MIC-L1"),
        method=method_by_code("DIN"),
        ores=parse_ore_amounts("Quantainium 48"),
        cost=25_000,
        time_left_ms=hours * HOUR_MS,
    )
    return job.job_id


def schedule_of(job_id: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = scheduler().get_schedule(
            Name=schedule_name(GUILD, job_id), GroupName=GROUP
        )
    except scheduler().exceptions.ResourceNotFoundException:
        return None
    return found


def event_of(job_id: str) -> dict[str, Any]:
    """What the job's schedule will send the notices function."""
    schedule = schedule_of(job_id)
    assert schedule is not None, "the job has a schedule"
    event: dict[str, Any] = json.loads(schedule["Target"]["Input"])
    return event


def invoke(event: dict[str, Any]) -> int:
    from functions.refinery_notices.handler import handler

    answer = handler(event, LambdaContext())
    assert answer["ok"] is True, answer
    notices: int = answer["notices"]
    return notices


def at_expression(ms: int) -> str:
    return f"at({ms_to_iso(ms).removesuffix('Z')})"


def test_adding_a_job_makes_a_one_time_schedule_at_its_due_time_for_the_notices_function(
    app: Services, clock: FixedClock
) -> None:
    job_id = add_job(app)
    schedule = schedule_of(job_id)
    assert schedule is not None
    assert schedule["ScheduleExpression"] == at_expression(clock.now_ms() + 2 * HOUR_MS)
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["Target"]["Arn"] == FUNCTION_ARN
    assert schedule["Target"]["RoleArn"] == ROLE_ARN
    assert json.loads(schedule["Target"]["Input"]) == {
        "source": "sunday-mining.schedule",
        "job": "refinery-notice",
        "guild_id": GUILD,
        "job_id": job_id,
    }


def test_a_due_schedule_sends_one_notice_and_the_same_schedule_fired_again_none(
    app: Services, clock: FixedClock, discord: FakeDiscord
) -> None:
    event = event_of(add_job(app))
    clock.advance(minutes=119)
    assert invoke(event) == 0  # early: nothing yet
    clock.advance(minutes=1)
    assert invoke(event) == 1
    assert invoke(event) == 0
    assert invoke(SWEEP_EVENT) == 0
    assert discord.posted == [(REPORT_CHANNEL, f"<@{OWNER.user_id}> {NOTICE}")]
    assert discord.direct == [(OWNER.user_id, NOTICE)]


def test_a_late_schedule_sends_the_notice_once(
    app: Services, clock: FixedClock, discord: FakeDiscord
) -> None:
    event = event_of(add_job(app))
    clock.advance(minutes=60 * 26)  # delivered a day late
    assert invoke(event) == 1
    assert invoke(SWEEP_EVENT) == 0
    assert len(discord.posted) == 1


def test_after_a_cold_start_a_notice_sent_is_not_sent_again(
    app: Services, clock: FixedClock, discord: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = event_of(add_job(app))
    clock.advance(minutes=120)
    assert invoke(event) == 1
    monkeypatch.setattr(refinery_lambda, "_services", None)  # a new container
    assert invoke(event) == 0
    assert invoke(SWEEP_EVENT) == 0
    assert len(discord.posted) == len(discord.direct) == 1


def test_a_cancelled_job_loses_its_schedule_and_gets_no_notice(
    app: Services, clock: FixedClock, discord: FakeDiscord
) -> None:
    job_id = add_job(app)
    event = event_of(job_id)
    app.refinery.cancel(GUILD, job_id, OWNER)
    assert schedule_of(job_id) is None
    clock.advance(minutes=180)
    assert invoke(event) == 0  # a schedule that fired anyway
    assert invoke(SWEEP_EVENT) == 0
    assert discord.posted == discord.direct == []


def test_a_collected_job_loses_its_schedule(app: Services) -> None:
    job_id = add_job(app)
    app.refinery.collect(GUILD, job_id, OWNER, {59: 2_600})
    assert schedule_of(job_id) is None


def test_an_edited_time_left_makes_the_schedule_again_and_only_the_new_time_is_announced(
    app: Services, clock: FixedClock, discord: FakeDiscord
) -> None:
    job_id = add_job(app)
    old_event = event_of(job_id)
    clock.advance(minutes=60)
    app.refinery.edit_time_left(GUILD, job_id, OWNER, 3 * HOUR_MS)
    schedule = schedule_of(job_id)
    assert schedule is not None
    assert schedule["ScheduleExpression"] == at_expression(clock.now_ms() + 3 * HOUR_MS)
    clock.advance(minutes=60)  # the old due time
    assert invoke(old_event) == 0
    clock.advance(minutes=120)  # the new one
    assert invoke(event_of(job_id)) == 1
    assert invoke(old_event) == 0
    assert len(discord.posted) == 1


def test_a_time_left_edited_after_the_notice_gets_a_notice_for_the_new_time(
    app: Services, clock: FixedClock, discord: FakeDiscord
) -> None:
    job_id = add_job(app)
    clock.advance(minutes=120)
    assert invoke(event_of(job_id)) == 1
    app.refinery.edit_time_left(GUILD, job_id, OWNER, HOUR_MS)  # the game said "1h" more
    clock.advance(minutes=60)
    assert invoke(event_of(job_id)) == 1
    assert len(discord.posted) == 2


def test_a_lost_schedule_is_caught_by_the_sweep_once(
    app: Services, clock: FixedClock, discord: FakeDiscord
) -> None:
    job_id = add_job(app)
    scheduler().delete_schedule(Name=schedule_name(GUILD, job_id), GroupName=GROUP)
    clock.advance(minutes=120)
    assert invoke(SWEEP_EVENT) == 1
    assert invoke(SWEEP_EVENT) == 0
    assert len(discord.posted) == 1
    app.refinery.cancel(GUILD, job_id, OWNER)  # its schedule is gone already: fine


def test_a_schedule_that_cannot_be_made_leaves_the_job_for_the_sweep(
    app: Services, clock: FixedClock, discord: FakeDiscord
) -> None:
    scheduler().delete_schedule_group(Name=GROUP)  # Scheduler refuses every schedule now
    job_id = add_job(app)
    assert app.refinery.get(GUILD, job_id).is_open
    assert app.errors.last_day() == {"scheduler unavailable": 1}
    clock.advance(minutes=120)
    assert invoke(SWEEP_EVENT) == 1


class SilentScheduler:
    """A scheduler endpoint that never answers: every call times out connecting."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def create_schedule(self, **_: Any) -> None:
        self._time_out("CreateSchedule")

    def delete_schedule(self, **_: Any) -> None:
        self._time_out("DeleteSchedule")

    def _time_out(self, operation: str) -> None:
        self.calls.append(operation)
        raise ConnectTimeoutError(endpoint_url="https://scheduler.us-east-1.amazonaws.com")


def test_a_scheduler_that_never_answers_costs_add_and_edit_one_call_each_and_the_sweep_notifies(
    aws: None, clock: FixedClock, discord: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    silent, made = SilentScheduler(), report_factories.boto3_client
    configs: list[Any] = []

    def client(service: str, **options: Any) -> Any:
        if service != "scheduler":
            return made(service, **options)
        configs.append(options["config"])
        return silent

    monkeypatch.setattr(report_factories, "boto3_client", client)
    app = build_from_settings(Settings.from_env(), clock)
    app.guilds.set_report_channel(GUILD, REPORT_CHANNEL)
    job_id = add_job(app)
    assert app.refinery.get(GUILD, job_id).is_open
    assert silent.calls == ["CreateSchedule"]
    (config,) = configs
    assert config.connect_timeout + config.read_timeout <= 1.5
    assert config.retries["total_max_attempts"] == 1
    # The timer could not be cleared: setting it again would be a second call, and a conflict.
    app.refinery.edit_time_left(GUILD, job_id, OWNER, HOUR_MS)
    assert silent.calls == ["CreateSchedule", "DeleteSchedule"]
    assert app.errors.last_day() == {"scheduler unavailable": 2}
    clock.advance(minutes=60)
    assert invoke(SWEEP_EVENT) == 1
    assert discord.posted == [(REPORT_CHANNEL, f"<@{OWNER.user_id}> {NOTICE}")]


def test_an_unknown_event_is_refused_without_a_notice(app: Services) -> None:
    from functions.refinery_notices.handler import handler

    answer = handler({"job": "something-else"}, LambdaContext())
    assert answer == {"ok": False, "reason": "no runner for 'something-else' here"}


# ------------------------------------------------------------------ IAM


def test_every_call_the_interactions_function_makes_for_a_job_is_allowed_by_its_role(
    app: Services, clock: FixedClock
) -> None:
    with recorded_calls() as made:
        job_id = add_job(app)
        clock.advance(minutes=10)
        app.refinery.edit_time_left(GUILD, job_id, OWNER, HOUR_MS)
        app.refinery.cancel(GUILD, job_id, OWNER)
    assert {"scheduler:CreateSchedule", "scheduler:DeleteSchedule"} <= made
    assert made <= allowed("InteractionsFunction"), made - allowed("InteractionsFunction")


def test_every_call_the_notices_function_makes_is_allowed_by_its_role(
    app: Services, clock: FixedClock
) -> None:
    event = event_of(add_job(app))
    add_job(app, hours=1)
    clock.advance(minutes=120)
    with recorded_calls() as made:
        assert invoke(event) == 1
        assert invoke(SWEEP_EVENT) == 1
    assert {"dynamodb:UpdateItem", "secretsmanager:GetSecretValue"} <= made
    assert made <= allowed("RefineryNoticesFunction"), made - allowed("RefineryNoticesFunction")
