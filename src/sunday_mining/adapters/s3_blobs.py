"""Blobs in S3: a private bucket with server-side encryption; the app hands out presigned
URLs only for a moment (via the signed report link), never stores them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.config import Config

from sunday_mining.domain.errors import BlobStoreUnavailable
from sunday_mining.ports.blobs import PROBE_KEY, Blob, BlobStore

_MISSING = {"NoSuchKey", "404", "NotFound"}
# Signature V4 for presigned URLs (V2 is legacy and refused in newer regions), a short timeout
# and a couple of retries: a report build waits on these calls.
S3_CONFIG = Config(
    signature_version="s3v4", connect_timeout=5, read_timeout=10, retries={"max_attempts": 3}
)


class S3Blobs(BlobStore):
    def __init__(self, client: Callable[[], Any], bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    @property
    def where(self) -> str:
        return f"s3://{self._bucket}"

    def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            self._client().put_object(
                Bucket=self._bucket,
                Key=key,
                Body=data,
                ContentType=content_type,
                ServerSideEncryption="AES256",
            )
        except Exception as error:
            raise BlobStoreUnavailable(
                f"The reports bucket refused the file ({_code(error)})."
            ) from None

    def get(self, key: str) -> Blob | None:
        try:
            response = self._client().get_object(Bucket=self._bucket, Key=key)
            data = response["Body"].read()
        except Exception as error:
            if _code(error) in _MISSING:
                return None
            raise BlobStoreUnavailable(
                f"The reports bucket is unreachable ({_code(error)})."
            ) from None
        return Blob(data, str(response.get("ContentType") or "application/octet-stream"))

    def exists(self, key: str) -> bool:
        try:
            self._client().head_object(Bucket=self._bucket, Key=key)
        except Exception as error:
            if _code(error) in _MISSING:
                return False
            raise BlobStoreUnavailable(
                f"The reports bucket is unreachable ({_code(error)})."
            ) from None
        return True

    def presigned_url(self, key: str, *, filename: str, expires_s: int) -> str:
        url: str = self._client().generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self._bucket,
                "Key": key,
                "ResponseContentDisposition": f'inline; filename="{filename}"',
            },
            ExpiresIn=expires_s,
        )
        return url

    def check_writable(self) -> None:
        self.put(PROBE_KEY, b"ok", "text/plain")
        try:
            self._client().delete_object(Bucket=self._bucket, Key=PROBE_KEY)
        except Exception as error:
            raise BlobStoreUnavailable(
                f"The reports bucket refused a delete ({_code(error)})."
            ) from None


def _code(error: Exception) -> str:
    """The AWS error code only: messages can carry request details we do not want shown."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", type(error).__name__))
    return type(error).__name__
