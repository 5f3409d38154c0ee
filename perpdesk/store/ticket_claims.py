"""Ticket claims: the tickets being sent (or whose outcome is not known yet), one row each.

A claim is written before an order (or a trigger, TP/SL or trailing order) leaves, in its own
committed transaction, so every process on the database sees it: the web app, the settler and a
CLI run beside them. The unique key (account, ticket key, slot) makes two identical tickets sent
at once collide in the database, so exactly one goes out; a second one the trader confirmed takes
a slot of its own. A claim past `expires_at` was left by a process that stopped and no longer
holds anything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from perpdesk.store.base import Base, UTCDateTime
from perpdesk.store.orders import DecimalText, new_id

FIRST_SLOT = "-"  # the slot of an unconfirmed ticket: a second identical one collides on it


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


async def try_claim(
    sessions: async_sessionmaker[AsyncSession],
    claim: TicketClaim,
    now: datetime,
    also: Callable[[AsyncSession], Awaitable[None]] | None = None,
) -> TicketClaim | None:
    """Write the claim and return None; or return the live claim it gives way to. A claim in the
    first slot gives way to any live claim on the ticket, and two written at once collide on the
    unique key; a stale claim (past `expires_at`) in the way is removed first. `also` writes in
    the same transaction (an order's intent): committed with the claim, or not at all."""
    for _ in range(3):
        holder: TicketClaim | None = None
        try:
            async with sessions() as s, s.begin():
                await s.execute(
                    delete(TicketClaim).where(
                        TicketClaim.account_id == claim.account_id,
                        TicketClaim.ticket_key == claim.ticket_key,
                        TicketClaim.expires_at < now,
                    )
                )
                if claim.slot == FIRST_SLOT:
                    holder = await _live_holder(s, claim.account_id, claim.ticket_key, now)
                if holder is None:
                    s.add(claim)
                    await s.flush()
                    if also is not None:
                        await also(s)
            return holder
        except IntegrityError:
            pass
        async with sessions() as s:
            holder = await _live_holder(s, claim.account_id, claim.ticket_key, now)
        if holder is not None:
            return holder
    raise RuntimeError("a ticket claim kept colliding with claims that were gone")  # pragma: no cover


async def _live_holder(
    s: AsyncSession, account_id: str, ticket_key: str, now: datetime
) -> TicketClaim | None:
    """The oldest live claim on this ticket, if any."""
    return await s.scalar(
        select(TicketClaim)
        .where(
            TicketClaim.account_id == account_id,
            TicketClaim.ticket_key == ticket_key,
            TicketClaim.expires_at >= now,
        )
        .order_by(TicketClaim.since)
        .limit(1)
    )


async def drop_claim(s: AsyncSession, claim_id: str) -> None:
    """In the caller's transaction (an order's outcome is recorded in the same one)."""
    await s.execute(delete(TicketClaim).where(TicketClaim.id == claim_id))


__all__ = ["FIRST_SLOT", "TicketClaim", "drop_claim", "try_claim"]
