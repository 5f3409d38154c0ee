"""Order safety on Binance with answers lost on the way back (a proxy on loopback loses them): an
order the exchange executed is found by its `newClientOrderId` and recorded placed, one it never
saw is `unknown` until its recvWindow bound and then not placed; never resent, 0 duplicates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from perpdesk.exchanges.binance import BinanceFuturesConnector
from perpdesk.services import portfolio, terminal_orders, trading
from perpdesk.services.trading.commands import parse_trail
from perpdesk.store.base import utcnow
from perpdesk.store.orders import OrderIntentRepo
from tests.fixtures.binance import BinanceSandbox
from tests.fixtures.services import accounts_deps
from tests.integration.binance_trading.conftest import BCtx
from tests.integration.binance_trading.dropping_proxy import DroppingProxy

ETH = "ETHUSDT"
NEW_ORDER = "POST /fapi/v1/order?"


@pytest.fixture
async def lossy(
    db_sessionmaker: async_sessionmaker[AsyncSession], binance_sandbox: BinanceSandbox
) -> AsyncIterator[tuple[BCtx, DroppingProxy]]:
    proxy = DroppingProxy(urlsplit(binance_sandbox.url).port or 0)
    await proxy.start()
    connector = BinanceFuturesConnector(proxy.url, timeout_s=5, settle_attempts=1, settle_delay_s=0)
    try:
        yield BCtx(accounts_deps(db_sessionmaker, connector), binance_sandbox, connector), proxy
    finally:
        await connector.aclose()
        await proxy.aclose()


def limit(price: str) -> dict[str, object]:
    return {"symbol": ETH, "side": "buy", "type": "limit", "price": price, "size": "0.1", "leverage": "5"}


async def test_an_executed_order_whose_answer_was_lost_is_found_and_one_never_sent_is_not_placed(
    lossy: tuple[BCtx, DroppingProxy],
) -> None:
    bctx, proxy = lossy
    t = await bctx.trader()
    bctx.set_price(ETH, "3500")
    proxy.drop(NEW_ORDER, executed=True)
    executed = await trading.place_order(bctx.deps, t.user_id, t.account_id, limit("3000"))
    assert proxy.dropped == 1
    # the connector's own look-up by newClientOrderId found it: placed, with the exchange's id
    assert executed.status == "placed" and executed.order_id, executed
    at_exchange = t.client.ok(
        "GET", "/fapi/v1/order", {"symbol": ETH, "origClientOrderId": executed.client_order_id}
    )
    assert str(at_exchange["orderId"]) == executed.order_id

    proxy.drop(NEW_ORDER, executed=False)
    lost = await trading.place_order(bctx.deps, t.user_id, t.account_id, limit("2990"))
    assert proxy.dropped == 2 and lost.status == "unknown" and lost.order_id is None, lost
    assert lost.decided_after is not None and lost.decided_after > utcnow()  # within its recvWindow
    async with bctx.deps.sessions() as s, s.begin():  # as if the bound had passed
        row = await OrderIntentRepo(s).by_client_id(t.user_id, t.account_id, lost.client_order_id)
        assert row is not None and row.status == "unknown"
        await OrderIntentRepo(s).save(replace(row, decided_after=utcnow() - timedelta(seconds=1)))
    decided = await trading.settle_unknown(bctx.deps, t.user_id, t.account_id)
    assert {p.client_order_id: p.status for p in decided} == {lost.client_order_id: "not_placed"}
    orders = await portfolio.open_orders(bctx.deps, t.user_id, t.account_id)
    assert [(o.client_order_id, o.price) for o in orders] == [(executed.client_order_id, Decimal(3000))]


async def test_a_lost_trailing_stop_is_decided_by_its_client_id_never_sent_twice(
    lossy: tuple[BCtx, DroppingProxy],
) -> None:
    bctx, proxy = lossy
    t = await bctx.trader()
    bctx.set_price(ETH, "3500")
    await trading.place_order(bctx.deps, t.user_id, t.account_id, {
        "symbol": ETH, "side": "buy", "type": "market", "size": "1", "leverage": "5"})
    proxy.drop("POST /fapi/v1/algoOrder?", executed=True)
    for _ in range(3):  # and the connector's own look-ups by clientAlgoId go unanswered
        proxy.drop("GET /fapi/v1/algoOrder?", executed=False)
    lost = await terminal_orders.place_trail(bctx.deps, t.user_id, t.account_id, parse_trail(
        {"symbol": ETH, "side": "sell_close_long", "size": "1", "activation_price": "3700",
         "callback_rate": "1", "leverage": "5"}))
    proxy.drops.clear()
    assert lost.status == "unknown" and lost.client_order_id, lost
    async with bctx.deps.sessions() as s, s.begin():  # past its bound: an absence would be final
        row = await OrderIntentRepo(s).by_client_id(t.user_id, t.account_id, lost.client_order_id)
        assert row is not None
        await OrderIntentRepo(s).save(replace(row, decided_after=utcnow() - timedelta(seconds=1)))
    decided = await trading.settle_unknown(bctx.deps, t.user_id, t.account_id)
    waiting = t.client.ok("GET", "/fapi/v1/openAlgoOrders", {"symbol": ETH})
    assert [w["clientAlgoId"] for w in waiting] == [lost.client_order_id]  # one, under the intent's id
    assert [(p.client_order_id, p.status, p.order_id) for p in decided] == [
        (lost.client_order_id, "placed", str(waiting[0]["algoId"]))]
