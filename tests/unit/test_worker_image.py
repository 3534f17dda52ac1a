"""The worker image installs the package without its dependencies, then only
voice_worker/requirements.txt: the worker's entry points must import with nothing of the app's
(FastAPI, pydantic, boto3, fpdf2, Powertools) and without PyNaCl (only the full voice mode)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import importlib.abc, sys

BLOCKED = {"fastapi", "starlette", "pydantic", "uvicorn", "mangum", "boto3", "botocore",
           "fpdf", "fontTools", "aws_lambda_powertools", "nacl"}

class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Blocker())
import runpy
import sunday_mining.worker.endpoints, sunday_mining.worker.gateway
import sunday_mining.worker.healthcheck, sunday_mining.entrypoints.worker
runpy.run_path(sys.argv[1], run_name="not_main")  # the image's CMD, without running it
print(sorted({m.split(".")[0] for m in sys.modules} & {"discord", "httpx"}))
"""


def test_the_worker_imports_without_the_apps_dependencies() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(ROOT / "voice_worker" / "main.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "['discord', 'httpx']"


def test_the_image_requirements_are_the_worker_extra_and_httpx_as_pyproject_pins_them() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    httpx = [d for d in project["dependencies"] if d.startswith("httpx")]
    lines = (ROOT / "voice_worker" / "requirements.txt").read_text("utf-8").splitlines()
    wanted = [line for line in lines if line and not line.startswith("#")]
    assert wanted == [*project["optional-dependencies"]["worker"], *httpx]
