"""Order intents: every order is written down BEFORE it is sent, then its outcome recorded.

The exchange's answer settles an intent placed or rejected. No answer leaves it `unknown` ("being
confirmed") until `decided_after`: the signed timestamp plus the exchange's window (BitMart's
X-BM-TIMESTAMP window, Binance's recvWindow; the connector's `decided_after_ms`, on our
clock, with a margin), after which the exchange can no longer execute it. The settler
(`settle.py`) then looks the client order id up; only an absence seen after that is "not placed".
An order is never sent twice, and one ticket is one order: the same ticket on the account while one
is being sent (its claim, `services/in_flight.py`) or confirmed is refused unless confirmed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

from perpdesk.core.errors import Conflict, ExchangeError, ExchangeUnavailable, NotFound, PerpdeskError
from perpdesk.core.models import Credentials, OrderRequest, OrderResult, PlacementStatus
from perpdesk.core.money import fmt
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.in_flight import Claim, TicketTerms
from perpdesk.services.trading.access import AccountRef
from perpdesk.services.trading.ports import TradingUnitOfWork
from perpdesk.store.base import new_id, utcnow
from perpdesk.store.order_records import IntentPurpose, IntentRecord, IntentStatus

log = logging.getLogger(__name__)

Sending = Callable[[], Awaitable[OrderResult]]  # the request to the exchange, made once

class OrderBeingConfirmed(Conflict):
    code = "order_being_confirmed"


class BeingConfirmed(PerpdeskError):
    """An order the exchange did not answer: the settler decides it by its `decided_after`."""

    code = "being_confirmed"


def error_fields(err: PerpdeskError | None) -> dict[str, str] | None:
    """An order's error as the JSON API and the CLI show it: code, message, the next step and the
    order field at fault, when there are."""
    if err is None:
        return None
    data = {"code": err.code, "message": err.message}
    if err.next_step:
        data["next_step"] = err.next_step
    field = getattr(err, "field", None)
    if field:
        data["field"] = field
    return data


def from_ms(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC)


def hhmmss(when: datetime | None) -> str:
    return when.strftime("%H:%M:%S UTC") if when else "shortly"


@dataclass(frozen=True, slots=True)
class Placement:
    """What became of one order: the intent's status, the exchange's id, or why it failed."""

    client_order_id: str
    status: IntentStatus
    symbol: str
    side: str
    type: str
    size: Decimal
    price: Decimal | None
    order_id: str | None = None
    error: PerpdeskError | None = None
    decided_after: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.status is IntentStatus.PLACED

    @property
    def being_confirmed(self) -> bool:
        return not self.status.final

    def to_dict(self) -> dict[str, object]:
        return {
            "client_order_id": self.client_order_id,
            "status": self.status.value,
            "symbol": self.symbol,
            "side": self.side,
            "type": self.type,
            "size": fmt(self.size),
            "price": fmt(self.price) if self.price is not None else None,
            "order_id": self.order_id,
            "error": error_fields(self.error),
            "decided_after": self.decided_after.isoformat() if self.decided_after else None,
        }


def unknown_error(row: IntentRecord) -> BeingConfirmed:
    return BeingConfirmed(
        f"Order {row.client_order_id} is being confirmed: the exchange did not answer in "
        f"time and may still execute it until {hhmmss(row.decided_after)}.",
        next_step="Do not submit it again: perpdesk reads the exchange and shows it as placed or "
        "not placed by then.",
    )


def stored_error(row: IntentRecord, status: IntentStatus) -> ExchangeError:
    """A decided order's error as it was stored (code and message)."""
    err = ExchangeError(
        row.error_message or "",
        next_step="It is safe to submit the order again if it is still wanted."
        if status is IntentStatus.NOT_PLACED
        else None,
    )
    err.code = row.error_code or "error"
    return err


def placement(row: IntentRecord) -> Placement:
    status = IntentStatus(row.status)
    error: PerpdeskError | None = None
    if not status.final:
        error = unknown_error(row)
    elif row.error_code or row.error_message:
        error = stored_error(row, status)
    return Placement(
        row.client_order_id,
        status,
        row.symbol,
        row.side,
        row.type,
        row.size,
        row.price,
        row.order_id,
        error,
        row.decided_after,
    )


def new_intent(
    ref: AccountRef, req: OrderRequest, purpose: IntentPurpose, sending_until: datetime
) -> IntentRecord:
    """An order's intent as it is written before sending: `pending`, with its sender's bound."""
    now = utcnow()
    return IntentRecord(
        id=new_id(),
        user_id=ref.user_id,
        account_id=ref.id,
        exchange=ref.exchange,
        client_order_id=req.client_order_id,
        purpose=purpose.value,
        symbol=req.symbol,
        side=req.side.value,
        type=req.type.value,
        time_in_force=req.time_in_force.value,
        size=req.size,
        price=req.price,
        leverage=req.leverage,
        margin_mode=req.margin_mode.value if req.margin_mode else None,
        take_profit=req.take_profit,
        stop_loss=req.stop_loss,
        status=IntentStatus.PENDING.value,
        settle_attempts=0,
        created_at=now,
        updated_at=now,
        # while pending: its sender may still be at it until then, so it is not judged abandoned
        decided_after=sending_until,
    )


