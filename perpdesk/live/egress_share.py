"""How many processes of a cluster open exchange WebSockets from each source address, so that
together they stay under the exchange's per-address limit (BitMart: about 500).

Each process holds a shared advisory lock per configured address on one dedicated connection;
the holders of an address's lock are the processes using it (`pg_locks`). A process that dies
loses its connection and with it its locks, so the survivors' shares grow at their next refresh;
one that joins shrinks them. A process over its new share opens no more connections from that
address until enough close (the accounts that move to the new member close theirs).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from perpdesk.core.background import PeriodicTask
from perpdesk.exchanges.common.egress import SourceAddresses
from perpdesk.store.dedicated_connection import DedicatedConnection

# the advisory locks' first key: apart from the account leases (one 64-bit key)
LOCK_SPACE = 0x70656772  # "pegr"
HOLDERS_SQL = text(
    "SELECT objid::bigint, count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND classid = :space AND objsubid = 2 AND database = "
    "(SELECT oid FROM pg_database WHERE datname = current_database()) GROUP BY objid"
)


def address_key(address: str | None) -> int:
    """The address's second lock key: a 32-bit integer PostgreSQL shows back as an oid."""
    digest = hashlib.sha256(b"perpdesk.egress:" + (address or "default").encode()).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


class PgEgressShare(PeriodicTask):
    """Runs in every process of a cluster (no gate): each refreshes its own shares."""

    name = "perpdesk-egress-share"

    def __init__(self, engine: AsyncEngine, pool: SourceAddresses, interval_s: float = 5.0) -> None:
        super().__init__()
        if engine.dialect.name != "postgresql":
            raise ValueError("PgEgressShare needs PostgreSQL")
        self.engine, self.pool, self._interval_s = engine, pool, interval_s
        self.dedicated = DedicatedConnection(engine, "egress share", application_name="perpdesk-egress")

    def interval_s(self) -> float:
        return self._interval_s

    async def run_pass(self) -> object:
        return await self.refresh()

    async def refresh(self) -> dict[str | None, int]:
        """Hold this process's locks (again, after a lost connection), count every address's
        holders and give the pool its shares."""
        try:
            conn = await self._connection()
            rows = (await conn.execute(HOLDERS_SQL, {"space": LOCK_SPACE})).all()
        except Exception:
            # the last shares stay: a database outage must not widen them (or stop the streams)
            await self.dedicated.drop()
            raise
        by_key = {int(key) & 0xFFFFFFFF: int(n) for key, n in rows}
        sharers = {a: by_key.get(address_key(a) & 0xFFFFFFFF, 1) for a in self.pool.addresses}
        self.pool.set_sharers(sharers)
        return sharers

    async def _connection(self) -> AsyncConnection:
        """The session, holding this process's lock on each of its addresses (again, if new)."""
        conn, new = await self.dedicated.connection()
        if new:
            for address in self.pool.addresses:
                await conn.execute(text("SELECT pg_advisory_lock_shared(:space, :key)"),
                                   {"space": LOCK_SPACE, "key": address_key(address)})
        return conn

    async def aclose(self) -> None:
        """Leave: the locks go with the connection (not back to the engine's pool, where a
        session's advisory locks would outlive this process's use of the address)."""
        await self.stop()
        await self.dedicated.close()
