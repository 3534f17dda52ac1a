"""The composition root of the reports Lambda: an async invoke from the interactions function
carries one job; this builds the report (fpdf2 loads here, and only here) and delivers it, or
posts a notice as the bot (an adhoc session that stopped itself), or tells payees their line by
direct message. The weekly reminder of unpaid lines comes here too, from its schedule.

A failed attempt raises, so Lambda retries it (``MaximumRetryAttempts`` in the template) and,
after the last, sends the event to the on-failure queue; the job itself has told the user how to
rebuild by then. Retried and duplicated invokes are harmless: see reports/service.py.
"""

from __future__ import annotations

from typing import Any

from sunday_mining import observability
from sunday_mining.entrypoints.factories import Services

_services: Services | None = None


def reports_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _services  # noqa: PLW0603 - reused by a warm container
    from sunday_mining.adapters.jobs import job_from_event
    from sunday_mining.services.job_kinds import (
        NOTICE_JOB,
        PAYOUT_NOTICE_JOB,
        REPORT_JOB,
        UNPAID_REMINDER_JOB,
    )

    if _services is None:
        from sunday_mining.adapters.aws_secrets import load_secrets
        from sunday_mining.config import Settings
        from sunday_mining.entrypoints.factories import build_from_settings

        settings = Settings.from_env(secrets=load_secrets())  # once per cold start
        observability.configure_lambda("reports", settings.log_level, settings.stack_name)
        _services = build_from_settings(settings, run_jobs=False)
    job = job_from_event(event)
    if job.kind == REPORT_JOB and _services.reports is not None:
        _services.reports.run_job(job)
    elif job.kind == NOTICE_JOB and _services.notices is not None:
        _services.notices.run_job(job)
    elif job.kind == PAYOUT_NOTICE_JOB and _services.payout_notices is not None:
        _services.payout_notices.run_job(job)
    elif job.kind == UNPAID_REMINDER_JOB and _services.make_unpaid_reminder is not None:
        return {"ok": True, "posted": _services.make_unpaid_reminder().remind_all()}
    else:
        return {"ok": False, "reason": f"no runner for '{job.kind}' here"}
    return {"ok": True, "key": job.key}
