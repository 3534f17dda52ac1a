"""The worker's recorder, spool and app client against a fake app speaking the protocol.

No discord.py here: the recorder is fed plain values, as the gateway glue does.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from tests.support.fake_worker_app import FakeWorkerApp

from sunday_mining.worker.app_client import AppClient
from sunday_mining.worker.delivery import Delivery
from sunday_mining.worker.recorder import Recorder
from sunday_mining.worker.spool import DATA_FILE, Spool

SECRET = "k" * 48
WORKER = "worker-a"
GUILD = "1000"
OTHER_GUILD = "2000"
VC1, VC2 = "11", "12"
ALICE, BOB, MUSIC_BOT, OWN_BOT = "41", "42", "49", "99"
WAIT_S = 5.0


@pytest_asyncio.fixture
async def app() -> AsyncIterator[FakeWorkerApp]:
    fake = FakeWorkerApp(SECRET)
    await fake.start()
    fake.grant_to(WORKER)
    yield fake
    await fake.stop()


@dataclass
class Pipeline:
    recorder: Recorder
    delivery: Delivery
    spool: Spool
    client: AppClient


@pytest_asyncio.fixture
async def pipeline(app: FakeWorkerApp, tmp_path: Path) -> AsyncIterator[Pipeline]:
    async with running_pipeline(app, tmp_path) as running:
        yield running


class running_pipeline:  # lower case: it reads as a context manager
    def __init__(
        self, app: FakeWorkerApp, tmp_path: Path, *, batch_max: int = 50, worker: str = WORKER
    ) -> None:
        self._app, self._dir, self._batch_max, self._worker = (
            app,
            tmp_path / "spool",
            batch_max,
            worker,
        )

    async def __aenter__(self) -> Pipeline:
        self._client = AppClient(self._app.url, SECRET, timeout_s=1.0)
        self._spool = await Spool.open(self._dir)
        delivery = Delivery(
            self._spool, self._client, self._worker, retry_base_s=0.02, retry_max_s=0.1
        )
        self._task = asyncio.create_task(delivery.run())
        delivery.resume()
        recorder = Recorder(delivery.submit, batch_max=self._batch_max)
        return Pipeline(recorder, delivery, self._spool, self._client)

    async def __aexit__(self, *exc: object) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self._spool.close()
        await self._client.aclose()


async def delivered(pipeline: Pipeline) -> None:
    pipeline.recorder.flush()
    assert await pipeline.delivery.drain(WAIT_S), "batches still undelivered"


@pytest.mark.asyncio
async def test_voice_changes_are_batched_with_seq_and_conn(
    app: FakeWorkerApp, pipeline: Pipeline
) -> None:
    recorder = pipeline.recorder
    conn = recorder.connected(resumed=False)
    recorder.snapshot(GUILD, {VC1: [ALICE], VC2: []})
    recorder.voice_change(GUILD, BOB, None, VC1, bot=False)
    recorder.voice_change(GUILD, BOB, VC1, VC2, bot=False)
    recorder.voice_change(GUILD, ALICE, VC1, None, bot=False)
    await delivered(pipeline)

    assert re.fullmatch(r"\d{13}-[0-9a-f]{8}", conn)
    assert [(b.conn, b.batch_seq, b.worker_id) for b in app.batches] == [(conn, 1, WORKER)]
    assert app.snapshots(GUILD)[0]["channels"] == {VC1: [ALICE], VC2: []}
    assert app.snapshots(GUILD)[0]["seq"] == 1
    assert [(e["seq"], e["user_id"], e["channel_id"]) for e in app.events()] == [
        (2, BOB, VC1),
        (3, BOB, VC2),
        (4, ALICE, None),
    ]


@pytest.mark.asyncio
async def test_mute_deafen_stream_and_video_toggles_are_not_sent(
    app: FakeWorkerApp, pipeline: Pipeline
) -> None:
    recorder = pipeline.recorder
    recorder.connected(resumed=False)
    recorder.voice_change(GUILD, ALICE, None, VC1, bot=False)
    for _ in range(4):  # each toggle arrives with the same channel before and after
        assert not recorder.voice_change(GUILD, ALICE, VC1, VC1, bot=False)
    recorder.voice_change(GUILD, ALICE, VC1, None, bot=False)
    await delivered(pipeline)

    assert [(e["seq"], e["channel_id"]) for e in app.events()] == [(1, VC1), (2, None)]


@pytest.mark.asyncio
async def test_bots_are_flagged_in_events_and_snapshots(
    app: FakeWorkerApp, pipeline: Pipeline
) -> None:
    recorder = pipeline.recorder
    recorder.connected(resumed=False)
    recorder.snapshot(GUILD, {VC1: [ALICE, MUSIC_BOT, OWN_BOT]}, bots=[MUSIC_BOT, OWN_BOT])
    recorder.voice_change(GUILD, OWN_BOT, VC1, None, bot=True)
    recorder.voice_change(GUILD, BOB, None, VC1, bot=False)
    await delivered(pipeline)

    assert app.snapshots()[0]["bots"] == [MUSIC_BOT, OWN_BOT]
    assert [(e["user_id"], e["bot"]) for e in app.events()] == [(OWN_BOT, True), (BOB, False)]


@pytest.mark.asyncio
async def test_each_guild_gets_its_own_batches(app: FakeWorkerApp, pipeline: Pipeline) -> None:
    recorder = pipeline.recorder
    recorder.connected(resumed=False)
    recorder.voice_change(GUILD, ALICE, None, VC1, bot=False)
    recorder.voice_change(OTHER_GUILD, BOB, None, "21", bot=False)
    await delivered(pipeline)

    assert sorted(b.guild_id for b in app.batches) == [GUILD, OTHER_GUILD]
    assert sorted(b.batch_seq for b in app.batches) == [1, 2]  # one counter per conn


@pytest.mark.asyncio
async def test_a_full_batch_goes_out_without_waiting_for_the_interval(
    app: FakeWorkerApp, tmp_path: Path
) -> None:
    async with running_pipeline(app, tmp_path, batch_max=5) as pipeline:
        pipeline.recorder.connected(resumed=False)
        for n in range(12):
            pipeline.recorder.voice_change(GUILD, str(100 + n), None, VC1, bot=False)
        await app.wait_for(lambda: len(app.batches) == 2, WAIT_S)  # no flush() called
        assert [len(b.events) for b in app.batches] == [5, 5]
        await delivered(pipeline)
        assert [len(b.events) for b in app.batches] == [5, 5, 2]


@pytest.mark.asyncio
async def test_the_flusher_sends_within_the_interval(
    app: FakeWorkerApp, pipeline: Pipeline
) -> None:
    flusher = asyncio.create_task(pipeline.recorder.run_flusher(0.05))
    try:
        pipeline.recorder.connected(resumed=False)
        pipeline.recorder.voice_change(GUILD, ALICE, None, VC1, bot=False)
        await app.wait_for(lambda: len(app.events()) == 1, WAIT_S)
    finally:
        flusher.cancel()


@pytest.mark.asyncio
async def test_a_new_conn_on_resume_restarts_seq_and_batch_seq(
    app: FakeWorkerApp, pipeline: Pipeline
) -> None:
    recorder = pipeline.recorder
    first = recorder.connected(resumed=False)
    recorder.voice_change(GUILD, ALICE, None, VC1, bot=False)
    recorder.disconnected()
    recorder.voice_change(GUILD, BOB, None, VC1, bot=False)  # replayed before RESUMED
    second = recorder.connected(resumed=True)
    recorder.snapshot(GUILD, {VC1: [ALICE, BOB]})
    await delivered(pipeline)

    assert first < second  # later connections sort after earlier ones
    assert [(b.conn, b.batch_seq) for b in app.batches] == [(first, 1), (second, 1)]
    assert [e["seq"] for e in app.batches[0].events] == [1, 2]
    assert app.batches[1].snapshots[0]["seq"] == 1
    gaps = recorder.take_gaps()
    assert len(gaps) == 1
    assert gaps[0].start_ms <= gaps[0].end_ms
    assert recorder.take_gaps() == []


@pytest.mark.asyncio
async def test_app_down_then_back_delivers_everything_in_order_exactly_once(
    app: FakeWorkerApp, pipeline: Pipeline, tmp_path: Path
) -> None:
    recorder = pipeline.recorder
    conn = recorder.connected(resumed=False)
    recorder.snapshot(GUILD, {VC1: [], VC2: []})
    users = [str(500 + n) for n in range(30)]

    app.fail_status = 503  # the app's store is throttled
    for user in users[:10]:
        recorder.voice_change(GUILD, user, None, VC1, bot=False)
        recorder.flush()
    await app.wait_for(lambda: app.attempts.count("/worker/v1/batches") >= 2, WAIT_S)

    await app.stop()  # now the app is gone: connection refused
    for user in users[10:20]:
        recorder.voice_change(GUILD, user, VC1 if user in users[:10] else None, VC2, bot=False)
        recorder.flush()
    for user in users[:10]:
        recorder.voice_change(GUILD, user, VC1, VC2, bot=False)
    recorder.flush()
    assert await pipeline.delivery.wait_spooled(WAIT_S)
    assert len(pipeline.spool) == 21  # nothing delivered, everything on disk
    assert (tmp_path / "spool" / DATA_FILE).stat().st_size > 0

    app.fail_status = None
    await app.start()
    for user in users[20:]:
        recorder.voice_change(GUILD, user, None, VC1, bot=False)
    await delivered(pipeline)

    assert app.duplicates == 0
    assert [b.batch_seq for b in app.batches] == list(range(1, 23))
    assert all(b.conn == conn for b in app.batches)
    seqs = [e["seq"] for e in app.events()]
    assert seqs == list(range(2, 2 + 40))  # seq 1 is the snapshot; none lost, none doubled
    assert len(pipeline.spool) == 0
    assert (tmp_path / "spool" / DATA_FILE).stat().st_size == 0


@pytest.mark.asyncio
async def test_a_spool_left_by_a_killed_worker_is_replayed_first_under_the_new_worker_id(
    app: FakeWorkerApp, tmp_path: Path
) -> None:
    async with running_pipeline(app, tmp_path, worker="worker-old") as old:
        old.delivery.pause()  # as if killed before it could send
        old.recorder.connected(resumed=False)
        old.recorder.voice_change(GUILD, ALICE, None, VC1, bot=False)
        old.recorder.flush()
        assert await old.delivery.wait_spooled(WAIT_S)

    app.grant_to(WORKER)
    async with running_pipeline(app, tmp_path) as new:
        new.recorder.connected(resumed=False)
        new.recorder.voice_change(GUILD, ALICE, VC1, None, bot=False)
        await delivered(new)

    assert [(b.worker_id, [e["channel_id"] for e in b.events]) for b in app.batches] == [
        (WORKER, [VC1]),
        (WORKER, [None]),
    ]


@pytest.mark.asyncio
async def test_a_batch_sent_again_after_a_crash_is_a_duplicate_and_leaves_the_spool(
    app: FakeWorkerApp, tmp_path: Path
) -> None:
    async with running_pipeline(app, tmp_path) as first:
        first.recorder.connected(resumed=False)
        first.recorder.voice_change(GUILD, ALICE, None, VC1, bot=False)
        await delivered(first)
    # The 200 landed but the process died before the batch left the spool.
    stored = app.batches[0]
    spool = await Spool.open(tmp_path / "spool")
    await spool.append(
        {
            "guild_id": stored.guild_id,
            "conn": stored.conn,
            "batch_seq": stored.batch_seq,
            "events": stored.events,
            "snapshots": [],
        }
    )
    await spool.close()

    async with running_pipeline(app, tmp_path) as second:
        assert len(second.spool) == 1
        assert await second.delivery.drain(WAIT_S)
        assert len(second.spool) == 0
    assert app.duplicates == 1
    assert len(app.batches) == 1


@pytest.mark.asyncio
async def test_a_400_is_dropped_and_the_next_batch_still_goes_out(
    app: FakeWorkerApp, pipeline: Pipeline
) -> None:
    app.reject_batch_seqs = {1}
    pipeline.recorder.connected(resumed=False)
    pipeline.recorder.voice_change(GUILD, ALICE, None, VC1, bot=False)
    pipeline.recorder.flush()
    pipeline.recorder.voice_change(GUILD, BOB, None, VC1, bot=False)
    await delivered(pipeline)

    assert [b.batch_seq for b in app.batches] == [2]
    assert pipeline.delivery.dropped == 1
    assert app.attempts.count("/worker/v1/batches") == 2  # the 400 was not retried


@pytest.mark.asyncio
async def test_a_409_pauses_sending_keeps_the_batches_and_signals_the_lost_lease(
    app: FakeWorkerApp, pipeline: Pipeline
) -> None:
    app.grant_to("worker-b")
    pipeline.recorder.connected(resumed=False)
    pipeline.recorder.voice_change(GUILD, ALICE, None, VC1, bot=False)
    pipeline.recorder.flush()
    await asyncio.wait_for(pipeline.delivery.lease_lost.wait(), WAIT_S)
    attempts = len(app.attempts)
    await asyncio.sleep(0.2)
    assert len(app.attempts) == attempts  # paused: no hammering while another worker writes
    assert len(pipeline.spool) == 1

    app.grant_to(WORKER)  # the lease is ours again
    pipeline.delivery.resume()
    await delivered(pipeline)
    assert [e["user_id"] for e in app.events()] == [ALICE]


@pytest.mark.asyncio
async def test_a_401_is_fatal_and_nothing_is_dropped(app: FakeWorkerApp, tmp_path: Path) -> None:
    client = AppClient(app.url, "w" * 48, timeout_s=1.0)  # not the app's secret
    spool = await Spool.open(tmp_path / "spool")
    delivery = Delivery(spool, client, WORKER, retry_base_s=0.02)
    task = asyncio.create_task(delivery.run())
    try:
        delivery.resume()
        recorder = Recorder(delivery.submit)
        recorder.connected(resumed=False)
        recorder.voice_change(GUILD, ALICE, None, VC1, bot=False)
        recorder.flush()
        await asyncio.wait_for(delivery.fatal_event.wait(), WAIT_S)
        assert delivery.fatal is not None
        assert "SM_WORKER_SECRET" in str(delivery.fatal)
        assert app.unauthorized == 1
        assert len(spool) == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await spool.close()
        await client.aclose()
