"""The reports Lambda invoked as AWS would (an async-invoke event carrying the job) against moto:
DynamoDB, S3 and Secrets Manager, with Discord played by the simulator's REST sink. The event is
the one LambdaJobs serializes: it carries no interaction token (the job reads it back from the
table). Then the interactions Lambda serves the signed link: a redirect to a presigned S3 URL,
403 when tampered or expired."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from tests.support.aws import REGION, TABLE_NAME, aws_env, moto_account
from tests.support.iam import allowed, recorded_calls
from tests.support.lambda_events import LambdaContext, url_event
from tests.support.payroll import GUILD, OFFICER, fresh_prices, ready_draft

from sunday_mining import observability
from sunday_mining.adapters.dynamodb_store import DynamoDbStore
from sunday_mining.adapters.jobs import LambdaJobs
from sunday_mining.adapters.local_blobs import FolderBlobs
from sunday_mining.domain.clock import FixedClock
from sunday_mining.entrypoints import reports_lambda
from sunday_mining.entrypoints.factories import ReportSetup, Services, build_services
from sunday_mining.ports.store import SortKey
from sunday_mining.reports.links import ReportLinks
from sunday_mining.reports.service import TOKEN_PREFIX, ReportRequest
from sunday_mining.services import keys
from sunday_mining.services.job_kinds import REPORT_JOB
from sunday_mining_dev.simulator import DevKeyPair, PayloadFactory, SinkState, sample_guild
from sunday_mining_dev.simulator.rest_sink import running_sink

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
    monkeypatch.setattr(reports_lambda, "_services", None)
    secret = {"DISCORD_BOT_TOKEN": BOT_TOKEN, "SM_LINK_SIGNING_KEY": LINK_KEY}
    with moto_account(monkeypatch, secret):
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        yield


def finalized_on_dynamodb() -> str:
    """A finalized payroll in the moto table, made by the same services the app uses."""
    store = DynamoDbStore(boto3.client("dynamodb", region_name=REGION), TABLE_NAME)
    clock = FixedClock(int(time.time() * 1000) - 3_600_000)
    services = build_services(store, clock)
    payroll = fresh_prices(services, clock)
    draft = ready_draft(services, clock, payroll)
    return payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev).payroll_id


def answered_interaction(sink: SinkState) -> dict[str, Any]:
    """A /mining payroll the app has answered, as the sink knows it."""
    guild = sample_guild(seed=5)
    payload = PayloadFactory(APP_ID, guild).command(guild.member("purser"), "mining payroll", {})
    sink.register_interaction(payload)
    answer = {"type": 4, "data": {"content": "Version 1 is final.", "flags": 64}}
    sink.record_initial_response(payload["token"], answer)
    return payload


def job_event(sink: SinkState, payroll_id: str) -> tuple[dict[str, Any], str]:
    """The async-invoke event an older version sent for a finalize answered a minute ago: the
    interaction token in the payload."""
    payload = answered_interaction(sink)
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


class InvokeRecorder:
    """The Lambda client LambdaJobs calls: keeps each async invoke's body, answers 202."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def invoke(self, *, FunctionName: str, InvocationType: str, Payload: bytes) -> dict[str, Any]:
        assert InvocationType == "Event"
        self.bodies.append(Payload)
        return {"StatusCode": 202}


def app_side(invokes: InvokeRecorder, tmp_path: Path) -> Services:
    """The interactions function's services on the moto table, its jobs as async invokes."""
    store = DynamoDbStore(boto3.client("dynamodb", region_name=REGION), TABLE_NAME)
    setup = ReportSetup(
        FolderBlobs(tmp_path / "unused"),
        ReportLinks(LINK_KEY.encode(), PUBLIC_URL),
        jobs=LambdaJobs(lambda: invokes, "stack-reports"),
    )
    return build_services(store, FixedClock(int(time.time() * 1000)), reports=setup)


def request_through_lambda_jobs(
    sink: SinkState, app: Services, invokes: InvokeRecorder, payroll_id: str, *, age_ms: int
) -> tuple[bytes, str]:
    """Ask for the report as Rebuild report does, ``age_ms`` after the interaction arrived:
    the invoke body LambdaJobs sent, and the interaction's token."""
    interaction = answered_interaction(sink)
    assert app.reports is not None
    app.reports.request(
        ReportRequest(
            guild_id=GUILD,
            payroll_id=payroll_id,
            requested_by=OFFICER,
            request_key=interaction["id"],
            application_id=APP_ID,
            interaction_token=interaction["token"],
            interaction_ms=int(time.time() * 1000) - age_ms,
        )
    )
    return invokes.bodies[-1], interaction["token"]


