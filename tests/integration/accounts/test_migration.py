"""Migration 0002_accounts goes up, down and up again on SQLite and PostgreSQL and matches the models."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import perpdesk.store.models_all  # noqa: F401  (every table on Base.metadata)
from perpdesk.store.base import Base
from perpdesk.store.db import alembic_config, make_engine, migrate

TABLES = {"exchange_accounts", "fast_connect_grants", "account_audit_log", "account_notices"}


async def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def test_up_down_up_and_models_match(db_url: str) -> None:
    assert TABLES <= await _tables(db_url)
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata
                )
            )
    finally:
        await engine.dispose()
    mine = [d for d in diff if any(t in repr(d) for t in TABLES)]
    assert mine == []
    await asyncio.to_thread(command.downgrade, alembic_config(db_url), "0001_foundation")
    assert not (TABLES & await _tables(db_url))
    await migrate(db_url)
    assert TABLES <= await _tables(db_url)
