"""Equity snapshots: each connected account's equity, available, margin in use and uPnL at a
point in time, taken periodically, for the equity and PnL chart. Exact decimal strings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from perpdesk.store.accounts import ExchangeAccount
from perpdesk.store.base import Base, UTCDateTime, new_id, utcnow
from perpdesk.store.orders import DecimalText
from perpdesk.store.records import EquitySample


class EquitySnapshot(Base):
    __tablename__ = "equity_snapshots"
    __table_args__ = (
        Index("ix_equity_snapshots_user_taken", "user_id", "taken_at"),
        # one sample per account and pass: the workers and the installation's pass may race
        Index("ux_equity_snapshots_account_taken", "account_id", "taken_at", unique=True),
        Index("ix_equity_snapshots_taken", "taken_at"),  # the purge of old passes
    )

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
        """Store the samples; one whose account already has one of its pass is left out."""
        if not samples:
            return
        rows = [{"id": new_id(), **{n: getattr(x, n) for n in EquitySample.__dataclass_fields__}}
                for x in samples]
        insert = pg_insert if self.s.get_bind().dialect.name == "postgresql" else sqlite_insert
        await self.s.execute(insert(EquitySnapshot).on_conflict_do_nothing(
            index_elements=["account_id", "taken_at"]), rows)

    async def without_sample(self, taken_at: datetime, status: str) -> list[tuple[str, str]]:
        """(user id, account id) of the accounts in `status` with no sample taken at `taken_at`."""
        taken = select(EquitySnapshot.id).where(EquitySnapshot.account_id == ExchangeAccount.id,
                                                EquitySnapshot.taken_at == taken_at)
        rows = await self.s.execute(select(ExchangeAccount.user_id, ExchangeAccount.id).where(
            ExchangeAccount.status == status, ~taken.exists()))
        return [(u, a) for u, a in rows]

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
