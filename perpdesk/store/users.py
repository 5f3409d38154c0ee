"""Platform users, their server-side sign-in sessions and password reset tokens (of both, only a
hash of the secret value is stored)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Boolean, ForeignKey, Index, String, delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from perpdesk.store.base import Base, UTCDateTime, new_id, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), nullable=False, unique=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)  # argon2id PHC string
    totp_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class UserSession(Base):
    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user", "user_id"),)

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie value
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    mfa_pending: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    user_agent: Mapped[str | None] = mapped_column(String(200), nullable=True)


class PasswordReset(Base):
    """A password reset link's token, by its sha256 only: single-use and short-lived."""

    __tablename__ = "password_resets"
    __table_args__ = (Index("ix_password_resets_user", "user_id"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class PasswordResetRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def create(self, *, token_hash: str, user_id: str, ttl: timedelta) -> None:
        now = utcnow()
        row = PasswordReset(token_hash=token_hash, user_id=user_id, created_at=now, expires_at=now + ttl)
        self.s.add(row)
        await self.s.flush()

    async def peek(self, token_hash: str) -> str | None:
        """The user id of a live token, leaving it in place."""
        row = await self.s.get(PasswordReset, token_hash)
        return row.user_id if row is not None and row.expires_at > utcnow() else None

    async def take(self, token_hash: str) -> str | None:
        """The user id of a live token, deleting it (single use); None if unknown or expired."""
        row = await self.s.get(PasswordReset, token_hash)
        if row is None:
            return None
        await self.s.delete(row)
        return row.user_id if row.expires_at > utcnow() else None

    async def delete_for_user(self, user_id: str) -> None:
        await self.s.execute(delete(PasswordReset).where(PasswordReset.user_id == user_id))
