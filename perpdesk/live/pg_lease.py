"""Ownership of mirrors across processes through PostgreSQL advisory locks.

Each owner keeps one dedicated connection and takes a session-level advisory lock per account
(a 64-bit key from the account id). A lock is held until released or until the owner's
connection ends: a crashed or partitioned worker loses its accounts as soon as PostgreSQL sees
the connection gone, with no table to clean up. `claim` first checks the connection; if it broke,
every lock is gone, so it reconnects and claims again from nothing (the supervisor then stops
the mirrors it no longer owns).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)


def lock_key(account_id: str) -> int:
    """The account's advisory-lock key: a signed 64-bit integer."""
    digest = hashlib.sha256(b"perpdesk.live:" + account_id.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PgLeaseOwnership:
    def __init__(self, engine: AsyncEngine, owner_id: str | None = None) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("PgLeaseOwnership needs PostgreSQL (use InProcessOwnership on SQLite)")
        self.engine = engine
        self.owner_id = owner_id or f"pg-{uuid.uuid4().hex[:12]}"
        self._conn: AsyncConnection | None = None
        self.held: set[str] = set()

    async def _connection(self) -> AsyncConnection:
        conn = self._conn
        if conn is not None:
            try:
                await conn.execute(text("SELECT 1"))
                return conn
            except (DBAPIError, InterfaceError, OperationalError):
                log.warning("live lease connection lost: %d accounts released", len(self.held))
                self.held.clear()
                self._conn = None
                try:
                    await conn.invalidate()
                except Exception:  # the connection is gone either way
                    log.debug("invalidating the lost lease connection failed", exc_info=True)
        conn = await self.engine.connect()
        self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    async def claim(self, account_ids: Sequence[str]) -> set[str]:
        conn = await self._connection()
        wanted = set(account_ids)
        gone = sorted(self.held - wanted)
        if gone:
            await self.release(gone)
        for account_id in sorted(wanted - self.held):
            got = await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(account_id)})
            if got:
                self.held.add(account_id)
        return set(self.held)

    async def release(self, account_ids: Sequence[str]) -> None:
        conn = self._conn
        for account_id in account_ids:
            if account_id in self.held:
                self.held.discard(account_id)
                if conn is not None:
                    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(account_id)})

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close()  # ends the session: every lock goes with it
            except (DBAPIError, InterfaceError, OperationalError):
                await conn.invalidate()
        self.held.clear()
