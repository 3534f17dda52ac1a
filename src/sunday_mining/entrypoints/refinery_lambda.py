"""The composition root of the refinery notices Lambda. Two events reach it:

* a job's own one-time schedule (``{"job": "refinery-notice", "guild_id", "job_id"}``), made
  when the job was added or its time left changed: that job's notice;
* the periodic sweep (``{"job": "refinery-sweep"}``), on the price refresh's rate: every job
  that is due and not announced, so a schedule that was lost or failed still gets its notice.

Either may come twice, late, or after the job was cancelled: the store decides (see
services/refinery.py), so each due time gets one notice. Nothing here raises for a job that is
gone or already announced; a store failure raises, and Scheduler tries again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sunday_mining import observability
from sunday_mining.adapters.system_clock import SystemClock
from sunday_mining.container import Services
from sunday_mining.domain.clock import Clock

NOTICE = "refinery-notice"
SWEEP = "refinery-sweep"

_services: Services | None = None
_clock: Clock = SystemClock()


def refinery_notices_handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    services = _built()
    kind = str(event.get("job", ""))
    if kind == NOTICE:
        guild_id, job_id = str(event.get("guild_id", "")), str(event.get("job_id", ""))
        sent = services.refinery.notify_job(guild_id, job_id)
        return {"ok": True, "job": kind, "notices": int(sent)}
    if kind == SWEEP:
        return {"ok": True, "job": kind, "notices": services.refinery.notify_all_due()}
    return {"ok": False, "reason": f"no runner for '{kind[:40]}' here"}


def _built() -> Services:
    global _services  # noqa: PLW0603 - reused by a warm container
    if _services is None:
        from sunday_mining.adapters.aws_secrets import load_secrets
        from sunday_mining.config import Settings
        from sunday_mining.entrypoints.factories import build_from_settings

        settings = Settings.from_env(secrets=load_secrets())  # once per cold start
        observability.configure_lambda("refinery-notices", settings.log_level, settings.stack_name)
        # Runs no jobs of its own: it posts as the bot, and frozen threads would never finish.
        _services = build_from_settings(settings, _clock, run_jobs=False)
    return _services
