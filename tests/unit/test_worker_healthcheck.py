"""The container's health check prints one line and never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sunday_mining.worker.healthcheck import check

NOW = 1_800_000_000.0


def _touched(path: Path, at_s: float) -> Path:
    path.touch()
    os.utime(path, (at_s, at_s))
    return path


def test_a_fresh_file_is_healthy(tmp_path: Path) -> None:
    path = _touched(tmp_path / "health", NOW - 5)
    assert check({"SM_WORKER_HEALTH_FILE": str(path)}, NOW) == (
        True,
        "healthy: the app answered 5 s ago",
    )


def test_a_stale_file_is_unhealthy(tmp_path: Path) -> None:
    path = _touched(tmp_path / "health", NOW - 30)
    env = {"SM_WORKER_HEALTH_FILE": str(path), "SM_WORKER_HEALTH_MAX_AGE_S": "20"}
    assert check(env, NOW) == (False, "unhealthy: no answer from the app for 30 s (limit 20 s)")


def test_a_missing_file_is_unhealthy(tmp_path: Path) -> None:
    healthy, line = check({"SM_WORKER_HEALTH_FILE": str(tmp_path / "none")}, NOW)
    assert not healthy
    assert line.startswith("unhealthy: no answer from the app yet")


def test_no_setting_is_unhealthy() -> None:
    assert check({}, NOW) == (False, "unhealthy: SM_WORKER_HEALTH_FILE is not set")


def test_as_a_command_a_missing_file_is_one_line_and_exit_1(tmp_path: Path) -> None:
    env = {**os.environ, "SM_WORKER_HEALTH_FILE": str(tmp_path / "none")}
    done = subprocess.run(
        [sys.executable, "-m", "sunday_mining.worker.healthcheck"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == ""
    assert done.stdout.count("\n") == 1
    assert done.stdout.startswith("unhealthy:")
