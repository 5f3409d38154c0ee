"""One PostgreSQL session kept open across calls, for what lives in a session: advisory locks
and the `application_name` others see in `pg_stat_activity`.

`DedicatedConnection.connection()` checks the session with `SELECT 1` before handing it out. If
it is gone (the server restarted, the network cut it, someone ran `pg_terminate_backend`), every
lock it held is gone with it: the loss is counted and logged, `on_lost` is called at once (the
owner forgets what it held, before anything else can use that), the dead connection is
invalidated, and a new session is opened, named again; `connection()` then says it is new, so
the owner takes again what it wants held. Nothing here retries a failed open: the caller's next
call does.

The session is in AUTOCOMMIT: session-level locks and names do not need a transaction, and a
session kept for minutes must never sit idle in one. `close()` ends the session itself (its locks
and name end with it) rather than giving it back to the engine's pool, unless asked to unlock
everything first (`to_pool=True`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

OPEN_SQL = text("SELECT pg_backend_pid(), set_config('application_name', :name, false)")
PID_SQL = text("SELECT pg_backend_pid()")


class DedicatedConnection:
    """`what` names the session in the log. `application_name`: the session's name, set again on
    every new session. `on_lost()`: called when the session is found gone, before reconnecting;
    it clears what the session held and may return a word on what that was, for the warning."""

    def __init__(self, engine: AsyncEngine, what: str, *, application_name: str | None = None,
                 on_lost: Callable[[], str | None] | None = None) -> None:
        self.engine = engine
        self.what = what
        self.application_name = application_name
        self._on_lost = on_lost
        self._conn: AsyncConnection | None = None
        self.backend_pid: int | None = None  # the server process of the current session
        self.losses = 0  # sessions found gone so far

    @property
    def conn(self) -> AsyncConnection | None:
        """The current session, unchecked (None: none open)."""
        return self._conn

    async def connection(self) -> tuple[AsyncConnection, bool]:
        """The session, checked, and whether it was opened just now (nothing held on it yet)."""
        if await self.check():
            assert self._conn is not None
            return self._conn, False
        return await self._open(), True

    async def check(self) -> bool:
        """Whether the session is still there, without opening another: a lost one is reported as
        `connection()` reports it (`on_lost` first)."""
        conn = self._conn
        if conn is None:
            return False
        try:
            await conn.execute(text("SELECT 1"))
            return True
        except (SQLAlchemyError, OSError) as exc:
            self._lost(exc)
            await self._invalidate(conn)
            return False

    def _lost(self, exc: BaseException) -> None:
        self._conn = None
        self.losses += 1
        released = self._on_lost() if self._on_lost is not None else None
        log.warning("%s connection lost (%s)%s: reconnecting", self.what, type(exc).__name__,
                    f": {released} released" if released else "",
                    extra={"backend_pid": self.backend_pid, "losses": self.losses})
        self.backend_pid = None

    async def _open(self) -> AsyncConnection:
        conn = await self.engine.connect()
        try:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            if self.application_name is not None:
                row = (await conn.execute(OPEN_SQL, {"name": self.application_name})).one()
                pid = row[0]
            else:
                pid = await conn.scalar(PID_SQL)
        except BaseException:
            await self._invalidate(conn)
            raise
        self._conn, self.backend_pid = conn, int(pid)
        return conn

    async def drop(self) -> None:
        """End the session now (after an error on it, or to leave): its locks and name go with
        it, and the next `connection()` opens a new one. `on_lost` is not called: the owner
        dropping it knows."""
        conn, self._conn, self.backend_pid = self._conn, None, None
        if conn is not None:
            await self._invalidate(conn)

    async def close(self, *, to_pool: bool = False) -> None:
        """Leave. By default the session ends (`drop`). `to_pool`: unlock every advisory lock of
        the session (and reset its name) and give the connection back to the engine's pool; a
        session that fails that is dropped."""
        if not to_pool:
            await self.drop()
            return
        conn, self._conn, self.backend_pid = self._conn, None, None
        if conn is None:
            return
        try:
            await conn.execute(text("SELECT pg_advisory_unlock_all()"))
            if self.application_name is not None:
                await conn.execute(text("RESET application_name"))
            await conn.close()
        except Exception:  # a broken session holds nothing: drop it
            await self._invalidate(conn)

    async def _invalidate(self, conn: AsyncConnection) -> None:
        try:
            await conn.invalidate()
        except Exception:  # the connection is gone either way
            log.debug("invalidating the %s connection failed", self.what, exc_info=True)
