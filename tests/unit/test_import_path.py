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
import handler
from sunday_mining.aws_root import interactions_handler
from sunday_mining.bootstrap import build_from_settings
from sunday_mining.config import Settings
from sunday_mining.web.app import create_app_from_settings
settings = Settings.from_env()
create_app_from_settings(build_from_settings(settings), settings)
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
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
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)
