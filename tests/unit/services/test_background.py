"""The shared background loop: a failing pass is logged and the loop goes on; wake() runs a pass
early; stop() ends it."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from perpdesk.core.background import MAX_PAUSE_S, PeriodicTask


class Counting(PeriodicTask):
    name = "test-periodic"

    def __init__(self, interval: float, fail_first: bool = False) -> None:
        super().__init__()
        self.passes = 0
        self.fail_first = fail_first
        self.interval = interval
        self.ran = asyncio.Event()

    async def run_pass(self) -> int:
        self.passes += 1
        self.ran.set()
        if self.fail_first and self.passes == 1:
            raise RuntimeError("boom")
        return self.passes

    def interval_s(self) -> float:
        return self.interval


async def test_a_failing_pass_is_logged_and_the_loop_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    task = Counting(interval=0.01, fail_first=True)
    with caplog.at_level(logging.ERROR, logger="perpdesk.core.background"):
        task.start()
        async with asyncio.timeout(5):
            while task.passes < 3:
                await asyncio.sleep(0.01)
        await task.stop()
    assert "test-periodic: pass failed" in caplog.text
    assert task._task is None


async def test_wake_runs_a_pass_before_the_interval() -> None:
    task = Counting(interval=3600)
    task.start()
    async with asyncio.timeout(5):
        await task.ran.wait()
    task.ran.clear()
    task.wake()
    async with asyncio.timeout(5):  # long before the hour is up
        await task.ran.wait()
    assert task.passes == 2
    await task.stop()


class Failing(PeriodicTask):
    name = "test-failing"

    def __init__(self) -> None:
        super().__init__()
        self.failed = 0
        self.healthy = False

    async def run_pass(self) -> None:
        if not self.healthy:
            self.failed += 1
            raise RuntimeError("boom")

    def interval_s(self) -> float:
        return 0.001


async def test_a_pass_failing_in_a_row_waits_twice_as_long_each_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    task = Failing()
    pauses = []
    for failures in (0, 1, 2, 3, 40):
        task.failures = failures
        pauses.append(task.pause_s())
    assert pauses == [0.001, 0.002, 0.004, 0.008, MAX_PAUSE_S]
    task.failures = 0
    with caplog.at_level(logging.ERROR, logger="perpdesk.core.background"):
        started = time.monotonic()
        task.start()
        async with asyncio.timeout(5):
            while task.failures < 6:
                await asyncio.sleep(0.005)
        elapsed = time.monotonic() - started
        task.healthy = True
        task.wake()
        async with asyncio.timeout(5):
            while task.failures:
                await asyncio.sleep(0.005)
        await task.stop()
    assert elapsed >= 0.002 + 0.004 + 0.008 + 0.016 + 0.032  # not once per interval
    logged = caplog.text.count("test-failing: pass failed")
    assert logged >= 6 and logged == task.failed  # one line per failed pass
    assert task.pause_s() == 0.001  # a good pass ends the back-off
