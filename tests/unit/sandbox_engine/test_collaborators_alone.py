"""The engine's collaborators work when built by hand on a shared state, without the `Engine`
facade or a server: order entry and order management, plans and their triggering, and a closed
position taking its TP/SL orders with it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal as D

import pytest

from perpdesk.sandbox.engine.engine_state import EngineState
from perpdesk.sandbox.engine.fills import Fills
from perpdesk.sandbox.engine.order_entry import OrderEntry
from perpdesk.sandbox.engine.orders import Orders
from perpdesk.sandbox.engine.plan_book import PlanBook
from perpdesk.sandbox.engine.plans import Plans
from perpdesk.sandbox.engine.positions import Positions
from perpdesk.sandbox.engine.trading_settings import TradingSettings
from perpdesk.sandbox.engine.trailing import TrailingOrders
from perpdesk.sandbox.engine.triggers import Triggers
from perpdesk.sandbox.engine.wallets import Wallets
from tests.unit.sandbox_engine.conftest import Clock


@dataclass
class Desk:
    state: EngineState
    wallets: Wallets
    positions: Positions
    orders: Orders
    entry: OrderEntry
    plans: Plans
    triggers: Triggers


@pytest.fixture
def desk(clock: Clock) -> Desk:
    state = EngineState(None, 7, 28800.0, clock)
    wallets = Wallets(state)
    plan_book = PlanBook(state)
    positions = Positions(state, plan_book)
    fills = Fills(state, wallets, positions, plan_book)
    orders = Orders(state, wallets, positions, fills)
    entry = OrderEntry(state, wallets, positions, fills, TradingSettings(state, wallets, positions), orders)
    plans = Plans(state, plan_book)
    triggers = Triggers(state, wallets, plan_book, TrailingOrders(state, plan_book), entry)
    wallets.deposit("carol", "USDT", D(10000))
    wallets.transfer_contract("carol", "USDT", D(10000), "spot_to_contract")
    return Desk(state, wallets, positions, orders, entry, plans, triggers)


def test_order_entry_rests_an_order_and_orders_cancels_it(desk: Desk) -> None:
    out = desk.entry.submit_order("carol", "BTCUSDT", side=1, size=10, price=D("90000"), leverage=D(10))
    oid = str(out["order_id"])
    assert list(desk.state.open_by_uid["carol"]) == [oid]
    # 10 contracts of 0.001 BTC at 90000 = 900 USDT: 90 margin at 10x plus a 0.54 taker-fee estimate
    assert desk.wallets.figures("carol").frozen == D("90.54")
    assert desk.orders.order("carol", "BTCUSDT", order_id=oid)["state"] == 2

    assert desk.orders.cancel_order("carol", "BTCUSDT", order_id=oid) == {}
    assert desk.state.orders[oid].state == 4
    assert desk.state.open_by_uid["carol"] == {}
    assert desk.wallets.figures("carol").frozen == 0
    assert [row["order_id"] for row in desk.orders.order_history("carol", "BTCUSDT")] == [oid]


def test_a_plan_fires_through_order_entry_when_the_price_reaches_it(desk: Desk, clock: Clock) -> None:
    out = desk.plans.submit_plan_order(
        "carol", "BTCUSDT", side=1, size=5, trigger_price=D("94000"), price_way=2, price_type=2,
        type="market", leverage=D(10), open_type="cross",
    )
    pid = str(out["order_id"])
    assert [p["order_id"] for p in desk.plans.current_plan_orders("carol")] == [pid]

    desk.state.markets["BTCUSDT"].set(D("94500"), clock.now)
    desk.triggers.trigger_plans("BTCUSDT")
    assert desk.state.plans[pid].state == 1  # not reached: still waiting

    desk.state.markets["BTCUSDT"].set(D("93990"), clock.now)
    desk.triggers.trigger_plans("BTCUSDT")
    plan = desk.state.plans[pid]
    assert plan.state == 4
    sent = desk.state.orders[plan.executive_order_id]
    assert (sent.plan_order_id, sent.type, sent.deal_size) == (pid, "market", 5)
    assert desk.positions.position("carol", "BTCUSDT")[0]["current_amount"] == "5"
    assert desk.plans.current_plan_orders("carol") == []


def test_closing_a_position_ends_its_tp_sl_orders(desk: Desk) -> None:
    desk.entry.submit_order("carol", "ETHUSDT", side=1, size=20, type="market", leverage=D(5))
    out = desk.plans.submit_tp_sl_order(
        "carol", "ETHUSDT", type="take_profit", side=3, trigger_price=D("3800"), price_type=1, plan_category=2
    )
    tp = desk.state.plans[out["order_id"]]
    assert (tp.state, tp.price_way, tp.size) == (1, 1, 0)  # fires on a rise; closes the whole position

    desk.entry.close_all_position("carol", "ETHUSDT")
    assert desk.positions.position("carol", "ETHUSDT") == []
    assert tp.state == 4
    assert tp.executive_order_id == ""  # ended with the position, never fired
