"""A synchronous httpx transport that runs an ASGI app in-process, for tests without sockets.

httpx's own ASGITransport is async-only; this drives it on a private event loop thread (one loop
for the transport's life, so an app that keeps loop-bound clients keeps working across requests).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal


class AsgiTransport(httpx.BaseTransport):
    def __init__(self, app: Any) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._portal_cm: AbstractContextManager[BlockingPortal] = start_blocking_portal()
        self._portal = self._portal_cm.__enter__()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        return self._portal.call(self._send, request.method, request.url, request.headers, body)

    async def _send(
        self, method: str, url: httpx.URL, headers: httpx.Headers, body: bytes
    ) -> httpx.Response:
        request = httpx.Request(method, url, headers=headers, content=body)
        response = await self._inner.handle_async_request(request)
        content = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=content)

    def close(self) -> None:
        self._portal_cm.__exit__(None, None, None)
