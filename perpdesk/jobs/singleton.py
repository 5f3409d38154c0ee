"""One process at a time runs each periodic pass: the one holding the pass's session-level
PostgreSQL advisory lock, on one dedicated connection per process.

The holder keeps its locks pass after pass; the others try again each interval. A process that
dies (kill -9, crash, network cut) loses its connection and with it its locks, and another takes
its passes over at its next try (one interval). No table, nothing to clean up.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)


def pass_key(name: str) -> int:
    """The pass's advisory-lock key: a signed 64-bit integer (its own prefix: never an account's)."""
    digest = hashlib.sha256(b"perpdesk.jobs:" + name.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PgPassLeases:
    """`mine(name)`: whether this process runs pass `name` now (it holds, or just took, its lock)."""

    def __init__(self, engine: AsyncEngine) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("PgPassLeases needs PostgreSQL (one process on SQLite runs every pass)")
        self.engine = engine
        self._conn: AsyncConnection | None = None
        self._lock = asyncio.Lock()  # one connection, used by every pass's loop
        self.held: set[str] = set()

    async def _connection(self) -> AsyncConnection:
        conn = self._conn
        if conn is not None:
            try:
                await conn.execute(text("SELECT 1"))
                return conn
            except (DBAPIError, InterfaceError, OperationalError):
                log.warning("job lease connection lost: passes %s released", sorted(self.held))
                self.held.clear()
                self._conn = None
                try:
                    await conn.invalidate()
                except Exception:  # the connection is gone either way
                    log.debug("invalidating the lost job lease connection failed", exc_info=True)
        conn = await self.engine.connect()
        self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    async def mine(self, name: str) -> bool:
        async with self._lock:
            conn = await self._connection()  # a lost connection clears `held` first
            if name not in self.held:
                if not await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": pass_key(name)}):
                    return False
                self.held.add(name)
                log.info("running the %s pass in this process", name)
            return True

    async def aclose(self) -> None:
        """Release every pass at once (the connection goes back to the engine's pool: unlock first)."""
        async with self._lock:
            conn, self._conn = self._conn, None
            self.held.clear()
            if conn is not None:
                try:
                    await conn.execute(text("SELECT pg_advisory_unlock_all()"))
                    await conn.close()
                except Exception:  # a broken connection holds nothing: drop it
                    await conn.invalidate()
