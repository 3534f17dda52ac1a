"""The kinds of async job, in a module of their own so that the composition root can register a
job's runner without importing the service that runs it (see bootstrap)."""

from __future__ import annotations

REPORT_JOB = "report"  # build and deliver a payroll report (reports/service.py)
NOTICE_JOB = "notice"  # post a short notice as the bot (services/notices.py)
PAYOUT_NOTICE_JOB = "payout-notice"  # tell payees their line by DM (services/payout_notices.py)
UNPAID_REMINDER_JOB = (
    "unpaid-reminder"  # the weekly list of unpaid lines (services/unpaid_reminder.py)
)
