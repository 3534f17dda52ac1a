"""After finalize: the report job (in-process) builds the PDF and CSV into the reports folder and
posts a follow-up with the PDF attached and a link button. The demo waits for that follow-up at
the local Discord's REST sink, then finds the files the job wrote — or says plainly that no
report came, and goes on.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

import httpx

from sunday_mining.adapters.jobs import InProcessJobs
from sunday_mining_dev.simulator import RestCall, SinkState

WAIT_S = 10.0
_POLL_S = 0.1
_LINK = re.compile(r"https?://[^\s\"'<>]+/reports/[A-Za-z0-9_-]+\?sig=[A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Report:
    attachment: str  # the file name Discord shows on the follow-up
    said: str  # the follow-up's text, first line
    link: str
    pdf: Path | None
    csv: Path | None
    link_check: str = ""  # what opening the link answered while the app ran


def check_link(report: Report) -> Report:
    """Open the link as a browser would: a valid link serves the PDF from the reports folder."""
    try:
        response = httpx.get(report.link, timeout=5.0)
    except httpx.HTTPError as error:
        return _with_check(report, f"could not be opened ({type(error).__name__})")
    kind = response.headers.get("content-type", "?").split(";")[0]
    return _with_check(report, f"HTTP {response.status_code}, {kind}, {len(response.content):,} B")


def _with_check(report: Report, text: str) -> Report:
    return Report(report.attachment, report.said, report.link, report.pdf, report.csv, text)


def wait_for_report(
    sink: SinkState,
    reports_dir: Path,
    payroll_id: str,
    *,
    jobs: object = None,
    timeout_s: float = WAIT_S,
) -> Report | None:
    """The report of ``payroll_id``, once its follow-up has reached the sink; None when none
    came within ``timeout_s``. With the in-process job runner (``jobs``) the wait ends as soon
    as the job has run, whatever its outcome."""
    deadline = time.monotonic() + timeout_s
    if isinstance(jobs, InProcessJobs):
        with contextlib.suppress(FutureTimeout):
            jobs.drain(timeout_s)
    while True:
        for call in sink.log.calls:
            report = _report_in(call, reports_dir, payroll_id)
            if report is not None:
                return report
        if isinstance(jobs, InProcessJobs) or time.monotonic() >= deadline:
            return None
        time.sleep(_POLL_S)


def _report_in(call: RestCall, reports_dir: Path, payroll_id: str) -> Report | None:
    """A delivered message (2xx) carrying a PDF and the report link is the report."""
    pdfs = [f["filename"] for f in call.files if str(f["filename"]).endswith(".pdf")]
    if not (200 <= call.status < 300) or not pdfs:
        return None
    link = _LINK.search(json.dumps(call.request, ensure_ascii=False))
    if link is None:
        return None
    content = call.request.get("content") if isinstance(call.request, dict) else None
    return Report(
        attachment=pdfs[0],
        said=str(content or "").split("\n")[0],
        link=link.group(0),
        pdf=_written(reports_dir, payroll_id, ".pdf"),
        csv=_written(reports_dir, payroll_id, ".csv"),
    )


def _written(reports_dir: Path, payroll_id: str, suffix: str) -> Path | None:
    """The file the job wrote for this payroll: its keys have the payroll id as a folder."""
    found = sorted(
        p for p in reports_dir.rglob(f"*{suffix}") if payroll_id in p.parts and p.is_file()
    )
    return found[0] if found else None
