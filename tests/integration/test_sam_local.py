"""What `sam local` runs, without Docker: infra/env.example.json gives each function its
environment (as --env-vars does, over the variables the template declares), and each sample event
in infra/events/ goes through that function's handler in this process, with moto for AWS."""

from __future__ import annotations

import importlib
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from tests.support.payroll import GUILD, OFFICER, fresh_prices, ready_draft
from tests.support.template import load_template

from sunday_mining.adapters import aws_secrets
from sunday_mining.adapters.dynamodb_store import DynamoDbStore
from sunday_mining.adapters.dynamodb_table import create_table
from sunday_mining.domain.clock import FixedClock
from sunday_mining.entrypoints import (
    interactions_lambda,
    pricing_lambda,
    refinery_lambda,
    reports_lambda,
)
from sunday_mining.entrypoints.factories import build_services
from sunday_mining_dev import cli as dev_cli
from sunday_mining_dev.simulator import SinkState
from sunday_mining_dev.simulator.keys import DevKeyPair
from sunday_mining_dev.simulator.lambda_events import LOCAL_APPLICATION_ID, signed_interaction_event
from sunday_mining_dev.simulator.rest_sink import running_sink

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "infra" / "events"
ENV_FILE = ROOT / "infra" / "env.example.json"
UEX_FIXTURES = ROOT / "tests" / "fixtures" / "uex"
REGION = "us-east-1"
REPORT_CHANNEL = "1300000000000000077"


def _env_file() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = json.loads(ENV_FILE.read_text("utf-8"))
    return data


def _event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / name).read_text("utf-8"))
    return data


