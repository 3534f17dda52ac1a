"""``GET /reports/{id}?sig=…``: the durable report link a Discord button points at (the PDF;
``&kind=csv`` or ``&kind=json`` for the report's other files, each signed for its kind).

``HEAD`` is answered like ``GET`` without the body: link previews ask with it first.

A valid signature redirects to a presigned S3 URL made on the spot (AWS) or serves the PDF
(local folder). A tampered, foreign or expired signature gets 403 with one sentence saying what
to do; nothing about the report is revealed before the signature is checked.

``GET /books/{books id}?sig=…`` is the CSV of the org's ledger that ``/mining ledger`` links to:
signed the same way for its own kind, and made when it is opened (reports/ledger_csv.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from sunday_mining.domain.errors import (
    DependencyUnavailable,
    NotFound,
    PermissionDenied,
    StoreError,
)
from sunday_mining.reports.links import LinkExpired

if TYPE_CHECKING:
    from sunday_mining.container import Services
    from sunday_mining.reports.service import ReportService

_MAX_SIG = 200
_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def reports_router(reports: Callable[[], ReportService]) -> APIRouter:
    """``reports`` makes the report service on first use: the first link, not the app."""
    router = APIRouter()

    # Read from the request rather than declared as typed parameters: FastAPI's parameter
    # models cost the interactions function's cold start about 25 ms (they import pydantic.v1),
    # and two strings need no model. An over-long signature is cut, and so fails the check.
    @router.api_route("/reports/{report_id}", methods=["GET", "HEAD"])
    def open_report(request: Request) -> Response:
        answer = _answer(request)
        if request.method == "HEAD":
            answer.body = b""  # the headers, Content-Length included, stay those of GET
        return answer

    def _answer(request: Request) -> Response:
        report_id = str(request.path_params.get("report_id", ""))
        sig = request.query_params.get("sig", "")[:_MAX_SIG]
        kind = request.query_params.get("kind", "pdf")[:8]
        try:
            opened = reports().open(report_id[:100], sig, kind)
        except PermissionDenied as error:
            return PlainTextResponse(error.message, status_code=403, headers=_NO_STORE)
        except NotFound as error:
            return PlainTextResponse(error.message, status_code=404, headers=_NO_STORE)
        except (StoreError, DependencyUnavailable):  # the store, S3 or the reports folder
            return PlainTextResponse(
                "Reports are unavailable for a moment; try the link again shortly.",
                status_code=503,
                headers=_NO_STORE,
            )
        if opened.redirect_url is not None:
            return RedirectResponse(opened.redirect_url, status_code=302, headers=_NO_STORE)
        # The PDF opens in the browser; the CSV and the JSON are files to save.
        shown = "inline" if opened.media_type == "application/pdf" else "attachment"
        return Response(
            opened.data or b"",
            media_type=opened.media_type,
            headers={
                **_NO_STORE,
                "Content-Disposition": f'{shown}; filename="{opened.filename}"',
            },
        )

    return router


def books_router(services: Services) -> APIRouter:
    """The ledger's CSV link; the report service (and its link key) is made on the first one."""
    router = APIRouter()

    @router.api_route("/books/{books_id}", methods=["GET", "HEAD"])
    def open_books(request: Request) -> Response:
        answer = _books_answer(request)
        if request.method == "HEAD":
            answer.body = b""
        return answer

    def _books_answer(request: Request) -> Response:
        from sunday_mining.domain.books import parse_month
        from sunday_mining.reports import ledger_csv

        books_id = str(request.path_params.get("books_id", ""))[:100]
        sig = request.query_params.get("sig", "")[:_MAX_SIG]
        reports = services.reports
        try:
            if reports is None:
                raise NotFound("This installation keeps no report links.")
            reports.links.check_books(books_id, sig, now_s=services.clock.now_ms() // 1000)
            guild_id, month = ledger_csv.parse_books_id(books_id) or ("", None)
            if not guild_id:
                raise NotFound("There is no such ledger.")
            zone = services.guilds.get(guild_id).settings.time_zone
            period = parse_month(month, zone) if month else None
            data = ledger_csv.render_ledger_csv(services.books.ledger(guild_id, zone, period), zone)
        except LinkExpired:
            return PlainTextResponse(
                "This ledger link has expired; run /mining ledger in Discord for a fresh one.",
                status_code=403,
                headers=_NO_STORE,
            )
        except PermissionDenied as error:
            return PlainTextResponse(error.message, status_code=403, headers=_NO_STORE)
        except NotFound as error:
            return PlainTextResponse(error.message, status_code=404, headers=_NO_STORE)
        except (StoreError, DependencyUnavailable):
            return PlainTextResponse(
                "The books are unavailable for a moment; try the link again shortly.",
                status_code=503,
                headers=_NO_STORE,
            )
        return Response(
            data,
            media_type=ledger_csv.MEDIA_TYPE,
            headers={
                **_NO_STORE,
                "Content-Disposition": f'attachment; filename="{ledger_csv.filename(month)}"',
            },
        )

    return router
