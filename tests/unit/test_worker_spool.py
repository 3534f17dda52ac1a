"""The worker's on-disk spool: order, removal after an answer, and surviving kill -9."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sunday_mining.worker.spool import ACKED_FILE, DATA_FILE, Spool


def batch(n: int) -> dict[str, object]:
    return {"guild_id": "1000", "conn": "1795370400123-9f2c01ab", "batch_seq": n, "events": []}


def seqs(spool: Spool) -> list[object]:
    return [entry.batch["batch_seq"] for entry in spool.pending()]


@pytest.mark.asyncio
async def test_replays_in_append_order_after_reopening(tmp_path: Path) -> None:
    spool = await Spool.open(tmp_path)
    for n in range(1, 6):
        await spool.append(batch(n))
    await spool.append_many([batch(6), batch(7)])
    await spool.close()

    reopened = await Spool.open(tmp_path)
    assert seqs(reopened) == [1, 2, 3, 4, 5, 6, 7]
    await reopened.close()


@pytest.mark.asyncio
async def test_acked_batches_are_gone_after_reopening(tmp_path: Path) -> None:
    spool = await Spool.open(tmp_path)
    entries = [await spool.append(batch(n)) for n in range(1, 5)]
    await spool.ack(entries[0].id)
    await spool.ack(entries[1].id)
    await spool.close()

    reopened = await Spool.open(tmp_path)
    assert seqs(reopened) == [3, 4]
    await reopened.close()


@pytest.mark.asyncio
async def test_only_the_head_can_be_removed(tmp_path: Path) -> None:
    spool = await Spool.open(tmp_path)
    await spool.append(batch(1))
    second = await spool.append(batch(2))
    with pytest.raises(ValueError, match="not the head"):
        await spool.ack(second.id)
    assert seqs(spool) == [1, 2]
    await spool.close()


@pytest.mark.asyncio
async def test_file_is_emptied_once_everything_is_acked(tmp_path: Path) -> None:
    spool = await Spool.open(tmp_path)
    entries = [await spool.append(batch(n)) for n in range(1, 4)]
    for entry in entries:
        await spool.ack(entry.id)
    assert (tmp_path / DATA_FILE).read_bytes() == b""
    later = await spool.append(batch(4))
    assert later.id > entries[-1].id  # ids never go back, so the cursor stays valid
    await spool.close()

    reopened = await Spool.open(tmp_path)
    assert seqs(reopened) == [4]
    await reopened.close()


@pytest.mark.asyncio
async def test_torn_last_line_is_skipped_and_cut_off(tmp_path: Path) -> None:
    spool = await Spool.open(tmp_path)
    await spool.append(batch(1))
    await spool.append(batch(2))
    await spool.close()
    with open(tmp_path / DATA_FILE, "ab") as handle:
        handle.write(b'{"id": 3, "batch": {"guild_id": "10')  # kill -9 mid-write

    reopened = await Spool.open(tmp_path)
    assert seqs(reopened) == [1, 2]
    await reopened.append(batch(3))  # must not glue onto the fragment
    await reopened.close()

    again = await Spool.open(tmp_path)
    assert seqs(again) == [1, 2, 3]
    assert all(json.loads(line) for line in (tmp_path / DATA_FILE).read_bytes().splitlines())
    await again.close()


@pytest.mark.asyncio
async def test_unreadable_cursor_replays_everything(tmp_path: Path) -> None:
    spool = await Spool.open(tmp_path)
    first = await spool.append(batch(1))
    await spool.append(batch(2))
    await spool.ack(first.id)
    await spool.close()
    (tmp_path / ACKED_FILE).write_text("garbage")

    reopened = await Spool.open(tmp_path)
    assert seqs(reopened) == [1, 2]  # a duplicate for the app, never a loss
    await reopened.close()


@pytest.mark.asyncio
async def test_appends_do_not_block_the_event_loop(tmp_path: Path) -> None:
    spool = await Spool.open(tmp_path)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    for n in range(20):
        await spool.append(batch(n))
    task.cancel()
    await spool.close()
    assert ticks >= 20  # the loop kept running while each fsync ran in a thread


_WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from sunday_mining.worker.spool import Spool

    async def main() -> None:
        spool = await Spool.open(Path(sys.argv[1]))
        n = 0
        while True:
            n += 1
            # Big lines make a kill in the middle of a write likely.
            await spool.append({"batch_seq": n, "pad": "x" * 20000})
            print(n, flush=True)

    asyncio.run(main())
    """
)


@pytest.mark.asyncio
async def test_sigkill_mid_append_loses_nothing_already_appended(tmp_path: Path) -> None:
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": src}
    process = subprocess.Popen(  # a child we kill; nothing waits on it here
        [sys.executable, "-c", _WRITER, str(tmp_path)],
        stdout=subprocess.PIPE,
        env=env,
    )
    assert process.stdout is not None
    confirmed = 0
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(15):
            while confirmed < 40:
                line = await loop.run_in_executor(None, process.stdout.readline)
                assert line, "the writer died"
                confirmed = int(line)
    finally:
        process.send_signal(signal.SIGKILL)
        await loop.run_in_executor(None, process.wait)
        process.stdout.close()

    spool = await Spool.open(tmp_path)
    found = seqs(spool)
    await spool.close()
    # Everything an append returned for is there, in order, with nothing invented.
    assert found[:confirmed] == list(range(1, confirmed + 1))
    assert found == list(range(1, len(found) + 1))
