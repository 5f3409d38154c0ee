"""Store on SQLite and PostgreSQL: migrations, users, sessions, sealed secrets scoped by user."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from perpdesk.core.models import Credentials
from perpdesk.store.base import DuplicateRow, utcnow
from perpdesk.store.db import make_engine, migrate
from perpdesk.store.repos import SealedSecretRepo, SessionRepo, UserRepo
from perpdesk.store.sealed import get_credentials, get_secret, put_credentials, put_secret
from perpdesk.store.users import UserSession
from perpdesk.vault import Keyring, StaticMasterKey, Vault, VaultError

SM = async_sessionmaker[AsyncSession]


async def test_migrations_create_the_foundation_tables_and_are_idempotent(db_url: str) -> None:
    await migrate(db_url)  # a second run is a no-op
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
    finally:
        await engine.dispose()
    assert {"users", "user_sessions", "sealed_secrets", "alembic_version"} <= tables
    assert version  # head: 0001_foundation or a later part's revision


async def test_users_are_unique_by_normalised_email(db_sessionmaker: SM) -> None:
    async with db_sessionmaker() as s:
        user = await UserRepo(s).create(" Alice@Example.COM ", "hash")
        await s.commit()
    assert user.email == "alice@example.com" and len(user.id) == 32
    async with db_sessionmaker() as s:
        found = await UserRepo(s).by_email("ALICE@example.com")
        assert found is not None and found.id == user.id
        assert found.created_at.tzinfo is not None
    with pytest.raises(DuplicateRow):
        async with db_sessionmaker() as s:
            await UserRepo(s).create("alice@example.com", "hash2")
            await s.commit()


async def test_sessions_expire_and_idle_out(db_sessionmaker: SM) -> None:
    async with db_sessionmaker() as s:
        user = await UserRepo(s).create("sess@example.com", "h")
        repo = SessionRepo(s)
        await repo.create(
            id_hash="a" * 64, user_id=user.id, ttl=timedelta(hours=1), mfa_pending=False, user_agent=None
        )
        await repo.create(
            id_hash="b" * 64, user_id=user.id, ttl=timedelta(hours=1), mfa_pending=False, user_agent="x"
        )
        await s.commit()
    idle = timedelta(minutes=30)
    async with db_sessionmaker() as s:
        repo = SessionRepo(s)
        assert await repo.get_live("a" * 64, idle=idle) is not None
        # 31 idle minutes later the session is gone (and deleted)
        assert await repo.get_live("a" * 64, idle=idle, now=utcnow() + timedelta(minutes=31)) is None
        await s.commit()
        assert await s.get(UserSession, "a" * 64) is None
        # past expires_at it is gone even when active
        assert (
            await repo.get_live("b" * 64, idle=timedelta(days=9), now=utcnow() + timedelta(hours=2)) is None
        )
        await s.commit()


async def test_deleting_a_user_cascades_to_sessions_and_secrets(db_sessionmaker: SM) -> None:
    vault = Vault(StaticMasterKey(Keyring.generate()))
    async with db_sessionmaker() as s:
        user = await UserRepo(s).create("gone@example.com", "h")
        await SessionRepo(s).create(
            id_hash="c" * 64, user_id=user.id, ttl=timedelta(hours=1), mfa_pending=False, user_agent=None
        )
        await put_secret(s, vault, user_id=user.id, ref="r", purpose="p", plaintext=b"x")
        await s.commit()
        await UserRepo(s).delete(user.id)
        await s.commit()
    async with db_sessionmaker() as s:
        assert await s.get(UserSession, "c" * 64) is None
        assert await SealedSecretRepo(s).get(user_id=user.id, ref="r", purpose="p") is None


async def test_sealed_secrets_are_scoped_to_their_user(db_sessionmaker: SM) -> None:
    vault = Vault(StaticMasterKey(Keyring.generate()))
    creds = Credentials(api_key="k-1", secret="top-secret-1", passphrase="memo-1")
    async with db_sessionmaker() as s:
        alice = await UserRepo(s).create("a1@example.com", "h")
        bob = await UserRepo(s).create("b1@example.com", "h")
        secret_id = await put_credentials(s, vault, creds, user_id=alice.id, account_id="acc-1")
        await s.commit()
    async with db_sessionmaker() as s:
        assert await get_credentials(s, vault, user_id=alice.id, account_id="acc-1") == creds
        assert await get_credentials(s, vault, user_id=bob.id, account_id="acc-1") is None
        assert await SealedSecretRepo(s).by_id(secret_id, user_id=bob.id) is None
        row = await SealedSecretRepo(s).by_id(secret_id, user_id=alice.id)
        assert row is not None and b"top-secret-1" not in row.blob
        # a row copied to another owner does not open
        await SealedSecretRepo(s).put(user_id=bob.id, ref="acc-1", purpose="credentials", blob=row.blob)
        await s.commit()
    async with db_sessionmaker() as s:
        with pytest.raises(VaultError):
            await get_credentials(s, vault, user_id=bob.id, account_id="acc-1")


async def test_put_secret_replaces_in_place(db_sessionmaker: SM) -> None:
    vault = Vault(StaticMasterKey(Keyring.generate()))
    async with db_sessionmaker() as s:
        user = await UserRepo(s).create("r@example.com", "h")
        first = await put_secret(s, vault, user_id=user.id, ref="x", purpose="totp", plaintext="one")
        second = await put_secret(s, vault, user_id=user.id, ref="x", purpose="totp", plaintext="two")
        await s.commit()
        assert first == second
        assert await get_secret(s, vault, user_id=user.id, ref="x", purpose="totp") == b"two"
        rows = (await s.execute(select(text("count(*)")).select_from(text("sealed_secrets")))).scalar_one()
        assert rows >= 1


FOUNDATION_TABLES = {"users", "user_sessions", "sealed_secrets"}


async def test_migration_matches_the_models(db_url: str) -> None:
    """Autogenerate finds nothing to change for the foundation's tables: models and 0001 agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import perpdesk.store.models_all  # noqa: F401
    from perpdesk.store.base import Base

    def diff(conn: object) -> list[object]:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})  # type: ignore[arg-type]
        return list(compare_metadata(ctx, Base.metadata))

    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            changes = await conn.run_sync(diff)
    finally:
        await engine.dispose()

    def table_of(change: object) -> str | None:
        """Changes look like ('add_column', schema, 'users', Column) or ('add_index', Index)."""
        item = change[0] if isinstance(change, list) else change
        for part in item if isinstance(item, tuple) else ():
            if isinstance(part, str):
                if part in FOUNDATION_TABLES:
                    return part
                continue
            table = getattr(part, "table", None)
            if table is not None:
                return str(table.name)
            if getattr(part, "name", None) in FOUNDATION_TABLES:
                return str(part.name)
        return None

    mine = [c for c in changes if table_of(c) in FOUNDATION_TABLES]
    assert mine == []
