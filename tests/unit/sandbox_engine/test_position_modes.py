"""One-way netting versus hedge mode, and close orders reserving position volume."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from perpdesk.sandbox.engine import Engine, EngineError
from tests.unit.sandbox_engine.held import direction, held


def sides(engine: Engine, uid: str) -> dict[str, str]:
    return {direction(p): p["current_amount"] for p in held(engine.position_v2(uid, "BTCUSDT"))}


def test_hedge_mode_keeps_both_sides(engine: Engine, alice: str) -> None:
    assert engine.get_position_mode(alice) == {"position_mode": "hedge_mode"}
    engine.submit_order(alice, "BTCUSDT", side=1, size=100, type="market", leverage=D(10))
    engine.submit_order(alice, "BTCUSDT", side=4, size=150, type="market")
    assert sides(engine, alice) == {"long": "100", "short": "150"}
    with pytest.raises(EngineError) as exc:
        engine.submit_order(alice, "BTCUSDT", side=3, size=101, type="market")
    assert exc.value.code == 40020
    # a resting close order reserves volume: only 40 of the long are left to close
    engine.submit_order(alice, "BTCUSDT", side=3, size=60, price=D("96000"))
    assert engine.position(alice, "BTCUSDT")[0]["current_amount"] == "100"
    with pytest.raises(EngineError) as exc:
        engine.submit_order(alice, "BTCUSDT", side=3, size=41, type="market")
    assert exc.value.code == 40020
    engine.submit_order(alice, "BTCUSDT", side=3, size=40, type="market")
    assert sides(engine, alice) == {"long": "60", "short": "150"}
    with pytest.raises(EngineError) as exc:
        engine.set_position_mode(alice, "one_way_mode")
    assert exc.value.code == 40011


def test_one_way_nets_and_flips(engine: Engine, alice: str) -> None:
    assert engine.set_position_mode(alice, "one_way_mode") == {"position_mode": "one_way_mode"}
    engine.submit_order(alice, "BTCUSDT", side=1, size=100, type="market", leverage=D(10))
    assert sides(engine, alice) == {"long": "100"}
    # selling 150 closes the 100 long (at the bid 94999.5) and opens a 50 short
    engine.submit_order(alice, "BTCUSDT", side=4, size=150, type="market")
    assert sides(engine, alice) == {"short": "50"}
    fill = engine.trades(alice, "BTCUSDT")[0]
    assert fill["vol"] == "150"
    assert fill["realised_profit"] == "-0.1"  # (94999.5 - 95000.5) * 0.1 on the closed 100
    short = held(engine.position_v2(alice, "BTCUSDT"))[0]
    assert short["entry_price"] == "94999.5"
    assert engine.position(alice, "BTCUSDT")[0]["position_mode"] == "one_way_mode"
    # reduce-only sides refuse to open
    with pytest.raises(EngineError) as exc:
        engine.submit_order(alice, "BTCUSDT", side=3, size=1, type="market")
    assert exc.value.code == 40021
    engine.submit_order(alice, "BTCUSDT", side=2, size=50, type="market")
    assert sides(engine, alice) == {}


def test_one_way_resting_order_reserves_the_netting_part(engine: Engine, alice: str) -> None:
    engine.set_position_mode(alice, "one_way_mode")
    engine.submit_order(alice, "BTCUSDT", side=1, size=100, type="market", leverage=D(10))
    # a resting sell of 150: 100 reduce the long (no margin), 50 would open (margin reserved)
    out = engine.submit_order(alice, "BTCUSDT", side=4, size=150, price=D("95009.9"))
    frozen = D(engine.assets_detail(alice)[0]["frozen_balance"])
    notional = D("0.05") * D("95009.9")
    assert frozen == (notional / 10 + notional * D("0.0006")).quantize(D("0.00000001"))
    engine.set_price("BTCUSDT", D("95010"))
    assert engine.order(alice, "BTCUSDT", order_id=str(out["order_id"]))["state"] == 4
    assert sides(engine, alice) == {"short": "50"}
    assert engine.assets_detail(alice)[0]["frozen_balance"] == "0"


def test_isolated_and_cross_cannot_mix_on_a_symbol(engine: Engine, alice: str) -> None:
    engine.submit_order(alice, "BTCUSDT", side=1, size=10, type="market", open_type="cross")
    with pytest.raises(EngineError) as exc:
        engine.submit_order(alice, "BTCUSDT", side=1, size=10, type="market", open_type="isolated")
    assert exc.value.code == 40045
    with pytest.raises(EngineError) as exc:
        engine.submit_leverage(alice, "BTCUSDT", "isolated", D(5))
    assert exc.value.code == 40045
    # the leverage of a cross position can change; its margin follows
    engine.submit_leverage(alice, "BTCUSDT", "cross", D(5))
    pos = engine.position(alice, "BTCUSDT")[0]
    assert pos["leverage"] == "5"
    assert pos["position_cross"] == "190.001"  # 0.01 * 95000.5 / 5


def test_isolated_leverage_change_moves_margin(engine: Engine, alice: str) -> None:
    engine.submit_leverage(alice, "BTCUSDT", "isolated", D(10))
    engine.submit_order(alice, "BTCUSDT", side=4, size=100, type="market")  # 0.1 @ 94999.5
    assert engine.position_risk(alice, "BTCUSDT")[0]["isolated_margin"] == "949.995"
    engine.submit_leverage(alice, "BTCUSDT", "isolated", D(5))
    risk = engine.position_risk(alice, "BTCUSDT")[0]
    assert (risk["isolated_margin"], risk["margin_type"], risk["position_side"]) == (
        "1899.99",
        "Isolated",
        "Short",
    )


def test_isolated_margin_added_and_removed_within_maintenance(engine: Engine, alice: str) -> None:
    """The Binance dialect's positionMargin: the engine moves USDT in and out of an isolated
    position, never below what keeps it above maintenance."""
    engine.submit_leverage(alice, "BTCUSDT", "isolated", D(10))
    engine.submit_order(alice, "BTCUSDT", side=1, size=100, type="market")  # 0.1 BTC
    pos = engine.state.user_positions(alice)[("BTCUSDT", "long")]
    start = pos.margin
    available = engine.figures(alice).available
    assert engine.adjust_isolated_margin(alice, "BTCUSDT", "long", D("50"), add=True) == start + 50
    assert engine.figures(alice).available == available - 50
    liq_before = engine.position_risk(alice, "BTCUSDT")[0]["liquidation_price"]
    assert engine.adjust_isolated_margin(alice, "BTCUSDT", "long", D("50"), add=False) == start
    assert engine.position_risk(alice, "BTCUSDT")[0]["liquidation_price"] != liq_before
    with pytest.raises(EngineError) as too_much:
        engine.adjust_isolated_margin(alice, "BTCUSDT", "long", start, add=False)
    assert too_much.value.code == 40016
    with pytest.raises(EngineError) as none:
        engine.adjust_isolated_margin(alice, "BTCUSDT", "short", D("1"), add=True)
    assert none.value.code == 40021
