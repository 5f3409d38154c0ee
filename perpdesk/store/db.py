"""Engine and session factory, and `migrate(url)`: Alembic upgrade to head, run off the event loop."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, TypeAlias

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from perpdesk.core.files import private_sqlite

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

__all__ = [
    "AsyncSession",
    "async_sessionmaker",
    "make_engine",
    "make_sessionmaker",
    "migrate",
    "shown_url",
    "sqlite_file",
]


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")  # SQLite ignores FOREIGN KEY clauses unless asked
    cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer (vault rotate runs live)
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL (None: another database, or one in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def shown_url(url: str) -> str:
    """The database URL with its password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for `sqlite+aiosqlite://` or `postgresql+asyncpg://` URLs."""
    if make_url(url).get_backend_name() == "sqlite":
        if (path := sqlite_file(url)) is not None:
            private_sqlite(path)  # sessions, hashes, sealed keys: the owner's alone
        kwargs.setdefault("connect_args", {"timeout": 10})
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


# What opens database sessions: held by the wiring (services/deps.AccountsDeps) and handed to the
# unit of work; the use cases never open one themselves.
Sessions: TypeAlias = async_sessionmaker[AsyncSession]


def make_sessionmaker(engine: AsyncEngine) -> Sessions:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["url"] = url  # not via set_main_option: configparser would choke on '%' in passwords
    return cfg


def _upgrade(url: str, revision: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


# PostgreSQL advisory-lock key held while one process migrates (any fixed 64-bit number of ours)
MIGRATION_LOCK = 0x7065727064657331  # "perpdes1"


async def migrate(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (default head). Runs in a worker thread. On
    PostgreSQL, processes starting at once migrate one after the other: each waits for the
    session lock, and the next finds the database at head already."""
    if make_url(url).get_backend_name() != "postgresql":
        await asyncio.to_thread(_upgrade, url, revision)
        return
    engine = make_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
            try:
                await asyncio.to_thread(_upgrade, url, revision)
            finally:
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
    finally:
        await engine.dispose()
