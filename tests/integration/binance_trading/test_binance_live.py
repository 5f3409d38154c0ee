"""The live mirror of a Binance account on its user data stream (listen key): the view follows an
order, a fill and a TP/SL, re-values the position at the live mark price, and after the listen key
ends shows disconnected, then resyncs from REST with what happened meanwhile; the supervisor
mirrors an account connected through the services (SQLite and PostgreSQL). Budgets as
BitMart's live tests (tests/integration/live/test_mirror.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest

from perpdesk.core.market import MarketChannel, MarketKind, PlanKind
from perpdesk.core.models import (
    Credentials,
    MarginMode,
    OrderRequest,
    OrderSide,
    OrderType,
    PositionSide,
    new_client_order_id,
)
from perpdesk.exchanges.binance import BinanceFuturesConnector
from perpdesk.exchanges.registry import Venue
from perpdesk.live.bus import ALL_ACCOUNTS, InProcessBus
from perpdesk.live.market_hub import MarketHub
from perpdesk.live.mirror import AccountMirror, MirrorRef
from perpdesk.live.ownership import InProcessOwnership
from perpdesk.live.supervisor import LiveSupervisor
from perpdesk.live.views import Freshness
from perpdesk.services import trading
from perpdesk.services.live_accounts import DbAccountSource
from tests.fixtures.binance import BinanceSandbox
from tests.integration.binance_trading.conftest import BCtx
from tests.integration.live.test_mirror import until  # BitMart's live tests' wait, and budget

SYM = "ETHUSDT"


def limit(price: str) -> OrderRequest:
    return OrderRequest(SYM, OrderSide.BUY_OPEN_LONG, Decimal("0.1"), new_client_order_id(),
                        price=Decimal(price), leverage=Decimal(5), margin_mode=MarginMode.CROSS)


def market(size: str) -> OrderRequest:
    return OrderRequest(SYM, OrderSide.BUY_OPEN_LONG, Decimal(size), new_client_order_id(),
                        type=OrderType.MARKET, leverage=Decimal(5), margin_mode=MarginMode.CROSS)


@pytest.fixture
async def live(binance_sandbox: BinanceSandbox) -> AsyncIterator[tuple[BinanceFuturesConnector, InProcessBus,
                                                                        MarketHub]]:
    conn = BinanceFuturesConnector(binance_sandbox.url, ws_url=binance_sandbox.url.replace("http://", "ws://"),
                                   timeout_s=5)
    bus = InProcessBus()
    hub = MarketHub(lambda _ex: conn, bus)
    try:
        yield conn, bus, hub
    finally:
        await hub.aclose()
        await conn.aclose()


def mirror_of(conn: BinanceFuturesConnector, bus: InProcessBus, hub: MarketHub, creds: Credentials,
              opened: list[int]) -> AccountMirror:
    ref = MirrorRef("b1", "u1", Venue("binance", "http://exchange.test"), "Binance")

    async def opener() -> Credentials:  # as the platform opens them from the vault, per connection
        opened.append(1)
        return creds

    return AccountMirror(ref, conn, opener, bus, hub, refresh_debounce_s=0.05, reconcile_interval_s=3600)


async def test_mirror_follows_a_fill_and_the_mark_then_a_lost_listen_key(
    live: tuple[BinanceFuturesConnector, InProcessBus, MarketHub], binance_sandbox: BinanceSandbox,
) -> None:
    conn, bus, hub = live
    admin = binance_sandbox.server.admin
    client = binance_sandbox.client()
    creds = Credentials(client.api_key, client.secret)
    await asyncio.to_thread(admin.set_price, SYM, "3000")
    opened: list[int] = []
    mirror = mirror_of(conn, bus, hub, creds, opened)
    sub = bus.subscribe([ALL_ACCOUNTS])
    mirror.start()
    try:
        await until(lambda: mirror.freshness.state is Freshness.FRESH, what="fresh after the snapshot")
        usdt = mirror.view().usdt
        assert usdt is not None and usdt.equity == Decimal(10000)
        await until(lambda: mirror.fills_loaded)
        resting = await conn.place_order(creds, limit("2500"))
        await until(lambda: resting.order_id in {o.order_id for o in mirror.view().open_orders},
                    what="the resting order pushed")
        filled = await conn.place_order(creds, market("2"))
        await until(lambda: mirror.view().positions, what="the position pushed")
        await until(lambda: any(f.order_id == filled.order_id for f in mirror.view().fills), what="fill")
        pos = mirror.view().positions[0]
        assert (pos.symbol, pos.side, pos.size) == (SYM, PositionSide.LONG, Decimal(2))
        await conn.set_tp_sl(creds, SYM, PositionSide.LONG, take_profit=Decimal(3500),
                             stop_loss=Decimal(2800))
        # ALGO_UPDATE tells the mirror its conditional orders changed: no refresh asked here
        both = {PlanKind.TAKE_PROFIT, PlanKind.STOP_LOSS}
        await until(lambda: {p.kind for p in mirror.view().plans} == both, what="TP/SL from the algo update")

        await until(lambda: hub.refcount("binance", MarketChannel(MarketKind.TICKER, SYM)) == 1)
        for _ in range(50):  # ticks until the market stream has subscribed
            await asyncio.to_thread(admin.set_price, SYM, "3100")
            if mirror.view().positions[0].mark_price == Decimal(3100):
                break
            await asyncio.sleep(0.1)
        pos = mirror.view().positions[0]
        assert pos.mark_price == Decimal(3100), "live mark"
        assert pos.unrealized_pnl == (Decimal(3100) - pos.entry_price) * 2 * pos.contract_size
        got = None
        while got is None or got.kind != "account" or [
                p["mark_price"] for p in got.data["positions"]] != ["3100"]:
            got = await sub.get(wait_s=3)
            assert got is not None, "the re-valued view was published"

        before, states = len(opened), list[Freshness]()
        orig = mirror._set

        def spy(state: Freshness, reason: str, at: int | None = None) -> None:
            states.append(state)
            orig(state, reason, at)

        mirror._set = spy  # type: ignore[method-assign]
        async with httpx.AsyncClient() as http:  # the listen key ends (as after 60 min without keepalive)
            r = await http.delete(binance_sandbox.url + "/fapi/v1/listenKey",
                                  headers={"X-MBX-APIKEY": creds.api_key})
            assert r.status_code == 200
        await until(lambda: Freshness.DISCONNECTED in states, what="the drop is shown")
        away = await conn.place_order(creds, limit("2400"))
        await until(lambda: mirror.freshness.state is Freshness.FRESH, timeout=10, what="fresh again")
        await until(lambda: away.order_id in {o.order_id for o in mirror.view().open_orders},
                    what="the order placed while away, from the resync or the new stream")
        assert len(opened) > before  # credentials opened again for the new listen key
    finally:
        sub.close()
        await mirror.stop()
    assert hub.refcount("binance", MarketChannel(MarketKind.TICKER, SYM)) == 0


async def test_the_supervisor_mirrors_a_connected_binance_account_from_the_database(
    bctx: BCtx, live: tuple[BinanceFuturesConnector, InProcessBus, MarketHub],
) -> None:
    conn, bus, hub = live
    t = await bctx.trader()
    bctx.set_price(SYM, "3000")
    source = DbAccountSource(bctx.deps)
    active = {a.ref.account_id: a.ref for a in await source.active()}
    assert active[t.account_id].venue.exchange == "binance"
    sup = LiveSupervisor(source, lambda _ex: conn, bus, hub, InProcessOwnership(), scan_interval_s=30)
    try:
        await sup.scan()
        mirror = sup.mirror(t.account_id)
        assert mirror is not None
        await until(lambda: mirror.freshness.state is Freshness.FRESH, timeout=10)
        await until(lambda: mirror.fills_loaded)
        placed = await trading.place_order(bctx.deps, t.user_id, t.account_id, {
            "symbol": SYM, "side": "sell", "type": "market", "size": "0.7", "leverage": "3"})
        assert placed.status == "placed", placed
        await until(lambda: any(f.order_id == placed.order_id for f in mirror.view().fills), what="fill")
        await until(lambda: mirror.view().positions, what="the short position pushed")
        pos = mirror.view().positions[0]
        assert (pos.side, pos.size) == (PositionSide.SHORT, Decimal("0.7"))
    finally:
        await sup.aclose()


async def test_rest_reconciliation_repairs_a_lost_push_and_audits_it(
    live: tuple[BinanceFuturesConnector, InProcessBus, MarketHub], binance_sandbox: BinanceSandbox,
) -> None:
    conn, bus, hub = live
    client = binance_sandbox.client()
    creds = Credentials(client.api_key, client.secret)
    await asyncio.to_thread(binance_sandbox.server.admin.set_price, SYM, "3000")
    audited: list[tuple[str, str, str, dict[str, object]]] = []

    async def audit(user_id: str, account_id: str, action: str, detail: dict[str, object]) -> None:
        audited.append((user_id, account_id, action, detail))

    ref = MirrorRef("b3", "u3", Venue("binance", "http://exchange.test"), "Binance")

    async def opener() -> Credentials:
        return creds

    mirror = AccountMirror(ref, conn, opener, bus, hub, refresh_debounce_s=0.05, reconcile_interval_s=3600,
                           audit=audit)
    mirror.start()
    try:
        await until(lambda: mirror.freshness.state is Freshness.FRESH)
        placed = await conn.place_order(creds, limit("2500"))
        assert placed.order_id is not None
        await until(lambda: placed.order_id in mirror.state.orders)
        del mirror.state.orders[placed.order_id]  # a lost ORDER_TRADE_UPDATE
        drift = [{"part": "open_orders", "missing": [placed.order_id], "extra": [], "changed": []}]
        assert await mirror.reconcile() == drift
        assert placed.order_id in mirror.state.orders
        assert audited == [("u3", "b3", "live.drift_repaired", {"drift": drift})]
        assert await mirror.reconcile() == []
    finally:
        await mirror.stop()
