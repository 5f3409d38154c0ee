"""Order intents: every order perpdesk sends, written down BEFORE it is sent.

The client order id is chosen first and stored with the order as `pending`; the exchange's answer
then moves the intent to `placed` (with the exchange's order id), `rejected` (with why) or
`unknown` (the exchange did not say). An `unknown` intent is settled later by looking the client
order id up at the exchange, never by sending the order again.

Prices and sizes are stored as exact decimal strings (never float), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from perpdesk.core.money import fmt
from perpdesk.store.base import Base, UTCDateTime, utcnow


class IntentStatus(enum.StrEnum):
    PENDING = "pending"  # written, about to be sent (a crash here leaves it pending: settle it)
    PLACED = "placed"
    REJECTED = "rejected"
    UNKNOWN = "unknown"


class IntentPurpose(enum.StrEnum):
    ORDER = "order"  # an order from the ticket or the API
    CLOSE = "close"  # a market order closing a whole position


class DecimalText(TypeDecorator[Decimal]):
    """A Decimal kept as its exact string: no float anywhere, the same on every backend."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"DecimalText takes Decimal, got {type(value).__name__}")
        return fmt(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value))


def new_id() -> str:
    return uuid.uuid4().hex


class OrderIntent(Base):
    __tablename__ = "order_intents"
    __table_args__ = (
        UniqueConstraint("account_id", "client_order_id", name="uq_order_intents_account_client_order_id"),
        Index("ix_order_intents_user_account_created", "user_id", "account_id", "created_at"),
        Index("ix_order_intents_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    account_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("exchange_accounts.id", ondelete="CASCADE"), nullable=False
    )
    exchange: Mapped[str] = mapped_column(String(32), nullable=False)
    client_order_id: Mapped[str] = mapped_column(String(64), nullable=False)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False, default=IntentPurpose.ORDER.value)
    symbol: Mapped[str] = mapped_column(String(32), nullable=False)
    side: Mapped[str] = mapped_column(String(24), nullable=False)  # OrderSide
    type: Mapped[str] = mapped_column(String(16), nullable=False)  # OrderType
    time_in_force: Mapped[str] = mapped_column(String(16), nullable=False)
    size: Mapped[Decimal] = mapped_column(DecimalText(), nullable=False)
    price: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    leverage: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    margin_mode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    take_profit: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    stop_loss: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=IntentStatus.PENDING.value)
    order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the exchange's id
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_message: Mapped[str | None] = mapped_column(String(500), nullable=True)
    settle_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OrderIntentRepo:
    """Queries on order intents; every read is scoped by user id (and account id)."""

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(self, intent: OrderIntent) -> OrderIntent:
        self.s.add(intent)
        await self.s.flush()
        return intent

    async def by_client_id(self, user_id: str, account_id: str, client_order_id: str) -> OrderIntent | None:
        return await self.s.scalar(
            select(OrderIntent).where(
                OrderIntent.user_id == user_id,
                OrderIntent.account_id == account_id,
                OrderIntent.client_order_id == client_order_id,
            )
        )

    async def for_account(
        self, user_id: str, account_id: str, *, statuses: Sequence[str] | None = None, limit: int = 100
    ) -> list[OrderIntent]:
        q = select(OrderIntent).where(OrderIntent.user_id == user_id, OrderIntent.account_id == account_id)
        if statuses:
            q = q.where(OrderIntent.status.in_(list(statuses)))
        q = q.order_by(OrderIntent.created_at.desc(), OrderIntent.id).limit(limit)
        return list(await self.s.scalars(q))

    async def symbols(self, user_id: str, account_id: str) -> list[str]:
        rows = await self.s.scalars(
            select(OrderIntent.symbol)
            .where(OrderIntent.user_id == user_id, OrderIntent.account_id == account_id)
            .distinct()
        )
        return sorted(rows)

    async def accounts_with_unsettled(self, older_than: datetime, limit: int = 100) -> list[tuple[str, str]]:
        """(user_id, account_id) pairs holding unknown/pending intents written before `older_than`."""
        rows = await self.s.execute(
            select(OrderIntent.user_id, OrderIntent.account_id)
            .where(
                OrderIntent.status.in_((IntentStatus.UNKNOWN.value, IntentStatus.PENDING.value)),
                OrderIntent.created_at <= older_than,
            )
            .distinct()
            .limit(limit)
        )
        return [(u, a) for u, a in rows.all()]

    async def unsettled(self, user_id: str, account_id: str) -> list[OrderIntent]:
        """Intents whose outcome is not known: `unknown`, and `pending` ones left by a crash."""
        return await self.for_account(
            user_id, account_id, statuses=(IntentStatus.UNKNOWN.value, IntentStatus.PENDING.value), limit=500
        )


__all__ = ["DecimalText", "IntentPurpose", "IntentStatus", "OrderIntent", "OrderIntentRepo"]
