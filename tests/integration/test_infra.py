"""infra/template.yaml against the code: the table, the handlers, and the handlers on moto.

The Lambda handlers are invoked exactly as AWS would (an API Gateway v2 / Function URL event, an
EventBridge Scheduler event) with the environment the template gives them, against a moto
DynamoDB table and Secrets Manager secret, and must behave like the local app.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from tests.support.aws import REGION, TABLE_NAME, aws_env, moto_account
from tests.support.lambda_events import LambdaContext, url_event
from tests.support.template import load_template
from tests.support.uex import FakeUex

from sunday_mining.adapters import aws_secrets
from sunday_mining.adapters.dynamodb_store import DynamoDbStore
from sunday_mining.adapters.dynamodb_table import table_spec
from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.config import Settings
from sunday_mining.domain.clock import FixedClock
from sunday_mining.entrypoints import pricing_lambda
from sunday_mining.schema.table import TABLE
from sunday_mining.services.prices import PriceService
from sunday_mining_dev.simulator import DevKeyPair

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


# ------------------------------------------------------------------ the table


def test_the_template_declares_exactly_the_table_the_code_declares(
    template: dict[str, Any],
) -> None:
    tables = _resources(template, "AWS::DynamoDB::Table")
    assert list(tables) == ["Table"], "one DynamoDB table"
    declared = tables["Table"]["Properties"]
    expected = table_spec("unused")

    def key_set(items: list[dict[str, str]]) -> list[tuple[str, str]]:
        return sorted((item["AttributeName"], item.get("KeyType", item.get("AttributeType", "")))
                      for item in items)  # fmt: skip

    assert declared["BillingMode"] == expected["BillingMode"] == "PAY_PER_REQUEST"
    assert key_set(declared["AttributeDefinitions"]) == key_set(expected["AttributeDefinitions"])
    assert declared["KeySchema"] == expected["KeySchema"]
    indexes = {index["IndexName"]: index for index in declared["GlobalSecondaryIndexes"]}
    assert set(indexes) == {index.name for index in TABLE.indexes}
    for index in expected["GlobalSecondaryIndexes"]:
        assert indexes[index["IndexName"]]["KeySchema"] == index["KeySchema"]
        assert indexes[index["IndexName"]]["Projection"] == index["Projection"]
        assert set(indexes[index["IndexName"]]) == {"IndexName", "KeySchema", "Projection"}
    assert "LocalSecondaryIndexes" not in declared
    assert declared["TimeToLiveSpecification"] == {
        "AttributeName": TABLE.ttl_attribute,
        "Enabled": True,
    }
    assert declared["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert declared["SSESpecification"]["SSEEnabled"] is True
    assert tables["Table"]["DeletionPolicy"] == "Retain"


def test_the_bucket_is_private_encrypted_versioned_and_tls_only(template: dict[str, Any]) -> None:
    buckets = _resources(template, "AWS::S3::Bucket")
    assert list(buckets) == ["ReportsBucket"]
    bucket = buckets["ReportsBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-old-reports"]["Prefix"] == "reports/"
    (policy,) = _resources(template, "AWS::S3::BucketPolicy").values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_no_secret_sits_in_the_template_or_a_function_environment(
    template: dict[str, Any],
) -> None:
    # A secret's name may appear only as a key of the secret ECS injects (ValueFrom).
    def mentions(node: Any, key: str = "") -> list[str]:
        if isinstance(node, dict):
            return [
                m
                for k, v in node.items()
                if k != "Description"
                for m in mentions(v, key if k.startswith("Fn::") else k)
            ]
        if isinstance(node, list):
            return [m for item in node for m in mentions(item, key)]
        text = str(node)
        return [f"{key}: {text}" for n in aws_secrets.SECRET_KEYS if n in text]

    found = mentions(template["Resources"]) + mentions(template["Parameters"])
    assert found
    assert all(m.startswith(("ValueFrom:", "Name:")) for m in found), found
    names = [m for m in found if m.startswith("Name:")]
    assert names == ["Name: DISCORD_BOT_TOKEN", "Name: SM_WORKER_SECRET"]
    variables = dict(template["Globals"]["Function"]["Environment"]["Variables"])
    for function in _resources(template, "AWS::Serverless::Function").values():
        variables.update(function["Properties"].get("Environment", {}).get("Variables", {}))
    assert not set(variables) & aws_secrets.SECRET_KEYS
    assert variables["SM_SECRETS_ARN"] == {"Ref": "SecretsArn"}


# ------------------------------------------------------------------ the functions


def test_every_function_handler_exists_and_imports(template: dict[str, Any]) -> None:
    functions = _resources(template, "AWS::Serverless::Function")
    expected = {"InteractionsFunction", "PricingRefreshFunction", "RefineryNoticesFunction"}
    if (ROOT / "functions" / "reports" / "handler.py").exists():
        expected.add("ReportsFunction")
    assert set(functions) == expected
    globals_ = template["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.12"
    assert globals_["Architectures"] == ["arm64"]
    for name, function in functions.items():
        properties = function["Properties"]
        module_path, attribute = properties["Handler"].rsplit(".", 1)
        assert (ROOT / f"{module_path}.py").is_file(), name
        module = importlib.import_module(module_path.replace("/", "."))
        assert callable(getattr(module, attribute)), name
        assert function["Metadata"]["BuildMethod"] == "makefile"
        assert properties["LoggingConfig"]["LogFormat"] == "JSON"
        assert 0 < properties["Timeout"] <= 900
    makefile = (ROOT / "infra" / "Makefile").read_text("utf-8")
    for name in functions:
        assert f"build-{name}:" in makefile


def test_the_worker_service_never_runs_two_tasks(template: dict[str, Any]) -> None:
    (service,) = _resources(template, "AWS::ECS::Service").values()
    assert service["Condition"] == "DeployWorker"
    properties = service["Properties"]
    assert properties["DesiredCount"] == 1
    assert properties["DeploymentConfiguration"]["MinimumHealthyPercent"] == 0
    assert properties["DeploymentConfiguration"]["MaximumPercent"] == 100


# ------------------------------------------------------------------ the handlers on moto

WORKER_SECRET = "w" * 48


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A moto account with the table, the app secret, and the function's environment."""
    aws_env(monkeypatch, unset=["DISCORD_PUBLIC_KEY"], SM_LOG_LEVEL="INFO")
    secret = {"DISCORD_BOT_TOKEN": "bot-token-for-tests", "SM_WORKER_SECRET": WORKER_SECRET}
    with moto_account(monkeypatch, secret):
        yield


