"""Telling a take profit, stop loss, trailing stop and trigger order apart from the order push
their firing sends, and the notification text each gets."""

from __future__ import annotations

from collections import deque
from decimal import Decimal

import pytest

from perpdesk.core.market import PlanKind, PlanOrder
from perpdesk.core.models import MarginMode, Order, OrderSide, OrderState, OrderType, Position, PositionSide
from perpdesk.live.state import AccountState
from perpdesk.live.triggers import describe, fired, kind_of, trigger_event

D = Decimal
SCL, BCS, BOL = OrderSide.SELL_CLOSE_LONG, OrderSide.BUY_CLOSE_SHORT, OrderSide.BUY_OPEN_LONG


def order(side: OrderSide = OrderSide.SELL_CLOSE_LONG, state: OrderState = OrderState.NEW,
          avg: str | None = None, type: OrderType = OrderType.MARKET) -> Order:
    return Order("SOLUSDT", "o1", None, side, type, state, D(10), D(10) if avg else D(0), None,
                 D(avg) if avg else None, None, None, 1, 1)


def plan(kind: PlanKind, trigger: str, rate: str | None = None) -> PlanOrder:
    return PlanOrder("SOLUSDT", "p1", None, kind, SCL, D(10), D(trigger), None,
                     "last_price", D(rate) if rate else None, 1)


@pytest.mark.parametrize(
    ("origin", "known", "side", "entry", "kind"),
    [
        ({"plan_order_id": "p1"}, plan(PlanKind.STOP_LOSS, "190"), SCL, "200", "stop_loss"),
        ({"plan_order_id": "p1", "type": "take_profit"}, None, SCL, None, "take_profit"),
        ({"plan_order_id": "p1", "type": "trailing_order"}, None, SCL, None,
         "trailing_stop"),
        ({"plan_order_id": "p1", "activation_price": "200"}, None, SCL, "190",
         "trailing_stop"),
        # a preset the mirror never read: by where it fired against the entry
        ({"plan_order_id": "p1", "trigger_price": "210"}, None, SCL, "200", "take_profit"),
        ({"plan_order_id": "p1", "trigger_price": "195"}, None, SCL, "200", "stop_loss"),
        ({"plan_order_id": "p1", "trigger_price": "190"}, None, BCS, "200", "take_profit"),
        ({"plan_order_id": "p1", "trigger_price": "205"}, None, BCS, "200", "stop_loss"),
        ({"plan_order_id": "p1", "trigger_price": "205"}, None, BOL, "200", "trigger"),
        ({"plan_order_id": "p1", "trigger_price": "205"}, None, SCL, None, "trigger"),
    ],
)
def test_kind(origin: dict[str, str], known: PlanOrder | None, side: OrderSide, entry: str | None,
              kind: str) -> None:
    assert kind_of(origin, known, side, D(entry) if entry else None) == kind


def test_take_profit_text_names_the_trigger_price_and_the_fill() -> None:
    ev = trigger_event({"order_id": "o1", "plan_order_id": "p1"}, plan(PlanKind.TAKE_PROFIT, "200"),
                       order(state=OrderState.FILLED, avg="200.05"), D(180), D(201))
    title, body = describe(ev)
    assert title == "Take profit triggered on SOLUSDT long at 200"
    assert body == "Order o1: sell close long 10 at market. Filled 10 at 200.05."


def test_trailing_stop_text_names_the_fill_price_and_its_terms() -> None:
    ev = trigger_event({"order_id": "o1", "plan_order_id": "p1"}, plan(PlanKind.TRAILING, "200", "1"),
                       order(state=OrderState.FILLED, avg="199.9"), D(190), D(201))
    title, body = describe(ev)
    assert title == "Trailing stop triggered on SOLUSDT long at 199.9"
    assert body.startswith("Activation price 200, callback 1%. Order o1:")


def test_fired_waits_for_a_market_orders_fill_and_tells_once() -> None:
    st = AccountState()
    st.set_plans([plan(PlanKind.TAKE_PROFIT, "210")])
    st.set_positions([Position("SOLUSDT", PositionSide.LONG, D(10), D(200), D(210), D(5),
                               MarginMode.CROSS, D(0), D(0), D(100), None, D("0.1"))])
    told: deque[str] = deque(maxlen=10)
    origin = [{"order_id": "o1", "plan_order_id": "p1", "trigger_price": "210"}]
    assert fired(origin, [order()], st, {}, told, lambda _s: D(210)) == []  # submitted: no fill yet
    (ev,) = fired(origin, [order(state=OrderState.FILLED, avg="209.9")], st, {}, told, lambda _s: None)
    assert (ev["kind"], ev["price"], ev["avg_fill_price"]) == ("take_profit", "210", "209.9")
    assert fired(origin, [order(state=OrderState.FILLED, avg="209.9")], st, {}, told, lambda _s: None) == []
    limit = [order(type=OrderType.LIMIT)]  # a limit execution is told at once
    assert fired([{"order_id": "o1", "plan_order_id": "p2"}], limit, st, {}, told, lambda _s: None)
