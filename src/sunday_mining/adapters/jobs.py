"""Job runners: in-process threads locally, Lambda async invoke on AWS."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sunday_mining.domain.errors import DomainError, JobsUnavailable
from sunday_mining.ports.jobs import Job, JobQueue
from sunday_mining.ports.store import Store

log = logging.getLogger(__name__)

JobHandler = Callable[[Job], None]
KEEP_FAILED = 100  # failed jobs kept in memory; the count goes on past it
_NOT_TAKEN = "Lambda didn't take the background job; try again in a minute."
JOURNAL_PK = "JOBS"
# Lambda keeps an async event for at most 6 hours; a journalled job older than that is dropped.
JOURNAL_TTL_S = 6 * 3600


class InProcessJobs(JobQueue):
    """Runs jobs on a small thread pool in this process (the embedded default).

    A failed job is tried again, like Lambda's asynchronous retries (``attempts`` in all, with
    a pause before each retry), so a job that tells the user on its last attempt does so here
    too. A job that fails every attempt is kept, as the on-failure queue keeps it on AWS, but
    in memory only: diagnostics count them since this process started.

    With a ``journal`` (the store), a job is durable once taken, as an async invoke is once
    Lambda accepted it: ``submit`` writes it down before it runs, the item goes once the job has
    run its attempts, and :meth:`resume` runs again whatever a process that died (a crash, a
    kill, a power cut) left there. Jobs are idempotent by key, so running one again is safe."""

    def __init__(
        self,
        handlers: dict[str, JobHandler],
        *,
        workers: int = 2,
        attempts: int = 3,
        retry_pause_s: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        journal: Store | None = None,
        now_s: Callable[[], float] = time.time,
    ) -> None:
        self._handlers = handlers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sm-job")
        self._pending: list[Future[None]] = []
        self._attempts = max(1, attempts)
        self._pause_s = retry_pause_s
        self._sleep = sleep
        self._failed: deque[Job] = deque(maxlen=KEEP_FAILED)
        self._failed_count = 0
        self._lock = threading.Lock()
        self._journal = journal
        self._now_s = now_s

    def submit(self, job: Job) -> None:
        handler = self._handlers.get(job.kind)
        if handler is None:
            raise JobsUnavailable(f"No runner for jobs of kind '{job.kind}'.")
        if self._journal is not None:
            self._write_down(self._journal, job)
        self._pending.append(self._pool.submit(self._run, handler, job))

    def resume(self) -> int:
        """Run again every job the journal still holds (left by a process that died before
        they had run); how many. Call once, at start, before new jobs arrive."""
        if self._journal is None:
            return 0
        resumed = 0
        for item in self._journal.query_all(JOURNAL_PK):
            job = Job(str(item["kind"]), str(item["key"]), json.loads(str(item["payload"])))
            handler = self._handlers.get(job.kind)
            if handler is None:
                log.warning("journalled job of unknown kind dropped", extra={"job_kind": job.kind})
                self._cross_off(job)
                continue
            self._pending.append(self._pool.submit(self._run, handler, job))
            resumed += 1
        return resumed

    def _write_down(self, journal: Store, job: Job) -> None:
        journal.put(
            {
                "pk": JOURNAL_PK,
                "sk": _journal_sk(job),
                "kind": job.kind,
                "key": job.key,
                "payload": json.dumps(job.payload),
                "ttl": int(self._now_s()) + JOURNAL_TTL_S,
            }
        )

    def _cross_off(self, job: Job) -> None:
        """Best effort: a job left in the journal runs once more at the next start, harmlessly."""
        if self._journal is None:
            return
        try:
            self._journal.delete((JOURNAL_PK, _journal_sk(job)))
        except DomainError:
            log.warning("finished job left in the journal", extra={"job_kind": job.kind})

    def _run(self, handler: JobHandler, job: Job) -> None:
        try:
            self._attempt(handler, job)
        finally:
            self._cross_off(job)

    def _attempt(self, handler: JobHandler, job: Job) -> None:
        for attempt in range(1, self._attempts + 1):
            try:
                handler(job)
                return
            except Exception:
                last = attempt == self._attempts
                log.warning(
                    "job failed" + ("" if last else "; trying again"),
                    extra={"job_kind": job.kind, "attempt": attempt},
                    exc_info=last,
                )
                if last:
                    self._keep_failed(job)
                else:
                    self._sleep(self._pause_s * attempt)

    def _keep_failed(self, job: Job) -> None:
        with self._lock:
            self._failed.append(job)
            self._failed_count += 1

    def failed_count(self) -> int:
        """How many jobs failed every attempt since this runner started."""
        with self._lock:
            return self._failed_count

    def failed(self) -> list[Job]:
        """The latest of those jobs (at most ``KEEP_FAILED``), oldest first."""
        with self._lock:
            return list(self._failed)

    def drain(self, timeout_s: float = 30.0) -> None:
        """Wait for every submitted job (tests and the demo use this to see results)."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.result(timeout=timeout_s)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def _journal_sk(job: Job) -> str:
    return f"{job.kind}#{job.key}"


class LambdaJobs(JobQueue):
    """Invokes a Lambda function asynchronously (InvocationType=Event) with the job as JSON."""

    def __init__(self, client: Callable[[], Any], function_name: str) -> None:
        self._client = client
        self._function_name = function_name

    def submit(self, job: Job) -> None:
        body = json.dumps({"kind": job.kind, "key": job.key, "payload": job.payload})
        try:
            response = self._client().invoke(
                FunctionName=self._function_name, InvocationType="Event", Payload=body.encode()
            )
        except Exception:
            raise JobsUnavailable(_NOT_TAKEN) from None
        if response.get("StatusCode") != 202:
            raise JobsUnavailable(_NOT_TAKEN)


def job_from_event(event: dict[str, Any]) -> Job:
    """The job an async invoke carries (the reports Lambda's side of LambdaJobs)."""
    return Job(kind=str(event["kind"]), key=str(event["key"]), payload=dict(event["payload"]))
