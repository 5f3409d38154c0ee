"""Order intents: every order perpdesk sends, written down BEFORE it is sent.

The client order id is chosen first and stored with the order as `pending`; the exchange's answer
then moves the intent to `placed` (with the exchange's order id), `rejected` (with why) or
`unknown` (the exchange did not say). An `unknown` intent is settled later by looking the client
order id up at the exchange, never by sending the order again: found is `placed`; not found is
`not_placed` only once `decided_after` (the signed timestamp plus the exchange's window, on our
clock) has passed, since until then the exchange may still execute it.

Cancels, amends and TP/SL changes whose answer was lost are `OrderChange` rows, settled the same
way by reading the exchange.

Prices and sizes are stored as exact decimal strings (never float), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint, or_, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from perpdesk.core.money import fmt
from perpdesk.store.base import Base, UTCDateTime, new_id, to_record, utcnow, write_back
from perpdesk.store.order_records import (
    UNSETTLED,
    ChangeKind,
    ChangeRecord,
    ChangeStatus,
    IntentPurpose,
    IntentRecord,
    IntentStatus,
)


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
    # the X-BM-TIMESTAMP the order was signed with (exchange time, ms)
    sent_timestamp_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # past this (our clock) the exchange can no longer execute it: absent then = not placed
    decided_after: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # a conditional order's terms: its trigger (plan) or activation (trailing) price, the trailing
    # callback rate (%), and what the trigger watches (PriceType)
    trigger_price: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    callback_rate: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    price_type: Mapped[str | None] = mapped_column(String(8), nullable=True)


class OrderChange(Base):
    """A cancel, amend or TP/SL change whose answer was lost: settled by reading the exchange."""

    __tablename__ = "order_changes"
    __table_args__ = (
        Index("ix_order_changes_status", "status"),
        Index("ix_order_changes_account_created", "account_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    account_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("exchange_accounts.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # ChangeKind
    symbol: Mapped[str] = mapped_column(String(32), nullable=False)
    order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    client_order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    side: Mapped[str | None] = mapped_column(String(16), nullable=True)  # TP/SL: the position side
    price: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    size: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    take_profit: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    stop_loss: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=ChangeStatus.UNKNOWN.value)
    message: Mapped[str | None] = mapped_column(String(500), nullable=True)
    settle_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    decided_after: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


def _intent(row: OrderIntent) -> IntentRecord:
    return to_record(IntentRecord, row)


def _change(row: OrderChange) -> ChangeRecord:
    return to_record(ChangeRecord, row)


class OrderIntentRepo:
    """Queries on order intents; every read is scoped by user id (and account id). Reads return
    frozen records; `add`/`save` (and their change twins) are the only writes."""

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(self, intent: IntentRecord) -> IntentRecord:
        self.s.add(OrderIntent(**asdict(intent)))
        await self.s.flush()
        return intent

    async def save(self, intent: IntentRecord) -> IntentRecord:
        """Write back an intent this transaction read and changed (its outcome, its settling)."""
        if not await write_back(self.s, OrderIntent, intent.id, asdict(intent)):
            raise LookupError("the intent is gone (its account was disconnected)")
        return intent

    async def by_client_id(self, user_id: str, account_id: str, client_order_id: str) -> IntentRecord | None:
        row = await self.s.scalar(
            select(OrderIntent).where(
                OrderIntent.user_id == user_id,
                OrderIntent.account_id == account_id,
                OrderIntent.client_order_id == client_order_id,
            )
        )
        return _intent(row) if row is not None else None

    async def for_account(
        self, user_id: str, account_id: str, *, statuses: Sequence[str] | None = None, limit: int = 100
    ) -> list[IntentRecord]:
        q = select(OrderIntent).where(OrderIntent.user_id == user_id, OrderIntent.account_id == account_id)
        if statuses:
            q = q.where(OrderIntent.status.in_(list(statuses)))
        q = q.order_by(OrderIntent.created_at.desc(), OrderIntent.id).limit(limit)
        return [_intent(r) for r in await self.s.scalars(q)]

    async def symbols(self, user_id: str, account_id: str) -> list[str]:
        rows = await self.s.scalars(
            select(OrderIntent.symbol)
            .where(OrderIntent.user_id == user_id, OrderIntent.account_id == account_id)
            .distinct()
        )
        return sorted(rows)

    async def accounts_with_unsettled(self, limit: int = 500) -> list[tuple[str, str]]:
        """(user_id, account_id) pairs holding unknown/pending intents or unknown changes."""
        intents = await self.s.execute(
            select(OrderIntent.user_id, OrderIntent.account_id)
            .where(OrderIntent.status.in_(UNSETTLED))
            .distinct()
            .limit(limit)
        )
        changes = await self.s.execute(
            select(OrderChange.user_id, OrderChange.account_id)
            .where(OrderChange.status == ChangeStatus.UNKNOWN.value)
            .distinct()
            .limit(limit)
        )
        return sorted({(u, a) for u, a in intents.all()} | {(u, a) for u, a in changes.all()})

    async def unsettled(self, user_id: str, account_id: str) -> list[IntentRecord]:
        """Intents whose outcome is not known: `unknown`, and `pending` ones (sending, or left by a crash)."""
        return await self.for_account(user_id, account_id, statuses=UNSETTLED, limit=500)

    async def unsettled_like(
        self, user_id: str, account_id: str, intent: IntentRecord
    ) -> IntentRecord | None:
        """An unsettled intent for the same ticket (symbol, side, type, size, price; a conditional
        order's trigger and callback rate), if any."""
        for row in await self.unsettled(user_id, account_id):
            if row.terms == intent.terms:
                return row
        return None

    async def taken_order_ids(self, user_id: str, account_id: str, purposes: Sequence[str]) -> set[str]:
        """The exchange order ids already recorded on the account's intents of these purposes."""
        rows = await self.s.scalars(
            select(OrderIntent.order_id).where(
                OrderIntent.user_id == user_id,
                OrderIntent.account_id == account_id,
                OrderIntent.purpose.in_(list(purposes)),
                OrderIntent.order_id.is_not(None),
            )
        )
        return {r for r in rows if r}

    async def trails_by_ids(
        self, user_id: str, account_id: str, order_ids: Sequence[str], client_order_ids: Sequence[str]
    ) -> list[IntentRecord]:
        """The account's trailing-stop intents recorded with one of these exchange ids or written
        with one of these client ids (their activation price and callback rate: the terms a
        venue's list may leave out, services/trading/trail_terms.py)."""
        if not order_ids and not client_order_ids:
            return []
        rows = await self.s.scalars(
            select(OrderIntent).where(
                OrderIntent.user_id == user_id,
                OrderIntent.account_id == account_id,
                OrderIntent.purpose == IntentPurpose.TRAIL.value,
                or_(OrderIntent.order_id.in_(list(order_ids)),
                    OrderIntent.client_order_id.in_(list(client_order_ids))),
            )
        )
        return [_intent(r) for r in rows]

    async def recently_refused(self, user_id: str, account_id: str, since: datetime) -> list[IntentRecord]:
        """Intents settled as not placed since `since` (the reconciler double-checks them)."""
        rows = await self.s.scalars(
            select(OrderIntent)
            .where(
                OrderIntent.user_id == user_id,
                OrderIntent.account_id == account_id,
                OrderIntent.status == IntentStatus.NOT_PLACED.value,
                OrderIntent.settled_at >= since,
                OrderIntent.purpose.not_in([IntentPurpose.PLAN.value, IntentPurpose.TRAIL.value]),
            )
            .limit(50)
        )
        return [_intent(r) for r in rows]

    async def accounts_with_refused(self, since: datetime) -> set[str]:
        """The accounts that have an intent `recently_refused` would list (one query for all)."""
        rows = await self.s.scalars(
            select(OrderIntent.account_id)
            .where(
                OrderIntent.status == IntentStatus.NOT_PLACED.value,
                OrderIntent.settled_at >= since,
                OrderIntent.purpose.not_in([IntentPurpose.PLAN.value, IntentPurpose.TRAIL.value]),
            )
            .distinct()
        )
        return set(rows)

    async def known_client_ids(
        self, account_id: str, client_order_ids: Sequence[str]
    ) -> dict[str, IntentRecord]:
        if not client_order_ids:
            return {}
        rows = await self.s.scalars(
            select(OrderIntent).where(
                OrderIntent.account_id == account_id, OrderIntent.client_order_id.in_(list(client_order_ids))
            )
        )
        return {r.client_order_id: _intent(r) for r in rows}

    async def earliest_due(self) -> datetime | None:
        """When the next unknown outcome can be decided (the settler sleeps until then)."""
        times = [
            t
            for t in (
                await self.s.scalar(
                    select(OrderIntent.decided_after)
                    .where(OrderIntent.status.in_(UNSETTLED), OrderIntent.decided_after.is_not(None))
                    .order_by(OrderIntent.decided_after)
                    .limit(1)
                ),
                await self.s.scalar(
                    select(OrderChange.decided_after)
                    .where(
                        OrderChange.status == ChangeStatus.UNKNOWN.value,
                        OrderChange.decided_after.is_not(None),
                    )
                    .order_by(OrderChange.decided_after)
                    .limit(1)
                ),
            )
            if t is not None
        ]
        return min(times) if times else None

    async def add_change(self, change: ChangeRecord) -> ChangeRecord:
        self.s.add(OrderChange(**asdict(change)))
        await self.s.flush()
        return change

    async def save_change(self, change: ChangeRecord) -> ChangeRecord:
        """Write back a change this transaction read and settled."""
        if not await write_back(self.s, OrderChange, change.id, asdict(change)):
            raise LookupError("the change is gone (its account was disconnected)")
        return change

    async def unknown_changes(self, user_id: str, account_id: str) -> list[ChangeRecord]:
        rows = await self.s.scalars(
            select(OrderChange)
            .where(
                OrderChange.user_id == user_id,
                OrderChange.account_id == account_id,
                OrderChange.status == ChangeStatus.UNKNOWN.value,
            )
            .order_by(OrderChange.created_at)
            .limit(500)
        )
        return [_change(r) for r in rows]

    async def changes_for(self, user_id: str, account_id: str, limit: int = 50) -> list[ChangeRecord]:
        rows = await self.s.scalars(
            select(OrderChange)
            .where(OrderChange.user_id == user_id, OrderChange.account_id == account_id)
            .order_by(OrderChange.created_at.desc())
            .limit(limit)
        )
        return [_change(r) for r in rows]

    async def change(self, user_id: str, change_id: str) -> ChangeRecord | None:
        row = await self.s.scalar(
            select(OrderChange).where(OrderChange.user_id == user_id, OrderChange.id == change_id)
        )
        return _change(row) if row is not None else None


__all__ = [
    "UNSETTLED",
    "ChangeKind",
    "ChangeStatus",
    "DecimalText",
    "IntentPurpose",
    "IntentStatus",
    "OrderChange",
    "OrderIntent",
    "OrderIntentRepo",
]
