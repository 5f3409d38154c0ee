"""Position bookkeeping: average entry, partial closes, reserved close volume, TP/SL clean-up."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest

from perpdesk.sandbox.engine import Engine, EngineError, EngineEvent
from tests.unit.sandbox_engine.held import held


def test_average_entry_and_partial_close(engine: Engine, alice: str) -> None:
    engine.submit_leverage(alice, "BTCUSDT", "isolated", D(10))
    engine.submit_order(alice, "BTCUSDT", side=1, size=100, type="market")  # @ 95000.5
    engine.set_price("BTCUSDT", D("96000"))
    engine.submit_order(alice, "BTCUSDT", side=1, size=300, type="market")  # @ 96000.5
    pos = held(engine.position_v2(alice, "BTCUSDT"))[0]
    # (95000.5 * 100 + 96000.5 * 300) / 400 = 95750.5
    assert pos["entry_price"] == "95750.5"
    assert pos["initial_margin"] == "3830.02"  # 950.005 + 2880.015
    engine.set_price("BTCUSDT", D("97000"))
    engine.submit_order(alice, "BTCUSDT", side=3, size=100, type="market")  # @ 96999.5
    pos = held(engine.position_v2(alice, "BTCUSDT"))[0]
    assert (pos["current_amount"], pos["close_vol"], pos["close_avg_price"]) == ("300", "100", "96999.5")
    assert pos["realized_value"] == "124.9"  # (96999.5 - 95750.5) * 0.1
    assert pos["initial_margin"] == "2872.515"  # a quarter of the isolated margin is released
    assert pos["entry_price"] == "95750.5"  # closing does not move the entry


def test_short_loses_when_the_price_rises(engine: Engine, alice: str) -> None:
    engine.submit_order(alice, "SOLUSDT", side=4, size=1000, type="market", leverage=D(5))
    # SOLUSDT: 0.1 SOL per contract, levels 0.02 apart holding 800, 1200, ...: the sale walks
    # two levels, 800 at 179.98 and 200 at 179.96 -> average 179.976 (slippage grows with size)
    pos = held(engine.position_v2(alice, "SOLUSDT"))[0]
    assert (pos["entry_price"], pos["current_amount"]) == ("179.976", "1000")
    engine.set_price("SOLUSDT", D("190"))
    assert held(engine.position_v2(alice, "SOLUSDT"))[0]["unrealized_pnl"] == "-1002.4"  # (179.976-190)*100


def test_close_order_is_cancelled_when_its_position_is_liquidated(engine: Engine, alice: str) -> None:
    engine.submit_leverage(alice, "BTCUSDT", "isolated", D(50))
    engine.submit_order(alice, "BTCUSDT", side=1, size=100, type="market")
    out = engine.submit_order(alice, "BTCUSDT", side=3, size=100, price=D("99000"))
    assert engine.position(alice)[0]["current_amount"] == "100"
    engine.set_price("BTCUSDT", D("90000"))
    assert engine.position(alice) == []
    assert engine.order(alice, "BTCUSDT", order_id=str(out["order_id"]))["state"] == 4
    assert engine.open_orders(alice) == []


def test_modify_a_close_order_beyond_the_position(engine: Engine, alice: str) -> None:
    engine.submit_order(alice, "BTCUSDT", side=1, size=50, type="market")
    out = engine.submit_order(alice, "BTCUSDT", side=3, size=20, price=D("99000"))
    with pytest.raises(EngineError) as exc:
        engine.modify_limit_order(alice, "BTCUSDT", order_id=str(out["order_id"]), size=51)
    assert exc.value.code == 40020
    engine.modify_limit_order(alice, "BTCUSDT", order_id=str(out["order_id"]), size=50)
    with pytest.raises(EngineError) as exc:
        engine.submit_order(alice, "BTCUSDT", side=3, size=1, type="market")
    assert exc.value.code == 40020
    engine.modify_limit_order(alice, "BTCUSDT", order_id=str(out["order_id"]), size=30)
    engine.submit_order(alice, "BTCUSDT", side=3, size=20, type="market")
    assert engine.position(alice)[0]["current_amount"] == "30"


def test_position_tpsl_goes_with_the_position(engine: Engine, alice: str) -> None:
    engine.submit_order(alice, "BTCUSDT", side=1, size=10, type="market", preset_stop_loss_price=D("90000"))
    assert len(engine.current_plan_orders(alice)) == 1
    engine.submit_order(alice, "BTCUSDT", side=3, size=10, type="market")
    assert engine.current_plan_orders(alice) == []


def test_closed_position_is_pushed_with_zero_volume(
    engine: Engine, alice: str, events: list[EngineEvent]
) -> None:
    engine.submit_order(alice, "BTCUSDT", side=1, size=10, type="market")
    events.clear()
    engine.submit_order(alice, "BTCUSDT", side=3, size=10, type="market")
    pushes: list[Any] = [e.data for e in events if e.channel == "futures/position"]
    assert pushes and pushes[-1][0]["hold_volume"] == "0"
    assert pushes[-1][0]["close_volume"] == "10"


def test_cancel_all_after_zero_disables(engine: Engine, alice: str, clock: Any) -> None:
    engine.submit_order(alice, "BTCUSDT", side=1, size=1, price=D("90000"))
    engine.cancel_all_after(alice, "BTCUSDT", 5)
    assert engine.cancel_all_after(alice, "BTCUSDT", 0)["cancel_time"] == 0
    engine.tick(clock.advance(10))
    assert len(engine.open_orders(alice)) == 1
