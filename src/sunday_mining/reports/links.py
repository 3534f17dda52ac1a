"""Durable report links: ``/reports/<report id>?sig=<expiry>.<mac>`` opens the PDF, and
``/reports/<report id>?kind=<csv|json>&sig=<expiry>.<mac>`` the report's other files; the org's
books have one too, ``/books/<books id>?sig=…``, a CSV of the ledger made when it is opened.

A link button needs a short URL that keeps working for weeks; an S3 presigned URL made with a
Lambda's temporary credentials dies with them (hours) and is far too long. So the app signs the
report id and an expiry day with its own key (HMAC-SHA256) and, when the link is opened,
checks it and redirects to a presigned URL made on the spot (or serves the file locally). The
kind of file is signed with the id (the PDF's signature is the id's alone, as it always was), so
a link opens the one file it was made for.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from sunday_mining.domain.errors import PermissionDenied

_DAY_S = 86_400
# ASCII digits only: re's \d takes every script's digits, which int() reads just the same, so a
# genuine signature respelled in them would be another valid link. Always used with fullmatch.
_SIG = re.compile(r"([0-9]{1,10})\.([A-Za-z0-9_-]{22,64})")
_REPORT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
PDF = "pdf"
KINDS = (PDF, "csv", "json")  # every file a report has, the PDF first
BOOKS = "books"  # the org's ledger as a CSV, signed as a kind of its own


class LinkExpired(PermissionDenied):
    pass


class ReportLinks:
    def __init__(self, key: bytes, base_url: str, *, valid_days: int = 30) -> None:
        if len(key) < 32:
            raise ValueError("the link-signing key must be at least 32 bytes")
        self._key = key
        self._base = base_url.rstrip("/")
        self._valid_s = valid_days * _DAY_S

    @property
    def valid_days(self) -> int:
        return self._valid_s // _DAY_S

    def url(self, report_id: str, *, now_s: int, kind: str = PDF) -> str:
        """The link to one file of the report (the PDF unless told), valid until the end of the
        day ``valid_days`` from now (UTC): rounding to a day keeps every link made for one file
        on one day identical."""
        sig = self._sig(report_id, now_s, kind)
        if kind == PDF:
            return f"{self._base}/reports/{report_id}?sig={sig}"
        return f"{self._base}/reports/{report_id}?kind={kind}&sig={sig}"

    def books_url(self, books_id: str, *, now_s: int) -> str:
        """The link to a CSV of the org's books (see web/reports.py), valid like a report's."""
        return f"{self._base}/books/{books_id}?sig={self._sig(books_id, now_s, BOOKS)}"

    def _sig(self, identifier: str, now_s: int, kind: str) -> str:
        expires = (now_s // _DAY_S + 1) * _DAY_S + self._valid_s
        return f"{expires}.{self._mac(identifier, expires, kind)}"

    def check(self, report_id: str, sig: str, *, now_s: int, kind: str = PDF) -> None:
        """Raise PermissionDenied for a tampered or foreign signature (or one made for another
        kind of file), LinkExpired when old."""
        if kind not in KINDS:
            raise PermissionDenied("This report link is not valid.")
        self._check(report_id, sig, now_s, kind)

    def check_books(self, books_id: str, sig: str, *, now_s: int) -> None:
        """``check`` for a link made by ``books_url``; a report's signature never opens it."""
        self._check(books_id, sig, now_s, BOOKS)

    def _check(self, identifier: str, sig: str, now_s: int, kind: str) -> None:
        match = _SIG.fullmatch(sig or "")
        if not _REPORT_ID.fullmatch(identifier or "") or match is None:
            raise PermissionDenied("This report link is not valid.")
        expires = int(match.group(1))
        if not hmac.compare_digest(match.group(2), self._mac(identifier, expires, kind)):
            raise PermissionDenied("This report link is not valid.")
        if now_s >= expires:
            raise LinkExpired(
                "This report link has expired; open the payroll in Discord and press "
                "Rebuild report for a fresh one."
            )

    def _mac(self, report_id: str, expires: int, kind: str) -> str:
        signed = f"{report_id}.{expires}" if kind == PDF else f"{report_id}.{kind}.{expires}"
        digest = hmac.new(self._key, signed.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")
