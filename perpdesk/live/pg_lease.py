"""Ownership of mirrors across processes through PostgreSQL advisory locks, spread over workers.

Each owner keeps one dedicated connection, named `perpdesk-live:<owner id>` (its
`application_name`), and takes a session-level advisory lock per account (a 64-bit key from the
account id). The live members are the sessions of this database with such a name
(`pg_stat_activity`): a crashed or partitioned worker's session ends as soon as PostgreSQL sees
its connection gone, and with it its membership and every lock, with no table to clean up.

At each claim an owner computes, from the active accounts and the members, the accounts that
rendezvous hashing gives it (`live/spread.py`), releases those it holds and no longer wins (the
supervisor stops their mirrors first: a graceful handover to a member that joined) and tries the
locks of the others. One it wins but cannot lock yet is still held by its previous owner until
that owner's next claim: `waiting` says how many, so the supervisor looks again sooner. The first
claim on a new connection only joins (it locks nothing, and everything it wins is `waiting`): the
workers of a cluster starting together see each other before the first of them takes every
account, a second later. `claim` first checks the connection; if it broke, every lock is gone,
so it reconnects and joins again from nothing (the supervisor stops the mirrors it lost).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import uuid
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from perpdesk.live.spread import assign
from perpdesk.store.dedicated_connection import DedicatedConnection

log = logging.getLogger(__name__)
MEMBER_PREFIX = "perpdesk-live:"
OWNER_ID = re.compile(r"[A-Za-z0-9._-]{1,40}")  # fits application_name (63 bytes) with the prefix
TRY_LOCKS_SQL = text("SELECT k FROM unnest(CAST(:keys AS bigint[])) AS k WHERE pg_try_advisory_lock(k)")
BIG = 1000  # accounts from which the assignment is computed off the event loop
MEMBERS_SQL = text(
    "SELECT DISTINCT substr(application_name, :n) FROM pg_stat_activity "
    "WHERE datname = current_database() AND starts_with(application_name, :prefix)"
)


# the advisory locks held on 64-bit keys in this database: a key's high half is classid, its low objid
ADVISORY_LOCKS_SQL = text(
    "SELECT classid::bigint, objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 "
    "AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def lock_key(account_id: str) -> int:
    """The account's advisory-lock key: a signed 64-bit integer."""
    digest = hashlib.sha256(b"perpdesk.live:" + account_id.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PgLeaseOwnership:
    def __init__(self, engine: AsyncEngine, owner_id: str | None = None) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("PgLeaseOwnership needs PostgreSQL (use InProcessOwnership on SQLite)")
        self.owner_id = owner_id or f"pg-{uuid.uuid4().hex[:12]}"
        if not OWNER_ID.fullmatch(self.owner_id):
            raise ValueError("an owner id is 1-40 letters, digits, '.', '_' or '-'")
        self.engine = engine
        self.dedicated = DedicatedConnection(
            engine, "live lease", application_name=MEMBER_PREFIX + self.owner_id, on_lost=self._released)
        self.held: set[str] = set()
        self.members: tuple[str, ...] = ()  # the live members at the last claim, this one among them
        self.assigned: set[str] = set()  # the accounts this owner won at the last claim
        self._assignment_of: tuple[frozenset[str], tuple[str, ...]] | None = None
        self._leaving: set[str] = set()  # held, but won by another member at the last claim

    @property
    def waiting(self) -> int:
        """Accounts this owner won but whose previous owner has not released them yet."""
        return len(self.assigned - self.held)

    def _released(self) -> str:
        """The lease connection is gone, and every lock with it (the supervisor stops their mirrors)."""
        released = f"{len(self.held)} accounts"
        self.held.clear()
        self._leaving.clear()
        return released

    async def _won(self, conn: AsyncConnection, account_ids: Sequence[str]) -> set[str]:
        rows = await conn.execute(MEMBERS_SQL, {"n": len(MEMBER_PREFIX) + 1, "prefix": MEMBER_PREFIX})
        members = tuple(sorted({r[0] for r in rows} | {self.owner_id}))
        key = (frozenset(account_ids), members)
        if key != self._assignment_of:  # recomputed only when accounts or members change
            self._assignment_of = key
            if len(key[0]) < BIG:
                assignment = assign(key[0], members)
            else:  # 10,000 accounts take ~0.2 s: let the loop breathe meanwhile
                assignment = await asyncio.to_thread(assign, key[0], members)
            self.assigned = {a for a, m in assignment.items() if m == self.owner_id}
            if members != self.members:
                log.info("live members changed", extra={"owner": self.owner_id, "members": len(members),
                                                        "assigned": len(self.assigned)})
            self.members = members
        return self.assigned

    async def check(self) -> None:
        """Forget the locks at once if the lease's session is gone (a scan that could not claim)."""
        await self.dedicated.check()

    async def claim(self, account_ids: Sequence[str]) -> set[str]:
        """The accounts to mirror now. One no longer won stays locked until `release` (the
        supervisor stops its mirror first) or, at the latest, the next claim: never two mirrors."""
        conn, joined = await self.dedicated.connection()  # new: this owner joins (again)
        await self.release(sorted(self._leaving))
        wanted = await self._won(conn, account_ids)
        if joined:
            return set()  # the others see this member from now: claim from the next call
        self._leaving = self.held - wanted
        keys = {lock_key(a): a for a in wanted - self.held}
        if keys:  # one round trip however many
            got = await conn.scalars(TRY_LOCKS_SQL, {"keys": sorted(keys)})
            self.held.update(keys[k] for k in got)
        return self.held & wanted

    async def held_elsewhere(self, account_ids: Sequence[str]) -> set[str]:
        """Those of the accounts whose lease another owner holds: one query, on a pooled
        connection (the lease's own is the supervisor's), less the leases held here."""
        if not account_ids:
            return set()
        async with self.engine.connect() as conn:
            rows = (await conn.execute(ADVISORY_LOCKS_SQL)).all()
        keys = {int.from_bytes(((hi << 32) | lo).to_bytes(8, "big"), "big", signed=True) for hi, lo in rows}
        return {a for a in account_ids if a not in self.held and lock_key(a) in keys}

    async def release(self, account_ids: Sequence[str]) -> None:
        conn = self.dedicated.conn
        for account_id in account_ids:
            if account_id in self.held:
                self.held.discard(account_id)
                if conn is not None:
                    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(account_id)})

    async def aclose(self) -> None:
        # close the session itself, not back into the pool: its locks and membership end now
        await self.dedicated.close()
        self.held.clear()
        self._leaving.clear()
