"""One order per intention: the tickets being sent, held in the database (store/ticket_claims.py).

`TicketDesk` is given to the services (AccountsDeps.tickets): before a ticket leaves it claims the
ticket's terms on the account, in a committed row every process sees, so a second identical
ticket (a second click, a CLI run beside the web app, two requests at once) is refused with the
first one named, until the first one's outcome is known. A trader who means a second identical
order confirms it (`confirm_duplicate`), and it takes a claim of its own.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from perpdesk.core.errors import Conflict
from perpdesk.core.money import fmt
from perpdesk.store.base import utcnow
from perpdesk.store.order_records import FIRST_SLOT, ClaimRecord
from perpdesk.store.uow import DuplicateRow

if TYPE_CHECKING:
    from perpdesk.services.trading.ports import TradingUnitOfWork

SIDE_WORDS = {
    "buy_open_long": "buy (open long)",
    "sell_open_short": "sell (open short)",
    "sell_close_long": "sell (close long)",
    "buy_close_short": "buy (close short)",
}
KIND_WORDS = {"order": "order", "close": "close order", "plan": "trigger order", "trail": "trailing stop",
              "tp_sl": "TP/SL"}


class DuplicateTicket(Conflict):
    """The same ticket is being sent (or confirmed) on the account; `pending` names it."""

    code = "duplicate_ticket"

    def __init__(self, message: str, *, next_step: str, pending: dict[str, str | None]) -> None:
        super().__init__(message, next_step=next_step)
        self.details["pending"] = pending


@dataclass(frozen=True, slots=True)
class TicketTerms:
    """What makes two tickets "the same": kind, symbol, side, size and prices (order type,
    trigger, ...) as text."""

    kind: str
    symbol: str
    side: str
    size: Decimal | None
    price: Decimal | None = None
    extra: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        parts = (self.kind, self.symbol, self.side, fmt(self.size) if self.size is not None else "",
                 fmt(self.price) if self.price is not None else "", *self.extra)
        return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _hhmmss(when: datetime) -> str:
    return when.strftime("%H:%M:%S UTC")


def pending_of(claim: ClaimRecord) -> dict[str, str | None]:
    return {
        "client_order_id": claim.client_order_id,
        "kind": claim.kind,
        "symbol": claim.symbol,
        "side": claim.side,
        "size": fmt(claim.size) if claim.size is not None else None,
        "price": fmt(claim.price) if claim.price is not None else None,
        "since": claim.since.isoformat(),
    }


def refusal(claim: ClaimRecord) -> DuplicateTicket:
    what = KIND_WORDS.get(claim.kind, "order")
    name = f" {claim.client_order_id}" if claim.client_order_id else ""
    terms = f"{SIDE_WORDS.get(claim.side, claim.side)} {fmt(claim.size) if claim.size is not None else ''}"
    at = f" at {fmt(claim.price)}" if claim.price is not None else " at market"
    return DuplicateTicket(
        f"The same {what}{name} ({terms.strip()} {claim.symbol}{at}) is being sent since "
        f"{_hhmmss(claim.since)}; its outcome is not known yet.",
        next_step="Wait until it shows as placed or not placed. To send a second identical one "
        "anyway, confirm it (Send another; API: confirm_duplicate; CLI: --confirm-duplicate).",
        pending=pending_of(claim),
    )


@dataclass(frozen=True, slots=True)
class Claim:
    id: str


class TicketDesk:
    """Claims tickets before they are sent and releases them once their outcome is known. A claim
    whose process stopped lapses once the exchange's window for its request has closed:
    `hold_until` (the window from when it was claimed) plus `hold` (the exchange timeout: the
    request was signed within it)."""

    def __init__(self, owner: str | None = None, hold: timedelta = timedelta(seconds=10)) -> None:
        self.owner = owner or uuid.uuid4().hex
        self.hold = hold

    async def claim(
        self,
        uows: Callable[[], TradingUnitOfWork],
        user_id: str,
        account_id: str,
        terms: TicketTerms,
        client_order_id: str | None,
        *,
        confirmed: bool = False,
        hold_until: datetime | None = None,
        also: Callable[[TradingUnitOfWork], Awaitable[None]] | None = None,
    ) -> Claim:
        """Claim the ticket, or raise DuplicateTicket naming the one being sent. A confirmed
        ticket always gets a claim of its own (a third identical one is still refused). `also`
        writes in the claim's transaction (an order's intent, which may refuse it too)."""
        now = utcnow()
        row = ClaimRecord(
            id=uuid.uuid4().hex,
            user_id=user_id,
            account_id=account_id,
            ticket_key=terms.key,
            slot=(client_order_id or uuid.uuid4().hex) if confirmed else FIRST_SLOT,
            kind=terms.kind,
            client_order_id=client_order_id,
            symbol=terms.symbol,
            side=terms.side,
            size=terms.size,
            price=terms.price,
            owner=self.owner,
            since=now,
            expires_at=(hold_until or now) + self.hold,
        )
        holder = await _try_claim(uows, row, now, also)
        if holder is not None:
            raise refusal(holder)
        return Claim(row.id)

    async def release(self, uows: Callable[[], TradingUnitOfWork], claim: Claim) -> None:
        async with uows() as uow:
            await uow.tickets.drop(claim.id)
            await uow.commit()

    async def release_in(self, uow: TradingUnitOfWork, claim: Claim) -> None:
        """Release within the caller's transaction (with the outcome it records)."""
        await uow.tickets.drop(claim.id)


async def _try_claim(
    uows: Callable[[], TradingUnitOfWork],
    claim: ClaimRecord,
    now: datetime,
    also: Callable[[TradingUnitOfWork], Awaitable[None]] | None,
) -> ClaimRecord | None:
    """Write the claim and return None; or return the live claim it gives way to. A claim in the
    first slot gives way to any live claim on the ticket, and two written at once collide on the
    unique key; a stale claim (past `expires_at`) in the way is removed first. `also` writes in
    the same transaction: committed with the claim, or not at all."""
    for _ in range(3):
        try:
            async with uows() as uow:
                await uow.tickets.drop_stale(claim.account_id, claim.ticket_key, now)
                holder = None
                if claim.slot == FIRST_SLOT:
                    holder = await uow.tickets.live_holder(claim.account_id, claim.ticket_key, now)
                if holder is not None:
                    return holder
                await uow.tickets.add(claim)
                await uow.flush()
                if also is not None:
                    await also(uow)
                await uow.commit()
            return None
        except DuplicateRow:
            pass
        async with uows() as uow:
            holder = await uow.tickets.live_holder(claim.account_id, claim.ticket_key, now)
        if holder is not None:
            return holder
    raise RuntimeError("a ticket claim kept colliding with claims that were gone")  # pragma: no cover


__all__ = ["Claim", "DuplicateTicket", "TicketDesk", "TicketTerms", "refusal"]
