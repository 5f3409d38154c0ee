"""Which conditional order fired: a take profit, a stop loss, a trailing stop or a trigger (plan)
order, told from the order push that the firing sent. Pure.

The push names the plan order that sent it (`plan_order_id`); the mirror knows that plan's kind
when it has read it (every plan written through perpdesk is read right after). A plan it never saw
(a TP/SL preset on an entry order, placed by the exchange at the fill) is told by the push's own
fields: an activation price is a trailing stop; a close triggered at or beyond the entry in the
position's favour is a take profit, otherwise a stop loss.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from perpdesk.core.market import PlanKind, PlanOrder
from perpdesk.core.models import Order, OrderSide, OrderType, PositionSide
from perpdesk.core.money import fmt
from perpdesk.core.number_text import price_text
from perpdesk.live.state import DONE, AccountState, PosKey

KINDS = {PlanKind.TAKE_PROFIT: "take_profit", PlanKind.STOP_LOSS: "stop_loss",
         PlanKind.TRAILING: "trailing_stop", PlanKind.PLAN: "trigger"}
_RAW_KINDS = {"take_profit": "take_profit", "stop_loss": "stop_loss", "trailing": "trailing_stop",
              "trailing_order": "trailing_stop", "plan": "trigger", "plan_order": "trigger"}
NAMES = {"take_profit": "Take profit", "stop_loss": "Stop loss", "trailing_stop": "Trailing stop",
         "trigger": "Trigger order"}
_LONG_SIDES = (OrderSide.BUY_OPEN_LONG, OrderSide.SELL_CLOSE_LONG)
_CLOSING = (OrderSide.SELL_CLOSE_LONG, OrderSide.BUY_CLOSE_SHORT)


def _dec(value: Any) -> Decimal | None:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() and d > 0 else None


def kind_of(origin: dict[str, str], plan: PlanOrder | None, side: OrderSide,
            entry: Decimal | None) -> str:
    if plan is not None:
        return KINDS[plan.kind]
    raw = _RAW_KINDS.get(origin.get("type", ""))
    if raw is not None:
        return raw
    if "activation_price" in origin:
        return "trailing_stop"
    trigger = _dec(origin.get("trigger_price"))
    if side not in _CLOSING or trigger is None or entry is None:
        return "trigger"
    in_favour = trigger >= entry if side is OrderSide.SELL_CLOSE_LONG else trigger <= entry
    return "take_profit" if in_favour else "stop_loss"


def trigger_event(origin: dict[str, str], plan: PlanOrder | None, order: Order,
                  entry: Decimal | None, mark: Decimal | None) -> dict[str, Any]:
    """What fired and at which price: TP/SL and trigger orders at their trigger price; a trailing
    stop (no fixed trigger) at its fill price, else the live mark when it fired."""
    kind = kind_of(origin, plan, order.side, entry)
    trigger = plan.trigger_price if plan is not None else _dec(
        origin.get("activation_price" if kind == "trailing_stop" else "trigger_price"))
    if kind == "trailing_stop":
        price = order.avg_fill_price or mark or trigger
    else:
        price = trigger or order.avg_fill_price or mark
    rate = plan.callback_rate if plan is not None else _dec(origin.get("callback_rate"))
    return {
        "kind": kind,
        "name": NAMES[kind],
        "symbol": order.symbol,
        "position_side": "long" if order.side in _LONG_SIDES else "short",
        "order_side": order.side.value,
        "order_type": order.type.value,
        "order_id": order.order_id,
        "plan_order_id": origin["plan_order_id"],
        "price": fmt(price) if price is not None else None,
        "trigger_price": fmt(trigger) if trigger is not None else None,
        "callback_rate": fmt(rate) if rate is not None else None,
        "size": fmt(order.size),
        "filled_size": fmt(order.filled_size),
        "avg_fill_price": fmt(order.avg_fill_price) if order.avg_fill_price else None,
        "limit_price": fmt(order.price) if order.price is not None and order.type.value == "limit" else None,
    }


def describe(event: dict[str, Any], tick: Decimal | None = None) -> tuple[str, str]:
    """Title and body of the notification, e.g. "Take profit triggered on SOLUSDT long at 200.00"
    (prices at the contract's `tick` when known, with thousands separators)."""
    def px(key: str) -> str:
        return price_text(event[key], tick)

    at = f" at {px('price')}" if event.get("price") else ""
    title = f"{event['name']} triggered on {event['symbol']} {event['position_side']}{at}"
    parts = []
    if event["kind"] == "trailing_stop" and event.get("trigger_price"):
        rate = f", callback {event['callback_rate']}%" if event.get("callback_rate") else ""
        parts.append(f"Activation price {px('trigger_price')}{rate}.")
    how = f"limit {px('limit_price')}" if event.get("limit_price") else "market"
    parts.append(f"Order {event['order_id']}: {event['order_side'].replace('_', ' ')} "
                 f"{event['size']} at {how}.")
    if event.get("avg_fill_price"):
        parts.append(f"Filled {event['filled_size']} at {px('avg_fill_price')}.")
    return title, " ".join(parts)


def fired(origins: list[dict[str, str]], orders: list[Order], state: AccountState,
          entries: dict[PosKey, Decimal], told: deque[str],
          mark: Callable[[str], Decimal | None]) -> list[dict[str, Any]]:
    """The trigger events of an order push: once per plan order (`told`), with the plan as the
    mirror last read it (before the refresh its firing asks for drops it) and, for a market
    order, its fill price (the push after the submit one carries it)."""
    by_id = {o.order_id: o for o in orders}
    out = []
    for origin in origins:
        order, plan_id = by_id.get(origin["order_id"]), origin["plan_order_id"]
        if order is None or plan_id in told:
            continue
        if order.type is OrderType.MARKET and order.avg_fill_price is None and order.state not in DONE:
            continue
        told.append(plan_id)
        key = (order.symbol, PositionSide.LONG if order.side in _LONG_SIDES else PositionSide.SHORT)
        pos = state.positions.get(key)
        entry = pos.entry_price if pos is not None else entries.get(key)
        out.append(trigger_event(origin, state.plans.get(plan_id), order, entry, mark(order.symbol)))
    return out
