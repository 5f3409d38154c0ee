"""The platform never drops its own SQLite locks: making another engine or migrating again (as
the web app's start-up, the demo and every CLI command do) while connections are open leaves
this process's POSIX lock on the database file in place (SQLite's "How To Corrupt", 2.2)."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text

from perpdesk.core.files import private_sqlite
from perpdesk.store.db import make_engine, migrate
from tests.fixtures.file_locks import lock_holders


async def test_new_engines_and_migrations_keep_the_open_connections_locks(tmp_path: Path) -> None:
    db = tmp_path / "data" / "perpdesk.sqlite3"
    url = f"sqlite+aiosqlite:///{db}"
    await migrate(url)
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:  # back to the pool, still open: WAL keeps a shared lock
            await conn.execute(text("select count(*) from users"))
        assert os.getpid() in lock_holders(db)
        await migrate(url)  # its own engine, opened and disposed
        other = make_engine(url)
        await other.dispose()
        private_sqlite(db)
        assert os.getpid() in lock_holders(db), "this process dropped its own lock on the database"
    finally:
        await engine.dispose()
    assert os.getpid() not in lock_holders(db)  # the probe sees a lock vanish: it can fail
