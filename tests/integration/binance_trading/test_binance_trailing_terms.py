"""A trailing stop's activation price and callback rate on a Binance account: Binance lists
neither (openAlgoOrders has no activatePrice or callbackRate, only the placement's answer does),
so they come from the trail's stored intent, which every process reads: the terminal's list and a
worker's live mirror show what was placed, not 0, also where the connector that placed the order
is not the one that lists it (a web process and a worker, or after a restart)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from perpdesk.core.market import PlanKind, PlanOrder
from perpdesk.core.money import fmt
from perpdesk.exchanges.binance import BinanceFuturesConnector
from perpdesk.live.bus import InProcessBus
from perpdesk.live.market_hub import MarketHub
from perpdesk.live.ownership import InProcessOwnership
from perpdesk.live.supervisor import LiveSupervisor
from perpdesk.live.views import Freshness
from perpdesk.services import terminal, terminal_orders, trading
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.live_accounts import DbAccountSource
from perpdesk.services.trading.commands import parse_trail
from tests.integration.binance_trading.conftest import BCtx, BnTrader
from tests.integration.live.test_mirror import until

SOL = "SOLUSDT"
ACTIVATION, CALLBACK = "186.37", "1.37"


async def _trail(bctx: BCtx, t: BnTrader) -> str:
    """A long SOL position and its trailing stop, placed through `bctx`'s connector."""
    bctx.set_price(SOL, "180")
    opened = await trading.place_order(bctx.deps, t.user_id, t.account_id, {
        "symbol": SOL, "side": "buy", "type": "market", "size": "5", "leverage": "5", "margin_mode": "cross"})
    assert opened.status == "placed", opened
    trail = await terminal_orders.place_trail(bctx.deps, t.user_id, t.account_id, parse_trail(
        {"symbol": SOL, "side": "sell_close_long", "size": "5", "activation_price": ACTIVATION,
         "callback_rate": CALLBACK, "leverage": "5", "margin_mode": "cross"}))
    assert trail.status == "placed" and trail.order_id, trail
    (theirs,) = t.client.ok("GET", "/fapi/v1/openAlgoOrders", {"symbol": SOL})
    assert theirs["orderType"] == "TRAILING_STOP_MARKET" and "activatePrice" not in theirs
    assert "callbackRate" not in theirs
    return trail.order_id


def _as_placed(p: PlanOrder, order_id: str) -> None:
    assert (p.kind, p.order_id) == (PlanKind.TRAILING, order_id)
    assert (p.trigger_price, p.callback_rate) == (Decimal(ACTIVATION), Decimal(CALLBACK))
    assert p.callback_rate is not None
    assert (fmt(p.trigger_price), fmt(p.callback_rate)) == (ACTIVATION, CALLBACK)  # to the last digit


@pytest.fixture
async def elsewhere(bctx: BCtx) -> AsyncIterator[tuple[AccountsDeps, BinanceFuturesConnector]]:
    """Another process's view of the same database: its own connector, which placed nothing."""
    url = bctx.sandbox.url
    conn = BinanceFuturesConnector(url, ws_url=url.replace("http://", "ws://"), timeout_s=5)
    try:
        yield dataclasses.replace(bctx.deps, connector_for=lambda _ex: conn), conn
    finally:
        await conn.aclose()


async def test_the_trailing_stop_listed_has_the_terms_it_was_placed_with(bctx: BCtx) -> None:
    t = await bctx.trader()
    order_id = await _trail(bctx, t)
    (listed,) = await terminal.conditional_orders(bctx.deps, t.user_id, t.account_id, SOL)
    _as_placed(listed, order_id)


async def test_another_process_lists_the_terms_from_the_stored_intent(
    bctx: BCtx, elsewhere: tuple[AccountsDeps, BinanceFuturesConnector],
) -> None:
    """Placed through a web process, listed by a fresh connector (another web process, or this one
    restarted): the terms are the stored intent's."""
    deps, conn = elsewhere
    t = await bctx.trader()
    order_id = await _trail(bctx, t)
    assert not await bctx.connector.plan_orders(t.creds, "BTCUSDT")
    (raw,) = await conn.plan_orders(t.creds, SOL)  # what Binance's list alone gives
    assert (raw.trigger_price, raw.callback_rate) == (Decimal(0), None)
    (listed,) = await terminal.conditional_orders(deps, t.user_id, t.account_id, SOL)
    _as_placed(listed, order_id)
    (every,) = await terminal.conditional_orders(deps, t.user_id, t.account_id)
    _as_placed(every, order_id)


async def test_a_worker_mirror_shows_the_terms_of_a_trail_placed_through_the_web(
    bctx: BCtx, elsewhere: tuple[AccountsDeps, BinanceFuturesConnector],
) -> None:
    """A worker's supervisor mirrors the account with its own connector; the trail placed through a
    web process (bctx's connector) reaches its view by the algo update, with the stored terms."""
    deps, conn = elsewhere
    t = await bctx.trader()
    bus = InProcessBus()
    hub = MarketHub(lambda _ex: conn, bus)
    sup = LiveSupervisor(DbAccountSource(deps), lambda _ex: conn, bus, hub, InProcessOwnership(),
                         scan_interval_s=30)
    try:
        await sup.scan()
        mirror = sup.mirror(t.account_id)
        assert mirror is not None
        await until(lambda: mirror.freshness.state is Freshness.FRESH, timeout=10)
        order_id = await _trail(bctx, t)
        await until(lambda: any(p.kind is PlanKind.TRAILING for p in mirror.view().plans), timeout=10,
                    what="the trailing stop from the algo update")
        (listed,) = [p for p in mirror.view().plans if p.kind is PlanKind.TRAILING]
        _as_placed(listed, order_id)
        assert await mirror.reconcile() == []  # the list read again: the same terms, no drift
        (again,) = [p for p in mirror.view().plans if p.kind is PlanKind.TRAILING]
        _as_placed(again, order_id)
    finally:
        await sup.aclose()
        await hub.aclose()
