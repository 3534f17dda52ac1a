"""The container's health check: healthy while the app has answered the worker recently.

The worker touches SM_WORKER_HEALTH_FILE after every heartbeat and lease answer; this reads the
file's age against SM_WORKER_HEALTH_MAX_AGE_S and prints one line either way (docker inspect
shows it). Run as ``python -m sunday_mining.worker.healthcheck``; exit 0 healthy, 1 not.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

DEFAULT_MAX_AGE_S = 120.0


def check(env: Mapping[str, str], now_s: float) -> tuple[bool, str]:
    path_text = env.get("SM_WORKER_HEALTH_FILE", "").strip()
    if not path_text:
        return False, "unhealthy: SM_WORKER_HEALTH_FILE is not set"
    max_age_text = env.get("SM_WORKER_HEALTH_MAX_AGE_S", "").strip()
    try:
        max_age_s = float(max_age_text) if max_age_text else DEFAULT_MAX_AGE_S
    except ValueError:
        return False, f"unhealthy: SM_WORKER_HEALTH_MAX_AGE_S is not a number ('{max_age_text}')"
    try:
        touched_s = Path(path_text).stat().st_mtime
    except FileNotFoundError:
        return False, f"unhealthy: no answer from the app yet ({path_text} does not exist)"
    except OSError as error:
        return False, f"unhealthy: cannot read {path_text} ({error.strerror})"
    age_s = max(0.0, now_s - touched_s)
    if age_s < max_age_s:
        return True, f"healthy: the app answered {age_s:.0f} s ago"
    return False, f"unhealthy: no answer from the app for {age_s:.0f} s (limit {max_age_s:g} s)"


def main() -> int:
    healthy, line = check(os.environ, time.time())
    print(line)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
