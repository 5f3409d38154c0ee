"""Job engines on PostgreSQL, side by side in one run: PgQueuer, Procrastinate and a floor (a bare
`SELECT … FOR UPDATE SKIP LOCKED` claim, then DELETE, polled in a tight loop on asyncpg).

Latency: one job at a time with a worker running, enqueue -> the handler ran (median, p99; the
worker is woken by the engine's NOTIFY, the floor polls in a tight loop). Throughput: N jobs
enqueued in one batch, then drained by one worker (jobs/s from its start to the last handler
run); enqueue rate: N single enqueues in a row. Each engine gets its own database on the cluster
at PERPDESK_TEST_PG_URL (scripts/pg.sh).

    .venv/bin/python bench/bench_jobs.py [--jobs 2000] [--pings 200]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import asyncpg


@dataclass
class Figures:
    name: str
    latency_ms: list[float]
    enqueue_per_s: float
    drain_per_s: float

    def row(self) -> str:
        lat = sorted(self.latency_ms)
        p99 = lat[min(len(lat) - 1, int(len(lat) * .99))]
        return (f"| {self.name} | {statistics.median(lat):.2f} ms | {p99:.2f} ms | "
                f"{self.enqueue_per_s:,.0f} | {self.drain_per_s:,.0f} |")


async def fresh_db(base: str, name: str) -> str:
    conn = await asyncpg.connect(base)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return base.rsplit("/", 1)[0] + "/" + name


class Counter:
    """What the handlers report to: how many ran, and an event for 'the n-th has run'."""

    def __init__(self) -> None:
        self.done = 0
        self.target = 0
        self.reached = asyncio.Event()

    def expect(self, n: int) -> None:
        self.done, self.target = 0, n
        self.reached.clear()

    def ran(self) -> None:
        self.done += 1
        if self.done >= self.target:
            self.reached.set()


Step = Callable[[], Awaitable[object]]


async def measure(name: str, enqueue_one: Step, enqueue_many: Callable[[int], Awaitable[object]],
                  start_worker: Step, stop_worker: Step, counter: Counter, jobs: int, pings: int) -> Figures:
    # enqueue rate and drain: jobs wait in the queue first, then one worker takes them all
    counter.expect(jobs)
    t0 = time.perf_counter()
    for _ in range(jobs):
        await enqueue_one()
    enqueue_per_s = jobs / (time.perf_counter() - t0)
    counter.expect(2 * jobs)
    await enqueue_many(jobs)
    t0 = time.perf_counter()
    await start_worker()
    await asyncio.wait_for(counter.reached.wait(), 300)
    drain_per_s = 2 * jobs / (time.perf_counter() - t0)
    lat = []
    for _ in range(pings):
        counter.expect(1)
        t0 = time.perf_counter()
        await enqueue_one()
        await asyncio.wait_for(counter.reached.wait(), 30)
        lat.append((time.perf_counter() - t0) * 1000)
    await stop_worker()
    return Figures(name, lat, enqueue_per_s, drain_per_s)


async def bench_floor(url: str, jobs: int, pings: int) -> Figures:
    dsn = url.replace("postgresql+asyncpg", "postgresql")
    producer, consumer = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    await producer.execute("CREATE TABLE q (id bigserial PRIMARY KEY, name text NOT NULL, payload bytea, "
                           "created_at timestamptz NOT NULL DEFAULT now())")
    counter, stop = Counter(), asyncio.Event()
    claim = ("DELETE FROM q WHERE id = (SELECT id FROM q ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1) "
             "RETURNING id, payload")

    async def loop() -> None:
        while not stop.is_set():
            async with consumer.transaction():  # claim, run, ack in one transaction
                row = await consumer.fetchrow(claim)
                if row is not None:
                    counter.ran()
            if row is None:
                await asyncio.sleep(0)  # a tight poll: the floor, not a design
    task: asyncio.Task[None] | None = None

    async def start() -> None:
        nonlocal task
        task = asyncio.create_task(loop())

    async def halt() -> None:
        stop.set()
        assert task is not None
        await task

    figures = await measure(
        "floor: bare SKIP LOCKED", lambda: producer.execute("INSERT INTO q (name, payload) VALUES ('b', '')"),
        lambda n: producer.execute("INSERT INTO q (name, payload) SELECT 'b', '' FROM generate_series(1, $1)",
                                   n),
        start, halt, counter, jobs, pings)
    await producer.close()
    await consumer.close()
    return figures


async def bench_pgqueuer(url: str, jobs: int, pings: int) -> Figures:
    from pgqueuer import AsyncpgDriver, Queries, QueueManager
    from pgqueuer.models import Job

    dsn = url.replace("postgresql+asyncpg", "postgresql")
    producer, consumer = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    queries = Queries(AsyncpgDriver(producer))
    await queries.install()
    counter = Counter()
    qm = QueueManager(Queries(AsyncpgDriver(consumer)))

    @qm.entrypoint("bench")
    async def handler(job: Job) -> None:
        counter.ran()
    task: asyncio.Task[None] | None = None

    async def start() -> None:
        nonlocal task
        task = asyncio.create_task(qm.run(batch_size=50, dequeue_timeout=timedelta(seconds=1)))

    async def halt() -> None:
        qm.shutdown.set()
        assert task is not None
        await asyncio.wait_for(task, 30)

    figures = await measure(
        "PgQueuer 1.6", lambda: queries.enqueue("bench", b""),
        lambda n: queries.enqueue(["bench"] * n, [b""] * n, [0] * n), start, halt, counter, jobs, pings)
    await producer.close()
    return figures


async def bench_procrastinate(url: str, jobs: int, pings: int) -> Figures:
    import procrastinate

    conninfo = url.replace("postgresql+asyncpg", "postgresql")
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo))
    counter = Counter()

    @app.task(name="bench")
    async def handler() -> None:
        counter.ran()
    task: asyncio.Task[None] | None = None
    async with app.open_async():
        await app.schema_manager.apply_schema_async()

        async def start() -> None:
            nonlocal task
            task = asyncio.create_task(app.run_worker_async(
                concurrency=10, wait=True, install_signal_handlers=False, delete_jobs="always"))

        async def halt() -> None:
            assert task is not None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 30)

        figures = await measure(
            "Procrastinate 3.10", lambda: handler.defer_async(),
            lambda n: handler.batch_defer_async(*({} for _ in range(n))), start, halt, counter, jobs, pings)
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--pings", type=int, default=200)
    args = parser.parse_args()
    base = os.environ.get("PERPDESK_TEST_PG_URL", "").replace("postgresql+asyncpg", "postgresql")
    if not base:
        sys.exit("PERPDESK_TEST_PG_URL is not set: source scripts/pg.sh && pg_start")
    rows = []
    engines = (("floor", bench_floor), ("pgqueuer", bench_pgqueuer), ("procrastinate", bench_procrastinate))
    for name, run in engines:
        rows.append(await run(await fresh_db(base, f"bench_jobs_{name}"), args.jobs, args.pings))
    print(f"{args.jobs} jobs enqueued one by one, {2 * args.jobs} drained by one worker, {args.pings} pings")
    print("| engine | latency median | p99 | enqueues/s (one by one) | jobs/s (drain) |")
    print("|---|---|---|---|---|")
    for f in rows:
        print(f.row())


if __name__ == "__main__":
    asyncio.run(main())
