"""Faults: the store failing at every single step of the flows that write, and UEX down.

A wrapper store raises one of the port's errors (``Throttled``, ``Unavailable``,
``ConditionFailed`` — what the DynamoDB adapter maps throttling, outages and conflicts to) on
the Nth store call of one request, for every N the request makes. For each of

* ``/mining start`` (config, locks, presence, the session transaction; plus the endpoint's own
  bookkeeping),
* a worker batch at ``/worker/v1/batches`` (lease check, duplicate marker, presence, the write),
* the payroll's Finalize button (the draft, the session, the transaction),

it proves: the member gets one clear ephemeral sentence (the worker a status it keeps the batch
for and retries — a 5xx, or a 409 that makes it take the lease again — never a 400 that would
make it drop the batch, never a 200 for a batch that was not stored); nothing is half-written —
every row (new ids masked) is as before the request, or as after a clean success; and the same
request, sent again once the fault has cleared, succeeds and leaves exactly the state a
fault-free run leaves. (This found a batch's leave events lost when the store failed between
the presence update and the records: services/voice.py now writes both in one transaction.)

It also found the Finalize button reading the payroll back after the commit to render it: a
fault there told the officer to try again, and the retry that it was already final. The view is
now rendered from what was written (interactions/payroll_commands.py).

UEX down: a refresh that fails keeps the last snapshot, ``/mining prices`` keeps answering from
it (and says how old it is), and diagnostics names the failure.

Not here, because it is already proven elsewhere: the worker killed mid-batch. The spool's
append survives SIGKILL (tests/unit/test_worker_spool.py::
test_sigkill_mid_append_loses_nothing_already_appended); a spool left by a killed worker is
replayed first (tests/integration/test_worker_recorder.py::
test_a_spool_left_by_a_killed_worker_is_replayed_first_under_the_new_worker_id); a batch
delivered before the kill but still spooled is a harmless duplicate
(test_a_batch_sent_again_after_a_crash_is_a_duplicate_and_leaves_the_spool, and against the
real app test_worker_api.py::test_a_lease_holder_delivers_batches_and_duplicates_change_nothing).
The report job's faults (every store call of it, and the report storage down) are swept in
tests/reliability/test_report_faults.py; Discord's 429, 10015 and 413 in report delivery's own
tests (tests/integration/test_report_delivery.py).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.reliability.conftest import (
    WORKER_SECRET,
    Rig,
    Row,
    assert_sane_answer,
    component_ids,
    is_ephemeral,
    is_refusal,
    running_rig,
)
from tests.support.faults import FAULTS, FaultyStore
from tests.support.uex import FakeUex

from sunday_mining.domain.errors import ConditionFailed
from sunday_mining.ports.store import Store
from sunday_mining.ports.worker_protocol import sign
from sunday_mining.services import keys
from sunday_mining.services.errors import ERRORS_PK
from sunday_mining.services.prices import PriceService
from sunday_mining.services.replays import seen_key

# --- comparing states -------------------------------------------------------------------------

_ULID = re.compile(r"\b[0-9A-HJKMNP-TV-Z]{26}\b")
_BOOKKEEPING = tuple(
    pk.removeprefix(keys.guild_pk("0")) for pk in (keys.members_pk("0"), seen_key("0", "1")[0])
)


def state(rig: Rig) -> list[str]:
    """The store as it matters: every row, new ids masked (a retry mints other ids than a
    clean run), without the error counters, the member-name cache and the marks of
    interactions seen (bookkeeping that a failed request may legitimately touch)."""
    kept = [r for r in rig.all_rows() if r[0] != ERRORS_PK and not str(r[0]).endswith(_BOOKKEEPING)]
    return sorted(_ULID.sub("<id>", json.dumps(row, default=str)) for row in kept)


class Faults:
    """Runs one request under every fault at every step and checks the three promises."""

    def __init__(self, rig: Rig, store: FaultyStore) -> None:
        self.rig, self.store = rig, store

    def sweep(
        self,
        request: Callable[[], Any],
        *,
        failed: Callable[[Any], bool],
        succeeded: Callable[[Any], bool],
    ) -> Sweep:
        """``request`` sends the request and returns what came back; ``failed`` checks a
        failure is reported as it should, ``succeeded`` that a success looks like one."""
        rig, store = self.rig, self.store
        start: list[Row] = rig.all_rows()
        before = state(rig)
        store.arm(None)
        clean = request()
        sweep = Sweep(steps=list(store.log))
        assert succeeded(clean), clean
        after = state(rig)
        assert after != before, "the request should have written something"
        for step in range(1, len(sweep.steps) + 1):
            read = sweep.steps[step - 1].startswith("read: ")
            for error in [e for e in FAULTS if not (read and e is ConditionFailed)]:
                rig.restore(start)
                store.arm(step, error)
                outcome = request()
                store.arm(None)
                where = f"{error.__name__} at store call {step} ({sweep.steps[step - 1]})"
                now = state(rig)
                sweep.cases += 1
                if succeeded(outcome):
                    # The fault hit something the request may do without (bookkeeping).
                    assert now == after, f"{where}: succeeded but left another state"
                    sweep.absorbed.append(where)
                    continue
                assert failed(outcome), f"{where}: {outcome}"
                if now == before:
                    retried = request()
                    assert succeeded(retried), f"{where}: the retry failed: {retried}"
                else:
                    # Reported as a failure although the write landed whole: the retry must
                    # then say so clearly, and change nothing more.
                    assert now == after, f"{where}: half-written"
                    sweep.landed.append(where)
                    retried = request()
                    assert failed(retried) or succeeded(retried), f"{where}: {retried}"
                assert state(rig) == after, f"{where}: the retry left another state"
        rig.restore(start)
        return sweep


@dataclass
class Sweep:
    steps: list[str]
    cases: int = 0
    absorbed: list[str] = field(default_factory=list)  # faults the request did without
    landed: list[str] = field(default_factory=list)  # failures reported after the commit


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Rig, FaultyStore]]:
    wrappers: list[FaultyStore] = []

    def wrap(inner: Store) -> Store:
        wrappers.append(FaultyStore(inner))
        return wrappers[0]

    with running_rig(tmp_path_factory.mktemp("faults") / "store.sqlite3", wrap) as rig:
        yield rig, wrappers[0]


def one_clear_sentence(answer: dict[str, Any] | None) -> bool:
    if answer is None or not is_refusal(answer) or not is_ephemeral(answer):
        return False
    content = answer["data"]["content"]
    return "\n" not in content and len(content) < 300 and "went wrong" not in content


def interaction(rig: Rig, payload: dict[str, Any]) -> Callable[[], dict[str, Any] | None]:
    body = json.dumps(payload, separators=(",", ":")).encode()

    def send() -> dict[str, Any] | None:
        return assert_sane_answer(payload, rig.post_signed(body))

    return send


# --- session start ----------------------------------------------------------------------------


def test_store_faults_at_every_step_of_starting_an_op(faulty: tuple[Rig, FaultyStore]) -> None:
    rig, store = faulty
    payload = rig.sim.payloads.command(rig.sim.guild.member("lead"), "mining start", {})
    sweep = Faults(rig, store).sweep(
        interaction(rig, payload),
        failed=one_clear_sentence,
        succeeded=lambda answer: answer is not None and "started by" in answer["data"]["content"],
    )
    print(f"start: {len(sweep.steps)} store calls, {sweep.cases} faults")
    assert sweep.landed == []
    assert sweep.cases >= 3 * 4


# --- worker ingest ----------------------------------------------------------------------------


def test_store_faults_at_every_step_of_a_worker_batch(faulty: tuple[Rig, FaultyStore]) -> None:
    rig, store = faulty
    guild = rig.sim.guild
    lease = json.dumps({"worker_id": "w-faults", "ttl_s": 300}).encode()
    granted = rig.http.post(
        "/worker/v1/lease",
        content=lease,
        headers=sign(WORKER_SECRET, "/worker/v1/lease", lease, time.time()),
    )
    assert granted.json()["granted"], granted.text
    rig.services.sessions.start_sunday(guild.id, guild.member("lead").id, "Faulty op")
    now = rig.clock.now_ms()
    batch = {
        "worker_id": "w-faults",
        "guild_id": guild.id,
        "conn": "1795370400000-faults",
        "batch_seq": 1,
        "events": [
            {"t_ms": now, "seq": n, "user_id": guild.member(who).id, "channel_id": channel}
            for n, (who, channel) in enumerate(
                [("ben", guild.channel("Mining 2").id), ("cy", None)], start=1
            )
        ],
        "snapshots": [],
    }
    body = json.dumps(batch).encode()

    def send() -> httpx.Response:
        return rig.http.post(
            "/worker/v1/batches",
            content=body,
            headers=sign(WORKER_SECRET, "/worker/v1/batches", body, time.time()),
        )

    def succeeded(response: httpx.Response) -> bool:
        return response.status_code == 200 and response.json()["stored"] > 0

    sweep = Faults(rig, store).sweep(
        send,
        # The worker keeps a batch and retries it on a 5xx, or on a 409 once it holds the lease
        # again (worker/delivery.py); a 400 would make it drop the batch.
        failed=lambda response: response.status_code >= 500 or response.status_code == 409,
        succeeded=succeeded,
    )
    print(
        f"ingest: {len(sweep.steps)} store calls, {sweep.cases} faults; absorbed {sweep.absorbed}"
    )
    assert sweep.landed == []
    assert sweep.cases >= 3 * 3


# --- payroll finalize -------------------------------------------------------------------------


def test_store_faults_at_every_step_of_finalizing_a_payroll(
    faulty: tuple[Rig, FaultyStore],
) -> None:
    rig, store = faulty
    world = rig.worlds[rig.sim.guild.id]
    purser = rig.sim.guild.member("purser")
    store.arm(None)
    ask = next(c for c in world.custom_ids if c.startswith("sm1:pask:"))
    confirm = rig.sim.click(purser, world.messages[ask], ask)
    assert confirm.status == 200, confirm.response_text
    finalize = next(c for c in component_ids(confirm) if c.startswith("sm1:pfin:"))
    payload = rig.sim.payloads.component(purser, confirm.message or {}, finalize)

    def succeeded(answer: dict[str, Any] | None) -> bool:
        embeds = (answer or {}).get("data", {}).get("embeds") or [{}]
        return "· final" in str(embeds[0].get("title", ""))

    sweep = Faults(rig, store).sweep(
        interaction(rig, payload), failed=one_clear_sentence, succeeded=succeeded
    )
    print(f"finalize: {len(sweep.steps)} store calls, {sweep.cases} faults")
    assert sweep.landed == []
    assert sweep.cases >= 3 * 3


# --- UEX down ---------------------------------------------------------------------------------


def test_uex_down_keeps_the_last_snapshot_and_says_so(
    faulty: tuple[Rig, FaultyStore], tmp_path: Path
) -> None:
    rig, store = faulty
    store.arm(None)
    uex = FakeUex()
    refresher = PriceService(rig.services.store, rig.clock, uex.client)
    assert refresher.refresh().ok
    lead = rig.sim.guild.member("lead")

    def prices() -> dict[str, Any]:
        exchange = rig.sim.command(lead, "mining prices", ore="Quantainium")
        assert exchange.status == 200, exchange.response_text
        return exchange.data

    fresh = prices()
    rig.clock.advance(minutes=26 * 60)
    for outage in (
        lambda: httpx.Response(503),
        lambda: httpx.Response(200, text="<html>maintenance</html>"),
    ):
        uex.fail("*", outage)
        outcome = refresher.refresh()
        assert not outcome.ok
        assert outcome.reason
    down = prices()
    assert down["embeds"][0]["fields"] == fresh["embeds"][0]["fields"]  # the same quotes
    shown = json.dumps(down["embeds"][0], ensure_ascii=False)
    assert "more than a day old" in shown
    diagnostics = rig.sim.command(lead, "mining diagnostics")
    assert "The price refresh is failing" in json.dumps(diagnostics.data, ensure_ascii=False)
