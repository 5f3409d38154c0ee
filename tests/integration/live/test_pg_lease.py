"""Mirror ownership across processes on the real PostgreSQL: one owner per account, released on
request, and taken over by another owner once the first one's connection is gone."""

from __future__ import annotations

import asyncio
import os

import pytest
from sqlalchemy import text

from perpdesk.live.pg_lease import PgLeaseOwnership, lock_key
from perpdesk.store.db import make_engine
from tests.fixtures.db import PG_ENV, create_pg_database, drop_pg_database

pytestmark = pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set (scripts/pg.sh)")


async def test_one_owner_per_account_and_takeover_when_an_owner_dies() -> None:
    admin_url = os.environ[PG_ENV]
    url = await create_pg_database(admin_url)
    e1, e2 = make_engine(url), make_engine(url)
    a, b = PgLeaseOwnership(e1, "a"), PgLeaseOwnership(e2, "b")
    try:
        assert await a.claim(["x", "y"]) == {"x", "y"}
        assert await b.claim(["x", "y", "z"]) == {"z"}  # x and y are a's
        assert await a.claim(["x", "y"]) == {"x", "y"}  # renewing keeps them
        await a.release(["x"])
        assert await b.claim(["x", "y", "z"]) == {"x", "z"}
        assert await a.claim(["y"]) == {"y"}
        # a's connection dies (crash, network): its locks go with it
        assert a._conn is not None
        pid = await a._conn.scalar(text("SELECT pg_backend_pid()"))
        async with e2.connect() as killer:
            assert await killer.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        await asyncio.sleep(0.2)
        assert await b.claim(["x", "y", "z"]) == {"x", "y", "z"}
        assert await a.claim(["x", "y"]) == set()  # a notices, reconnects, and finds them taken
        assert await b.claim(["z"]) == {"z"}  # accounts no longer wanted are released
        c = PgLeaseOwnership(make_engine(url), "c")
        assert await c.claim(["x", "y"]) == {"x", "y"}
        await c.aclose()
        await c.engine.dispose()
    finally:
        await a.aclose()
        await b.aclose()
        await e2.dispose()
        await e1.dispose()
        await drop_pg_database(admin_url, url)
    assert lock_key("x") != lock_key("y") and -(2**63) <= lock_key("x") < 2**63


def test_sqlite_is_refused() -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        PgLeaseOwnership(make_engine("sqlite+aiosqlite:///:memory:"))