def kept_tokens(app: Services) -> list[dict[str, Any]]:
    return app.store.query_all(keys.guild_pk(GUILD), SortKey.begins_with(TOKEN_PREFIX))


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """Every logger at DEBUG (boto3's request bodies and httpx's URLs included) through the
    app's redacting handler, as a Lambda logs; restored afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogRecordFactory())
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    stream = io.StringIO()
    observability.configure_logging("reports", level="DEBUG", json_lines=True, stream=stream)
    for name in list(logging.root.manager.loggerDict):
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield stream
    root.handlers[:], root.level = saved[0], saved[1]
    logging.setLogRecordFactory(saved[2])
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_the_invoke_carries_no_token_and_the_report_still_arrives_as_the_followup(
    aws: None, sink: tuple[SinkState, str], tmp_path: Path, logs: io.StringIO
) -> None:
    from functions.reports.handler import handler

    state, invokes = sink[0], InvokeRecorder()
    app = app_side(invokes, tmp_path)
    body, token = request_through_lambda_jobs(
        state, app, invokes, finalized_on_dynamodb(), age_ms=60_000
    )
    # What Lambda would hand to the on-failure queue after the last retry: no token in it.
    assert token not in body.decode()
    event = json.loads(body)
    assert event["payload"]["interaction_token"] is None
    assert event["payload"]["token_kept"] is True
    assert len(kept_tokens(app)) == 1

    assert handler(event, LambdaContext()) == {"ok": True, "key": event["key"]}
    (followup,) = state.followup_messages(token)
    assert followup["attachments"][0]["filename"].endswith(".pdf")
    assert kept_tokens(app) == []  # delivered: deleted, not left for the ttl
    assert handler(event, LambdaContext()) == {"ok": True, "key": event["key"]}  # a duplicate
    assert len(state.followup_messages(token)) == 1

    written = logs.getvalue()
    assert '"message":"report already delivered"' in written  # the capture is real
    assert token not in written
    assert token[16:40] not in written


@pytest.mark.parametrize("how", ["gone", "past its window"])
def test_without_a_usable_kept_token_the_report_goes_to_the_report_channel(
    aws: None, sink: tuple[SinkState, str], tmp_path: Path, how: str
) -> None:
    from functions.reports.handler import handler

    state, invokes = sink[0], InvokeRecorder()
    app = app_side(invokes, tmp_path)
    channel = "1400000000000000066"
    app.guilds.set_report_channel(GUILD, channel)
    payroll_id = finalized_on_dynamodb()
    age_ms = 60_000 if how == "gone" else 14 * 60_000 + 30_000
    body, token = request_through_lambda_jobs(state, app, invokes, payroll_id, age_ms=age_ms)
    if how == "gone":  # deleted by the table's time to live, or by hand
        (kept,) = kept_tokens(app)
        app.store.delete((kept["pk"], kept["sk"]))

    event = json.loads(body)
    assert handler(event, LambdaContext()) == {"ok": True, "key": event["key"]}
    assert state.followup_messages(token) == []
    (posted,) = state.channel_messages(channel)
    assert posted["attachments"][0]["filename"].endswith(".pdf")
    assert kept_tokens(app) == []


def test_the_reports_handler_builds_into_s3_and_posts_once(
    aws: None, sink: tuple[SinkState, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event in an older version's shape (the token in the payload) still works."""
    from functions.reports.handler import handler

    state = sink[0]
    payroll_id = finalized_on_dynamodb()
    event, token = job_event(state, payroll_id)

    assert handler(event, LambdaContext()) == {"ok": True, "key": event["key"]}
    assert handler(event, LambdaContext()) == {"ok": True, "key": event["key"]}  # a duplicate

    s3 = boto3.client("s3", region_name=REGION)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert [k.rsplit(".", 1)[1] for k in keys] == ["csv", "json", "pdf"]
    assert all(k.startswith(f"reports/{GUILD}/") and payroll_id in k for k in keys)
    pdf_key = keys[2]
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
    event_get = url_event("GET", path, b"", {})
    event_get["rawQueryString"] = query
    opened = interactions(event_get, LambdaContext())
    assert opened["statusCode"] == 302, opened["body"]
    location = opened["headers"]["location"]
    assert location.startswith(f"https://{BUCKET}.s3.amazonaws.com/{pdf_key}?")
    assert "X-Amz-Expires=300" in location

    event_get["rawQueryString"] = query[:-2] + ("zz" if not query.endswith("zz") else "yy")
    assert interactions(event_get, LambdaContext())["statusCode"] == 403
    event_get["rawQueryString"] = ""
    assert interactions(event_get, LambdaContext())["statusCode"] == 403


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
        handler(event, LambdaContext())
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
    health = interactions(url_event("GET", "/health", b"", {}), LambdaContext())
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
    assert handler(event, LambdaContext()) == {"ok": True, "key": "adhoc-stop:s1"}
    assert handler(event, LambdaContext()) == {"ok": True, "key": "adhoc-stop:s1"}  # duplicated
    (posted,) = sink[0].channel_messages(channel)
    assert posted["content"] == "The session stopped."
    assert handler({"kind": "other", "key": "k", "payload": {}}, LambdaContext())["ok"] is False


# --- what the reports function calls, against what its role allows ---------------------------


def test_every_call_the_reports_function_makes_is_allowed_by_its_role(
    aws: None, sink: tuple[SinkState, str], tmp_path: Path
) -> None:
    """moto does not enforce IAM, so the template's role is checked against the calls the
    function really makes: a report built into S3 and delivered, its kept token deleted, a
    duplicate invoke, and a notice (the secret is read at the cold start)."""
    from functions.reports.handler import handler

    state, invokes = sink[0], InvokeRecorder()
    app = app_side(invokes, tmp_path)
    body, _token = request_through_lambda_jobs(
        state, app, invokes, finalized_on_dynamodb(), age_ms=60_000
    )
    event = json.loads(body)
    notice = {"guild_id": GUILD, "channel_id": "1400000000000000078", "content": "Stopped."}
    with recorded_calls() as made:
        assert handler(event, LambdaContext()) == {"ok": True, "key": event["key"]}
        assert handler(event, LambdaContext()) == {"ok": True, "key": event["key"]}
        assert handler({"kind": "notice", "key": "n1", "payload": notice}, LambdaContext())["ok"]
    assert {"dynamodb:DeleteItem", "s3:PutObject"} <= made  # the recording is real
    assert made <= allowed("ReportsFunction"), made - allowed("ReportsFunction")
