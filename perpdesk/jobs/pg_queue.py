"""The job queue on PostgreSQL: PgQueuer (its tables beside ours; chosen by bench/bench_jobs.py,
docs/deploy.md). Any process enqueues; workers run the jobs. A job is claimed by one worker
(`FOR UPDATE SKIP LOCKED`), a key waits once (PgQueuer's dedupe key), a failure is retried by the
database after a doubling delay (its `DatabaseRetryEntrypointExecutor`), and a job whose worker
died is picked again once its heartbeat is older than HEARTBEAT.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

import asyncpg
from pgqueuer import AsyncpgDriver, DatabaseRetryEntrypointExecutor, Queries, QueueManager
from pgqueuer.executors import EntrypointExecutorParameters
from pgqueuer.models import Job
from sqlalchemy.engine import make_url

from perpdesk.jobs.queue import Handler, Retry, check_payload, run_counted

log = logging.getLogger(__name__)
BATCH = 5  # jobs claimed per round trip
AT_ONCE = 20  # jobs running at once in one worker
HEARTBEAT = timedelta(seconds=30)
IDLE_POLL = timedelta(seconds=5)  # besides NOTIFY: a job due later (a retry) is seen within this
RESTART_MAX_S = 60.0  # longest pause before a failed worker starts again


def asyncpg_dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class PgJobQueue:
    def __init__(self, database_url: str) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._handlers: dict[str, tuple[Handler, Retry]] = {}
        self._producer: Queries | None = None
        self._producer_conn: asyncpg.Connection | None = None
        self._ready = asyncio.Lock()
        self._manager: QueueManager | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = asyncio.Event()

    def register(self, name: str, handler: Handler, retry: Retry = Retry()) -> None:
        self._handlers[name] = (handler, retry)

    async def _queries(self) -> Queries:
        """The enqueueing connection, opened (and the tables made or upgraded) on first use."""
        async with self._ready:
            conn = self._producer_conn
            if conn is None or conn.is_closed():
                conn = self._producer_conn = await asyncpg.connect(self._dsn)
                queries = Queries(AsyncpgDriver(conn))
                await queries.upgrade()  # under PgQueuer's own advisory lock: one process at a time
                self._producer = queries
            assert self._producer is not None
            return self._producer

    async def enqueue(self, name: str, payload: bytes = b"", *, key: str | None = None) -> bool:
        check_payload(name, payload)
        queries = await self._queries()
        try:
            ids = await queries.enqueue(name, payload, dedupe_key=key, on_conflict="skip")
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError):
            await self._drop_producer()  # the next enqueue connects again
            raise
        return ids[0] is not None

    async def _drop_producer(self) -> None:
        async with self._ready:
            conn, self._producer_conn, self._producer = self._producer_conn, None, None
        if conn is not None:
            conn.terminate()

    def _entrypoint(self, manager: QueueManager, name: str, handler: Handler, retry: Retry) -> None:
        async def run(job: Job) -> None:
            await run_counted(name, handler, job.payload or b"")

        def executor(params: EntrypointExecutorParameters) -> DatabaseRetryEntrypointExecutor:
            # PgQueuer counts retries from 0: max_attempts - 1 retries after the first run
            return DatabaseRetryEntrypointExecutor(
                parameters=params, max_attempts=retry.max_attempts - 1,
                initial_delay=timedelta(seconds=retry.base_s), max_delay=timedelta(seconds=retry.max_s))

        manager.entrypoint(name, executor_factory=executor)(run)

    async def _supervise(self) -> None:
        """Run the worker; if it fails (the database went away), start it again after a pause."""
        failures = 0
        while not self._closed.is_set():
            try:
                await self._run()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                log.exception("the job worker stopped (%d in a row); starting it again", failures)
                await self._drop_producer()
            with contextlib.suppress(TimeoutError):  # the pause, cut short by aclose()
                await asyncio.wait_for(self._closed.wait(), min(RESTART_MAX_S, 2 ** failures))

    async def _run(self) -> None:
        await self._queries()  # the tables exist before the worker checks them
        conn = await asyncpg.connect(self._dsn)
        manager = self._manager = QueueManager(Queries(AsyncpgDriver(conn)))
        for name, (handler, retry) in self._handlers.items():
            self._entrypoint(manager, name, handler, retry)
        try:
            if not self._closed.is_set():
                await manager.run(batch_size=BATCH, max_concurrent_tasks=AT_ONCE,
                                  heartbeat_timeout=HEARTBEAT, dequeue_timeout=IDLE_POLL)
        finally:
            try:
                await conn.close(timeout=5)
            except Exception:  # a lost connection: nothing to close politely
                conn.terminate()

    def start(self) -> None:
        if self._task is None and self._handlers:
            self._task = asyncio.create_task(self._supervise(), name="perpdesk-jobs")

    async def aclose(self) -> None:
        self._closed.set()
        if self._manager is not None:
            self._manager.shutdown.set()  # stops claiming; the running jobs finish
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 10)
            except (TimeoutError, Exception):
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._task
            self._task = None
        if self._producer_conn is not None:
            await self._producer_conn.close()
            self._producer_conn = None
