"""The interactions Lambda's import path stays lean: no PDF, HTTP-client or gateway libraries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.cold_import import ping_event

from sunday_mining_dev.simulator import DevKeyPair

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("fpdf", "httpx", "discord", "jsonschema", "uvicorn", "hypothesis")

PROBE = """
import json, os, sys
sys.path.insert(0, "functions/interactions")
os.environ["SM_SQLITE_PATH"] = sys.argv[1]
os.environ["DISCORD_PUBLIC_KEY"] = sys.argv[2]
os.environ["SM_WORKER_SECRET"] = "w" * 40  # the worker API on, as deployed
import handler
from sunday_mining.entrypoints.interactions_lambda import interactions_handler
from sunday_mining.entrypoints.factories import build_from_settings
from sunday_mining.config import Settings
from sunday_mining.web.app import create_app_from_settings
settings = Settings.from_env()
create_app_from_settings(build_from_settings(settings), settings)
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
print(json.dumps(sorted(name for name in sys.modules if name.startswith("sunday_mining."))))
"""


def test_building_the_interactions_app_imports_nothing_heavy(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            PROBE,
            str(tmp_path / "probe.sqlite3"),
            DevKeyPair.generate().public_key_hex,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    top_level, ours = result.stdout.strip().splitlines()[-2:]
    loaded = set(json.loads(top_level))
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)
    # Loaded with the first request that needs them, not to answer Discord after a cold start:
    # the worker's models, the PDF code, the demo, and payroll and reports (the engine, the
    # services, the commands) though reports are on here.
    lazy = {
        "sunday_mining.web.worker_models",
        "sunday_mining.reports.pdf",
        "sunday_mining_dev.demo",
        "sunday_mining.domain.payroll",
        "sunday_mining.services.payroll",
        "sunday_mining.interactions.payroll_commands",
        "sunday_mining.domain.refining",
        "sunday_mining.services.refinery",
        "sunday_mining.interactions.refinery_commands",
        "sunday_mining.reports.service",
        "sunday_mining.reports.data",
        "sunday_mining.reports.model",
    }
    assert lazy.isdisjoint(json.loads(ours)), lazy & set(json.loads(ours))
    assert "sunday_mining.web.reports" in json.loads(ours)  # the link route is mounted


def test_the_router_lists_every_payroll_action_it_loads_on_first_use() -> None:
    from sunday_mining.interactions import payroll_commands, router

    assert set(payroll_commands.COMPONENTS) == router.PAYROLL_COMPONENTS
    assert set(payroll_commands.MODALS) == router.PAYROLL_MODALS
    assert router.PAYROLL_COMPONENTS.isdisjoint(
        {"status", "stop", "alist"}
    )  # no clash with the session buttons


def test_the_router_lists_every_refinery_action_it_loads_on_first_use() -> None:
    from sunday_mining.interactions import refinery_commands, router

    assert set(refinery_commands.COMPONENTS) == router.REFINERY_COMPONENTS
    assert set(refinery_commands.MODALS) == router.REFINERY_MODALS
    loaded_otherwise = set(router.COMPONENTS) - router.REFINERY_COMPONENTS
    assert router.REFINERY_COMPONENTS.isdisjoint(loaded_otherwise | router.PAYROLL_MODALS)


LAMBDA_PROBE = """
import json, sys, types
sys.path.insert(0, "functions/interactions")
event = json.loads(sys.stdin.read())
context = types.SimpleNamespace(
    function_name="probe", memory_limit_in_mb=1024, aws_request_id="probe",
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:probe",
)
from handler import handler
answer = handler(event, context)
print(json.dumps({"status": answer["statusCode"], "body": answer["body"],
                  "modules": sorted(sys.modules)}))
"""


def test_a_lambda_cold_start_answers_a_ping_without_payroll_reports_or_a_thread_pool() -> None:
    """The interactions function as the template deploys it (reports, the worker API, the
    failure queue, JSON logs): the first answer loads neither the payroll, report and
    diagnostics code, nor the command definitions (registration only), nor anyio's thread
    machinery (handlers run on the loop inside a Lambda, web/offload.py)."""
    keys = DevKeyPair.generate()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SM_", "DISCORD_", "AWS_"))}
    env |= {
        "AWS_LAMBDA_FUNCTION_NAME": "probe",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "SM_STORE": "dynamodb",
        "SM_TABLE_NAME": "probe",
        "DISCORD_PUBLIC_KEY": keys.public_key_hex,
        "DISCORD_APPLICATION_ID": "2",
        "SM_WORKER_SECRET": "w" * 40,
        "SM_LINK_SIGNING_KEY": "k" * 40,
        "SM_REPORTS_BUCKET": "probe-reports",
        "SM_REPORTS_FUNCTION": "probe-reports",
        "SM_FAILURE_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/probe",
    }
    result = subprocess.run(
        [sys.executable, "-c", LAMBDA_PROBE],
        input=json.dumps(ping_event(keys)),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert (answer["status"], json.loads(answer["body"])) == (200, {"type": 1})
    loaded = set(answer["modules"])
    lazy = {
        "anyio._backends._asyncio",
        "sunday_mining.services.diagnostics",
        "sunday_mining.interactions.commands",
        "sunday_mining.domain.payroll",
        "sunday_mining.services.payroll",
        "sunday_mining.interactions.payroll_commands",
        "sunday_mining.reports.service",
        "sunday_mining.web.worker_models",
    }
    assert lazy.isdisjoint(loaded), lazy & loaded


SERVE_PROBE = """
import json, os, sys
os.environ["SM_SQLITE_PATH"] = sys.argv[1]
os.environ["SM_DATA_DIR"] = sys.argv[2]
from sunday_mining.entrypoints.factories import build_from_settings
from sunday_mining.config import Settings
from sunday_mining.entrypoints.local_server import migrate_table
from sunday_mining.web.app import create_app_from_settings
settings = Settings.from_env()
migrate_table(settings)
services = build_from_settings(settings)
create_app_from_settings(services, settings)
services.store.get(("G#1", "CONFIG"))
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_the_embedded_default_loads_no_aws_library(tmp_path: Path) -> None:
    # serve's wiring on SQLite: the store rules both adapters share live apart from the
    # DynamoDB adapter, so the SQLite store imports no boto3 or botocore.
    result = subprocess.run(
        [sys.executable, "-c", SERVE_PROBE, str(tmp_path / "s.sqlite3"), str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith(("SM_", "AWS_"))},
    )
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert loaded.isdisjoint({"boto3", "botocore"}), loaded & {"boto3", "botocore"}
