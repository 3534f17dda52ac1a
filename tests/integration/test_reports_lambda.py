"""The reports Lambda invoked as AWS would (an async-invoke event carrying the job) against moto:
DynamoDB, S3 and Secrets Manager, with Discord played by the simulator's REST sink. Then the
interactions Lambda serves the signed link: a redirect to a presigned S3 URL, 403 when tampered
or expired."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from tests.integration.test_infra import _Context, _url_event
from tests.integration.test_payroll_service import GUILD, OFFICER, fresh_prices, ready_draft
from tests.support.aws import REGION, TABLE_NAME, aws_env, moto_account

from sunday_mining import aws_reports
from sunday_mining.adapters.dynamodb_store import DynamoDbStore
from sunday_mining.bootstrap import build_services
from sunday_mining.domain.clock import FixedClock
from sunday_mining.services.reports import REPORT_JOB, ReportRequest
from sunday_mining.simulator import DevKeyPair, PayloadFactory, SinkState, sample_guild
from sunday_mining.simulator.rest_sink import running_sink

APP_ID = "1300000000000000009"
BOT_TOKEN = "reports-lambda-bot-token"
LINK_KEY = "l" * 48
BUCKET = "sunday-mining-reports-test"
PUBLIC_URL = "https://abcdefghij.lambda-url.us-east-1.on.aws/"


@pytest.fixture
def sink() -> Iterator[tuple[SinkState, str]]:
    state = SinkState(application_id=APP_ID, bot_token=BOT_TOKEN)
    with running_sink(state) as base_url:
        yield state, base_url


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, sink: tuple[SinkState, str]) -> Iterator[None]:
    aws_env(
        monkeypatch,
        unset=["SM_REPORTS_FUNCTION"],
        SM_REPORTS_BUCKET=BUCKET,
        SM_PUBLIC_URL=PUBLIC_URL,
        SM_DISCORD_API_BASE=sink[1],
        DISCORD_APPLICATION_ID=APP_ID,
    )
    aws_reports.reset_for_tests()
    secret = {"DISCORD_BOT_TOKEN": BOT_TOKEN, "SM_LINK_SIGNING_KEY": LINK_KEY}
    with moto_account(monkeypatch, secret):
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        yield
    aws_reports.reset_for_tests()


def finalized_on_dynamodb() -> str:
    """A finalized payroll in the moto table, made by the same services the app uses."""
    store = DynamoDbStore(boto3.client("dynamodb", region_name=REGION), TABLE_NAME)
    clock = FixedClock(int(time.time() * 1000) - 3_600_000)
    services = build_services(store, clock)
    payroll = fresh_prices(services, clock)
    draft = ready_draft(services, clock, payroll)
    return payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev).payroll_id


def job_event(sink: SinkState, payroll_id: str) -> tuple[dict[str, Any], str]:
    """The async-invoke event LambdaJobs sends for a finalize answered a minute ago."""
    guild = sample_guild(seed=5)
    payload = PayloadFactory(APP_ID, guild).command(guild.member("purser"), "mining payroll", {})
    sink.register_interaction(payload)
    answer = {"type": 4, "data": {"content": "Version 1 is final.", "flags": 64}}
    sink.record_initial_response(payload["token"], answer)
    request = ReportRequest(
        guild_id=GUILD,
        payroll_id=payroll_id,
        requested_by=OFFICER,
        request_key=payload["id"],
        application_id=APP_ID,
        interaction_token=payload["token"],
        interaction_ms=int(time.time() * 1000) - 60_000,
        post_to_channel=True,
    )
    body = {"kind": REPORT_JOB, "key": f"{payroll_id}:{payload['id']}", "payload": asdict(request)}
    return json.loads(json.dumps(body)), payload["token"]


def test_the_reports_handler_builds_into_s3_and_posts_once(
    aws: None, sink: tuple[SinkState, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.reports.handler import handler

    state = sink[0]
    payroll_id = finalized_on_dynamodb()
    event, token = job_event(state, payroll_id)

    assert handler(event, _Context()) == {"ok": True, "key": event["key"]}
    assert handler(event, _Context()) == {"ok": True, "key": event["key"]}  # a duplicate invoke

    s3 = boto3.client("s3", region_name=REGION)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert [k.rsplit(".", 1)[1] for k in keys] == ["csv", "pdf"]
    assert all(k.startswith(f"reports/{GUILD}/") and payroll_id in k for k in keys)
    pdf_key = keys[1]
    assert s3.head_object(Bucket=BUCKET, Key=pdf_key)["ServerSideEncryption"] == "AES256"

    (followup,) = state.followup_messages(token)  # one message despite two invokes
    (attachment,) = followup["attachments"]
    assert (
        state.attachment(attachment["id"])
        == s3.get_object(Bucket=BUCKET, Key=pdf_key)["Body"].read()
    )
    link = next(c["url"] for row in followup["components"] for c in row["components"])
    assert link.startswith(f"{PUBLIC_URL}reports/{GUILD}-{payroll_id}?sig=")

    # The interactions Lambda serves the link: a fresh presigned URL, never the file itself.
    from functions.interactions.handler import handler as interactions

    monkeypatch.setenv("DISCORD_PUBLIC_KEY", DevKeyPair.generate().public_key_hex)
    path, query = urlsplit(link).path, urlsplit(link).query
    event_get = _url_event("GET", path, b"", {})
    event_get["rawQueryString"] = query
    opened = interactions(event_get, _Context())
    assert opened["statusCode"] == 302, opened["body"]
    location = opened["headers"]["location"]
    assert location.startswith(f"https://{BUCKET}.s3.amazonaws.com/{pdf_key}?")
    assert "X-Amz-Expires=300" in location

    event_get["rawQueryString"] = query[:-2] + ("zz" if not query.endswith("zz") else "yy")
    assert interactions(event_get, _Context())["statusCode"] == 403
    event_get["rawQueryString"] = ""
    assert interactions(event_get, _Context())["statusCode"] == 403


def test_a_job_for_a_draft_fails_and_raises_for_the_lambda_retry(
    aws: None, sink: tuple[SinkState, str]
) -> None:
    from functions.reports.handler import handler

    store = DynamoDbStore(boto3.client("dynamodb", region_name=REGION), TABLE_NAME)
    clock = FixedClock(int(time.time() * 1000) - 3_600_000)
    services = build_services(store, clock)
    draft = ready_draft(services, clock, fresh_prices(services, clock))
    event, token = job_event(sink[0], draft.payroll_id)
    with pytest.raises(Exception, match="finalized"):
        handler(event, _Context())
    assert sink[0].followup_messages(token) == []  # not the last attempt: nobody told yet


def test_the_interactions_cold_start_makes_no_s3_or_lambda_client(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reports on, as deployed: the clients for S3 and the reports function are made when a
    link is opened or a report asked for, never to answer a PING."""
    from functions.interactions.handler import handler as interactions

    made: list[str] = []
    real_client = boto3.client

    def counting_client(service: str, *args: Any, **kwargs: Any) -> Any:
        made.append(service)
        return real_client(service, *args, **kwargs)

    monkeypatch.setattr(boto3, "client", counting_client)
    monkeypatch.setenv("SM_REPORTS_FUNCTION", "stack-reports")
    monkeypatch.setenv("DISCORD_PUBLIC_KEY", DevKeyPair.generate().public_key_hex)
    health = interactions(_url_event("GET", "/health", b"", {}), _Context())
    assert health["statusCode"] == 200
    assert "s3" not in made
    assert "lambda" not in made


def test_the_reports_function_also_posts_notices_once(
    aws: None, sink: tuple[SinkState, str]
) -> None:
    from functions.reports.handler import handler

    channel = "1400000000000000077"
    payload = {"guild_id": GUILD, "channel_id": channel, "content": "The session stopped."}
    event = {"kind": "notice", "key": "adhoc-stop:s1", "payload": payload}
    assert handler(event, _Context()) == {"ok": True, "key": "adhoc-stop:s1"}
    assert handler(event, _Context()) == {"ok": True, "key": "adhoc-stop:s1"}  # duplicated
    (posted,) = sink[0].channel_messages(channel)
    assert posted["content"] == "The session stopped."
    assert handler({"kind": "other", "key": "k", "payload": {}}, _Context())["ok"] is False
