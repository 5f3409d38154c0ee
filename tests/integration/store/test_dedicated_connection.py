"""The dedicated PostgreSQL session on the real server: it keeps one session across calls, under
its name in pg_stat_activity; when its backend is terminated it reports the loss (once, before
anything else uses it), opens a new named session and says it is new; dropping or closing it
ends its advisory locks, and closing to the pool unlocks them first."""

from __future__ import annotations

import asyncio
import logging
import os

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from perpdesk.store.db import make_engine
from perpdesk.store.dedicated_connection import DedicatedConnection
from tests.fixtures.db import PG_ENV

pytestmark = pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set (scripts/pg.sh)")
KEY = 4242


async def named(conn: AsyncConnection, name: str) -> list[int]:
    rows = await conn.execute(text("SELECT pid FROM pg_stat_activity WHERE application_name = :n "
                                   "AND datname = current_database()"), {"n": name})
    return [r[0] for r in rows]


async def lock_holders(conn: AsyncConnection) -> list[int]:
    rows = await conn.execute(text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                                   "AND objid = :k"), {"k": KEY})
    return [r[0] for r in rows]


async def test_a_terminated_backend_is_reported_lost_and_replaced(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine, admin = make_engine(pg_url), make_engine(pg_url, isolation_level="AUTOCOMMIT")
    held = {"k"}
    lost_while_held: list[set[str]] = []

    def on_lost() -> str:
        lost_while_held.append(set(held))
        held.clear()
        return "the test lock"

    dedicated = DedicatedConnection(engine, "test", application_name="perpdesk-test:one", on_lost=on_lost)
    try:
        conn, new = await dedicated.connection()
        assert new and dedicated.losses == 0
        first_pid = dedicated.backend_pid
        assert first_pid == await conn.scalar(text("SELECT pg_backend_pid()"))
        assert await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": KEY})
        again, new = await dedicated.connection()
        assert again is conn and not new and dedicated.backend_pid == first_pid  # the same session
        async with admin.connect() as killer:
            assert await named(killer, "perpdesk-test:one") == [first_pid]
            assert await lock_holders(killer) == [first_pid]
            # the backend goes away (10 s: PostgreSQL waits until it has ended)
            assert await killer.scalar(text("SELECT pg_terminate_backend(:p, 10000)"), {"p": first_pid})
            assert await lock_holders(killer) == []

        with caplog.at_level(logging.WARNING, logger="perpdesk.store.dedicated_connection"):
            conn, new = await dedicated.connection()
        assert new and dedicated.losses == 1
        assert lost_while_held == [{"k"}] and held == set()  # told before the new session was handed out
        assert "test connection lost" in caplog.text and "the test lock released" in caplog.text
        second_pid = dedicated.backend_pid
        assert second_pid is not None and second_pid != first_pid
        assert await conn.scalar(text("SELECT pg_backend_pid()")) == second_pid
        assert await conn.scalar(text("SELECT current_setting('application_name')")) == "perpdesk-test:one"
        assert await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": KEY})
        assert await conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = pg_backend_pid() "
                                      "AND state LIKE 'idle in transaction%'")) == 0  # autocommit
        _, new = await dedicated.connection()
        assert not new and dedicated.losses == 1  # once per loss

        await dedicated.drop()  # leaves: the session, its name and its lock end now
        assert dedicated.conn is None and dedicated.backend_pid is None
        async with admin.connect() as watcher:
            for _ in range(100):  # the server sees the closed socket within moments
                if not await lock_holders(watcher):
                    break
                await asyncio.sleep(0.05)
            assert await lock_holders(watcher) == []
            assert await named(watcher, "perpdesk-test:one") == []
        _, new = await dedicated.connection()
        assert new and dedicated.losses == 1  # a drop is no loss
    finally:
        await dedicated.close()
        await engine.dispose()
        await admin.dispose()


async def test_closing_to_the_pool_unlocks_and_resets_the_name_first(pg_url: str) -> None:
    engine = make_engine(pg_url, pool_size=1, max_overflow=0)
    dedicated = DedicatedConnection(engine, "test", application_name="perpdesk-test:two")
    try:
        conn, _ = await dedicated.connection()
        pid = dedicated.backend_pid
        await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": KEY})
        await dedicated.close(to_pool=True)
        assert dedicated.conn is None
        async with engine.connect() as pooled:  # the same session, back from the pool
            assert await pooled.scalar(text("SELECT pg_backend_pid()")) == pid
            assert await lock_holders(pooled) == []
            name = await pooled.scalar(text("SELECT current_setting('application_name')"))
            assert name != "perpdesk-test:two"
    finally:
        await dedicated.close()
        await engine.dispose()


async def test_a_failed_open_raises_and_keeps_no_connection() -> None:
    engine = make_engine("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")  # nothing listens
    dedicated = DedicatedConnection(engine, "test")
    try:
        with pytest.raises((OSError, SQLAlchemyError)):
            await dedicated.connection()
        assert dedicated.conn is None and dedicated.losses == 0
    finally:
        await engine.dispose()


async def test_check_reports_a_lost_session_without_opening_another(pg_url: str) -> None:
    engine, admin = make_engine(pg_url), make_engine(pg_url, isolation_level="AUTOCOMMIT")
    lost: list[int] = []

    def on_lost() -> str:
        lost.append(1)
        return "the test's session"

    dedicated = DedicatedConnection(engine, "test", application_name="perpdesk-test:check",
                                    on_lost=on_lost)
    try:
        assert not await dedicated.check()  # none open yet: nothing opened by looking
        await dedicated.connection()
        pid = dedicated.backend_pid
        assert await dedicated.check() and lost == []
        async with admin.connect() as killer:
            assert await killer.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        for _ in range(50):  # the server ends the session within moments
            if not await dedicated.check():
                break
            await asyncio.sleep(0.05)
        assert lost == [1] and dedicated.losses == 1 and dedicated.conn is None
        async with admin.connect() as conn:
            assert await named(conn, "perpdesk-test:check") == []  # no new session by looking
    finally:
        await dedicated.close()
        await engine.dispose()
        await admin.dispose()
