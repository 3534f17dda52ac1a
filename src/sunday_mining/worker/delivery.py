"""Delivery of batches: every batch is spooled (fsynced) first, then sent strictly in order.

Two tasks, neither of which ever blocks the loop:
- the writer takes batches handed over by the recorder and appends them to the spool, several
  per fsync when they queue up;
- the sender sends the spool's head, removes it after a 200 (or a 400, which retrying cannot
  fix), and otherwise waits with a capped, jittered backoff. Nothing newer overtakes it.

A 409 pauses the sender and tells the worker it lost the lease; the batches stay spooled and go
out, under the current worker id, once the lease is back.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

from sunday_mining.ports.worker_protocol import encode
from sunday_mining.worker.app_client import (
    AppClient,
    AuthError,
    NotLeaseHolder,
    Rejected,
    Retryable,
)
from sunday_mining.worker.spool import Spool, SpoolEntry
from sunday_mining.worker.waiting import wait_event

log = logging.getLogger("sunday_mining.worker.delivery")

_WRITE_CHUNK = 200


class Delivery:
    def __init__(
        self,
        spool: Spool,
        app: AppClient,
        worker_id: str,
        *,
        retry_base_s: float = 0.5,
        retry_max_s: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        self._spool = spool
        self._app = app
        self._worker_id = worker_id
        self._retry_base_s = retry_base_s
        self._retry_max_s = retry_max_s
        self._rng = rng or random.Random()
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._wake = asyncio.Event()
        self._running = asyncio.Event()  # set while the sender may send (we hold the lease)
        self._unspooled = 0  # handed over, not yet in the spool
        self._spooled = asyncio.Event()  # set when nothing handed over waits for the spool
        self._spooled.set()
        self._idle = asyncio.Event()  # set when nothing handed over is left undelivered
        if not len(spool):
            self._idle.set()  # a spool left by a previous process is work to do
        self.lease_lost = asyncio.Event()
        self.fatal: AuthError | None = None
        self.fatal_event = asyncio.Event()
        self.delivered = 0
        self.dropped = 0

    # --- called from the loop, never blocking --------------------------------------------------

    def submit(self, batch: dict[str, Any]) -> None:
        """Hand over a batch (the spool form, without worker_id); it is spooled in order."""
        self._idle.clear()
        self._spooled.clear()
        self._unspooled += 1
        self._queue.put_nowait(batch)

    def resume(self) -> None:
        """We hold the lease: send."""
        self.lease_lost.clear()
        self._running.set()
        self.nudge()

    def pause(self) -> None:
        self._running.clear()

    def nudge(self) -> None:
        """The app answered something: try the head again now rather than after the backoff."""
        self._wake.set()

    @property
    def backlog(self) -> int:
        return self._unspooled + len(self._spool)

    async def drain(self, timeout_s: float) -> bool:
        """Wait until everything handed over is delivered; False if time ran out first."""
        self.nudge()
        return await wait_event(self._idle, timeout_s)

    async def wait_spooled(self, timeout_s: float) -> bool:
        """Wait until everything handed over is on disk (delivered or not)."""
        return await wait_event(self._spooled, timeout_s)

    # --- tasks ---------------------------------------------------------------------------------

    async def run(self) -> None:
        """Run the writer and the sender until cancelled (or a 401 ends the sender)."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._writer(), name="spool-writer")
            group.create_task(self._sender(), name="batch-sender")

    async def _writer(self) -> None:
        failures = 0
        held: list[dict[str, Any]] = []
        while True:
            if not held:
                held.append(await self._queue.get())
            while len(held) < _WRITE_CHUNK and not self._queue.empty():
                held.append(self._queue.get_nowait())
            try:
                await self._spool.append_many(held)
            except OSError as exc:
                failures += 1
                delay = self._backoff(failures)
                log.error(
                    "cannot write the spool; batches held in memory",
                    extra={"held": len(held), "error": type(exc).__name__, "retry_s": delay},
                )
                await asyncio.sleep(delay)
                continue
            failures = 0
            self._unspooled -= len(held)
            held = []
            if self._unspooled == 0:
                self._spooled.set()
            self._wake.set()

    async def _sender(self) -> None:
        failures = 0
        while True:
            entry = self._spool.head()
            if entry is None or not self._running.is_set():
                if entry is None and self._unspooled == 0:
                    self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            outcome = await self._send(entry)
            if outcome == "fatal":
                return
            if outcome == "done":
                failures = 0
                try:
                    await self._spool.ack(entry.id)
                except OSError as exc:
                    # Delivered all the same; a restart would send it again as a duplicate.
                    log.error("cannot mark a batch delivered", extra={"error": type(exc).__name__})
            elif outcome == "retry":
                failures += 1
                await self._sleep_or_wake(self._backoff(failures))

    async def _send(self, entry: SpoolEntry) -> str:
        batch = entry.batch
        body = encode({"worker_id": self._worker_id, **batch})
        where = {
            "guild_id": batch.get("guild_id"),
            "conn": batch.get("conn"),
            "batch_seq": batch.get("batch_seq"),
        }
        try:
            answer = await self._app.send_batch(body)
        except Retryable as exc:
            log.warning(
                "batch not delivered; kept in the spool",
                extra={**where, "reason": str(exc), "spooled": len(self._spool)},
            )
            return "retry"
        except Rejected as exc:
            self.dropped += 1
            log.error("batch rejected by the app; dropped", extra={**where, "reason": str(exc)})
            return "done"
        except NotLeaseHolder:
            log.warning("batch refused: not the lease holder; sending paused", extra=where)
            self.pause()
            self.lease_lost.set()
            return "paused"
        except AuthError as exc:
            self.fatal = exc
            self.fatal_event.set()
            return "fatal"
        self.delivered += 1
        if answer.duplicate:
            log.info("batch was already recorded", extra=where)
        return "done"

    def _backoff(self, failures: int) -> float:
        ceiling = min(self._retry_max_s, self._retry_base_s * 2.0 ** min(failures - 1, 20))
        return ceiling * (0.5 + self._rng.random() / 2)

    async def _sleep_or_wake(self, delay: float) -> None:
        self._wake.clear()
        await wait_event(self._wake, delay)
