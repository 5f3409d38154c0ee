"""Connected exchange accounts, Fast Connect grants, the per-user audit log and notices.

Secrets never live here in plaintext: credentials are sealed by the vault (a reference to the
sealed record), the API key is kept as a keyed hash (uniqueness) and a mask (display).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from perpdesk.store.base import Base, UTCDateTime, new_id, utcnow


def _user_fk() -> Mapped[str]:
    return mapped_column(String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False)


class ExchangeAccount(Base):
    __tablename__ = "exchange_accounts"
    __table_args__ = (
        UniqueConstraint("api_key_hash", name="uq_exchange_accounts_api_key_hash"),
        UniqueConstraint("exchange", "exchange_account_hash", name="uq_exchange_accounts_exchange_account"),
        Index("ix_exchange_accounts_user", "user_id"),
        Index("ix_exchange_accounts_status_next_check", "status", "next_check_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = _user_fk()
    exchange: Mapped[str] = mapped_column(String(32), nullable=False)  # "bitmart"
    market: Mapped[str] = mapped_column(String(16), nullable=False, default="futures")
    # The venue the key was connected against (the exchange or a sandbox): every process builds the
    # account's connector from these, never from its own settings. NULL only for rows connected
    # before they were stored, until the platform's next start records its configured URLs.
    api_url: Mapped[str | None] = mapped_column(String(300), nullable=True)
    ws_url: Mapped[str | None] = mapped_column(String(300), nullable=True)
    label: Mapped[str] = mapped_column(String(100), nullable=False)
    method: Mapped[str] = mapped_column(String(16), nullable=False)  # ConnectMethod
    status: Mapped[str] = mapped_column(String(24), nullable=False)  # AccountStatus
    api_key_hash: Mapped[str] = mapped_column(String(64), nullable=False)  # HMAC-SHA256 hex
    api_key_mask: Mapped[str] = mapped_column(String(16), nullable=False)
    # HMAC of the exchange's account id (BitMart uid); NULL when the exchange did not reveal it.
    exchange_account_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Credentials are sealed in sealed_secrets (ref = this id; perpdesk/store/sealed.py).
    permissions: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    ip_whitelist: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    warnings: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)  # warning codes
    balances: Mapped[list[dict[str, str]]] = mapped_column(JSON, nullable=False, default=list)
    last_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(64), nullable=True)  # a message code
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    check_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The user accepted, explicitly, that this account's key can withdraw (refused otherwise).
    withdraw_allowed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class FastConnectGrant(Base):
    """One Fast Connect attempt: state and PKCE verifier, bound to the user's session.

    The state is stored as a hash (it travels in URLs); the verifier is sealed. `status` moves
    pending → redeeming → connected | failed | denied | expired; `redeeming` is written before the
    code is redeemed so a crash leaves a trace and recovery revokes the issued key.
    """

    __tablename__ = "fast_connect_grants"
    __table_args__ = (Index("ix_fast_connect_grants_status", "status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    state_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    user_id: Mapped[str] = _user_fk()
    session_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    exchange: Mapped[str] = mapped_column(String(32), nullable=False)
    sealed_verifier: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    redirect_uri: Mapped[str] = mapped_column(String(500), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    outcome_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    account_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The issued key, sealed, between redemption and storage: recovery revokes it if left over.
    sealed_issued_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AccountAuditEntry(Base):
    """Who did what to which account, when. Never a secret: ids, labels, masks and codes only."""

    __tablename__ = "account_audit_log"
    __table_args__ = (Index("ix_account_audit_log_user_at", "user_id", "at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = _user_fk()
    actor: Mapped[str] = mapped_column(String(64), nullable=False)  # user id, or "system"
    action: Mapped[str] = mapped_column(String(48), nullable=False)
    account_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    detail: Mapped[dict[str, object]] = mapped_column(JSON, nullable=False, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class AccountNotice(Base):
    """A message for the user, e.g. "the account was whitelisted and is now active"."""

    __tablename__ = "account_notices"
    __table_args__ = (Index("ix_account_notices_user", "user_id", "read"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = _user_fk()
    account_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    read: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


__all__ = [
    "AccountAuditEntry",
    "AccountNotice",
    "ExchangeAccount",
    "FastConnectGrant",
]
