"""One writer at a time: acquire the lease before connecting, renew it with every heartbeat.

A worker without the lease never connects to the gateway; it asks again every ttl / 2. A 409 on
a heartbeat (or a batch) means another worker holds it now: the session stops and the worker
goes back to acquiring.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sunday_mining.ports.worker_protocol import Heartbeat, HeartbeatAnswer
from sunday_mining.worker.app_client import AppClient, NotLeaseHolder, Rejected, Retryable
from sunday_mining.worker.waiting import wait_event

log = logging.getLogger("sunday_mining.worker.lease")


class LeaseLost(Exception):
    """Another worker holds the lease."""


class WorkerMisconfigured(Exception):
    """The app rejected the worker's own identity or settings (a 400 on the lease)."""


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to ``seconds``; True if ``stop`` was set meanwhile."""
    await wait_event(stop, seconds)
    return stop.is_set()


async def acquire_lease(
    app: AppClient,
    worker_id: str,
    ttl_s: int,
    retry_s: float,
    stop: asyncio.Event,
    on_contact: Callable[[], Awaitable[None]],
) -> bool:
    """Ask for the lease until it is granted (True) or ``stop`` is set (False)."""
    holder_seen: str | None = None
    while not stop.is_set():
        try:
            answer = await app.lease(worker_id, ttl_s)
        except Retryable as exc:
            log.warning("cannot reach the app for the lease", extra={"reason": str(exc)})
        except Rejected as exc:
            raise WorkerMisconfigured(f"the app rejected the lease request ({exc})") from None
        else:
            await on_contact()
            if answer.granted:
                log.info("lease acquired", extra={"worker_id": worker_id, "ttl_s": ttl_s})
                return True
            if answer.holder != holder_seen:
                holder_seen = answer.holder
                log.info(
                    "another worker holds the lease; waiting",
                    extra={"holder": answer.holder, "expires_ms": answer.expires_ms},
                )
        if await wait_or_stop(stop, retry_s):
            break
    return False


class Heartbeater:
    """Sends a heartbeat every ``interval_s`` (or at once when poked) until the lease is lost.

    ``build`` makes the next heartbeat; ``undelivered`` gets one back when it did not land, so
    its gaps travel with the next. A 401 propagates (`AuthError`); a 409 raises `LeaseLost`.
    """

    def __init__(
        self,
        app: AppClient,
        build: Callable[[], Heartbeat],
        on_answer: Callable[[HeartbeatAnswer], Awaitable[None]],
        undelivered: Callable[[Heartbeat], None],
        interval_s: float,
    ) -> None:
        self._app = app
        self._build = build
        self._on_answer = on_answer
        self._undelivered = undelivered
        self._interval_s = interval_s
        self._poke = asyncio.Event()
        self.sent = 0

    def poke(self) -> None:
        self._poke.set()

    async def run(self) -> None:
        while True:
            self._poke.clear()
            await self.beat()
            await wait_event(self._poke, self._interval_s)

    async def beat(self) -> None:
        heartbeat = self._build()
        try:
            answer = await self._app.heartbeat(heartbeat)
        except NotLeaseHolder:
            self._undelivered(heartbeat)
            raise LeaseLost("the app answered 409 to a heartbeat") from None
        except Retryable as exc:
            self._undelivered(heartbeat)
            log.warning("heartbeat not delivered", extra={"reason": str(exc)})
            return
        except Rejected as exc:
            log.error("heartbeat rejected by the app; dropped", extra={"reason": str(exc)})
            return
        self.sent += 1
        if not answer.lease_granted:
            raise LeaseLost("the heartbeat answer did not renew the lease")
        await self._on_answer(answer)