def test_the_interactions_handler_answers_a_signed_ping_on_dynamodb(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.interactions.handler import handler

    keys = DevKeyPair.generate()
    monkeypatch.setenv("DISCORD_PUBLIC_KEY", keys.public_key_hex)
    body = b'{"type":1,"id":"1","application_id":"4242","token":"t","version":1}'
    timestamp = str(int(time.time()))
    signed = {
        "X-Signature-Ed25519": keys.sign(timestamp, body),
        "X-Signature-Timestamp": timestamp,
        "Content-Type": "application/json",
    }
    answer = handler(url_event("POST", "/interactions", body, signed), LambdaContext())
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"type": 1}

    forged = {**signed, "X-Signature-Ed25519": keys.sign(timestamp, body + b" ")}
    refused = handler(url_event("POST", "/interactions", body, forged), LambdaContext())
    assert refused["statusCode"] == 401

    # The store is the moto table: /health reads it.
    health = handler(url_event("GET", "/health", b"", {}), LambdaContext())
    assert health["statusCode"] == 200, health["body"]
    # The worker secret came from Secrets Manager (not the environment): the worker API is on
    # and refuses an unsigned heartbeat instead of answering 404.
    worker = handler(url_event("POST", "/worker/v1/heartbeat", b"{}", {}), LambdaContext())
    assert worker["statusCode"] in (400, 401)


def test_the_pricing_handler_refreshes_from_a_scheduler_event_like_the_local_app(
    aws: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, template: dict[str, Any]
) -> None:
    uex = FakeUex()
    fake_http = httpx.Client(transport=httpx.MockTransport(uex))
    build = pricing_lambda.build_price_service
    monkeypatch.setattr(
        pricing_lambda,
        "build_price_service",
        lambda store, clock, settings, http=None: build(store, clock, settings, fake_http),
    )
    from functions.pricing_refresh.handler import handler

    schedule = template["Resources"]["PricingRefreshSchedule"]["Properties"]
    event = json.loads(schedule["Target"]["Input"])
    answer = handler(event, LambdaContext())
    json.dumps(answer)

    local_store = SqliteStore(tmp_path / "local.sqlite3")
    try:
        local = build(
            local_store, FixedClock(answer["fetched_ms"]), Settings.from_env({}), fake_http
        ).refresh()
    finally:
        local_store.close()
    assert answer == {
        "ok": local.ok,
        "reason": local.reason,
        "fetched_ms": answer["fetched_ms"],
        "game_version": local.game_version,
        "priced": local.priced,
        "missing": len(local.missing),
    }
    assert answer["ok"] is True
    on_dynamodb = PriceService(
        DynamoDbStore(boto3.client("dynamodb", region_name=REGION), TABLE_NAME),
        FixedClock(answer["fetched_ms"]),
        lambda: pytest.fail("no UEX call when reading"),
    )
    stored = on_dynamodb.stored()
    assert stored is not None
    assert on_dynamodb.last_success_ms() == answer["fetched_ms"]


