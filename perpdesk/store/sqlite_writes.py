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

SQLite is refused for more than one process, so the lock is per engine (and per event loop); the
busy timeout stays as the backstop for another program touching the file.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_

log = logging.getLogger(__name__)

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


class WriteLock:
    """The engine's writer queue: which connection writes now, and the ones waiting."""

    def __init__(self, wait_s: float = WAIT_S) -> None:
        self.wait_s = wait_s
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self.holder: Any = None  # the DBAPI connection in a write transaction
        self._task: asyncio.Task[Any] | None = None
        self._since = 0.0
        self.waits = 0  # writers that had to queue (for tests and benchmarks)

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def _acquire(self, lock: asyncio.Lock) -> None:
        async with asyncio.timeout(self.wait_s):
            await lock.acquire()

    def take(self, dbapi_conn: Any) -> bool:
        """Take the lock for `dbapi_conn` (in SQLAlchemy's greenlet: awaits the queue); False if
        it holds it already."""
        if self.holder is dbapi_conn:
            return False
        task = asyncio.current_task()
        if self.holder is not None and task is not None and task is self._task:
            raise sqlite3.OperationalError(
                "database is locked: this task writes on two SQLite connections at once (the first "
                "transaction must end before another one writes)"
            )
        lock = self._lock()
        if lock.locked():
            self.waits += 1
        try:
            await_(self._acquire(lock))
        except TimeoutError:
            held = time.monotonic() - self._since if self.holder is not None else 0.0
            raise sqlite3.OperationalError(
                f"database is locked: waited {self.wait_s:.0f} s for the writer before "
                f"(in its transaction for {held:.1f} s)"
            ) from None
        self.holder, self._task, self._since = dbapi_conn, task, time.monotonic()
        return True

    def give_back(self, dbapi_conn: Any) -> None:
        """Release the lock if `dbapi_conn` holds it (its transaction ended)."""
        if self.holder is None or self.holder is not dbapi_conn:
            return
        self.holder, self._task = None, None
        lock = self._locks.get(asyncio.get_running_loop()) if _loop_running() else None
        if lock is not None and lock.locked():
            lock.release()
        elif lock is None:  # pragma: no cover - closed outside the loop: no waiter can be served
            log.warning("SQLite write lock released outside its event loop")


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _raw(conn: Any) -> Any:
    """The DBAPI connection under a pool's proxy (what the dialect and the events are given)."""
    return getattr(conn, "dbapi_connection", conn)


_LOCKS: weakref.WeakKeyDictionary[Engine, WriteLock] = weakref.WeakKeyDictionary()


def write_lock(engine: AsyncEngine) -> WriteLock | None:
    """The engine's writer queue (None: not a SQLite engine)."""
    return _LOCKS.get(engine.sync_engine)


def serialise_writes(engine: AsyncEngine, wait_s: float = WAIT_S) -> WriteLock:
    """Install the writer queue on a SQLite engine (see the module's docstring)."""
    lock = WriteLock(wait_s)
    sync_engine = engine.sync_engine
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
