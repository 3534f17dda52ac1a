"""The interactions Lambda's import path stays lean: no PDF, HTTP-client or gateway libraries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sunday_mining.simulator import DevKeyPair

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("fpdf", "httpx", "discord", "jsonschema", "uvicorn", "hypothesis")

PROBE = """
import json, os, sys
sys.path.insert(0, "functions/interactions")
os.environ["SM_SQLITE_PATH"] = sys.argv[1]
os.environ["DISCORD_PUBLIC_KEY"] = sys.argv[2]
os.environ["SM_WORKER_SECRET"] = "w" * 40  # the worker API on, as deployed
import handler
from sunday_mining.aws_root import interactions_handler
from sunday_mining.bootstrap import build_from_settings
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
        "sunday_mining.demo",
        "sunday_mining.domain.payroll",
        "sunday_mining.services.payroll",
        "sunday_mining.interactions.payroll_commands",
        "sunday_mining.services.reports",
        "sunday_mining.services.report_data",
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
