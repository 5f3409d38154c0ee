"""Trigger (plan) and trailing orders as intents: written down before they are sent, like any
order, and decided the same way when their answer is lost.

The exchange lists a waiting conditional order, not always with a client id (BitMart gives a
trailing order none), so an unanswered one is looked for by its terms: symbol, side, size,
trigger (activation) price, order type or callback rate, among the conditional orders created
since its intent was written and not already recorded on another intent (the intent stored first
takes the first match). Absent from the waiting ones, it may have fired: an order of its side and
size created since then counts as placed. Absent altogether in a look-up sent after the
exchange's window has closed, it was not placed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from perpdesk.core.market import PlanKind, PlanOrder
from perpdesk.core.models import CLIENT_ID_PREFIX, Credentials, OrderType
from perpdesk.core.money import fmt
from perpdesk.core.terminal import PlanRequest, TrailRequest
from perpdesk.exchanges.base import FuturesConnector
from perpdesk.services.in_flight import TicketTerms
from perpdesk.services.trading.access import AccountRef
from perpdesk.store.base import new_id, utcnow
from perpdesk.store.order_records import IntentPurpose, IntentRecord, IntentStatus

# the exchange's clock may run behind ours: an order it stamps this much before the intent counts
CLOCK_SLACK_MS = 5_000


def _intent(ref: AccountRef, purpose: IntentPurpose, cid: str, sending_until: datetime,
            **terms: object) -> IntentRecord:
    now = utcnow()
    return IntentRecord(
        id=new_id(), user_id=ref.user_id, account_id=ref.id, exchange=ref.exchange, client_order_id=cid,
        purpose=purpose.value, time_in_force="gtc", status=IntentStatus.PENDING.value,
        settle_attempts=0, created_at=now, updated_at=now, decided_after=sending_until,
        **terms,  # type: ignore[arg-type]  # the order's terms, named by plan_intent / trail_intent
    )


def plan_intent(ref: AccountRef, req: PlanRequest, sending_until: datetime) -> IntentRecord:
    otype = OrderType.MARKET if req.executive_price is None else OrderType.LIMIT
    return _intent(
        ref, IntentPurpose.PLAN, req.client_order_id, sending_until, symbol=req.symbol,
        side=req.side.value, type=otype.value, size=req.size, price=req.executive_price,
        leverage=req.leverage, margin_mode=req.margin_mode.value, trigger_price=req.trigger_price,
        price_type=req.price_type.value,
    )


def trail_intent(ref: AccountRef, req: TrailRequest, cid: str, sending_until: datetime) -> IntentRecord:
    """`cid` names the intent; the exchange knows it too only where it keeps one on a trailing
    order (ExchangeInfo.trail_client_id), otherwise the order is matched by its terms."""
    return _intent(
        ref, IntentPurpose.TRAIL, cid, sending_until, symbol=req.symbol, side=req.side.value,
        type=OrderType.MARKET.value, size=req.size, price=None, leverage=req.leverage,
        margin_mode=req.margin_mode.value, trigger_price=req.activation_price,
        callback_rate=req.callback_rate, price_type=req.price_type.value,
    )


def plan_terms(req: PlanRequest) -> TicketTerms:
    return TicketTerms("plan", req.symbol, req.side.value, req.size, req.executive_price,
                       extra=(fmt(req.trigger_price), req.price_type.value))


def trail_terms(req: TrailRequest) -> TicketTerms:
    return TicketTerms("trail", req.symbol, req.side.value, req.size, req.activation_price,
                       extra=(fmt(req.callback_rate), req.price_type.value))


def _since_ms(row: IntentRecord) -> int:
    return int(row.created_at.timestamp() * 1000) - CLOCK_SLACK_MS


def _same_terms(row: IntentRecord, o: PlanOrder) -> bool:
    if row.purpose == IntentPurpose.TRAIL.value:
        kind_ok = o.kind is PlanKind.TRAILING and o.callback_rate == row.callback_rate
    else:
        kind_ok = o.kind is PlanKind.PLAN and o.execution_price == row.price
    return (kind_ok and o.symbol == row.symbol and o.side.value == row.side and o.size == row.size
            and o.trigger_price == row.trigger_price and o.created_at_ms >= _since_ms(row))


def match_waiting(row: IntentRecord, waiting: Iterable[PlanOrder], taken: set[str]) -> PlanOrder | None:
    """The waiting conditional order that is this intent's: its client id where the exchange lists
    one, else the earliest of the same terms not recorded on another intent."""
    mine = [o for o in waiting if o.order_id not in taken]
    by_id = [o for o in mine if o.client_order_id and o.client_order_id == row.client_order_id]
    if by_id:
        return by_id[0]
    same = sorted((o for o in mine if not o.client_order_id and _same_terms(row, o)),
                  key=lambda o: o.created_at_ms)
    return same[0] if same else None


async def look_up(
    connector: FuturesConnector, creds: Credentials, row: IntentRecord, taken: set[str]
) -> str | None:
    """The exchange's id of the order this conditional intent became, or None if it shows none.
    Raises what the connector raises when the exchange does not answer."""
    found = match_waiting(row, await connector.plan_orders(creds, row.symbol), taken)
    if found is not None:
        return found.order_id
    # fired already: the order it sent (of its side and size, created since the intent; not one
    # perpdesk sent itself, which carries our client id)
    sent = await connector.open_orders(creds, row.symbol)
    for o in [*sent, *await connector.order_history(creds, row.symbol)]:
        ours = (o.client_order_id or "").startswith(CLIENT_ID_PREFIX)
        if (not ours and o.order_id not in taken and o.side.value == row.side and o.size == row.size
                and o.created_at_ms >= _since_ms(row)):
            return o.order_id
    return None


__all__ = ["look_up", "match_waiting", "plan_intent", "plan_terms", "trail_intent", "trail_terms"]
