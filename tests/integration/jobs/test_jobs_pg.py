"""Jobs across processes on the real PostgreSQL: two worker-like runners race for the same
queue and each job runs once; a failing job is retried with a doubling delay and every failure
is counted; a periodic pass runs once per period across two workers, and the other takes over
when the one running it stops; two processes starting at once migrate one after the other."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import Callable

import pytest
from sqlalchemy import text

from perpdesk.core.background import PeriodicTask
from perpdesk.jobs.pg_queue import PgJobQueue
from perpdesk.jobs.queue import Retry
from perpdesk.jobs.singleton import PgPassLeases
from perpdesk.metrics import METRICS
from perpdesk.store.db import make_engine, migrate
from tests.fixtures.db import PG_ENV

pytestmark = pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set (scripts/pg.sh)")


async def until(check: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def queued(url: str) -> int:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(text("SELECT count(*) FROM pgqueuer")) or 0)
    finally:
        await engine.dispose()


async def test_two_workers_race_and_each_job_runs_once(pg_url: str) -> None:
    ran: list[tuple[str, bytes]] = []
    workers = [PgJobQueue(pg_url), PgJobQueue(pg_url)]
    for i, queue in enumerate(workers):
        async def handler(payload: bytes, who: str = f"w{i}") -> None:
            await asyncio.sleep(0.002)  # long enough for the other worker to try the same row
            ran.append((who, payload))
        queue.register("race", handler)
    try:
        producer = workers[0]
        jobs = 300
        added = await asyncio.gather(*(producer.enqueue("race", str(n).encode(), key=f"k{n}")
                                       for n in range(jobs)))
        assert all(added)
        assert not await producer.enqueue("race", b"0", key="k0")  # k0 waits already: not again
        for queue in workers:
            queue.start()
        await until(lambda: len(ran) >= jobs)
        await until_async_zero(pg_url)
        payloads = [p for _, p in ran]
        assert sorted(payloads) == sorted(str(n).encode() for n in range(jobs))  # each once, none twice
        assert len(set(payloads)) == len(payloads) == jobs
    finally:
        for queue in workers:
            await queue.aclose()


async def until_async_zero(url: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while await queued(url):
        assert time.monotonic() < deadline, "jobs still queued"
        await asyncio.sleep(0.05)


async def test_a_failing_job_is_retried_with_backoff_then_counted(pg_url: str) -> None:
    tries: list[float] = []

    async def flaky(payload: bytes) -> None:
        tries.append(time.monotonic())
        raise RuntimeError("the receiver is down")

    queue = PgJobQueue(pg_url)
    queue.register("flaky", flaky, Retry(max_attempts=3, base_s=0.3, max_s=5))
    runs, failures = METRICS.job_runs.value(job="flaky"), METRICS.job_failures.value(job="flaky")
    try:
        queue.start()
        assert await queue.enqueue("flaky", b"x", key="once")
        assert not await queue.enqueue("flaky", b"x", key="once")  # waiting (or retrying): not twice
        await until(lambda: len(tries) >= 3)
        await until_async_zero(pg_url)  # given up: removed after the last attempt
        assert len(tries) == 3  # no fourth attempt
        assert tries[1] - tries[0] >= 0.3 - 0.05  # the delay doubles: 0.3 s, then 0.6 s
        assert tries[2] - tries[1] >= 0.6 - 0.05
        assert METRICS.job_runs.value(job="flaky") - runs == 3
        assert METRICS.job_failures.value(job="flaky") - failures == 3
    finally:
        await queue.aclose()


class Ticker(PeriodicTask):
    name = "perpdesk-test-ticker"

    def __init__(self, who: str, log: list[tuple[str, float]], period_s: float) -> None:
        super().__init__()
        self.who, self.log, self.period_s = who, log, period_s

    async def run_pass(self) -> None:
        self.log.append((self.who, time.monotonic()))

    def interval_s(self) -> float:
        return self.period_s


async def test_a_periodic_pass_runs_once_per_period_across_two_workers(pg_url: str) -> None:
    passes: list[tuple[str, float]] = []
    period = 0.2
    engines = [make_engine(pg_url), make_engine(pg_url)]
    leases = [PgPassLeases(e) for e in engines]
    tickers = [Ticker("a", passes, period), Ticker("b", passes, period)]
    for ticker, lease in zip(tickers, leases, strict=True):
        ticker.gate = lease
    try:
        for ticker in tickers:
            ticker.start()
        await until(lambda: len(passes) >= 10)
        first = passes[0][0]
        assert {who for who, _ in passes} == {first}  # one process runs it, the other stands by
        times = [t for _, t in passes]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) >= period * 0.9  # once per period, never twice
        # the runner stops (its connection closes): the other takes the pass over
        runner = 0 if first == "a" else 1
        await tickers[runner].stop()
        await leases[runner].aclose()
        other = "b" if first == "a" else "a"
        await until(lambda: any(who == other for who, _ in passes), timeout_s=10)
        took_over = next(t for who, t in passes if who == other)
        last = max(t for who, t in passes if who == first)
        assert took_over - last < 3 * period + 1  # within about a period
    finally:
        for ticker in tickers:
            await ticker.stop()
        for lease in leases:
            await lease.aclose()
        for engine in engines:
            await engine.dispose()


async def test_two_processes_starting_at_once_migrate_once(pg_url: str) -> None:
    # unguarded, the two upgrades block each other (measured: still waiting after 200 s)
    await asyncio.wait_for(asyncio.gather(migrate(pg_url), migrate(pg_url)), 120)  # the second finds it done
    engine = make_engine(pg_url)
    try:
        async with engine.connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    finally:
        await engine.dispose()
    from alembic.script import ScriptDirectory

    from perpdesk.store.db import alembic_config

    assert versions == [ScriptDirectory.from_config(alembic_config(pg_url)).get_current_head()]


async def test_the_job_worker_comes_back_after_its_connections_are_cut(pg_url: str) -> None:
    ran: list[bytes] = []

    async def handler(payload: bytes) -> None:
        ran.append(payload)

    queue = PgJobQueue(pg_url)
    queue.register("after-cut", handler)
    engine = make_engine(pg_url)
    try:
        queue.start()
        assert await queue.enqueue("after-cut", b"before")
        await until(lambda: ran == [b"before"])
        async with engine.connect() as conn:  # a database restart, as the workers see it
            await conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        deadline = time.monotonic() + 30
        while True:  # the first enqueue may meet the cut connection; the next one connects again
            try:
                assert await queue.enqueue("after-cut", b"after")
                break
            except Exception:
                assert time.monotonic() < deadline, "cannot enqueue after the cut"
                await asyncio.sleep(0.1)
        await until(lambda: ran == [b"before", b"after"], timeout_s=30)
    finally:
        await queue.aclose()
        await engine.dispose()
