"""The worker's side of the HTTP protocol: signed POSTs to /worker/v1, statuses mapped to errors.

200 is an answer; 409 NotLeaseHolder; 400 and 413 Rejected (drop and log, never retry);
401 AuthError (fatal: wrong secret or clock); 5xx, 429, any other status, a timeout or a
connection error Retryable (keep it spooled, try again later).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from sunday_mining.ports.worker_protocol import (
    PATH_PREFIX,
    VERSION,
    BatchAnswer,
    Heartbeat,
    HeartbeatAnswer,
    LeaseAnswer,
    ProtocolError,
    encode,
    sign,
)

USER_AGENT = f"sunday-mining-worker/{VERSION}"
_T = TypeVar("_T")


class AppError(Exception):
    """Base of the app client's failures; the message never holds a secret or a body."""


class Retryable(AppError):
    """The app could not answer now (down, overloaded, timed out): try again later."""


class NotLeaseHolder(AppError):
    """409: another worker holds the lease; stop writing and go back to acquiring it."""


class Rejected(AppError):
    """400 or 413: the app will never accept this body; drop it and log."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status}: {reason}")
        self.status = status
        self.reason = reason


class AuthError(AppError):
    """401: the app refused the signature. Fatal: the secret or the clock is wrong."""


class AppClient:
    def __init__(
        self,
        base_url: str,
        secret: str,
        *,
        timeout_s: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret
        self._wall_clock = wall_clock
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + PATH_PREFIX + "/",
            timeout=httpx.Timeout(timeout_s),
            transport=transport,
            headers={"User-Agent": USER_AGENT, "Content-Type": "application/json"},
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def lease(self, worker_id: str, ttl_s: int) -> LeaseAnswer:
        answer = await self._post("lease", encode({"worker_id": worker_id, "ttl_s": ttl_s}))
        return _parsed(LeaseAnswer.from_dict, answer)

    async def release(self, worker_id: str) -> bool:
        answer = await self._post("lease/release", encode({"worker_id": worker_id}))
        return isinstance(answer, dict) and answer.get("released") is True

    async def heartbeat(self, heartbeat: Heartbeat) -> HeartbeatAnswer:
        answer = await self._post("heartbeat", encode(heartbeat.to_dict()))
        return _parsed(HeartbeatAnswer.from_dict, answer)

    async def send_batch(self, body: bytes) -> BatchAnswer:
        """``body`` is the encoded batch; a 200 means it landed, whatever the answer says."""
        answer = await self._post("batches", body)
        try:
            return BatchAnswer.from_dict(answer)
        except (ProtocolError, TypeError, ValueError):
            return BatchAnswer(duplicate=False, stored=0, ignored={})

    async def _post(self, path: str, body: bytes) -> Any:
        headers = sign(self._secret, f"{PATH_PREFIX}/{path}", body, self._wall_clock())
        try:
            response = await self._http.post(path, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise Retryable(f"/{path}: timed out ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise Retryable(f"/{path}: {type(exc).__name__}") from None
        status = response.status_code
        if status == 200:
            try:
                return response.json()
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise Retryable(f"/{path}: the answer is not JSON") from None
        reason = _reason(response)
        if status == 401:
            raise AuthError(
                f"the app refused the worker's signature on /{path} ({reason}): check that "
                "SM_WORKER_SECRET matches the app's and that this host's clock is right"
            )
        if status == 409:
            raise NotLeaseHolder(f"/{path}: another worker holds the lease")
        if status in (400, 413):
            raise Rejected(status, reason)
        raise Retryable(f"/{path}: HTTP {status}")


def _parsed(parse: Callable[[Any], _T], answer: Any) -> _T:
    try:
        return parse(answer)
    except ProtocolError as exc:
        # A malformed answer is the app's fault and may be transient (a deploy in progress).
        raise Retryable(f"unexpected answer: {exc}") from None


def _reason(response: httpx.Response) -> str:
    """The app's short error text, never the body itself."""
    try:
        error = response.json().get("error")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        return f"HTTP {response.status_code}"
    return str(error)[:200] if error else f"HTTP {response.status_code}"
