"""Write-through persistence of the sandbox's state to one SQLite file.

State lives in memory (fast reads on the request path); every change is written as a JSON
document keyed by (kind, id). Writes go to a single background thread in order, so the event
loop never blocks on disk; `flush()` waits until everything queued so far is on disk, which a
mutating request awaits before answering so that a restart loses nothing that was acknowledged.

Each state file belongs to one process (its state is in that process's memory: a second process
would overwrite it): `lock_state` holds an exclusive lock on a sibling `.lock` file, and a second
process is refused with `StateInUse`. A lock file of its own: closing a descriptor of the
database itself would drop SQLite's locks on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import queue
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

import orjson

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (kind, id)
)
"""


class StateInUse(Exception):
    """Another process runs a sandbox (or the demo) on this state file."""


def lock_state(path: str) -> int | None:
    """An exclusive lock on `path`.lock for this process (None for ':memory:'), or StateInUse.
    POSIX locks are per process: this process may take it again (a restart in the same process)."""
    if path == ":memory:" or path.startswith("file:"):
        return None
    lock_path = path + ".lock"
    fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise StateInUse(
            f"{os.path.abspath(path)} is in use by another process (a running perpdesk demo or sandbox)"
        ) from None
    return fd


def unlock_state(fd: int | None) -> None:
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)


class Persist:
    """Ordered, asynchronous write-through store. Use ':memory:' for throw-away state."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = lock_state(path)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(_SCHEMA)
        self._queue: queue.SimpleQueue[tuple[str, Any] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sandbox-persist", daemon=True)
        self._thread.start()

    # -- reads happen once, at start-up ---------------------------------------------------------
    def load(self, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
        rows = self._conn.execute("SELECT id, body FROM docs WHERE kind = ?", (kind,)).fetchall()
        for doc_id, body in rows:
            yield doc_id, orjson.loads(body)

    # -- writes are queued ------------------------------------------------------------------------
    def put(self, kind: str, doc_id: str, doc: dict[str, Any]) -> None:
        self._queue.put(("put", (kind, doc_id, orjson.dumps(doc, default=str))))

    def delete(self, kind: str, doc_id: str) -> None:
        self._queue.put(("delete", (kind, doc_id)))

    async def flush(self) -> None:
        """Wait until every write queued before this call is committed."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def _set() -> None:
            if not done.done():
                done.set_result(None)

        self._queue.put(("barrier", lambda: loop.call_soon_threadsafe(_set)))
        await done

    def flush_sync(self) -> None:
        event = threading.Event()
        self._queue.put(("barrier", event.set))
        event.wait()

    def close(self) -> None:
        self.flush_sync()
        self._queue.put(None)
        self._thread.join()
        self._conn.close()
        unlock_state(self._lock)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            # Group what is already queued into one transaction.
            while len(batch) < 500:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                batch.append(nxt)
            barriers = []
            self._conn.execute("BEGIN")
            for op, arg in batch:
                if op == "put":
                    self._conn.execute(
                        "INSERT INTO docs (kind, id, body) VALUES (?, ?, ?) "
                        "ON CONFLICT(kind, id) DO UPDATE SET body = excluded.body",
                        arg,
                    )
                elif op == "delete":
                    self._conn.execute("DELETE FROM docs WHERE kind = ? AND id = ?", arg)
                else:
                    barriers.append(arg)
            self._conn.execute("COMMIT")
            for callback in barriers:
                callback()
