"""Every trading method of the connector against the sandbox, and the typed errors it raises."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from perpdesk.core import errors as E
from perpdesk.core.models import (
    MarginMode,
    OrderRequest,
    OrderSide,
    OrderState,
    OrderType,
    PlacementStatus,
    PositionMode,
    PositionSide,
)
from perpdesk.exchanges.bitmart import BitmartFuturesConnector, new_client_order_id
from perpdesk.exchanges.registry import Egress, Endpoints, entry
from tests.integration.connector.conftest import MakeCreds

SYMBOL = "BTCUSDT"


def limit(price: str, size: str = "2", side: OrderSide = OrderSide.BUY_OPEN_LONG, **kw: Any) -> OrderRequest:
    return OrderRequest(SYMBOL, side, Decimal(size), kw.pop("cid", None) or new_client_order_id(),
                        price=Decimal(price), leverage=Decimal(5), margin_mode=MarginMode.CROSS, **kw)


def market(size: str, side: OrderSide, **kw: Any) -> OrderRequest:
    kw.setdefault("leverage", Decimal(5))
    kw.setdefault("margin_mode", MarginMode.CROSS)
    return OrderRequest(SYMBOL, side, Decimal(size), new_client_order_id(), type=OrderType.MARKET, **kw)


async def test_instruments_are_loaded_once_and_cached(connector: BitmartFuturesConnector) -> None:
    instruments = await connector.instruments()
    btc = next(i for i in instruments if i.symbol == SYMBOL)
    assert btc.contract_size > 0 and btc.price_tick > 0 and btc.max_leverage >= btc.min_leverage
    bucket = connector.limiter.bucket(connector.rest._public_key, "/contract/public/details")
    calls = len(bucket.sent)
    await connector.instruments()
    await connector.instrument(SYMBOL)
    assert len(bucket.sent) == calls


async def test_limit_order_lifecycle(connector: BitmartFuturesConnector, make_creds: MakeCreds) -> None:
    creds = make_creds()
    order = limit("1000.04", size="3.6")  # rounded to the tick and down to whole contracts
    placed = await connector.place_order(creds, order)
    assert placed.status is PlacementStatus.PLACED and placed.order_id, placed
    by_id = await connector.get_order(creds, SYMBOL, order_id=placed.order_id)
    by_cid = await connector.get_order(creds, SYMBOL, client_order_id=order.client_order_id)
    assert by_id is not None and by_cid is not None and by_id.order_id == by_cid.order_id
    assert by_id.price == Decimal("1000") and by_id.size == Decimal(3) and by_id.state is OrderState.NEW
    await connector.amend_order(creds, SYMBOL, order_id=placed.order_id, price=Decimal("1100"))
    (open_order,) = await connector.open_orders(creds, SYMBOL)
    assert open_order.price == Decimal("1100")
    await connector.cancel_order(creds, SYMBOL, client_order_id=order.client_order_id)
    assert await connector.open_orders(creds) == []
    history = await connector.order_history(creds, SYMBOL)
    assert [o.state for o in history if o.order_id == placed.order_id] == [OrderState.CANCELLED]
    with pytest.raises(E.ExchangeError) as again:  # cancelling a finished order is refused
        await connector.cancel_order(creds, SYMBOL, order_id=placed.order_id)
    assert isinstance(again.value, (E.OrderNotFound, E.InvalidOrder))
    assert await connector.get_order(creds, SYMBOL, order_id="999999999") is None
    with pytest.raises(E.OrderNotFound):
        await connector.cancel_order(creds, SYMBOL, client_order_id="neverplaced1")


async def test_cancel_all_cancels_only_that_symbols_orders(
    connector: BitmartFuturesConnector, make_creds: MakeCreds
) -> None:
    creds = make_creds()
    for price in ("1000", "1001"):
        assert (await connector.place_order(creds, limit(price))).status is PlacementStatus.PLACED
    eth = OrderRequest("ETHUSDT", OrderSide.BUY_OPEN_LONG, Decimal(1), new_client_order_id(),
                       price=Decimal("100"), leverage=Decimal(5), margin_mode=MarginMode.CROSS)
    assert (await connector.place_order(creds, eth)).status is PlacementStatus.PLACED
    await connector.cancel_all(creds, SYMBOL)
    assert await connector.open_orders(creds, SYMBOL) == []
    (left,) = await connector.open_orders(creds, "ETHUSDT")
    assert left.client_order_id == eth.client_order_id


async def test_positions_leverage_tp_sl_and_close(sandbox: Any, connector: BitmartFuturesConnector,
                                                  make_creds: MakeCreds) -> None:
    creds = make_creds()
    await connector.set_position_mode(creds, PositionMode.HEDGE)
    assert await connector.position_mode(creds) is PositionMode.HEDGE
    await connector.set_leverage(creds, SYMBOL, Decimal(10), MarginMode.ISOLATED)
    opened = await connector.place_order(creds, market("5", OrderSide.BUY_OPEN_LONG, leverage=Decimal(10),
                                                         margin_mode=MarginMode.ISOLATED))
    assert opened.status is PlacementStatus.PLACED, opened
    (pos,) = await connector.positions(creds, SYMBOL)
    assert pos.side is PositionSide.LONG and pos.size == Decimal(5)
    assert pos.margin_mode is MarginMode.ISOLATED and pos.leverage == Decimal(10)
    assert pos.contract_size == (await connector.instrument(SYMBOL)).contract_size
    mark = pos.mark_price
    await connector.set_tp_sl(creds, SYMBOL, PositionSide.LONG, take_profit=mark * Decimal("1.1"),
                              stop_loss=mark * Decimal("0.9"))
    (balance,) = await connector.balances(creds)
    assert balance.position_margin > 0
    closed = await connector.close_position(creds, SYMBOL, PositionSide.LONG)
    assert closed.status is PlacementStatus.PLACED, closed
    assert await connector.positions(creds, SYMBOL) == []
    nothing = await connector.close_position(creds, SYMBOL, PositionSide.SHORT)
    assert nothing.status is PlacementStatus.REJECTED and isinstance(nothing.error, E.InvalidOrder)


@pytest.mark.parametrize(
    ("order", "field"),
    [
        (limit("1000", size="0.2"), "size"),
        (limit("1000", cid="not-alnum!"), "client_order_id"),
        (OrderRequest(SYMBOL, OrderSide.BUY_OPEN_LONG, Decimal(1), "abc1", price=Decimal(1000),
                      leverage=Decimal(1000)), "leverage"),
        (OrderRequest("NOPEUSDT", OrderSide.BUY_OPEN_LONG, Decimal(1), "abc2", price=Decimal(1)), "symbol"),
    ],
)
async def test_invalid_orders_are_rejected_before_sending(
    connector: BitmartFuturesConnector, make_creds: MakeCreds, order: OrderRequest, field: str
) -> None:
    creds = make_creds()
    result = await connector.place_order(creds, order)
    assert result.status is PlacementStatus.REJECTED
    assert isinstance(result.error, E.InvalidOrder) and result.error.reason.startswith(field)
    bucket = connector.limiter.bucket(creds.api_key, "/contract/private/submit-order")
    assert len(bucket.sent) == 0  # nothing was sent


async def test_exchange_rejections_are_typed(connector: BitmartFuturesConnector,
                                             make_creds: MakeCreds) -> None:
    creds = make_creds(futures_usdt="10")
    poor = await connector.place_order(creds, limit("90000", size="1000"))
    assert poor.status is PlacementStatus.REJECTED and isinstance(poor.error, E.InsufficientMargin)
    assert poor.error.exchange_code == 40027
    first = await connector.place_order(creds, limit("1000", size="1", cid="dupe1"))
    assert first.status is PlacementStatus.PLACED
    dupe = await connector.place_order(creds, limit("1000", size="1", cid="dupe1"))
    assert dupe.status is PlacementStatus.REJECTED and isinstance(dupe.error, E.InvalidOrder)
    assert "already used" in dupe.error.message


async def test_missing_permission_and_whitelisting_refuse_orders(
    connector: BitmartFuturesConnector, make_creds: MakeCreds
) -> None:
    read_only = await connector.place_order(make_creds(permissions=()), limit("1000"))
    assert isinstance(read_only.error, E.PermissionMissing)
    waiting = await connector.place_order(make_creds(whitelisted=False), limit("1000"))
    assert isinstance(waiting.error, E.NotWhitelistedForFutures)
    with pytest.raises(E.NotWhitelistedForFutures):
        await connector.balances(make_creds(whitelisted=False))


async def test_registry_builds_a_working_connector(sandbox: Any, make_creds: MakeCreds) -> None:
    conn = entry("bitmart").connector(Endpoints(sandbox.base_url, sandbox.base_url), Egress("127.0.0.1"))
    try:
        assert conn.info.id == "bitmart"
        assert (await conn.balances(make_creds()))[0].currency == "USDT"
    finally:
        await conn.aclose()


async def test_leverage_brackets_come_with_the_markets(connector: BitmartFuturesConnector,
                                                      make_creds: MakeCreds) -> None:
    await connector.instruments()
    tiers = connector.markets.brackets[SYMBOL]
    assert tiers and tiers[0].max_leverage >= tiers[-1].max_leverage
    inst = await connector.instrument(SYMBOL)
    assert inst.last_price is not None
    # a notional in the second tier with the first tier's leverage is refused locally, naming the field
    second = tiers[1]
    assert second.max_leverage < tiers[0].max_leverage
    contracts = (second.notional_floor / (inst.contract_size * inst.last_price)).to_integral_value() + 1
    result = await connector.place_order(make_creds(), OrderRequest(
        SYMBOL, OrderSide.BUY_OPEN_LONG, contracts, new_client_order_id(), price=inst.last_price,
        leverage=tiers[0].max_leverage, margin_mode=MarginMode.CROSS))
    assert result.status is PlacementStatus.REJECTED
    assert isinstance(result.error, E.InvalidOrder) and result.error.reason.startswith("leverage"), result
