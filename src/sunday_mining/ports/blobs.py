"""The blob port: where finished reports are kept (S3 on AWS, a folder locally).

Keys are relative paths such as ``reports/<guild>/<session>/<payroll>/report.pdf``; an adapter
may refuse anything else. Blobs are written whole and read whole: a report is a few hundred KB.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

REPORTS_PREFIX = "reports/"  # every key starts with it: the functions may write only there
PROBE_KEY = f"{REPORTS_PREFIX}probe-write-check"


@dataclass(frozen=True)
class Blob:
    data: bytes
    content_type: str


class BlobStore(ABC):
    @abstractmethod
    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key``, replacing what was there; raise BlobStoreUnavailable
        on failure."""

    @abstractmethod
    def get(self, key: str) -> Blob | None:
        """The blob, or None when there is none; raise BlobStoreUnavailable when it is down."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether ``key`` holds a blob (cheap: no body is read)."""

    def presigned_url(self, key: str, *, filename: str, expires_s: int) -> str | None:
        """A short-lived URL the browser can fetch directly, or None when the store serves
        blobs only through the app (the local folder)."""
        del key, filename, expires_s
        return None

    @abstractmethod
    def check_writable(self) -> None:
        """Write and delete a small probe object; raise BlobStoreUnavailable with the reason
        if not."""

    @property
    @abstractmethod
    def where(self) -> str:
        """Where blobs go, for people: a folder path or ``s3://bucket``."""


def valid_key(key: str) -> bool:
    """Relative, no empty, dot or dot-dot parts, a plain alphabet: safe as a path and an S3 key."""
    parts = key.split("/")
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
    return bool(key) and all(part not in {"", ".", ".."} and set(part) <= allowed for part in parts)
