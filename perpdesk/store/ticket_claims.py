"""Ticket claims: the tickets being sent (or whose outcome is not known yet), one row each.

A claim is written before an order (or a trigger, TP/SL or trailing order) leaves, in its own
committed transaction, so every process on the database sees it: the web app, the settler and a
CLI run beside them. The unique key (account, ticket key, slot) makes two identical tickets sent
at once collide in the database, so exactly one goes out; a second one the trader confirmed takes
a slot of its own. A claim past `expires_at` was left by a process that stopped and no longer
holds anything.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String, UniqueConstraint, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from perpdesk.store.base import Base, UTCDateTime, new_id, to_record
from perpdesk.store.order_records import FIRST_SLOT, ClaimRecord
from perpdesk.store.orders import DecimalText


class TicketClaim(Base):
    __tablename__ = "ticket_claims"
    __table_args__ = (UniqueConstraint("account_id", "ticket_key", "slot", name="uq_ticket_claims_ticket"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    account_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("exchange_accounts.id", ondelete="CASCADE"), nullable=False
    )
    ticket_key: Mapped[str] = mapped_column(String(64), nullable=False)  # a hash of the ticket's terms
    slot: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # order, close, plan, trail, tp_sl
    client_order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    symbol: Mapped[str] = mapped_column(String(32), nullable=False)
    side: Mapped[str] = mapped_column(String(24), nullable=False)
    size: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    price: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    owner: Mapped[str] = mapped_column(String(32), nullable=False)  # the sending process's token
    since: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class TicketClaimRepo:
    """Ticket claims on one session (the unit of work's `tickets`)."""

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def drop_stale(self, account_id: str, ticket_key: str, now: datetime) -> None:
        """Claims on this ticket past `expires_at`: left by a process that stopped."""
        await self.s.execute(
            delete(TicketClaim).where(
                TicketClaim.account_id == account_id,
                TicketClaim.ticket_key == ticket_key,
                TicketClaim.expires_at < now,
            )
        )

    async def live_holder(self, account_id: str, ticket_key: str, now: datetime) -> ClaimRecord | None:
        """The oldest live claim on this ticket, if any."""
        row = await self.s.scalar(
            select(TicketClaim)
            .where(
                TicketClaim.account_id == account_id,
                TicketClaim.ticket_key == ticket_key,
                TicketClaim.expires_at >= now,
            )
            .order_by(TicketClaim.since)
            .limit(1)
        )
        return to_record(ClaimRecord, row) if row is not None else None

    async def add(self, claim: ClaimRecord) -> None:
        self.s.add(TicketClaim(**asdict(claim)))

    async def drop(self, claim_id: str) -> None:
        await self.s.execute(delete(TicketClaim).where(TicketClaim.id == claim_id))


__all__ = ["FIRST_SLOT", "TicketClaim", "TicketClaimRepo"]
