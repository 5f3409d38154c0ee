"""The Binance user data stream (listen key, keepalive, expiry → new key, REST resync) and the
market streams, against the sandbox's WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any, TypeVar

import httpx

from perpdesk.core.market import Candle, Depth, FundingRate, MarketChannel, MarketKind, StreamStatus, Ticker
from perpdesk.core.models import (
    Credentials,
    OrderRequest,
    OrderSide,
    OrderState,
    OrderType,
    PlacementStatus,
    PositionSide,
    StreamEvent,
    new_client_order_id,
)
from perpdesk.exchanges.binance import BinanceFuturesConnector
from perpdesk.exchanges.binance.user_stream import UserStream
from tests.fixtures.binance import BinanceSandbox
from tests.integration.connector_binance.conftest import MakeCreds

T = TypeVar("T")
SYMBOL = "ETHUSDT"


async def until(events: AsyncIterator[T], want: Callable[[T], bool], timeout_s: float = 10) -> T:
    async with asyncio.timeout(timeout_s):
        async for event in events:
            if want(event):
                return event
    raise AssertionError("the stream ended")


def kind(name: str) -> Callable[[StreamEvent], bool]:
    return lambda e: e.kind == name


async def test_user_stream_follows_an_order_and_its_fill(
    connector: BinanceFuturesConnector, make_creds: MakeCreds, binance_sandbox: BinanceSandbox
) -> None:
    binance_sandbox.server.admin.set_price(SYMBOL, "2000")
    creds = make_creds()
    events = connector.stream(creds, [SYMBOL])
    try:
        snapshot = await until(events, kind("resync"))
        assert snapshot.payload["positions"] == [] and snapshot.payload["open_orders"] == []
        resting = OrderRequest(
            SYMBOL, OrderSide.BUY_OPEN_LONG, Decimal("0.1"), new_client_order_id(), price=Decimal(1500)
        )
        assert (await connector.place_order(creds, resting)).status is PlacementStatus.PLACED
        placed = await until(events, kind("order"))
        orders = placed.payload["orders"]
        assert isinstance(orders, list)
        [order] = orders
        assert (order.client_order_id, order.state, order.size) == (
            resting.client_order_id,
            OrderState.NEW,
            Decimal("0.1"),
        )
        market = OrderRequest(
            SYMBOL, OrderSide.BUY_OPEN_LONG, Decimal("0.2"), new_client_order_id(), type=OrderType.MARKET
        )
        assert (await connector.place_order(creds, market)).status is PlacementStatus.PLACED
        filled = await until(events, lambda e: e.kind == "order" and bool(e.payload["filled"]))
        assert filled.payload["orders"][0].client_order_id == market.client_order_id  # type: ignore[index]
        moved = await until(events, kind("position"))
        held = moved.payload["positions"]
        assert isinstance(held, list)
        [long] = held
        assert (long.symbol, long.side, long.size) == (SYMBOL, PositionSide.LONG, Decimal("0.2"))
        await connector.set_tp_sl(creds, SYMBOL, PositionSide.LONG, stop_loss=Decimal(1800))
        algo = await until(events, lambda e: e.kind == "order" and not e.payload["orders"])  # ALGO_UPDATE
        assert algo.payload["plans_changed"] is True and algo.payload["triggered"] == []
    finally:
        await events.aclose()  # type: ignore[attr-defined]


async def test_keepalive_and_an_expired_listen_key_reconnects_with_a_new_one(
    connector: BinanceFuturesConnector, make_creds: MakeCreds, binance_sandbox: BinanceSandbox
) -> None:
    creds = make_creds()
    opened: list[Credentials] = []

    async def opener() -> Credentials:  # as the platform opens them from the vault
        opened.append(creds)
        return creds

    stream = UserStream(connector, opener, keepalive_s=0.05, backoff_initial_s=0.01)
    events = stream.events()
    try:
        await until(events, kind("resync"))
        first = stream.listen_key
        async with asyncio.timeout(5):
            while stream.keepalives < 2:  # PUT /fapi/v1/listenKey on the injected interval
                await asyncio.sleep(0.02)
        async with httpx.AsyncClient() as http:  # the key ends (as after 60 min without keepalive)
            r = await http.delete(
                binance_sandbox.url + "/fapi/v1/listenKey", headers={"X-MBX-APIKEY": creds.api_key}
            )
            assert r.status_code == 200
        dropped = await until(events, lambda e: e.kind in ("disconnected", "resync"))
        assert dropped.kind == "disconnected"
        await until(events, kind("resync"))  # a new key, a new connection, a fresh REST snapshot
        assert stream.listen_key and stream.listen_key != first and stream.connections == 2
        assert len(opened) == 2 and stream.key_only is not None and stream.key_only.secret == ""
    finally:
        await events.aclose()  # type: ignore[attr-defined]


async def test_market_streams(connector: BinanceFuturesConnector, binance_sandbox: BinanceSandbox) -> None:
    admin = binance_sandbox.server.admin
    admin.set_price("BTCUSDT", "60000")
    market = connector.market_stream()
    channels = [
        MarketChannel(MarketKind.TICKER, "BTCUSDT"),
        MarketChannel(MarketKind.DEPTH, "BTCUSDT"),
        MarketChannel(MarketKind.KLINE, "BTCUSDT", "1m"),
        MarketChannel(MarketKind.FUNDING, "BTCUSDT"),
    ]
    await market.subscribe(channels)
    events = market.events()
    seen: dict[type[Any], Any] = {}
    try:
        status = await until(events, lambda e: isinstance(e, StreamStatus))
        assert isinstance(status, StreamStatus) and status.connected
        price = 60000
        async with asyncio.timeout(15):
            while len(seen) < 4:
                price += 10
                admin.set_price("BTCUSDT", str(price))
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.5):
                        async for event in events:
                            seen[type(event)] = event
        ticker, depth, candle, funding = seen[Ticker], seen[Depth], seen[Candle], seen[FundingRate]
        assert ticker.symbol == "BTCUSDT" and ticker.last_price > 60000 and ticker.mark_price > 0
        assert depth.bids and depth.asks and depth.bids[0][0] < depth.asks[0][0]
        assert candle.interval == "1m" and not candle.mark and candle.close > 60000
        assert funding.funding_time_ms > 0
        await market.unsubscribe(channels)
        assert market.channels == set()
    finally:
        await market.close()
        await events.aclose()  # type: ignore[attr-defined]
