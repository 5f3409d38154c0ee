"""One writer at a time on a SQLite engine, queued in asyncio instead of in SQLite's busy handler.

SQLite lets one connection write at a time. Without this, every pooled connection that wants to
write waits in SQLite's busy handler, which polls (sleeping up to 100 ms between tries) instead of
queueing: a writer that is waiting loses the lock to each newcomer that happens to try while it
sleeps, and under load (100 accounts trading, the event loop busy, each transaction holding the
lock across several loop hops) some writer waited out the whole busy timeout and failed with
"database is locked" — one user's order refused because others were busy.

Here a transaction's first write (INSERT, UPDATE, DELETE, DDL, SAVEPOINT) first takes the engine's
asyncio lock — FIFO, so writers go in the order they asked — and then opens the SQLite
transaction with `BEGIN IMMEDIATE`, which takes SQLite's write lock at once (no other connection
of this process is writing, so it never waits). The lock is released when that transaction ends:
commit, rollback (a session closing, a connection going back to the pool) or the connection
closing. Reads take no lock: in WAL mode they never wait for the writer, and before its first
write a transaction holds no snapshot (pysqlite opens the transaction only at the first write), so
no read ever has to be upgraded to a write.

SQLite is refused for more than one process, so the queue is this process's, per database file
(engines on the same file share it) and per event loop; the busy timeout stays as the backstop
for another program touching the file.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_

# The first word of a statement that writes (or must write alone: DDL, SAVEPOINT).
WRITES = frozenset({
    "INSERT", "UPDATE", "DELETE", "REPLACE", "UPSERT", "WITH", "CREATE", "DROP", "ALTER", "SAVEPOINT",
})
# How long a writer waits for the ones before it. A safety net: a transaction holds the lock for
# milliseconds, so only a writer that never ends its transaction makes the next one wait this long.
WAIT_S = 30.0


def writes(statement: str) -> bool:
    first = statement.lstrip(" \t\r\n(").split(None, 1)
    return bool(first) and first[0].upper() in WRITES


@dataclass
class _Queue:
    """One event loop's writers: the lock, and who holds it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    holder: Any = None  # the DBAPI connection in a write transaction
    task: asyncio.Task[Any] | None = None
    since: float = 0.0


class WriteLock:
    """A database file's writer queue (per event loop): which connection writes now, and the ones
    waiting. Engines on the same file in this process share it."""

    def __init__(self, wait_s: float = WAIT_S) -> None:
        self.wait_s = wait_s
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue] = (
            weakref.WeakKeyDictionary()
        )
        self._held: dict[int, tuple[asyncio.AbstractEventLoop, _Queue]] = {}  # id(DBAPI connection)
        self.waits = 0  # writers that had to queue (for tests and benchmarks)

    @property
    def holder(self) -> Any:
        """The connection writing now on the running loop (None: nobody)."""
        queue = self._queues.get(asyncio.get_running_loop())
        return queue.holder if queue is not None else None

    async def _acquire(self, lock: asyncio.Lock) -> None:
        async with asyncio.timeout(self.wait_s):
            await lock.acquire()

    def take(self, dbapi_conn: Any) -> bool:
        """Take the lock for `dbapi_conn` (in SQLAlchemy's greenlet: awaits the queue); False if
        it holds it already."""
        if id(dbapi_conn) in self._held:
            return False
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = _Queue()
        task = asyncio.current_task()
        if queue.holder is not None and task is not None and task is queue.task:
            raise sqlite3.OperationalError(
                "database is locked: this task writes on two SQLite connections at once (the first "
                "transaction must end before another one writes)"
            )
        if queue.lock.locked():
            self.waits += 1
        try:
            await_(self._acquire(queue.lock))
        except TimeoutError:
            held = time.monotonic() - queue.since if queue.holder is not None else 0.0
            raise sqlite3.OperationalError(
                f"database is locked: waited {self.wait_s:.0f} s for the writer before "
                f"(in its transaction for {held:.1f} s)"
            ) from None
        queue.holder, queue.task, queue.since = dbapi_conn, task, time.monotonic()
        self._held[id(dbapi_conn)] = (loop, queue)
        return True

    def give_back(self, dbapi_conn: Any) -> None:
        """Release the lock if `dbapi_conn` holds it (its transaction ended)."""
        held = self._held.pop(id(dbapi_conn), None)
        if held is None:
            return
        loop, queue = held
        queue.holder, queue.task = None, None
        if _running_loop() is loop:
            queue.lock.release()
        elif not loop.is_closed():  # closed from elsewhere (dispose, GC): its own loop wakes the next
            loop.call_soon_threadsafe(queue.lock.release)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _raw(conn: Any) -> Any:
    """The DBAPI connection under a pool's proxy (what the dialect and the events are given)."""
    return getattr(conn, "dbapi_connection", conn)


_LOCKS: weakref.WeakKeyDictionary[Engine, WriteLock] = weakref.WeakKeyDictionary()


def write_lock(engine: AsyncEngine) -> WriteLock | None:
    """The engine's writer queue (None: not a SQLite engine)."""
    return _LOCKS.get(engine.sync_engine)


_FILES: weakref.WeakValueDictionary[str, WriteLock] = weakref.WeakValueDictionary()


def serialise_writes(engine: AsyncEngine, wait_s: float = WAIT_S) -> WriteLock:
    """Install the writer queue on a SQLite engine (see the module's docstring): the queue of its
    database file, shared with the other engines on that file."""
    sync_engine = engine.sync_engine
    path = sync_engine.url.database
    if path and path != ":memory:" and not path.startswith("file:"):
        key = str(Path(path).resolve())
        lock = _FILES.get(key)
        if lock is None:
            lock = _FILES[key] = WriteLock(wait_s)
    else:
        lock = WriteLock(wait_s)
    _LOCKS[sync_engine] = lock

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _before(conn: Connection, cursor: Any, statement: str, *_: Any) -> None:
        if not writes(statement):
            return
        raw = _raw(conn.connection)
        lock.take(raw)  # pysqlite opens the transaction next: BEGIN IMMEDIATE (make_engine's isolation_level)

    dialect: Dialect = sync_engine.dialect
    for name in ("do_commit", "do_rollback", "do_close", "do_terminate"):
        setattr(dialect, name, _releasing(getattr(dialect, name), lock))
    return lock


def _releasing(method: Any, lock: WriteLock) -> Any:
    def end(dbapi_conn: Any) -> None:
        try:
            method(dbapi_conn)
        finally:
            lock.give_back(_raw(dbapi_conn))

    return end


__all__ = ["WAIT_S", "WriteLock", "serialise_writes", "write_lock", "writes"]
