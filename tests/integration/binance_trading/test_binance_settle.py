"""Order safety on Binance as on BitMart: an order intent left pending by a stopped process (kill -9
after sending) is decided by its `newClientOrderId` at the exchange, never sent again; one that never
left is not placed once its recvWindow bound has passed."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from perpdesk.services import portfolio, trading
from perpdesk.store.base import new_id, utcnow
from perpdesk.store.order_records import IntentRecord, IntentStatus
from perpdesk.store.orders import OrderIntentRepo
from tests.integration.binance_trading.conftest import BCtx, BnTrader

ETH = "ETHUSDT"


async def stored_pending(bctx: BCtx, t: BnTrader, cid: str, price: str) -> None:
    """A 0.1 ETH limit buy's intent as a process killed after writing it left it."""
    now = utcnow()
    async with bctx.deps.sessions() as s, s.begin():
        await OrderIntentRepo(s).add(IntentRecord(
            id=new_id(), user_id=t.user_id, account_id=t.account_id, exchange="binance", client_order_id=cid,
            purpose="order", symbol=ETH, side="buy_open_long", type="limit", time_in_force="gtc",
            size=Decimal("0.1"), price=Decimal(price), status=IntentStatus.PENDING.value, settle_attempts=0,
            created_at=now - timedelta(seconds=5), updated_at=now,
        ))


async def test_a_stopped_process_s_orders_are_decided_by_new_client_order_id(bctx: BCtx) -> None:
    t = await bctx.trader()
    bctx.set_price(ETH, "3500")
    sent, lost = trading.new_client_order_id(), trading.new_client_order_id()
    await stored_pending(bctx, t, sent, "3000")
    await stored_pending(bctx, t, lost, "2990")
    # the killed process had sent the first: the exchange holds it under our client id
    at_exchange = t.client.ok("POST", "/fapi/v1/order", {
        "symbol": ETH, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.1",
        "price": "3000", "positionSide": "LONG", "newClientOrderId": sent,
    })
    first = await trading.settle_unknown(bctx.deps, t.user_id, t.account_id)
    assert {p.client_order_id: p.status for p in first} == {sent: "placed", lost: "unknown"}
    async with bctx.deps.sessions() as s:
        row = await OrderIntentRepo(s).by_client_id(t.user_id, t.account_id, sent)
    assert row is not None and row.status == "placed" and row.order_id == str(at_exchange["orderId"])

    async with bctx.deps.sessions() as s, s.begin():  # as if the recvWindow bound had passed
        pending = await OrderIntentRepo(s).by_client_id(t.user_id, t.account_id, lost)
        assert pending is not None
        await OrderIntentRepo(s).save(replace(pending, decided_after=utcnow() - timedelta(seconds=1)))
    decided = await trading.settle_unknown(bctx.deps, t.user_id, t.account_id)
    assert {p.client_order_id: p.status for p in decided} == {lost: "not_placed"}
    orders = await portfolio.open_orders(bctx.deps, t.user_id, t.account_id)
    assert [(o.client_order_id, o.price) for o in orders] == [(sent, Decimal("3000"))]  # 0 duplicates
