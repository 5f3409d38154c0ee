"""Binance's order words and rules that differ from BitMart's: sizes count the base asset (the
ticket says "Size (SOL)", not contracts), and TP/SL ride only with a market order that opens a
position (placed after its fill; Binance attaches none to an order)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from perpdesk.core.errors import InvalidOrder
from perpdesk.core.models import Instrument, OrderRequest, OrderSide, OrderType
from perpdesk.exchanges.binance.connector import BINANCE_INFO
from perpdesk.exchanges.binance.markets import order_params
from perpdesk.exchanges.bitmart.connector import BITMART_INFO

SOL = Instrument("SOLUSDT", "SOL", "USDT", Decimal(1), Decimal("0.01"), Decimal("0.1"), Decimal("0.1"),
                 Decimal(1000), Decimal(1), Decimal(50), last_price=Decimal(180))


def test_the_size_unit_is_the_base_asset_on_binance_and_contracts_on_bitmart() -> None:
    assert BINANCE_INFO.size_unit("SOL") == "SOL"
    assert BINANCE_INFO.size_unit("") == "base asset"
    assert BITMART_INFO.size_unit("SOL") == "contracts"


def order(kind: OrderType, side: OrderSide, **kw: Decimal) -> OrderRequest:
    price = Decimal(175) if kind is OrderType.LIMIT else None
    return OrderRequest("SOLUSDT", side, Decimal(2), "cid1", kind, price, **kw)  # type: ignore[arg-type]


def test_tp_sl_ride_with_a_market_entry_only() -> None:
    sent = order_params(SOL, order(OrderType.MARKET, OrderSide.BUY_OPEN_LONG, take_profit=Decimal(200),
                                   stop_loss=Decimal(170)), False, Decimal(5))
    assert sent["type"] == "MARKET" and not {"takeProfit", "stopPrice"} & set(sent)  # the algo API's job
    for kind, side, field in ((OrderType.LIMIT, OrderSide.BUY_OPEN_LONG, "stop_loss"),
                              (OrderType.MARKET, OrderSide.SELL_CLOSE_LONG, "stop_loss")):
        with pytest.raises(InvalidOrder) as refused:
            order_params(SOL, order(kind, side, stop_loss=Decimal(170)), False, Decimal(5))
        assert refused.value.field == field
        assert "market order that opens a position" in str(refused.value)