async def _write_intent(
    uow: TradingUnitOfWork, ref: AccountRef, intent: IntentRecord, confirm_duplicate: bool
) -> None:
    """Write the intent (in its claim's transaction), refusing the same ticket while an earlier
    one is still being confirmed (unless the trader confirmed a second one)."""
    repo = uow.orders
    if await repo.by_client_id(ref.user_id, ref.id, intent.client_order_id) is not None:
        raise Conflict(
            f"An order with client order id {intent.client_order_id} was already sent.",
            next_step="Never resend: look the order up with its client order id instead.",
        )
    twin = None if confirm_duplicate else await repo.unsettled_like(ref.user_id, ref.id, intent)
    if twin is not None:
        raise OrderBeingConfirmed(
            f"The same order ({twin.client_order_id}) is still being confirmed: the exchange may "
            f"have executed it, and will know by {hhmmss(twin.decided_after)}.",
            next_step="Wait until it shows as placed or not placed; submit again only if not placed "
            "(or confirm a second identical order: Send another; API: confirm_duplicate).",
        )
    await repo.add(intent)


async def _record_outcome(
    deps: AccountsDeps, ref: AccountRef, claim: Claim, cid: str, result: OrderResult, fallback_decided_ms: int
) -> Placement:
    """The outcome, and the ticket's claim released with it: an unknown outcome is now held by
    its intent (the same ticket is refused as being confirmed)."""
    async with deps.trading_uow() as uow:
        await deps.tickets.release_in(uow, claim)
        row = await uow.orders.by_client_id(ref.user_id, ref.id, cid)
        if row is None:  # the account was disconnected meanwhile (cascade): nothing left to record
            raise NotFound("The account was disconnected while the order was sent.")
        now = utcnow()
        row = replace(row, status=IntentStatus(result.status.value).value, order_id=result.order_id,
                      updated_at=now, sent_timestamp_ms=result.sent_timestamp_ms)
        if result.status is PlacementStatus.UNKNOWN:
            row = replace(row, decided_after=from_ms(result.decided_after_ms or fallback_decided_ms))
        else:
            row = replace(row, settled_at=now, decided_after=None)
            if result.error is not None:
                row = replace(row, error_code=result.error.code[:64],
                              error_message=result.error.message[:500])
        placed = placement(await uow.orders.save(row))
        await uow.commit()
    if result.error is not None and placed.status.final:
        # the connector's typed error (its field at fault, its next step) goes to the page / API
        placed = replace(placed, error=result.error)
    return placed


def order_terms(req: OrderRequest) -> TicketTerms:
    """An order's terms as the ticket claim compares them: those of `unsettled_like` (a close of
    the position and the same order from a ticket are the same order)."""
    return TicketTerms("order", req.symbol, req.side.value, req.size, req.price, extra=(req.type.value,))


async def _send_and_record(
    deps: AccountsDeps,
    ref: AccountRef,
    cid: str,
    sending: Sending,
    claim: Claim,
    decided_after_ms: Callable[[], int],
) -> Placement:
    recorded = False
    try:
        try:
            result = await sending()
        except (ExchangeError, OSError, TimeoutError) as exc:
            # anything escaping the connector leaves the outcome open
            err = (
                exc
                if isinstance(exc, ExchangeError)
                else ExchangeUnavailable(f"The exchange did not answer ({type(exc).__name__}).")
            )
            result = OrderResult(PlacementStatus.UNKNOWN, cid, error=err)
        # a request leaves no later than now: the fallback deadline when the connector gave none
        placed = await _record_outcome(deps, ref, claim, cid, result, decided_after_ms())
        recorded = True
        return placed
    finally:
        if not recorded:
            await deps.tickets.release(deps.trading_uow, claim)


async def send_intent(
    deps: AccountsDeps,
    ref: AccountRef,
    intent: IntentRecord,
    terms: TicketTerms,
    sending: Sending,
    *,
    confirm_duplicate: bool = False,
) -> Placement:
    """Claim the ticket and write its intent (one transaction), then send; the intent records
    whatever came back. The sending runs shielded: a caller that goes away (a closed browser tab)
    does not stop the recording. The same ticket on the account while one is being sent or
    confirmed is refused (DuplicateTicket, OrderBeingConfirmed) unless `confirm_duplicate`.
    `intent.decided_after` is its sender's bound (the exchange's window from now)."""
    connector = deps.connector_for(ref.venue)
    claim = await deps.tickets.claim(
        deps.trading_uow, ref.user_id, ref.id, terms, intent.client_order_id,
        confirmed=confirm_duplicate, hold_until=intent.decided_after,
        also=lambda uow: _write_intent(uow, ref, intent, confirm_duplicate),
    )
    cid = intent.client_order_id
    task = asyncio.ensure_future(
        _send_and_record(deps, ref, cid, sending, claim, connector.decided_after_ms)
    )
    placed = await asyncio.shield(task)
    log.info("%s %s on account %s: %s", intent.purpose, cid, ref.id, placed.status.value)
    return placed


async def send(
    deps: AccountsDeps,
    ref: AccountRef,
    creds: Credentials,
    req: OrderRequest,
    purpose: IntentPurpose,
    *,
    confirm_duplicate: bool = False,
) -> Placement:
    """An order through its intent (send_intent)."""
    connector = deps.connector_for(ref.venue)
    intent = new_intent(ref, req, purpose, from_ms(connector.decided_after_ms()))
    return await send_intent(
        deps, ref, intent, order_terms(req), lambda: connector.place_order(creds, req),
        confirm_duplicate=confirm_duplicate,
    )
