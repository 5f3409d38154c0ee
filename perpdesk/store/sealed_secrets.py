"""Sealed secrets owned by the platform (TOTP seeds; credentials for whoever prefers a row here).

Each row holds one vault blob (`SealedBlob.to_bytes()`), bound by the vault to (user_id, ref).
Other tables may hold vault blobs in their own LargeBinary columns; `perpdesk vault rotate`
re-wraps blobs wherever they are (see perpdesk/store/vault_rotation.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from perpdesk.store.base import Base, UTCDateTime, utcnow


class SealedSecret(Base):
    __tablename__ = "sealed_secrets"
    __table_args__ = (UniqueConstraint("user_id", "ref", "purpose", name="uq_sealed_secrets_owner"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    ref: Mapped[str] = mapped_column(String(64), nullable=False)  # the vault's account_id binding
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)  # e.g. "totp", "credentials"
    blob: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
