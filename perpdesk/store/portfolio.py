"""Equity snapshots: each connected account's equity, available, margin in use and uPnL at a
point in time, taken periodically, for the equity and PnL chart. Exact decimal strings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from perpdesk.store.base import Base, UTCDateTime, new_id, utcnow
from perpdesk.store.orders import DecimalText
from perpdesk.store.records import EquitySample


class EquitySnapshot(Base):
    __tablename__ = "equity_snapshots"
    __table_args__ = (Index("ix_equity_snapshots_user_taken", "user_id", "taken_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    account_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("exchange_accounts.id", ondelete="CASCADE"), nullable=False
    )
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    equity: Mapped[Decimal] = mapped_column(DecimalText(), nullable=False)
    available: Mapped[Decimal] = mapped_column(DecimalText(), nullable=False)
    margin: Mapped[Decimal] = mapped_column(DecimalText(), nullable=False)
    unrealized_pnl: Mapped[Decimal] = mapped_column(DecimalText(), nullable=False)


class SnapshotRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(self, samples: Sequence[EquitySample]) -> None:
        self.s.add_all([EquitySnapshot(**{n: getattr(x, n) for n in EquitySample.__dataclass_fields__})
                        for x in samples])
        await self.s.flush()

    async def since(
        self, user_id: str, since: datetime, account_id: str | None = None
    ) -> list[EquitySample]:
        q = select(EquitySnapshot).where(EquitySnapshot.user_id == user_id, EquitySnapshot.taken_at >= since)
        if account_id:
            q = q.where(EquitySnapshot.account_id == account_id)
        rows = await self.s.scalars(q.order_by(EquitySnapshot.taken_at, EquitySnapshot.account_id))
        return [EquitySample(r.user_id, r.account_id, r.taken_at, r.equity, r.available, r.margin,
                             r.unrealized_pnl) for r in rows]

    async def purge_before(self, before: datetime) -> None:
        await self.s.execute(delete(EquitySnapshot).where(EquitySnapshot.taken_at < before))