def _declared(template: dict[str, Any]) -> dict[str, set[str]]:
    """Each function's variables as the template declares them (Globals and its own)."""
    shared = set(template["Globals"]["Function"]["Environment"]["Variables"])
    return {
        name: shared | set(resource["Properties"].get("Environment", {}).get("Variables", {}))
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


# ------------------------------------------------------------------ the env file


def test_the_env_file_names_exactly_the_functions_and_the_variables_each_declares() -> None:
    declared = _declared(load_template())
    env = _env_file()
    assert set(env) == set(declared)
    for name, variables in env.items():
        # --env-vars overrides only declared variables: anything else would be ignored.
        assert set(variables) == declared[name], name


def test_every_variable_in_the_env_file_is_read_by_the_code() -> None:
    source = "\n".join(p.read_text("utf-8") for p in (ROOT / "src").rglob("*.py"))
    names = {name for variables in _env_file().values() for name in variables}
    unread = sorted(name for name in names if f'"{name}"' not in source)
    assert unread == []


def test_the_env_file_uses_the_simulators_dev_key_and_local_secrets_only() -> None:
    interactions = _env_file()["InteractionsFunction"]
    assert interactions["DISCORD_PUBLIC_KEY"] == DevKeyPair.local_dev().public_key_hex
    assert interactions["DISCORD_APPLICATION_ID"] == LOCAL_APPLICATION_ID
    for variables in _env_file().values():
        secrets = json.loads(variables["SM_LOCAL_SECRETS"])
        assert set(secrets) <= aws_secrets.SECRET_KEYS
        assert all(value.startswith("local-") for value in secrets.values())


# ------------------------------------------------------------------ the events, in process


class _Uex(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = UEX_FIXTURES / f"{self.path.split('?')[0].rsplit('/', 1)[-1]}.json"
        body = path.read_bytes() if path.exists() else b'{"status": "error", "data": null}'
        self.send_response(200 if path.exists() else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def uex() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Uex)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/2.0"
    server.shutdown()


@pytest.fixture
def sam_local(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto with the table and bucket the env file names; ``use(function)`` sets that
    function's environment as sam local does (the AWS endpoints left to moto)."""
    for name in ("SM_SIGNATURE_MAX_AGE_S", *aws_secrets.SECRET_KEYS):
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_SAM_LOCAL": "true",
    }.items():
        monkeypatch.setenv(name, value)

    def use(function: str) -> None:
        for name, value in _env_file()[function].items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", function)
        monkeypatch.setenv("SM_DYNAMODB_ENDPOINT", "")
        monkeypatch.setenv("SM_S3_ENDPOINT", "")
        monkeypatch.setattr(aws_secrets, "_COLD_START", aws_secrets.SecretsOnce())
        monkeypatch.setattr(interactions_lambda, "_interactions", None)
        monkeypatch.setattr(pricing_lambda, "_built", None)
        monkeypatch.setattr(reports_lambda, "_services", None)
        monkeypatch.setattr(refinery_lambda, "_services", None)

    env = _env_file()["ReportsFunction"]
    with mock_aws():
        create_table(boto3.client("dynamodb", region_name=REGION), env["SM_TABLE_NAME"])
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=env["SM_REPORTS_BUCKET"])
        yield use


class _Context:
    """The Lambda context object as the runtime passes it."""

    def __init__(self, function: str) -> None:
        self.function_name = function
        self.memory_limit_in_mb = 1024
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:000000000000:function:{function}"
        self.aws_request_id = "c0ffee00-0000-4000-8000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
    """The function's handler as the template names it, called as `sam local invoke` calls it."""
    module, attribute = load_template()["Resources"][function]["Properties"]["Handler"].rsplit(
        ".", 1
    )
    handler = getattr(importlib.import_module(module.replace("/", ".")), attribute)
    answer: dict[str, Any] = handler(event, _Context(function))
    return answer


def _answer(response: dict[str, Any]) -> dict[str, Any]:
    assert response["statusCode"] == 200, response
    body: dict[str, Any] = json.loads(response["body"])
    return body


def test_a_freshly_signed_ping_is_answered_with_a_pong(sam_local: Any) -> None:
    sam_local("InteractionsFunction")
    event = signed_interaction_event(None)
    assert _answer(invoke("InteractionsFunction", event)) == {"type": 1}


def test_sign_event_writes_a_command_event_the_function_answers(
    sam_local: Any, tmp_path: Path
) -> None:
    sam_local("InteractionsFunction")
    out = tmp_path / "events" / "status.json"
    assert dev_cli.main(["sign-event", "mining status", "--user", "ana", "--out", str(out)]) == 0
    answer = _answer(invoke("InteractionsFunction", json.loads(out.read_text("utf-8"))))
    assert answer["type"] == 4


def test_an_event_signed_ten_minutes_ago_is_refused(sam_local: Any) -> None:
    """Why `sunday-mining-dev sign-event` exists: a signed event outlives the replay window."""
    sam_local("InteractionsFunction")
    event = signed_interaction_event(None, now_s=time.time() - 600)
    assert invoke("InteractionsFunction", event)["statusCode"] == 401


def test_the_committed_ping_is_signed_with_the_dev_key(
    sam_local: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sam_local("InteractionsFunction")
    monkeypatch.setenv("SM_SIGNATURE_MAX_AGE_S", "0")  # no replay window: the signature alone
    ping = invoke("InteractionsFunction", _event("interactions-ping.json"))
    assert _answer(ping) == {"type": 1}


def test_the_committed_status_command_gets_an_ephemeral_answer(
    sam_local: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sam_local("InteractionsFunction")
    monkeypatch.setenv("SM_SIGNATURE_MAX_AGE_S", "0")
    answer = _answer(invoke("InteractionsFunction", _event("interactions-mining-status.json")))
    assert answer["type"] == 4
    assert answer["data"]["flags"] & 64


def test_the_scheduled_refresh_event_stores_prices(
    sam_local: Any, uex: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sam_local("PricingRefreshFunction")
    monkeypatch.setenv("UEX_BASE_URL", uex)
    outcome = invoke("PricingRefreshFunction", _event("pricing-refresh.json"))
    assert outcome["ok"] is True
    assert outcome["priced"] > 0


def test_the_report_job_event_builds_the_report_into_the_bucket_and_posts_it(
    sam_local: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sam_local("ReportsFunction")
    env = _env_file()["ReportsFunction"]
    bot_token = json.loads(env["SM_LOCAL_SECRETS"])["DISCORD_BOT_TOKEN"]
    store = DynamoDbStore(boto3.client("dynamodb", region_name=REGION), env["SM_TABLE_NAME"])
    clock = FixedClock(1_795_370_400_000)
    services = build_services(store, clock)
    services.guilds.set_report_channel(GUILD, REPORT_CHANNEL)
    payroll = fresh_prices(services, clock)
    draft = ready_draft(services, clock, payroll)
    final = payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    # The sample names its guild and payroll by placeholders: what a user fills in.
    text = (EVENTS / "report-job.json").read_text("utf-8")
    event = json.loads(text.replace("GUILD_ID", GUILD).replace("PAYROLL_ID", final.payroll_id))

    sink = SinkState(application_id=env["DISCORD_APPLICATION_ID"], bot_token=bot_token)
    with running_sink(sink) as api_base:
        monkeypatch.setenv("SM_DISCORD_API_BASE", api_base)  # the simulator's Discord
        outcome = invoke("ReportsFunction", event)
    assert outcome == {"ok": True, "key": f"{final.payroll_id}:{event['payload']['request_key']}"}
    (posted,) = sink.channel_messages(REPORT_CHANNEL)
    assert posted["attachments"]
    listed = boto3.client("s3", region_name=REGION).list_objects_v2(
        Bucket=env["SM_REPORTS_BUCKET"], Prefix="reports/"
    )
    names = sorted(item["Key"] for item in listed.get("Contents", []))
    assert [re.sub(r".*\.", "", name) for name in names] == ["csv", "json", "pdf"]


def test_the_refinery_sweep_event_runs_and_finds_nothing_due_in_an_empty_table(
    sam_local: Any,
) -> None:
    sam_local("RefineryNoticesFunction")
    answer = invoke("RefineryNoticesFunction", _event("refinery-sweep.json"))
    assert answer == {"ok": True, "job": "refinery-sweep", "notices": 0}
