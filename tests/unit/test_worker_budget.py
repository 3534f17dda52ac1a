"""The IDENTIFY budget and the event-loop lag meter."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from pathlib import Path

import pytest

from sunday_mining.worker.budget import DAILY_SAFE, IDENTIFY_FILE, IdentifyBudget
from sunday_mining.worker.lag import LoopLag


class Clock:
    def __init__(self) -> None:
        self.now = 1_795_370_400.0

    def __call__(self) -> float:
        return self.now


def budget_at(path: Path, clock: Clock) -> IdentifyBudget:
    return IdentifyBudget(
        path / IDENTIFY_FILE, base_s=5, max_s=900, clock=clock, rng=random.Random(1)
    )


@pytest.mark.asyncio
async def test_the_first_identifies_are_free_then_the_wait_grows_to_a_cap(tmp_path: Path) -> None:
    clock = Clock()
    budget = budget_at(tmp_path, clock)
    delays = []
    for _ in range(12):
        delays.append(budget.delay_s())
        await budget.record()
        clock.now += 1
    assert delays[:3] == [0.0, 0.0, 0.0]
    assert 0 < delays[3] <= 5
    assert all(later >= earlier / 2 for earlier, later in itertools.pairwise(delays[3:]))
    assert max(delays) <= 900


@pytest.mark.asyncio
async def test_identifies_survive_a_restart(tmp_path: Path) -> None:
    clock = Clock()
    budget = budget_at(tmp_path, clock)
    for _ in range(5):
        await budget.record()
    restarted = await IdentifyBudget.load(tmp_path, clock=clock)
    assert restarted.count_24h() == 5
    assert restarted.delay_s() > 0  # a crash loop is still a crash loop after a restart


@pytest.mark.asyncio
async def test_close_to_the_daily_limit_it_waits_for_old_identifies_to_age_out(
    tmp_path: Path,
) -> None:
    clock = Clock()
    budget = budget_at(tmp_path, clock)
    start = clock.now
    for n in range(DAILY_SAFE):
        clock.now = start + n * 60  # one a minute, nothing bursty
        await budget.record()
    delay = budget.delay_s()
    assert delay >= start + 86_400 - clock.now  # until the first one leaves the window
    clock.now = start + 86_400 + 1
    assert budget.count_24h() == DAILY_SAFE - 1


def test_loop_lag_percentiles() -> None:
    lag = LoopLag()
    assert lag.p99_ms is None
    for value in range(1, 101):
        lag.record(float(value))
    assert lag.p50_ms == 50.0
    assert lag.p99_ms == 99.0


@pytest.mark.asyncio
async def test_loop_lag_sees_a_blocked_loop() -> None:
    lag = LoopLag(interval_s=0.01)
    task = asyncio.create_task(lag.run())
    await asyncio.sleep(0.03)
    time.sleep(0.1)  # blocking on purpose: that is what the meter must see
    await asyncio.sleep(0.03)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    worst = lag.percentile(1.0)
    assert worst is not None
    assert worst >= 50
