"""Worked numbers: margin, fees, unrealised and realised PnL, long and short, cross and isolated.

BTCUSDT: contract 0.001 BTC, tick 0.1; the synthetic book's levels are 0.5 apart, so at mark
95000 the best ask is 95000.5 and the best bid 94999.5 (2000 contracts each).
ETHUSDT: contract 0.01 ETH, tick 0.01; levels 0.1 apart: at 3500 best bid 3499.9.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from perpdesk.sandbox.engine import Engine, EngineError
from tests.unit.sandbox_engine.held import held


def asset(engine: Engine, uid: str) -> dict[str, str]:
    return engine.assets_detail(uid)[0]


def test_long_cross_market_open_move_close(engine: Engine, alice: str) -> None:
    out = engine.submit_order(alice, "BTCUSDT", side=1, size=100, type="market", leverage=D(10),
                              open_type="cross")
    assert isinstance(out["order_id"], int)
    # 100 contracts = 0.1 BTC at 95000.5: notional 9500.05, fee 0.06% = 5.70003, margin /10 = 950.005
    pos = engine.position(alice, "BTCUSDT")[0]
    assert pos["current_amount"] == "100"
    assert pos["open_avg_price"] == "95000.5"
    assert pos["position_value"] == "9500.05"
    assert pos["position_cross"] == "950.005"
    assert pos["current_fee"] == "5.70003"
    assert pos["unrealized_value"] == "-0.05"  # (95000 - 95000.5) * 0.1
    assert pos["position_type"] == 1
    a = asset(engine, alice)
    assert a["equity"] == "9994.24997"
    assert a["position_deposit"] == "950.005"
    assert a["available_balance"] == "9044.24497"  # 9994.29997 - 950.005 - 0.05

    engine.set_price("BTCUSDT", D("96000"))
    assert engine.position(alice, "BTCUSDT")[0]["unrealized_value"] == "99.95"
    assert asset(engine, alice)["unrealized"] == "99.95"

    engine.submit_order(alice, "BTCUSDT", side=3, size=100, type="market")
    # sold at the best bid 95999.5: PnL (95999.5 - 95000.5) * 0.1 = 99.9; fee 9599.95 * 0.0006
    assert engine.position(alice, "BTCUSDT") == []
    trade = engine.trades(alice, "BTCUSDT")[0]
    assert trade["realised_profit"] == "99.9"
    assert trade["paid_fees"] == "5.75997"
    assert trade["exec_type"] == "Taker"
    a = asset(engine, alice)
    assert a["equity"] == a["available_balance"] == "10088.44"  # 10000 - 5.70003 - 5.75997 + 99.9
    kinds = [t["type"] for t in engine.transaction_history(alice)]
    assert kinds == ["Realized PNL", "Commission Fee", "Commission Fee", "Transfer"]


def test_short_isolated_profit_and_margin(engine: Engine, alice: str) -> None:
    engine.submit_leverage(alice, "ETHUSDT", "isolated", D(20))
    engine.submit_order(alice, "ETHUSDT", side=4, size=200, type="market")
    # 200 contracts = 2 ETH sold at 3499.9: notional 6999.8, isolated margin /20 = 349.99
    pos = held(engine.position_v2(alice, "ETHUSDT"))[0]
    assert (pos["position_side"], pos["open_type"], pos["leverage"]) == ("short", "isolated", "20")
    assert pos["initial_margin"] == "349.99"
    assert pos["current_fee"] == "4.19988"
    a = asset(engine, alice)
    balance = D("10000") - D("4.19988")
    assert D(a["available_balance"]) == balance - D("349.99") + D("0")  # isolated PnL not usable
    engine.set_price("ETHUSDT", D("3400"))
    assert held(engine.position_v2(alice, "ETHUSDT"))[0]["unrealized_pnl"] == "199.8"  # (3499.9-3400)*2
    # isolated PnL is not available to other trades until realised
    assert D(asset(engine, alice)["available_balance"]) == balance - D("349.99")
    # a crossing limit close takes the best ask 3400.1: PnL (3499.9 - 3400.1) * 2 = 199.6
    engine.submit_order(alice, "ETHUSDT", side=2, size=200, price=D("3450"))
    assert held(engine.position_v2(alice, "ETHUSDT")) == []
    fee_close = D("6800.2") * D("0.0006")
    assert D(asset(engine, alice)["equity"]) == balance + D("199.6") - fee_close


def test_cross_unrealised_profit_is_available(engine: Engine, alice: str) -> None:
    engine.submit_order(alice, "BTCUSDT", side=1, size=100, type="market", leverage=D(10))
    engine.set_price("BTCUSDT", D("100000"))
    a = asset(engine, alice)
    upnl = (D("100000") - D("95000.5")) * D("0.1")
    assert D(a["unrealized"]) == upnl
    assert D(a["available_balance"]) == D("10000") - D("5.70003") - D("950.005") + upnl
    # but it cannot be transferred out before it is realised
    with pytest.raises(EngineError) as exc:
        engine.transfer_contract(alice, "USDT", D(a["available_balance"]), "contract_to_spot")
    assert exc.value.code == 40027


def test_insufficient_margin_is_refused_with_bitmart_code(engine: Engine, alice: str) -> None:
    # 10000 USDT at 1x buys at most ~0.105 BTC; 200 contracts = 0.2 BTC = 19000 USDT
    with pytest.raises(EngineError) as exc:
        engine.submit_order(alice, "BTCUSDT", side=1, size=200, type="market", leverage=D(1))
    assert exc.value.code == 40027
    assert exc.value.message.startswith("You contract account available balance not enough")
    assert engine.open_orders(alice) == [] and engine.position(alice) == []
    assert asset(engine, alice)["available_balance"] == "10000"


def test_leverage_bounds_and_brackets(engine: Engine, alice: str) -> None:
    with pytest.raises(EngineError) as exc:
        engine.submit_leverage(alice, "BTCUSDT", "cross", D(101))
    assert exc.value.code == 40029
    with pytest.raises(EngineError) as exc:
        engine.submit_leverage(alice, "BTCUSDT", "cross", D(0))
    assert exc.value.code == 40030
    with pytest.raises(EngineError) as exc:
        engine.submit_leverage(alice, "BTCUSDT", "both", D(5))
    assert exc.value.code == 40045
    out = engine.submit_leverage(alice, "BTCUSDT", "cross", D(100))
    assert out == {"symbol": "BTCUSDT", "leverage": "100", "open_type": "cross", "max_value": "100"}
    # 100x is only allowed below a 50000 USDT notional: 600 contracts = 57000 USDT
    with pytest.raises(EngineError) as exc:
        engine.submit_order(alice, "BTCUSDT", side=1, size=600, type="market")
    assert exc.value.code == 40029
    engine.submit_order(alice, "BTCUSDT", side=1, size=500, type="market")  # 47500 USDT: fine


def test_maintenance_margin_and_bracket_table(engine: Engine, alice: str) -> None:
    rules = engine.leverage_bracket("BTCUSDT")["rules"][0]["brackets"]
    assert rules[0] == {"bracket": 1, "initial_leverage": 100, "notional_cap": "50000",
                        "notional_floor": "0", "maint_margin_ratio": "0.005", "cum": "0"}
    # cum keeps tiers continuous: 50000 * (0.01 - 0.005) = 250
    assert rules[1]["cum"] == "250"
    engine.submit_order(alice, "BTCUSDT", side=1, size=100, type="market", leverage=D(10))
    # 0.1 BTC at mark 95000 = 9500 notional, tier 1: 0.5% = 47.5
    assert engine.position(alice, "BTCUSDT")[0]["maintenance_margin"] == "47.5"


def test_unknown_symbol(engine: Engine, alice: str) -> None:
    with pytest.raises(EngineError) as exc:
        engine.submit_order(alice, "NOPEUSDT", side=1, size=1, type="market")
    assert exc.value.code == 40034
    with pytest.raises(EngineError):
        engine.depth("NOPEUSDT")
