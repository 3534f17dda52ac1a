"""A report service on the test's store and a folder or bucket, with a deliverer that records
what it was asked to send and a renderer that counts its calls."""

from __future__ import annotations

from typing import Any

from tests.support.payroll import GUILD, OFFICER

from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.errors import Unavailable
from sunday_mining.entrypoints.factories import Services
from sunday_mining.observability import CurrentMetrics
from sunday_mining.ports.blobs import BlobStore
from sunday_mining.ports.jobs import JobQueue
from sunday_mining.reports.links import ReportLinks
from sunday_mining.reports.model import ReportData, content_hash
from sunday_mining.reports.service import ReportFiles, ReportRequest, ReportService
from sunday_mining.services.names import MemberNames
from sunday_mining.services.payroll import PayrollService, PayrollVersion

KEY = b"k" * 32


class Recorder:
    """A Deliverer that records what it was asked to send, failing the first ``fail`` times."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.sent: list[tuple[ReportRequest, ReportFiles, str]] = []
        self.notices: list[str] = []

    def deliver(self, request: ReportRequest, files: ReportFiles, link: str) -> dict[str, Any]:
        if self.fail:
            self.fail -= 1
            raise Unavailable("Discord did not answer.")
        self.sent.append((request, files, link))
        return {"followup_message_id": str(len(self.sent))}

    def notify_failure(self, request: ReportRequest, text: str) -> None:
        self.notices.append(text)


class CountingRenderer:
    def __init__(self) -> None:
        self.calls: list[ReportData] = []

    def __call__(self, data: ReportData) -> tuple[bytes, bytes]:
        self.calls.append(data)
        digest = content_hash(data).encode()
        return b"%PDF-fake " + digest, b"csv " + digest


def make_service(
    services: Services,
    clock: FixedClock,
    payroll: PayrollService,
    blobs: BlobStore,
    deliverer: Recorder,
    renderer: Any,
    jobs: JobQueue | None = None,
) -> ReportService:
    return ReportService(
        services.store,
        clock,
        services.guilds,
        services.sessions,
        services.summaries,
        payroll,
        blobs=blobs,
        links=ReportLinks(KEY, "https://sm.example", valid_days=30),
        lookup_names=MemberNames(services.store, clock).lookup,
        deliverer=deliverer,
        renderer=renderer,
        metrics=CurrentMetrics(),
        jobs=jobs,
    )


def request_for(
    version: PayrollVersion, key: str = "int-1", *, token: str = "tok", at_ms: int = 0
) -> ReportRequest:
    return ReportRequest(
        guild_id=GUILD,
        payroll_id=version.payroll_id,
        requested_by=OFFICER,
        request_key=key,
        application_id="app",
        interaction_token=token,
        interaction_ms=at_ms,
    )
