"""The engine tells its subscribers when a plan order is placed or ends (the Binance dialect's
ALGO_UPDATE); the BitMart WebSocket has no such channel and ignores the event."""

from __future__ import annotations

from decimal import Decimal as D

from perpdesk.sandbox.engine import Engine, EngineEvent
from perpdesk.sandbox.engine.plan_book import PLAN_EVENT


def test_plan_placed_fired_and_cancelled_are_events(engine: Engine, alice: str) -> None:
    seen: list[EngineEvent] = []
    engine.subscribe(seen.append)
    engine.set_price("BTCUSDT", D("95000"))
    plan = engine.submit_plan_order(
        alice, "BTCUSDT", side=1, size=2, trigger_price=D("96000"), price_way=1, price_type=1, type="market"
    )
    other = engine.submit_plan_order(
        alice, "BTCUSDT", side=1, size=2, trigger_price=D("97000"), price_way=1, price_type=1, type="market"
    )
    engine.cancel_plan_order(alice, "BTCUSDT", order_id=str(other["order_id"]))
    engine.set_price("BTCUSDT", D("96000"))  # fires the first
    plans = [
        (e.uid, e.data["order_id"]) for e in seen if e.channel == PLAN_EVENT and isinstance(e.data, dict)
    ]
    ids = [str(plan["order_id"]), str(other["order_id"])]
    assert plans == [(alice, ids[0]), (alice, ids[1]), (alice, ids[1]), (alice, ids[0])]
    assert engine.state.plans[ids[0]].executive_order_id
