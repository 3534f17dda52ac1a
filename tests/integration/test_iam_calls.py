"""Each Lambda's role in infra/template.yaml allows every AWS call its code makes.

moto does not enforce IAM, so a missing permission would first show on AWS, as a failure (or,
worse, a warning nobody reads). Here the handlers run on moto with their deployed environment
while every boto3 call is recorded (tests/support/iam.py), and the recorded actions must all be
in the function's policies. The reports function has its own such test in
test_reports_lambda.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from tests.support.aws import REGION, TABLE_NAME, aws_env, moto_account
from tests.support.iam import allowed, recorded_calls
from tests.support.lambda_events import LambdaContext, url_event
from tests.support.payroll import GUILD, OFFICER, fresh_prices, ready_draft
from tests.support.template import TEMPLATE, load_template
from tests.support.uex import FakeUex

from sunday_mining.adapters.dynamodb_store import DynamoDbStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.entrypoints import pricing_lambda, reports_lambda
from sunday_mining.entrypoints.factories import build_services
from sunday_mining.ports.worker_protocol import sign
from sunday_mining_dev.simulator import DevKeyPair, PayloadFactory, SinkState, sample_guild
from sunday_mining_dev.simulator.rest_sink import running_sink

APP_ID = "1300000000000000001"
WORKER_SECRET = "w" * 48
BUCKET = "sunday-mining-iam-test"


@pytest.fixture
def keys() -> DevKeyPair:
    return DevKeyPair.generate()


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch, keys: DevKeyPair) -> Iterator[None]:
    """The interactions function's environment as the template sets it, on moto."""
    aws_env(
        monkeypatch,
        SM_LOG_LEVEL="INFO",
        DISCORD_PUBLIC_KEY=keys.public_key_hex,
        DISCORD_APPLICATION_ID=APP_ID,
        SM_REPORTS_BUCKET=BUCKET,
        SM_REPORTS_FUNCTION="sunday-mining-reports",
    )
    secret = {"SM_WORKER_SECRET": WORKER_SECRET, "SM_LINK_SIGNING_KEY": "l" * 48}
    with moto_account(monkeypatch, secret):
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        queue = boto3.client("sqs", region_name=REGION).create_queue(QueueName="failures")
        monkeypatch.setenv("SM_FAILURE_QUEUE_URL", queue["QueueUrl"])
        yield


def _interaction(keys: DevKeyPair, payload: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps(payload).encode()
    stamp = str(int(time.time()))
    headers = {
        "X-Signature-Ed25519": keys.sign(stamp, body),
        "X-Signature-Timestamp": stamp,
        "Content-Type": "application/json",
    }
    return url_event("POST", "/interactions", body, headers)


def _worker(path: str, payload: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps(payload).encode()
    headers = {**sign(WORKER_SECRET, path, body, time.time()), "Content-Type": "application/json"}
    return url_event("POST", path, body, headers)


def test_every_call_the_interactions_function_makes_is_allowed_by_its_role(
    deployed: None, keys: DevKeyPair
) -> None:
    from functions.interactions.handler import handler

    guild = sample_guild(seed=9)
    payloads = PayloadFactory(APP_ID, guild)
    admin, lead = guild.member("admin"), guild.member("lead")
    requests = [
        _interaction(keys, payloads.command(admin, "mining-admin settings show", {})),
        _interaction(
            keys,
            payloads.command(
                admin, "mining-admin settings set", {"name": "org-cut", "value": "10"}
            ),
        ),
        _interaction(keys, payloads.command(lead, "mining status", {})),
        _interaction(keys, payloads.command(admin, "mining diagnostics", {})),
        _worker("/worker/v1/lease", {"worker_id": "w-iam", "ttl_s": 60}),
        _worker(
            "/worker/v1/heartbeat",
            {"worker_id": "w-iam", "conn": "c", "sent_ms": 0, "state": "connected"},
        ),
        url_event("GET", "/health", b"", {}),
    ]
    with recorded_calls() as made:
        for request in requests:
            answer = handler(request, LambdaContext())
            assert answer["statusCode"] == 200, answer["body"]
    # The recording is real: the store, the schema check, the failure queue, the secret.
    assert {"dynamodb:GetItem", "dynamodb:DescribeTable", "sqs:GetQueueAttributes"} <= made
    assert "secretsmanager:GetSecretValue" in made
    assert made <= allowed("InteractionsFunction"), made - allowed("InteractionsFunction")


def test_every_call_the_pricing_function_makes_is_allowed_by_its_role(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    aws_env(monkeypatch, SM_LOG_LEVEL="INFO")
    fake_http = httpx.Client(transport=httpx.MockTransport(FakeUex()))
    build = pricing_lambda.build_price_service
    monkeypatch.setattr(
        pricing_lambda,
        "build_price_service",
        lambda store, clock, settings, http=None: build(store, clock, settings, fake_http),
    )
    from functions.pricing_refresh.handler import handler

    with moto_account(monkeypatch, {}), recorded_calls() as made:
        assert handler({"source": "schedule"}, LambdaContext())["ok"] is True
    assert {"dynamodb:PutItem", "secretsmanager:GetSecretValue"} <= made  # the recording is real
    assert made <= allowed("PricingRefreshFunction"), made - allowed("PricingRefreshFunction")


def test_every_call_the_weekly_unpaid_reminder_makes_is_allowed_by_its_role(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The schedule's event, as the template sends it, to the reports function that runs it:
    a guild with a line unpaid for two weeks gets its reminder in the report channel."""
    from functions.reports.handler import handler

    token, channel = "reminder-bot-token", "555000000000000002"
    schedule = load_template()["Resources"]["UnpaidReminderSchedule"]["Properties"]
    event = json.loads(schedule["Target"]["Input"])
    # The sample event sam local invokes is the one the schedule sends.
    assert json.loads((TEMPLATE.parent / "events" / "unpaid-reminder.json").read_text()) == event
    sink = SinkState(application_id=APP_ID, bot_token=token)
    with running_sink(sink) as sink_url:
        aws_env(
            monkeypatch,
            unset=["SM_REPORTS_FUNCTION"],
            SM_REPORTS_BUCKET=BUCKET,
            SM_DISCORD_API_BASE=sink_url,
            DISCORD_APPLICATION_ID=APP_ID,
        )
        monkeypatch.setattr(reports_lambda, "_services", None)
        secret = {"DISCORD_BOT_TOKEN": token, "SM_LINK_SIGNING_KEY": "l" * 48}
        with moto_account(monkeypatch, secret):
            store = DynamoDbStore(boto3.client("dynamodb", region_name=REGION), TABLE_NAME)
            clock = FixedClock(int(time.time() * 1000) - 14 * 86_400_000)
            services = build_services(store, clock)
            payroll = fresh_prices(services, clock)
            draft = ready_draft(services, clock, payroll)
            payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
            services.guilds.set_setting(GUILD, "unpaid-reminder-days", "7")
            services.guilds.set_report_channel(GUILD, channel)
            with recorded_calls() as made:
                answer = handler(event, LambdaContext())
    assert answer == {"ok": True, "posted": 1}
    (posted,) = sink.channel_messages(channel)
    assert "Unpaid for more than 7 days" in posted["content"]
    assert {"dynamodb:Query", "secretsmanager:GetSecretValue"} <= made  # the recording is real
    assert made <= allowed("ReportsFunction"), made - allowed("ReportsFunction")
