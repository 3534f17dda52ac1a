"""Faults in the report job: the store failing at every step of building and delivering a report
(throttling, an outage, a conflict), and the report storage down.

A clean run of one report request lists the store calls the job makes. Then, for every call and
every fault, the job runs again from the same starting state with that one call failing, and:

* the attempt either raises before anything was sent (so the runner retries it, and on AWS the
  on-failure queue keeps it after the last), or absorbs the fault and delivers;
* after a raise, the next attempt, with the fault cleared, delivers;
* either way the member gets exactly one message, and the store and the files end as a clean
  run leaves them.

(This found an attempt that failed to mark its message sent raising after the message was out:
the runner would retry it, and the last attempt would tell the member the report had failed.
The marker is now retried and, failing that, left for the lease; reports/service.py.)

The report storage (S3 on AWS) refusing writes fails the attempt the same way; the last attempt
tells the member how to rebuild, and a rebuild after the storage is back delivers.

(Discord refusing or rate-limiting the message is tested with delivery itself:
tests/integration/test_report_delivery.py covers 10015 after a defer, 429 with Retry-After, 413
and the channel fallback.)
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.support.faults import FAULTS, FaultyStore
from tests.support.payroll import OFFICER, fresh_prices, ready_draft
from tests.support.reports import (
    CountingRenderer,
    Recorder,
    make_service,
    request_for,
)

from sunday_mining.adapters.local_blobs import FolderBlobs
from sunday_mining.adapters.sqlite_store import TABLE_NAME, SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.errors import ConditionFailed, Unavailable
from sunday_mining.entrypoints.factories import build_services
from sunday_mining.ports.blobs import Blob, BlobStore
from sunday_mining.reports.service import LAST_OUTCOME_KEY, MAX_ATTEMPTS, ReportService
from sunday_mining.services.payroll import PayrollVersion

T0 = 1_795_370_400_000
GUILD_ROWS_KEPT_APART = ("REPORTTRY#",)  # the attempt counter counts attempts, by design


class FlakyBlobs(BlobStore):
    """A folder that refuses writes while ``down``, as S3 does in an outage."""

    def __init__(self, inner: FolderBlobs) -> None:
        self.inner = inner
        self.down = False

    @property
    def where(self) -> str:
        return self.inner.where

    def put(self, key: str, data: bytes, content_type: str) -> None:
        if self.down:
            raise Unavailable("The report storage did not answer.")
        self.inner.put(key, data, content_type)

    def get(self, key: str) -> Blob | None:
        return self.inner.get(key)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def presigned_url(self, key: str, *, filename: str, expires_s: int) -> str | None:
        return self.inner.presigned_url(key, filename=filename, expires_s=expires_s)

    def check_writable(self) -> None:
        self.inner.check_writable()


@dataclass
class Rig:
    db: Path
    folder: Path
    store: FaultyStore
    reports: ReportService
    deliverer: Recorder
    blobs: FlakyBlobs
    final: PayrollVersion

    def rows(self) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db) as connection:
            return connection.execute(f"SELECT * FROM {TABLE_NAME} ORDER BY 1, 2").fetchall()

    def restore(self, rows: list[tuple[Any, ...]]) -> None:
        connection = sqlite3.connect(self.db, isolation_level=None, timeout=10)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(f"DELETE FROM {TABLE_NAME}")
            if rows:
                marks = ", ".join("?" for _ in rows[0])
                connection.executemany(f"INSERT INTO {TABLE_NAME} VALUES ({marks})", rows)
            connection.execute("COMMIT")
        finally:
            connection.close()
        for path in sorted(self.folder.rglob("*"), reverse=True):
            if path.is_file():
                path.unlink()

    def state(self) -> list[str]:
        """The rows as they matter: without the attempt counter, which counts by design, and
        the last-outcome note for diagnostics, which is best effort (bookkeeping)."""
        return sorted(
            json.dumps(row, default=str)
            for row in self.rows()
            if not str(row[1]).startswith(GUILD_ROWS_KEPT_APART)
            and (row[0], row[1]) != LAST_OUTCOME_KEY
        )

    def files(self) -> dict[str, bytes]:
        return {
            str(path.relative_to(self.folder)): path.read_bytes()
            for path in sorted(self.folder.rglob("*"))
            if path.is_file()
        }


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    clock = FixedClock(T0)
    inner = SqliteStore(tmp_path / "store.sqlite3")
    store = FaultyStore(inner)
    services = build_services(store, clock)
    payroll = fresh_prices(services, clock)
    draft = ready_draft(services, clock, payroll)
    final = payroll.finalize(draft.guild_id, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    deliverer = Recorder()
    blobs = FlakyBlobs(FolderBlobs(tmp_path / "reports"))
    reports = make_service(services, clock, payroll, blobs, deliverer, CountingRenderer())
    yield Rig(
        tmp_path / "store.sqlite3", tmp_path / "reports", store, reports, deliverer, blobs, final
    )
    inner.close()


def test_store_faults_at_every_step_of_a_report_job(rig: Rig) -> None:
    start = rig.rows()
    rig.store.arm(None)
    rig.reports.run(request_for(rig.final, "clean", token="t"))
    steps, clean_state, clean_files = list(rig.store.log), rig.state(), rig.files()
    assert len(rig.deliverer.sent) == 1
    assert clean_files, "a clean run writes the PDF and the CSV"

    cases = raised = absorbed = 0
    for step in range(1, len(steps) + 1):
        read = steps[step - 1].startswith("read: ")
        for error in [e for e in FAULTS if not (read and e is ConditionFailed)]:
            rig.restore(start)
            rig.deliverer.sent.clear()
            where = f"{error.__name__} at store call {step} ({steps[step - 1]})"
            rig.store.arm(step, error)
            try:
                rig.reports.run(request_for(rig.final, "clean", token="t"))
            except Exception:
                raised += 1
                rig.store.arm(None)
                assert rig.deliverer.sent == [], f"{where}: failed after sending"
                # The runner's retry, with the fault cleared.
                rig.reports.run(request_for(rig.final, "clean", token="t"))
            else:
                absorbed += 1  # succeeded: the runner does not try again
            rig.store.arm(None)
            cases += 1
            assert len(rig.deliverer.sent) == 1, f"{where}: delivered {len(rig.deliverer.sent)}"
            assert rig.files() == clean_files, f"{where}: other files"
            assert rig.state() == clean_state, f"{where}: another state after the retry"
    assert cases >= 3 * len(steps) - len(steps)  # every step, every fault that applies
    assert raised > 0


def test_report_storage_down_fails_each_attempt_tells_on_the_last_and_a_rebuild_delivers(
    rig: Rig,
) -> None:
    rig.blobs.down = True
    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(Unavailable):
            rig.reports.run(request_for(rig.final, "int-1", token="t"))
    assert rig.deliverer.sent == []
    assert len(rig.deliverer.notices) == 1  # the last attempt only
    assert "Rebuild report" in rig.deliverer.notices[0]
    assert rig.files() == {}

    rig.blobs.down = False
    outcome = rig.reports.run(request_for(rig.final, "int-rebuild", token="t"))
    assert outcome["delivered"]
    assert len(rig.deliverer.sent) == 1
    assert sorted(name.rsplit(".", 1)[1] for name in rig.files()) == ["csv", "json", "pdf"]
