"""Repositories of users, sessions and sealed secrets. Each takes an AsyncSession; callers own
the transaction.

Every lookup of a user's data takes the signed-in user's id, so one user can never read another's.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from perpdesk.store.base import DuplicateRow, utcnow
from perpdesk.store.records import SessionRecord, UserRecord
from perpdesk.store.sealed_secrets import SealedSecret
from perpdesk.store.users import User, UserSession


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _user(u: User) -> UserRecord:
    return UserRecord(u.id, u.email, u.password_hash, u.totp_enabled, u.created_at, u.last_sign_in_at)


def _session(r: UserSession) -> SessionRecord:
    return SessionRecord(r.id_hash, r.user_id, r.mfa_pending, r.created_at, r.last_seen_at, r.expires_at)


class UserRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def create(self, email: str, password_hash: str) -> UserRecord:
        """The new user; DuplicateRow when the email is taken (also by a concurrent sign-up)."""
        user = User(email=normalize_email(email), password_hash=password_hash, created_at=utcnow())
        self.s.add(user)
        try:
            await self.s.flush()
        except IntegrityError:
            raise DuplicateRow() from None
        return _user(user)

    async def by_email(self, email: str) -> UserRecord | None:
        user = await self.s.scalar(select(User).where(User.email == normalize_email(email)))
        return _user(user) if user is not None else None

    async def by_id(self, user_id: str) -> UserRecord | None:
        user = await self.s.get(User, user_id)
        return _user(user) if user is not None else None

    async def count(self) -> int:
        return int(await self.s.scalar(select(func.count()).select_from(User)) or 0)

    async def delete(self, user_id: str) -> None:
        """The user and, by cascade, everything of theirs."""
        user = await self.s.get(User, user_id)
        if user is not None:
            await self.s.delete(user)

    async def update(self, user_id: str, **values: object) -> bool:
        """Set columns of the user (password_hash, totp_enabled, last_sign_in_at); False if none."""
        unknown = set(values) - {"password_hash", "totp_enabled", "last_sign_in_at"}
        if unknown:
            raise ValueError(f"not a user setting: {sorted(unknown)}")
        done = await self.s.execute(update(User).where(User.id == user_id).values(**values))
        return bool(getattr(done, "rowcount", 0))


class SessionRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def create(
        self, *, id_hash: str, user_id: str, ttl: timedelta, mfa_pending: bool, user_agent: str | None
    ) -> SessionRecord:
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
        return _session(row)

    async def get_live(
        self, id_hash: str, *, idle: timedelta, now: datetime | None = None
    ) -> SessionRecord | None:
        """The session if it exists and has neither expired nor sat idle too long."""
        now = now or utcnow()
        row = await self.s.get(UserSession, id_hash)
        if row is None:
            return None
        if row.expires_at <= now or row.last_seen_at + idle <= now:
            await self.s.delete(row)
            return None
        return _session(row)

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

    async def blobs_of_user(self, user_id: str, purpose: str) -> list[tuple[str, bytes]]:
        """(ref, blob) of every secret of the user with this purpose."""
        rows = await self.s.execute(
            select(SealedSecret.ref, SealedSecret.blob).where(
                SealedSecret.user_id == user_id, SealedSecret.purpose == purpose
            )
        )
        return [(ref, blob) for ref, blob in rows.all()]

    async def delete(self, *, user_id: str, ref: str, purpose: str) -> None:
        await self.s.execute(
            delete(SealedSecret).where(
                SealedSecret.user_id == user_id, SealedSecret.ref == ref, SealedSecret.purpose == purpose
            )
        )
