"""TP/SL, trigger and trailing orders through Binance's algo API, and the public market data,
against the sandbox."""

from __future__ import annotations

import time
from decimal import Decimal

from perpdesk.core.market import PlanKind
from perpdesk.core.models import (
    MarginMode,
    OrderRequest,
    OrderSide,
    OrderType,
    PlacementStatus,
    PositionSide,
    new_client_order_id,
)
from perpdesk.core.terminal import PlanRequest, PriceType, TrailRequest
from perpdesk.exchanges.binance import BinanceFuturesConnector
from tests.fixtures.binance import BinanceSandbox
from tests.integration.connector_binance.conftest import MakeCreds

SYMBOL = "SOLUSDT"


async def test_tp_sl_trigger_and_trailing_orders(
    connector: BinanceFuturesConnector, make_creds: MakeCreds, binance_sandbox: BinanceSandbox
) -> None:
    admin = binance_sandbox.server.admin
    admin.set_price(SYMBOL, "100")
    creds = make_creds()
    market = OrderRequest(
        SYMBOL,
        OrderSide.BUY_OPEN_LONG,
        Decimal(2),
        new_client_order_id(),
        type=OrderType.MARKET,
        leverage=Decimal(5),
        margin_mode=MarginMode.CROSS,
    )
    assert (await connector.place_order(creds, market)).status is PlacementStatus.PLACED
    await connector.set_tp_sl(
        creds, SYMBOL, PositionSide.LONG, take_profit=Decimal(120), stop_loss=Decimal(90)
    )
    assert sorted(await connector.tp_sl_triggers(creds, SYMBOL)) == [
        ("stop_loss", PositionSide.LONG, Decimal(90)),
        ("take_profit", PositionSide.LONG, Decimal(120)),
    ]
    stop = next(p for p in await connector.plan_orders(creds, SYMBOL) if p.kind is PlanKind.STOP_LOSS)
    await connector.modify_tp_sl(creds, SYMBOL, stop.order_id, Decimal(95))
    assert ("stop_loss", PositionSide.LONG, Decimal(95)) in await connector.tp_sl_triggers(creds, SYMBOL)

    plan = PlanRequest(
        SYMBOL,
        OrderSide.BUY_OPEN_LONG,
        Decimal(1),
        Decimal(110),
        new_client_order_id(),
        Decimal(5),
        MarginMode.CROSS,
        executive_price=Decimal(111),
        rising=True,
    )
    placed = await connector.place_plan(creds, plan)
    assert placed.status is PlacementStatus.PLACED, placed
    trail = TrailRequest(
        SYMBOL,
        OrderSide.SELL_CLOSE_LONG,
        Decimal(1),
        Decimal(105),
        Decimal(1),
        Decimal(5),
        MarginMode.CROSS,
        price_type=PriceType.MARK,
    )
    trailing = await connector.place_trail(creds, trail)
    assert trailing.status is PlacementStatus.PLACED, trailing
    waiting = {p.order_id: p for p in await connector.plan_orders(creds, SYMBOL)}
    mine = waiting[str(placed.order_id)]
    assert (mine.kind, mine.client_order_id, mine.trigger_price, mine.execution_price) == (
        PlanKind.PLAN,
        plan.client_order_id,
        Decimal(110),
        Decimal(111),
    )
    assert waiting[str(trailing.order_id)].kind is PlanKind.TRAILING
    assert waiting[str(trailing.order_id)].price_type == "mark_price"

    await connector.cancel_plan(creds, SYMBOL, str(placed.order_id))
    await connector.cancel_trail(creds, SYMBOL, str(trailing.order_id))
    left = sorted(p.kind.value for p in await connector.plan_orders(creds, SYMBOL))
    assert left == ["stop_loss", "take_profit"]
    admin.set_price(SYMBOL, "121")  # the take-profit fires and closes the whole long
    assert await connector.positions(creds, SYMBOL) == []


async def test_market_data(connector: BinanceFuturesConnector, binance_sandbox: BinanceSandbox) -> None:
    binance_sandbox.server.admin.set_price("BTCUSDT", "50000")
    ticker = await connector.ticker("BTCUSDT")
    assert ticker.last_price == Decimal(50000) and ticker.mark_price == Decimal(50000)
    assert ticker.next_funding_ms > 0
    now = int(time.time())
    candles = await connector.candles("BTCUSDT", 1, now - 3600, now)
    assert candles and candles[-1].close == Decimal(50000)
    assert candles == sorted(candles, key=lambda c: c.time_s)
    book = await connector.order_book("BTCUSDT", 7)
    assert 0 < len(book.bids) <= 7 and book.bids[0].price < book.asks[0].price
    assert book.bids[-1].total == sum(level.size for level in book.bids)
