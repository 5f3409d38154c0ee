"""The public market stream against the sandbox: typed events per channel, reconnect with
resubscribe; the REST reads the mirror needs (plan/TP/SL orders, fills)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from perpdesk.core.market import (
    Candle,
    Depth,
    FundingRate,
    MarketChannel,
    MarketEvent,
    MarketKind,
    PlanKind,
    StreamStatus,
    Ticker,
)
from perpdesk.core.models import MarginMode, OrderRequest, OrderSide, OrderType, PositionSide
from perpdesk.exchanges.bitmart import BitmartFuturesConnector, new_client_order_id
from tests.integration.connector.conftest import MakeCreds

SYM = "ETHUSDT"


async def _until(events: Any, want: Any, timeout: float = 5.0) -> MarketEvent:
    async with asyncio.timeout(timeout):
        while True:
            event = await anext(events)
            if want(event):
                return event


async def test_channels_are_typed_and_resubscribed_after_a_drop(
    connector: BitmartFuturesConnector, sandbox: Any
) -> None:
    sandbox.admin.freeze_prices(True)
    stream = connector.market_stream()
    events = stream.events()
    try:
        await stream.subscribe([MarketChannel(MarketKind.TICKER, SYM), MarketChannel(MarketKind.DEPTH, SYM),
                                MarketChannel(MarketKind.KLINE, SYM, "1m"),
                                MarketChannel(MarketKind.MARK_KLINE, SYM, "5m"),
                                MarketChannel(MarketKind.FUNDING, SYM)])
        assert isinstance(await _until(events, lambda e: isinstance(e, StreamStatus)), StreamStatus)
        funding = await _until(events, lambda e: isinstance(e, FundingRate))  # pushed on subscribe
        assert isinstance(funding, FundingRate) and funding.symbol == SYM and funding.funding_time_ms > 0
        await asyncio.sleep(0.2)  # the subscriptions are acknowledged
        await asyncio.to_thread(sandbox.admin.set_price, SYM, "2345.6")
        seen: dict[type, Any] = {}
        while len(seen) < 3 or sum(isinstance(v, Candle) for v in seen.values()) < 1:
            ev = await _until(events, lambda e: isinstance(e, Ticker | Depth | Candle))
            seen[type(ev)] = ev
            if len(seen) == 3:
                break
        ticker = seen[Ticker]
        assert ticker.mark_price == Decimal("2345.6") and isinstance(ticker.last_price, Decimal)
        depth = seen[Depth]
        assert depth.bids and depth.asks and depth.bids[0][0] < depth.asks[0][0]
        assert isinstance(seen[Candle].close, Decimal)

        # unsubscribe: no more depth; drop the socket: status down, then up again, then pushes
        await stream.unsubscribe([MarketChannel(MarketKind.DEPTH, SYM)])
        ws = stream._ws
        assert ws is not None
        await ws.close()
        down = await _until(events, lambda e: isinstance(e, StreamStatus))
        assert isinstance(down, StreamStatus) and not down.connected
        up = await _until(events, lambda e: isinstance(e, StreamStatus), timeout=10)
        assert isinstance(up, StreamStatus) and up.connected and stream.connections == 2
        waiting = asyncio.create_task(_until(events, lambda e: isinstance(e, Ticker), timeout=10))
        while not waiting.done():  # ticks, until the resubscription has reached the exchange
            await asyncio.to_thread(sandbox.admin.set_price, SYM, "2350.1")
            await asyncio.sleep(0.2)
        again = waiting.result()
        assert isinstance(again, Ticker) and again.mark_price == Decimal("2350.1")
        assert MarketChannel(MarketKind.DEPTH, SYM) not in stream.channels
    finally:
        await events.aclose()
        sandbox.admin.freeze_prices(False)


async def test_plan_orders_and_fills_are_read(
    connector: BitmartFuturesConnector, make_creds: MakeCreds
) -> None:
    creds = make_creds()
    placed = await connector.place_order(creds, OrderRequest(
        "BTCUSDT", OrderSide.BUY_OPEN_LONG, Decimal(2), new_client_order_id(), type=OrderType.MARKET,
        leverage=Decimal(5), margin_mode=MarginMode.CROSS))
    assert placed.order_id
    mark = (await connector.positions(creds, "BTCUSDT"))[0].mark_price
    await connector.set_tp_sl(creds, "BTCUSDT", PositionSide.LONG,
                              take_profit=(mark * Decimal("1.1")).quantize(Decimal("0.1")),
                              stop_loss=(mark * Decimal("0.9")).quantize(Decimal("0.1")))
    plans = await connector.plan_orders(creds)
    assert sorted(p.kind for p in plans) == [PlanKind.STOP_LOSS, PlanKind.TAKE_PROFIT]
    assert all(p.symbol == "BTCUSDT" and p.trigger_price > 0 for p in plans)
    fills = await connector.fills(creds)
    assert [f.order_id for f in fills] == [placed.order_id]
    assert fills[0].size == Decimal(2) and fills[0].price > 0 and fills[0].fee > 0
