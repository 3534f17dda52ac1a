"""``GET /reports/{id}?sig=…``: the durable report link a Discord button points at.

A valid signature redirects to a presigned S3 URL made on the spot (AWS) or serves the PDF
(local folder). A tampered, foreign or expired signature gets 403 with one sentence saying what
to do; nothing about the report is revealed before the signature is checked.
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from sunday_mining.domain.errors import NotFound, PermissionDenied, StoreError
from sunday_mining.services.reports import ReportService

_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def reports_router(reports: ReportService) -> APIRouter:
    router = APIRouter()

    @router.get("/reports/{report_id}")
    def open_report(report_id: str, sig: str = Query("", max_length=200)) -> Response:
        try:
            opened = reports.open(report_id[:100], sig)
        except PermissionDenied as error:
            return PlainTextResponse(error.message, status_code=403, headers=_NO_STORE)
        except NotFound as error:
            return PlainTextResponse(error.message, status_code=404, headers=_NO_STORE)
        except StoreError:
            return PlainTextResponse(
                "Reports are unavailable for a moment; try the link again shortly.",
                status_code=503,
                headers=_NO_STORE,
            )
        if opened.redirect_url is not None:
            return RedirectResponse(opened.redirect_url, status_code=302, headers=_NO_STORE)
        return Response(
            opened.data or b"",
            media_type="application/pdf",
            headers={
                **_NO_STORE,
                "Content-Disposition": f'inline; filename="{opened.filename}"',
            },
        )

    return router
