"""Funding every interval (longs pay shorts at a positive rate) and liquidation at maintenance."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from perpdesk.sandbox.engine import Engine, EngineError, EngineEvent
from tests.unit.sandbox_engine.conftest import T0, Clock, fund
from tests.unit.sandbox_engine.held import held


def balance(engine: Engine, uid: str) -> D:
    return engine.figures(uid).balance


def test_funding_paid_long_to_short(engine: Engine, alice: str, clock: Clock) -> None:
    fund(engine, "bob")
    engine.submit_order(alice, "BTCUSDT", side=1, size=100, type="market", leverage=D(10))
    engine.submit_order("bob", "BTCUSDT", side=4, size=100, type="market", leverage=D(10))
    rate = engine.funding_rate("BTCUSDT")
    assert rate["rate_value"] == "0.0001"  # interest only: last == mark, no premium
    assert rate["funding_time"] == T0 + 8 * 3600 * 1000
    a0, b0 = balance(engine, alice), balance(engine, "bob")
    engine.tick(clock.advance(3600))  # not yet
    assert balance(engine, alice) == a0
    clock.now = T0 + 8 * 3600 * 1000
    engine.tick()
    # 0.1 BTC * mark 95000 * 0.0001 = 0.95 USDT
    assert balance(engine, alice) == a0 - D("0.95")
    assert balance(engine, "bob") == b0 + D("0.95")
    fees = engine.transaction_history(alice, flow_type=3)
    assert [(f["type"], f["amount"]) for f in fees] == [("Funding Fee", "-0.95")]
    hist = engine.funding_rate_history("BTCUSDT")["list"]
    assert hist == [{"symbol": "BTCUSDT", "funding_rate": "0.0001", "funding_time": str(T0 + 8 * 3600000)}]
    assert engine.funding_rate("BTCUSDT")["funding_time"] == T0 + 16 * 3600 * 1000


def test_short_funding_interval_and_negative_rate(clock: Clock) -> None:
    engine = Engine(None, seed=3, funding_interval_s=60, now_ms=clock)
    engine.price_walk = False
    fund(engine, "u")
    engine.submit_order("u", "ETHUSDT", side=1, size=100, type="market", leverage=D(10))
    engine.state.markets["ETHUSDT"].state.funding_rate = D("-0.0005")  # shorts pay longs
    b0 = balance(engine, "u")
    engine.tick(clock.advance(60))
    # 1 ETH * 3500 * 0.0005 = 1.75 received by the long
    assert balance(engine, "u") == b0 + D("1.75")


def test_isolated_liquidation_at_maintenance(engine: Engine, alice: str, events: list[EngineEvent]) -> None:
    engine.submit_leverage(alice, "BTCUSDT", "isolated", D(20))
    engine.submit_order(alice, "BTCUSDT", side=1, size=100, type="market")
    pos = held(engine.position_v2(alice, "BTCUSDT"))[0]
    assert pos["initial_margin"] == "475.0025"  # 9500.05 / 20
    # margin + (P - E) q = q P 0.5%  ->  P = (9500.05 - 475.0025) / (0.1 * 0.995) = 90703.99...
    assert pos["liquidation_price"] == "90704"
    engine.set_price("BTCUSDT", D("90704"))
    assert engine.position(alice, "BTCUSDT") != []
    engine.set_price("BTCUSDT", D("90703.9"))
    assert engine.position(alice, "BTCUSDT") == []
    liq = engine.order_history(alice, "BTCUSDT")[0]
    assert (liq["type"], liq["side"], liq["deal_size"], liq["price"]) == ("liquidate", 3, "100", "90703.9")
    clear = engine.transaction_history(alice, flow_type=5)[0]
    assert clear["amount"] == "-429.66"  # (90703.9 - 95000.5) * 0.1
    assert balance(engine, alice) == D("10000") - D("5.70003") - D("429.66")
    pushes = [e.data for e in events if e.channel == "futures/order"]
    actions = [d[0]["action"] for d in pushes if isinstance(d, list)]
    assert actions[-1] == 6


def test_isolated_loss_is_capped_at_its_margin_on_a_gap(engine: Engine, alice: str) -> None:
    engine.submit_leverage(alice, "BTCUSDT", "isolated", D(20))
    engine.submit_order(alice, "BTCUSDT", side=1, size=100, type="market")
    engine.set_price("BTCUSDT", D("80000"))
    assert engine.position(alice) == []
    assert balance(engine, alice) == D("10000") - D("5.70003") - D("475.0025")


def test_cross_liquidation_uses_the_whole_account(engine: Engine) -> None:
    fund(engine, "bob", "1000")
    engine.submit_order("bob", "BTCUSDT", side=1, size=400, type="market", leverage=D(50))
    engine.submit_order("bob", "BTCUSDT", side=1, size=1, price=D("80000"))  # freezes some margin
    # balance 1000 - 22.80012 fee = 977.19988; 0.4 BTC at 95000.5; mm 0.5% of the mark value
    # 977.19988 + (P - 95000.5) * 0.4 = 0.4 * P * 0.005  ->  P = 93022.6...
    assert held(engine.position_v2("bob", "BTCUSDT"))[0]["liquidation_price"] == "93022.6"
    engine.set_price("BTCUSDT", D("93022.7"))
    assert engine.position("bob") != []
    engine.set_price("BTCUSDT", D("93000"))
    assert engine.position("bob") == []
    assert engine.open_orders("bob") == []  # the account's orders were cancelled first
    assert engine.order_history("bob")[0]["type"] == "liquidate"
    assert balance(engine, "bob") == D("977.19988") + (D("93000") - D("95000.5")) * D("0.4")


def test_cross_loss_never_makes_the_balance_negative(engine: Engine) -> None:
    fund(engine, "bob", "1000")
    engine.submit_order("bob", "BTCUSDT", side=1, size=400, type="market", leverage=D(50))
    engine.set_price("BTCUSDT", D("50000"))
    assert engine.position("bob") == []
    assert balance(engine, "bob") == 0
    with pytest.raises(EngineError):
        engine.transfer_contract("bob", "USDT", D("1"), "contract_to_spot")
