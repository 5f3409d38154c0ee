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
from sqlalchemy.ext.asyncio import AsyncEngine

from perpdesk.store.dedicated_connection import DedicatedConnection

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
        self.held: set[str] = set()
        self.dedicated = DedicatedConnection(engine, "job lease", on_lost=self._released)
        self._lock = asyncio.Lock()  # one connection, used by every pass's loop

    def _released(self) -> str:
        """The connection is gone, and every pass's lock with it."""
        passes = sorted(self.held)
        self.held.clear()
        return f"passes {passes}"

    async def mine(self, name: str) -> bool:
        async with self._lock:
            conn, _ = await self.dedicated.connection()  # a lost connection clears `held` first
            if name not in self.held:
                if not await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": pass_key(name)}):
                    return False
                self.held.add(name)
                log.info("running the %s pass in this process", name)
            return True

    async def aclose(self) -> None:
        """Release every pass at once (the connection goes back to the engine's pool: unlock first)."""
        async with self._lock:
            self.held.clear()
            await self.dedicated.close(to_pool=True)
