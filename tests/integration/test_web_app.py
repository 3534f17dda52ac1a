"""The HTTP app's surface apart from its main routes: no API description is served, and a report
link answers HEAD (what link previews send) like GET, without the body."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.errors import PermissionDenied
from sunday_mining.entrypoints.factories import build_services
from sunday_mining.entrypoints.local_server import running_app
from sunday_mining.reports.service import OpenedReport, ReportService
from sunday_mining.web.app import create_app
from sunday_mining.web.reports import reports_router

PDF = b"%PDF-1.7 a whole report"


class Reports:
    """Opens one report, "r1" with signature "good", as the local folder does: the file."""

    def open(self, identifier: str, sig: str, kind: str = "pdf") -> OpenedReport:
        if (identifier, sig, kind) != ("r1", "good", "pdf"):
            raise PermissionDenied("This report link is not valid.")
        return OpenedReport(data=PDF, filename="payroll.pdf")


@pytest.fixture
def http(tmp_path: Path) -> Iterator[httpx.Client]:
    store = SqliteStore(tmp_path / "w.sqlite3")
    web = create_app(
        build_services(store, FixedClock(1_795_370_400_000)),
        public_key_hex=None,
        worker_secret="s" * 48,
    )
    web.include_router(reports_router(lambda: cast(ReportService, Reports())))
    with running_app(web) as base, httpx.Client(base_url=base, timeout=10) as client:
        yield client
    store.close()


@pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/redoc"])
def test_no_api_description_is_served(http: httpx.Client, path: str) -> None:
    assert http.get(path).status_code == 404


def _head_and_get(http: httpx.Client, url: str) -> tuple[httpx.Response, httpx.Response]:
    return http.head(url), http.get(url)


@pytest.mark.parametrize(
    ("url", "status"), [("/reports/r1?sig=good", 200), ("/reports/r1?sig=bad", 403)]
)
def test_a_report_link_answers_head_like_get_without_the_body(
    http: httpx.Client, url: str, status: int
) -> None:
    head, get = _head_and_get(http, url)
    assert (head.status_code, get.status_code) == (status, status)
    assert head.content == b""
    same: dict[str, Any] = {
        name: get.headers.get(name)
        for name in ("content-type", "content-length", "cache-control", "content-disposition")
    }
    assert {name: head.headers.get(name) for name in same} == same
    if status == 200:
        assert get.content == PDF
