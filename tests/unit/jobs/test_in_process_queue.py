"""The one-process job queue (`perpdesk serve`): a key waits once, a failing job is retried after
a doubling delay up to its attempts, and every run and failure is counted."""

from __future__ import annotations

import asyncio
import time

import pytest

from perpdesk.jobs.queue import MAX_PAYLOAD, InProcessQueue, Retry
from perpdesk.metrics import METRICS


async def until(check: object, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


async def test_a_key_waits_once_and_may_be_queued_again_once_running() -> None:
    queue = InProcessQueue()
    ran: list[bytes] = []
    release = asyncio.Event()

    async def handler(payload: bytes) -> None:
        ran.append(payload)
        await release.wait()

    queue.register("kick", handler)
    try:
        assert await queue.enqueue("kick", b"1", key="k")
        assert not await queue.enqueue("kick", b"2", key="k")  # still waiting: nothing added
        await until(lambda: ran == [b"1"])
        assert await queue.enqueue("kick", b"3", key="k")  # running now: a later one is kept
        release.set()
        await until(lambda: ran == [b"1", b"3"])
    finally:
        await queue.aclose()


async def test_a_failing_job_is_retried_with_doubling_delays_then_given_up() -> None:
    queue = InProcessQueue()
    tries: list[float] = []

    async def failing(payload: bytes) -> None:
        tries.append(time.monotonic())
        raise OSError("smtp down")

    queue.register("unit-fail", failing, Retry(max_attempts=3, base_s=0.05, max_s=1))
    runs, failures = METRICS.job_runs.value(job="unit-fail"), METRICS.job_failures.value(job="unit-fail")
    try:
        await queue.enqueue("unit-fail")
        await until(lambda: len(tries) == 3)
        await until(lambda: not queue._tasks)  # given up: nothing left running
        assert len(tries) == 3
        assert tries[1] - tries[0] >= 0.05 and tries[2] - tries[1] >= 0.1
        assert METRICS.job_runs.value(job="unit-fail") - runs == 3
        assert METRICS.job_failures.value(job="unit-fail") - failures == 3
    finally:
        await queue.aclose()


async def test_payloads_are_bounded_and_names_known() -> None:
    queue = InProcessQueue()
    queue.register("known", lambda payload: asyncio.sleep(0))
    with pytest.raises(ValueError):
        await queue.enqueue("known", b"x" * (MAX_PAYLOAD + 1))
    with pytest.raises(KeyError):
        await queue.enqueue("unknown")
    await queue.aclose()


def test_the_delay_doubles_up_to_its_cap() -> None:
    retry = Retry(max_attempts=10, base_s=2, max_s=30)
    assert [retry.delay(n) for n in range(1, 7)] == [2, 4, 8, 16, 30, 30]
