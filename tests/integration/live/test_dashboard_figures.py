"""Every figure the dashboard shows equals the exchange's at the live mark, to the last digit, on
SQLite and PostgreSQL: after a price move the mirror re-values what the exchange re-values
(uPnL, equity and, in cross mode, available) without a read, and the exchange's own answer
(read through the connector) is the same. One account holds a cross position, another an
isolated one: isolated uPnL moves equity but not available."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from perpdesk.core.models import Credentials, MarginMode, OrderRequest, OrderSide, OrderType
from perpdesk.exchanges.bitmart import BitmartFuturesConnector, new_client_order_id
from perpdesk.live.bus import InProcessBus
from perpdesk.live.market_hub import MarketHub
from perpdesk.live.ownership import InProcessOwnership
from perpdesk.live.query import LiveQuery
from perpdesk.live.supervisor import LiveSupervisor
from perpdesk.services import portfolio
from perpdesk.services.live_accounts import DbAccountSource
from perpdesk.services.portfolio_query import totals
from tests.integration.trading.conftest import TCtx, Trader

BTC, ETH = "BTCUSDT", "ETHUSDT"
BALANCE_FIELDS = ("equity", "available", "unrealized_pnl", "position_margin", "frozen")
POSITION_FIELDS = ("size", "entry_price", "mark_price", "unrealized_pnl", "margin", "liquidation_price",
                   "margin_mode")


@pytest.fixture
async def live(tctx: TCtx, sandbox: Any) -> AsyncIterator[LiveSupervisor]:
    conn = BitmartFuturesConnector(sandbox.base_url, ws_url=sandbox.ws_url, timeout_s=5)
    bus = InProcessBus()
    hub = MarketHub(lambda _ex: conn, bus)
    sup = LiveSupervisor(DbAccountSource(tctx.deps), lambda _ex: conn, bus, hub, InProcessOwnership(),
                         scan_interval_s=30, reconcile_interval_s=3600)
    try:
        yield sup
    finally:
        await sup.aclose()
        await hub.aclose()
        await conn.aclose()


async def open_position(tctx: TCtx, creds: Credentials, symbol: str, side: OrderSide, mode: MarginMode,
                        leverage: str, size: str) -> None:
    await tctx.connector.place_order(creds, OrderRequest(
        symbol, side, Decimal(size), new_client_order_id(), type=OrderType.MARKET,
        leverage=Decimal(leverage), margin_mode=mode))


async def exchange_figures(tctx: TCtx, t: Trader) -> dict[str, Any]:
    balances = await tctx.connector.balances(t.creds)
    positions = await tctx.connector.positions(t.creds)
    usdt = next(b for b in balances if b.currency == "USDT")
    return {"balance": {k: getattr(usdt, k) for k in BALANCE_FIELDS},
            "positions": [{k: getattr(p, k) for k in POSITION_FIELDS} for p in positions]}


def dashboard_figures(snap: portfolio.AccountSnapshot) -> dict[str, Any]:
    usdt = snap.usdt
    assert usdt is not None and snap.live is not None and snap.live.fresh
    return {"balance": {k: getattr(usdt, k) for k in BALANCE_FIELDS},
            "positions": [{k: getattr(v.position, k) for k in POSITION_FIELDS} for v in snap.positions]}


async def settled(query: LiveQuery, tctx: TCtx, traders: list[Trader], marks: dict[str, str]) -> None:
    """Until every mirror is fresh and values its positions at `marks` (the market stream's ticks)."""
    async with asyncio.timeout(15):
        while True:
            for symbol, price in marks.items():
                await asyncio.to_thread(tctx.sandbox.admin.set_price, symbol, price)
            views = [query.account(t.user_id, t.account_id) for t in traders]
            if all(v is not None and v.fresh and v.positions and v.balances
                   and all(p.mark_price == Decimal(marks[p.symbol]) for p in v.positions) for v in views):
                return
            await asyncio.sleep(0.1)


async def test_every_dashboard_figure_equals_the_exchanges_after_a_price_move(
    tctx: TCtx, live: LiveSupervisor, sandbox: Any
) -> None:
    sandbox.admin.freeze_prices(True)
    try:
        await asyncio.to_thread(sandbox.admin.set_price, BTC, "95000")
        await asyncio.to_thread(sandbox.admin.set_price, ETH, "3500")
        cross = await tctx.trader()
        isolated = await tctx.trader(user_id=cross.user_id)  # the same user: the totals add both
        # at 3x the exchange's margin (2 x 0.001 x entry / 3) has more decimals than it shows
        await open_position(tctx, cross.creds, BTC, OrderSide.BUY_OPEN_LONG, MarginMode.CROSS, "3", "2")
        await open_position(tctx, isolated.creds, ETH, OrderSide.SELL_OPEN_SHORT, MarginMode.ISOLATED,
                            "10", "3")
        await live.scan()
        query = LiveQuery(live)
        user = cross.user_id

        for marks in ({BTC: "95000", ETH: "3500"}, {BTC: "96257.3", ETH: "3411.37"},
                      {BTC: "93801.9", ETH: "3588.06"}):
            await settled(query, tctx, [cross, isolated], marks)
            snaps = {s.account.id: s for s in await portfolio.overview(tctx.deps, user, query)}
            for t in (cross, isolated):
                shown = dashboard_figures(snaps[t.account_id])
                assert shown == await exchange_figures(tctx, t), (marks, t.account_id)
            total = totals(list(snaps.values()))
            exchange = [(await exchange_figures(tctx, t))["balance"] for t in (cross, isolated)]
            assert total == {
                "equity": sum(b["equity"] for b in exchange),
                "available": sum(b["available"] for b in exchange),
                "margin": sum(b["position_margin"] + b["frozen"] for b in exchange),
                "unrealized_pnl": sum(b["unrealized_pnl"] for b in exchange)}
            cross_view = query.account(user, cross.account_id)
            assert cross_view is not None
            streamed = cross_view.to_dict(full=False)  # what the SSE stream sends the page
            assert Decimal(streamed["balances"][0]["available"]) == exchange[0]["available"]
            assert Decimal(streamed["unrealized_pnl"]) == exchange[0]["unrealized_pnl"]
    finally:
        sandbox.admin.freeze_prices(False)


async def test_the_mirror_shortcuts_equal_the_exchanges_answers(
    tctx: TCtx, live: LiveSupervisor, sandbox: Any
) -> None:
    """What the order settler (open orders) and the equity snapshots (the USDT balance) take from a
    current mirror instead of asking the exchange: the exchange's own answers, to the last digit,
    and nothing for another user or an account this process does not mirror."""
    sandbox.admin.freeze_prices(True)
    try:
        await asyncio.to_thread(sandbox.admin.set_price, BTC, "95000")
        t = await tctx.trader()
        other = await tctx.trader()
        await open_position(tctx, t.creds, BTC, OrderSide.BUY_OPEN_LONG, MarginMode.CROSS, "5", "3")
        resting = await tctx.connector.place_order(t.creds, OrderRequest(
            BTC, OrderSide.BUY_OPEN_LONG, Decimal(2), new_client_order_id(), type=OrderType.LIMIT,
            price=Decimal("80000.5"), leverage=Decimal(5), margin_mode=MarginMode.CROSS))
        await live.scan()
        query = LiveQuery(live)
        await settled(query, tctx, [t], {BTC: "96123.4"})

        def fields(orders: list[Any]) -> list[tuple[Any, ...]]:
            return sorted((o.order_id, o.client_order_id, o.symbol, o.side, o.type, o.state, o.size,
                           o.filled_size, o.price, o.leverage, o.margin_mode) for o in orders)

        async with asyncio.timeout(10):  # the order's push may trail the position's
            while fields(query.open_orders_of(t.user_id, t.account_id) or []) != fields(
                    await tctx.connector.open_orders(t.creds)):
                await asyncio.sleep(0.05)
        mirrored = query.open_orders_of(t.user_id, t.account_id)
        assert mirrored is not None and [o.order_id for o in mirrored] == [resting.order_id]

        usdt = query.usdt_of(t.user_id, t.account_id)
        assert usdt is not None
        exchange = (await exchange_figures(tctx, t))["balance"]
        assert {k: getattr(usdt, k) for k in BALANCE_FIELDS} == exchange

        # another user's id, and an account no mirror here holds: read the exchange instead
        assert query.open_orders_of(other.user_id, t.account_id) is None
        assert query.usdt_of(other.user_id, t.account_id) is None
        live.source.changed()
        await live.scan()  # `other` is mirrored too now; one with no mirror at all:
        assert query.open_orders_of(t.user_id, "no-such-account") is None
        assert query.usdt_of(t.user_id, "no-such-account") is None
    finally:
        sandbox.admin.freeze_prices(False)