def test_a_report_claim_outlives_any_live_attempt_and_ends_before_the_last_retry(
    template: dict[str, Any],
) -> None:
    """A report attempt claims its message before sending; if it dies, the claim must outlast
    any live attempt (the function's timeout) yet end before Lambda's last retry (about 1 min
    after the failure, then 2 more), or that retry would find it "in progress" and give up."""
    from sunday_mining.reports.service import SEND_LEASE_MS

    timeout_s = template["Resources"]["ReportsFunction"]["Properties"]["Timeout"]
    invoke = template["Resources"]["ReportsFunction"]["Properties"]["EventInvokeConfig"]
    assert invoke["MaximumRetryAttempts"] == 2
    assert timeout_s * 1000 < SEND_LEASE_MS < (60 + 120) * 1000


# ------------------------------------------------------------------ refinery job schedules


def test_the_refinery_scheduler_role_may_only_invoke_the_notices_function(
    template: dict[str, Any],
) -> None:
    role = template["Resources"]["RefinerySchedulerRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    assert statements == [
        {
            "Effect": "Allow",
            "Action": "lambda:InvokeFunction",
            "Resource": {"Fn::GetAtt": ["RefineryNoticesFunction", "Arn"]},
        }
    ]
    assert "ManagedPolicyArns" not in role


def test_only_the_interactions_function_makes_job_schedules_and_passes_only_that_role(
    template: dict[str, Any],
) -> None:
    resources = template["Resources"]
    for name, function in _resources(template, "AWS::Serverless::Function").items():
        statements = [s for p in function["Properties"]["Policies"] for s in p["Statement"]]
        actions = {a for s in statements for a in _listed(s["Action"])}
        if name != "InteractionsFunction":
            assert not {a for a in actions if a.startswith(("scheduler:", "iam:"))}, name
            continue
        by_sid = {s["Sid"]: s for s in statements}
        schedules = by_sid["RefineryJobSchedules"]
        assert set(schedules["Action"]) == {"scheduler:CreateSchedule", "scheduler:DeleteSchedule"}
        assert "${RefineryScheduleGroup}/*" in schedules["Resource"]["Fn::Sub"]
        passing = by_sid["PassRefinerySchedulerRole"]
        assert passing["Action"] == "iam:PassRole"
        assert passing["Resource"] == {"Fn::GetAtt": ["RefinerySchedulerRole", "Arn"]}
        assert passing["Condition"] == {
            "StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}
        }
    variables = resources["InteractionsFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["SM_REFINERY_SCHEDULE_GROUP"] == {"Ref": "RefineryScheduleGroup"}
    assert variables["SM_REFINERY_SCHEDULER_ROLE_ARN"] == {
        "Fn::GetAtt": ["RefinerySchedulerRole", "Arn"]
    }
    assert variables["SM_REFINERY_NOTICES_FUNCTION_ARN"] == {
        "Fn::GetAtt": ["RefineryNoticesFunction", "Arn"]
    }
    assert resources["RefineryScheduleGroup"]["Type"] == "AWS::Scheduler::ScheduleGroup"


def test_the_refinery_sweep_runs_on_the_price_refresh_rate_with_the_sample_event(
    template: dict[str, Any],
) -> None:
    resources = template["Resources"]
    sweep = resources["RefinerySweepSchedule"]["Properties"]
    prices = resources["PricingRefreshSchedule"]["Properties"]
    assert sweep["ScheduleExpression"] == prices["ScheduleExpression"]
    assert sweep["Target"]["Arn"] == {"Fn::GetAtt": ["RefineryNoticesFunction", "Arn"]}
    assert sweep["Target"]["RoleArn"] == {"Fn::GetAtt": ["RefinerySchedulerRole", "Arn"]}
    sample = json.loads((ROOT / "infra" / "events" / "refinery-sweep.json").read_text("utf-8"))
    assert json.loads(sweep["Target"]["Input"]) == sample


def _listed(action: str | list[str]) -> list[str]:
    return [action] if isinstance(action, str) else action
