"""Repositories of users, sessions and sealed secrets. Each takes an AsyncSession; callers own
the transaction.

Every lookup of a user's data takes the signed-in user's id, so one user can never read another's.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from perpdesk.store.base import utcnow
from perpdesk.store.sealed_secrets import SealedSecret
from perpdesk.store.users import User, UserSession


def normalize_email(email: str) -> str:
    return email.strip().lower()


class UserRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def create(self, email: str, password_hash: str) -> User:
        user = User(email=normalize_email(email), password_hash=password_hash)
        self.s.add(user)
        await self.s.flush()
        return user

    async def by_email(self, email: str) -> User | None:
        return await self.s.scalar(select(User).where(User.email == normalize_email(email)))

    async def by_id(self, user_id: str) -> User | None:
        return await self.s.get(User, user_id)

    async def count(self) -> int:
        return int(await self.s.scalar(select(func.count()).select_from(User)) or 0)


class SessionRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def create(
        self, *, id_hash: str, user_id: str, ttl: timedelta, mfa_pending: bool, user_agent: str | None
    ) -> UserSession:
        now = utcnow()
        row = UserSession(
            id_hash=id_hash,
            user_id=user_id,
            mfa_pending=mfa_pending,
            created_at=now,
            last_seen_at=now,
            expires_at=now + ttl,
            user_agent=(user_agent or "")[:200] or None,
        )
        self.s.add(row)
        await self.s.flush()
        return row

    async def get_live(
        self, id_hash: str, *, idle: timedelta, now: datetime | None = None
    ) -> UserSession | None:
        """The session if it exists and has neither expired nor sat idle too long."""
        now = now or utcnow()
        row = await self.s.get(UserSession, id_hash)
        if row is None:
            return None
        if row.expires_at <= now or row.last_seen_at + idle <= now:
            await self.s.delete(row)
            return None
        return row

    async def touch(self, id_hash: str, now: datetime | None = None) -> None:
        await self.s.execute(
            update(UserSession).where(UserSession.id_hash == id_hash).values(last_seen_at=now or utcnow())
        )

    async def delete(self, id_hash: str) -> None:
        await self.s.execute(delete(UserSession).where(UserSession.id_hash == id_hash))

    async def delete_for_user(self, user_id: str, *, except_hash: str | None = None) -> int:
        stmt = delete(UserSession).where(UserSession.user_id == user_id)
        if except_hash:
            stmt = stmt.where(UserSession.id_hash != except_hash)
        result = await self.s.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)

    async def purge_expired(self, now: datetime | None = None) -> None:
        await self.s.execute(delete(UserSession).where(UserSession.expires_at <= (now or utcnow())))


class SealedSecretRepo:
    """Rows of vault blobs, always addressed together with their owner."""

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def put(self, *, user_id: str, ref: str, purpose: str, blob: bytes) -> SealedSecret:
        """Insert, or replace the blob of the (user, ref, purpose) row."""
        row = await self.get(user_id=user_id, ref=ref, purpose=purpose)
        if row is None:
            row = SealedSecret(user_id=user_id, ref=ref, purpose=purpose, blob=blob)
            self.s.add(row)
        else:
            row.blob = blob
            row.updated_at = utcnow()
        await self.s.flush()
        return row

    async def get(self, *, user_id: str, ref: str, purpose: str) -> SealedSecret | None:
        return await self.s.scalar(
            select(SealedSecret).where(
                SealedSecret.user_id == user_id, SealedSecret.ref == ref, SealedSecret.purpose == purpose
            )
        )

    async def by_id(self, secret_id: int, *, user_id: str) -> SealedSecret | None:
        return await self.s.scalar(
            select(SealedSecret).where(SealedSecret.id == secret_id, SealedSecret.user_id == user_id)
        )

    async def delete(self, *, user_id: str, ref: str, purpose: str) -> None:
        await self.s.execute(
            delete(SealedSecret).where(
                SealedSecret.user_id == user_id, SealedSecret.ref == ref, SealedSecret.purpose == purpose
            )
        )
