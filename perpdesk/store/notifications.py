"""Notifications per user (read/unread), each user's notification settings (liquidation-distance
threshold, webhook URL; the webhook secret is sealed in `sealed_secrets`), and the webhook
delivery log."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from perpdesk.store.base import Base, UTCDateTime, new_id, utcnow
from perpdesk.store.orders import DecimalText
from perpdesk.store.records import NotificationPrefsRecord, NotificationRecord


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key", name="uq_notifications_user_dedupe"),
        Index("ix_notifications_user_created", "user_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    account_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)  # fill | trigger | liquidation | key
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(String(1000), nullable=False, default="")
    dedupe_key: Mapped[str] = mapped_column(String(200), nullable=False)  # one notification per event
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class NotificationSettings(Base):
    __tablename__ = "notification_settings"

    user_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    liquidation_pct: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    webhook_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "delivered", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    notification_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    url: Mapped[str] = mapped_column(String(500), nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    delivered: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    gave_up: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, default=utcnow)


def _record(n: Notification) -> NotificationRecord:
    return NotificationRecord(n.id, n.user_id, n.account_id, n.kind, n.title, n.body, n.dedupe_key,
                              n.created_at, n.read_at)


class NotificationRepo:
    """A user's notifications and settings; every lookup takes the user id."""

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add_once(
        self, *, user_id: str, kind: str, title: str, body: str, dedupe_key: str, account_id: str | None
    ) -> NotificationRecord | None:
        """Store the notification unless one with this dedupe key exists (None then)."""
        found = await self.s.scalar(
            select(Notification.id).where(
                Notification.user_id == user_id, Notification.dedupe_key == dedupe_key
            )
        )
        if found is not None:
            return None
        n = Notification(user_id=user_id, account_id=account_id, kind=kind, title=title, body=body,
                         dedupe_key=dedupe_key, created_at=utcnow())
        self.s.add(n)
        await self.s.flush()
        return _record(n)

    async def dedupe_keys(self, prefix: str, limit: int) -> set[str]:
        """Every user's stored dedupe keys that start with `prefix` (at most `limit`)."""
        like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        key = Notification.dedupe_key
        rows = await self.s.scalars(select(key).where(key.like(like, escape="\\")).limit(limit))
        return set(rows)

    async def recent(
        self, user_id: str, *, unread_only: bool = False, limit: int = 50
    ) -> list[NotificationRecord]:
        q = select(Notification).where(Notification.user_id == user_id)
        if unread_only:
            q = q.where(Notification.read_at.is_(None))
        q = q.order_by(Notification.created_at.desc(), Notification.id).limit(limit)
        return [_record(n) for n in await self.s.scalars(q)]

    async def unread_count(self, user_id: str) -> int:
        n = await self.s.scalar(
            select(func.count()).select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        return int(n or 0)

    async def mark_read(self, user_id: str, ids: list[str] | None = None) -> int:
        q = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
        if ids is not None:
            q = q.where(Notification.id.in_(ids))
        result = await self.s.execute(q.values(read_at=utcnow()))
        return int(getattr(result, "rowcount", 0) or 0)

    async def prefs(self, user_id: str) -> NotificationPrefsRecord:
        row = await self.s.get(NotificationSettings, user_id)
        if row is None:
            return NotificationPrefsRecord()
        return NotificationPrefsRecord(row.liquidation_pct, row.webhook_url)

    async def save_prefs(self, user_id: str, prefs: NotificationPrefsRecord) -> None:
        row = await self.s.get(NotificationSettings, user_id)
        if row is None:
            row = NotificationSettings(user_id=user_id)
            self.s.add(row)
        row.liquidation_pct, row.webhook_url = prefs.liquidation_pct, prefs.webhook_url
        row.updated_at = utcnow()
        await self.s.flush()

    async def thresholds(self) -> dict[str, Decimal]:
        """Every user's stored liquidation threshold, as saved (users without one left out)."""
        rows = await self.s.execute(
            select(NotificationSettings.user_id, NotificationSettings.liquidation_pct)
            .where(NotificationSettings.liquidation_pct.is_not(None))
        )
        return {user_id: pct for user_id, pct in rows.all() if pct is not None}
