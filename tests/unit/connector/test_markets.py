"""Orders are checked and rounded on the contract's grid before they are sent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from perpdesk.core.errors import InvalidOrder
from perpdesk.core.models import MarginMode, OrderRequest, OrderSide, OrderState, OrderType, TimeInForce
from perpdesk.exchanges.bitmart import parse
from perpdesk.exchanges.bitmart.markets import submit_params

BTC = parse.instrument({
    "symbol": "BTCUSDT", "base_currency": "BTC", "quote_currency": "USDT", "contract_size": "0.001",
    "price_precision": "0.1", "vol_precision": "1", "min_volume": "1", "max_volume": "500000",
    "min_leverage": "1", "max_leverage": "100", "last_price": "65000.5",
})


def _order(**kw: object) -> OrderRequest:
    base: dict[str, object] = {"symbol": "BTCUSDT", "side": OrderSide.BUY_OPEN_LONG, "size": Decimal("3"),
                               "client_order_id": "abc123", "price": Decimal("65000.04")}
    base.update(kw)
    return OrderRequest(**base)  # type: ignore[arg-type]


def test_instrument_is_parsed_exactly() -> None:
    assert BTC.contract_size == Decimal("0.001")
    assert BTC.price_tick == Decimal("0.1") and BTC.size_step == Decimal(1)
    assert BTC.max_leverage == Decimal(100) and BTC.last_price == Decimal("65000.5")


def test_limit_order_is_rounded_and_encoded() -> None:
    params = submit_params(BTC, _order(size=Decimal("3.7"), leverage=Decimal(10),
                                       margin_mode=MarginMode.CROSS, take_profit=Decimal("70000.06"),
                                       stop_loss=Decimal("60000")))
    assert params == {
        "symbol": "BTCUSDT", "client_order_id": "abc123", "side": 1, "type": "limit",
        "price": "65000", "mode": 1, "size": 3, "leverage": "10", "open_type": "cross",
        "preset_take_profit_price": "70000.1", "preset_take_profit_price_type": 1,
        "preset_stop_loss_price": "60000", "preset_stop_loss_price_type": 1,
    }


def test_market_ioc_order_has_no_price() -> None:
    params = submit_params(BTC, _order(type=OrderType.MARKET, price=None, time_in_force=TimeInForce.IOC,
                                       side=OrderSide.SELL_OPEN_SHORT))
    assert "price" not in params and params["mode"] == 3 and params["side"] == 4


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"size": Decimal("0.4")}, "size"),
        ({"size": Decimal("-1")}, "size"),
        ({"size": Decimal("600000")}, "size"),
        ({"price": None}, "price"),
        ({"price": Decimal("0.01")}, "price"),
        ({"leverage": Decimal("125")}, "leverage"),
        ({"client_order_id": "has-dash"}, "client_order_id"),
        ({"client_order_id": "x" * 32}, "client_order_id"),
        ({"type": OrderType.MARKET, "price": None, "time_in_force": TimeInForce.POST_ONLY}, "time_in_force"),
        ({"take_profit": Decimal("-5")}, "take_profit"),
    ],
)
def test_bad_orders_name_the_field(kw: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidOrder) as info:
        submit_params(BTC, _order(**kw))
    assert info.value.reason.startswith(field + ":")
    assert info.value.next_step


def test_order_rows_are_parsed() -> None:
    row = {"order_id": 2207, "client_order_id": "c1", "symbol": "BTCUSDT", "side": 4, "type": "limit",
           "state": 4, "size": "10", "deal_size": "10", "price": "65000.1", "deal_avg_price": "65000.1",
           "leverage": "5", "open_type": "isolated", "create_time": 1, "update_time": 2}
    order = parse.order(row)
    assert order.order_id == "2207" and order.side is OrderSide.SELL_OPEN_SHORT
    assert order.state is OrderState.FILLED and order.avg_fill_price == Decimal("65000.1")
    assert parse.order({**row, "deal_size": "4"}).state is OrderState.CANCELLED
    assert parse.order({**row, "state": 2, "deal_size": "4"}).state is OrderState.PARTIALLY_FILLED
    assert parse.order({**row, "state": 2, "deal_size": "0"}).state is OrderState.NEW


def test_position_and_balance_rows_are_parsed() -> None:
    pos = parse.position({"symbol": "BTCUSDT", "position_type": 2, "current_amount": "7",
                          "entry_price": "100", "mark_price": "90", "leverage": "3", "open_type": "cross",
                          "unrealized_value": "0.07", "realized_value": "0", "position_cross": "1.2"},
                         Decimal("0.001"))
    assert pos is not None and pos.side.value == "short" and pos.size == 7
    assert pos.unrealized_pnl == Decimal("0.07") and pos.contract_size == Decimal("0.001")
    assert parse.position({"symbol": "X", "current_amount": "0"}) is None
    (bal,) = parse.balances([{"currency": "USDT", "equity": "10.5", "available_balance": "9",
                              "unrealized": "0.5", "position_deposit": "1", "frozen_balance": "0"}])
    assert bal.equity == Decimal("10.5") and bal.available == Decimal(9)


def test_leverage_above_the_risk_limit_tier_is_refused() -> None:
    from perpdesk.exchanges.bitmart.markets import parse_brackets

    brackets = parse_brackets({"rules": [{"symbol": "BTCUSDT", "brackets": [
        {"bracket": 1, "initial_leverage": 100, "notional_floor": "0", "notional_cap": "10000",
         "maint_margin_ratio": "0.005"},
        {"bracket": 2, "initial_leverage": 20, "notional_floor": "10000", "notional_cap": "100000",
         "maint_margin_ratio": "0.01"},
    ]}]})["BTCUSDT"]
    small = _order(size=Decimal(100), price=Decimal(65000), leverage=Decimal(50))  # 6,500 USDT notional
    assert submit_params(BTC, small, brackets)["leverage"] == "50"
    large = _order(size=Decimal(1000), price=Decimal(65000), leverage=Decimal(50))  # 65,000 USDT notional
    with pytest.raises(InvalidOrder) as info:
        submit_params(BTC, large, brackets)
    assert "20x" in info.value.message and "tier 2" in info.value.message
    at_cap = _order(size=Decimal(1000), price=Decimal(65000), leverage=Decimal(20))
    assert submit_params(BTC, at_cap, brackets)["leverage"] == "20"
