"""Trading through the Binance connector against the sandbox: rules, account, orders (placed,
looked up by client id, amended, cancelled, filled), positions in both modes, close, ledger."""

from __future__ import annotations

from decimal import Decimal

import pytest

from perpdesk.core import errors as E
from perpdesk.core.ledger import Flow
from perpdesk.core.models import (
    CLIENT_ID_PREFIX,
    MarginMode,
    OrderRequest,
    OrderSide,
    OrderState,
    OrderType,
    PlacementStatus,
    PositionMode,
    PositionSide,
    new_client_order_id,
)
from perpdesk.exchanges.binance import BinanceFuturesConnector
from tests.fixtures.binance import BinanceSandbox
from tests.integration.connector_binance.conftest import MakeCreds

SYMBOL = "ETHUSDT"


@pytest.fixture
def price(binance_sandbox: BinanceSandbox) -> Decimal:
    binance_sandbox.server.admin.set_price(SYMBOL, "2000")
    return Decimal(2000)


def limit(side: OrderSide, size: str, price: str, **kw: object) -> OrderRequest:
    return OrderRequest(SYMBOL, side, Decimal(size), new_client_order_id(), price=Decimal(price), **kw)  # type: ignore[arg-type]


async def test_instruments_carry_tick_step_and_min_notional(connector: BinanceFuturesConnector) -> None:
    found = {i.symbol: i for i in await connector.instruments()}
    btc = found["BTCUSDT"]
    assert (btc.contract_size, btc.size_step, btc.min_size) == (1, Decimal("0.001"), Decimal("0.001"))
    assert btc.price_tick > 0 and btc.max_leverage >= 20
    assert connector.markets.cache.min_notional["BTCUSDT"] == Decimal(100)


async def test_orders_placed_found_amended_cancelled(
    connector: BinanceFuturesConnector, make_creds: MakeCreds, price: Decimal
) -> None:
    creds = make_creds()
    order = limit(OrderSide.BUY_OPEN_LONG, "0.05", "1500", leverage=Decimal(5), margin_mode=MarginMode.CROSS)
    assert order.client_order_id.startswith(CLIENT_ID_PREFIX)
    result = await connector.place_order(creds, order)
    assert result.status is PlacementStatus.PLACED, result
    assert result.sent_timestamp_ms and abs(result.sent_timestamp_ms - connector.clock.now_ms()) < 5000
    assert connector.decided_after_ms() > result.sent_timestamp_ms - connector.clock.offset_ms
    found = await connector.get_order(creds, SYMBOL, client_order_id=order.client_order_id)
    assert found is not None and found.order_id == result.order_id
    assert (found.state, found.size, found.price) == (OrderState.NEW, Decimal("0.05"), Decimal(1500))
    assert found.side is OrderSide.BUY_OPEN_LONG  # the sandbox account starts in hedge mode
    cid = order.client_order_id
    await connector.amend_order(creds, SYMBOL, client_order_id=cid, price=Decimal("1510.23"))
    [listed] = await connector.open_orders(creds, SYMBOL)
    assert listed.price == Decimal("1510.23") and listed.size == Decimal("0.05")
    await connector.cancel_order(creds, SYMBOL, order_id=result.order_id)
    assert await connector.open_orders(creds) == []
    history = await connector.order_history(creds, SYMBOL)
    assert [o.state for o in history] == [OrderState.CANCELLED]
    assert await connector.get_order(creds, SYMBOL, client_order_id="pdnosuchorder") is None
    with pytest.raises(E.OrderNotFound):
        await connector.cancel_order(creds, SYMBOL, order_id=result.order_id)


async def test_local_checks_refuse_before_sending(
    connector: BinanceFuturesConnector, make_creds: MakeCreds, price: Decimal
) -> None:
    creds = make_creds()
    small = await connector.place_order(creds, limit(OrderSide.BUY_OPEN_LONG, "0.01", "1500"))
    assert small.status is PlacementStatus.REJECTED and isinstance(small.error, E.InvalidOrder)
    assert small.error.field == "size" and "minimum of 20 USDT" in small.error.message
    assert small.sent_timestamp_ms is None  # never sent
    # Binance's own refusal is typed too: not enough margin for 900 ETH
    big = await connector.place_order(creds, limit(OrderSide.BUY_OPEN_LONG, "900", "1999"))
    assert big.status is PlacementStatus.REJECTED and isinstance(big.error, E.ExchangeError), big


@pytest.mark.parametrize("mode", [PositionMode.HEDGE, PositionMode.ONE_WAY])
async def test_fill_position_close_and_ledger(
    connector: BinanceFuturesConnector, make_creds: MakeCreds, price: Decimal, mode: PositionMode
) -> None:
    creds = make_creds()
    await connector.set_position_mode(creds, mode)
    assert await connector.position_mode(creds) is mode
    await connector.set_leverage(creds, SYMBOL, Decimal(10), MarginMode.ISOLATED)
    assert await connector.leverage_setting(creds, SYMBOL) == (Decimal(10), MarginMode.ISOLATED)
    opened = await connector.place_order(
        creds,
        OrderRequest(
            SYMBOL, OrderSide.SELL_OPEN_SHORT, Decimal("0.5"), new_client_order_id(), type=OrderType.MARKET
        ),
    )
    assert opened.status is PlacementStatus.PLACED, opened
    [short] = await connector.positions(creds, SYMBOL)
    assert (short.side, short.size, short.leverage, short.margin_mode) == (
        PositionSide.SHORT,
        Decimal("0.5"),
        Decimal(10),
        MarginMode.ISOLATED,
    )
    assert short.margin > 0
    closed = await connector.close_position(creds, SYMBOL, PositionSide.SHORT)
    assert closed.status is PlacementStatus.PLACED, closed
    assert await connector.positions(creds, SYMBOL) == []
    fills = await connector.fills(creds)
    assert [f.side for f in fills] == ["buy_close_short", "sell_open_short"]
    assert all(f.fee > 0 and f.size == Decimal("0.5") for f in fills)
    ledger = await connector.transactions(creds)
    fees = [t for t in ledger if t.flow is Flow.FEE]
    assert len(fees) == 2 and sum(t.amount for t in fees) == -sum(f.fee for f in fills)
    [balance] = await connector.balances(creds)
    assert {t.flow for t in ledger} == {Flow.TRANSFER, Flow.FEE, Flow.REALIZED_PNL}  # deposit, trading
    assert balance.currency == "USDT" and balance.equity == sum(t.amount for t in ledger)
