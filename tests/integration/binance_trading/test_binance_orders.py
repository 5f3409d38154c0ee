"""Orders on a Binance account through the platform's trading services: intents stored before sent,
`newClientOrderId` the platform's id, what the exchange itself answers checked by signing to it."""

from __future__ import annotations

from decimal import Decimal

from perpdesk.core.models import OrderState, PositionSide
from perpdesk.services import portfolio, trading
from perpdesk.services.trading.commands import parse_amend
from perpdesk.store.orders import OrderIntentRepo
from tests.integration.binance_trading.conftest import BCtx

ETH = "ETHUSDT"


def ticket(**kw: str) -> dict[str, object]:
    base: dict[str, object] = {
        "symbol": ETH, "side": "buy", "type": "limit", "price": "3000", "size": "0.5",
        "leverage": "5", "margin_mode": "cross", "time_in_force": "gtc",
    }
    base.update(kw)
    return base


async def test_limit_place_amend_cancel_then_market(bctx: BCtx) -> None:
    t = await bctx.trader()
    bctx.set_price(ETH, "3500")
    placed = await trading.place_order(bctx.deps, t.user_id, t.account_id, ticket(price="3000.00"))
    assert placed.status == "placed" and placed.order_id, placed
    async with bctx.deps.sessions() as s:
        row = await OrderIntentRepo(s).by_client_id(t.user_id, t.account_id, placed.client_order_id)
    assert row is not None and row.status == "placed" and row.order_id == placed.order_id
    assert row.exchange == "binance"
    at_exchange = t.client.ok(
        "GET", "/fapi/v1/order", {"symbol": ETH, "origClientOrderId": placed.client_order_id}
    )
    assert at_exchange["orderId"] == int(placed.order_id) and at_exchange["price"] == "3000.00"

    await trading.amend_order(bctx.deps, t.user_id, t.account_id,
                              parse_amend({"symbol": ETH, "order_id": placed.order_id, "price": "3100"}))
    (amended,) = await portfolio.open_orders(bctx.deps, t.user_id, t.account_id)
    assert amended.price == Decimal("3100") and amended.state is OrderState.NEW
    await trading.cancel_order(bctx.deps, t.user_id, t.account_id, ETH, order_id=placed.order_id)
    assert await portfolio.open_orders(bctx.deps, t.user_id, t.account_id) == []

    market = await trading.place_order(
        bctx.deps, t.user_id, t.account_id, ticket(type="market", price="", size="1.2")
    )
    assert market.status == "placed", market
    (pos,) = await portfolio.positions(bctx.deps, t.user_id, t.account_id)
    assert pos.position.side is PositionSide.LONG and pos.position.size == Decimal("1.2")
    history = await portfolio.order_history(bctx.deps, t.user_id, t.account_id)
    states = {o.order_id: o.state for o in history}
    assert states[placed.order_id] is OrderState.CANCELLED
    assert states[market.order_id or ""] is OrderState.FILLED
