"""Trailing orders: submit-trail-order, cancel-trail-order, and how one follows the price.

A trailing order (BitMart "trail order") waits for its activation price (last price if
activation_price_type 1, mark if 2): a sell (side 3/4) activates when the price rises to it, a buy
(1/2) when the price falls to it. From then on it follows the best price (the high for a sell, the
low for a buy) and sends a market order once the price retraces `callback_rate` percent from it.
It is stored with the plan orders (kind "trailing") and listed by get-open-orders (type trailing).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from perpdesk.sandbox.engine import errors
from perpdesk.sandbox.engine.checks import (
    OPEN_TYPES,
    check_coid,
    check_leverage,
    check_price_type,
    check_side,
    check_size,
)
from perpdesk.sandbox.engine.engine_state import EngineState
from perpdesk.sandbox.engine.plan_book import PlanBook
from perpdesk.sandbox.engine.state import PlanOrder

Json = dict[str, Any]
MIN_CALLBACK = Decimal("0.1")
MAX_CALLBACK = Decimal("5")


class TrailingOrders:
    def __init__(self, state: EngineState, plan_book: PlanBook) -> None:
        self.state = state
        self.plan_book = plan_book

    def submit_trail_order(
        self,
        uid: str,
        symbol: str,
        *,
        side: int,
        leverage: Decimal,
        open_type: str,
        size: int,
        activation_price: Decimal,
        callback_rate: Decimal,
        activation_price_type: int,
        client_order_id: str | None = None,
        max_callback_rate: Decimal = MAX_CALLBACK,
    ) -> Json:
        """POST /contract/private/submit-trail-order -> {"order_id": int}. BitMart's endpoint
        takes no client order id; the Binance dialect's `clientAlgoId` is kept here, and so is its
        wider callback range (Binance: up to 10 %, BitMart: 5 %)."""
        spec = self.state.spec(symbol)
        check_side(side)
        if open_type not in OPEN_TYPES:
            raise errors.OPEN_TYPE_INVALID(f"open_type {open_type!r}: cross or isolated")
        check_price_type(activation_price_type, "activation_price_type")
        if not callback_rate.is_finite() or not MIN_CALLBACK <= callback_rate <= max_callback_rate:
            raise errors.INVALID_REQUEST(
                f"callback_rate {callback_rate}: between {MIN_CALLBACK} and {max_callback_rate} (1 = 1%)"
            )
        check_size(spec, size, True)
        lev = check_leverage(spec, leverage)
        self.plan_book.check_trigger(symbol, activation_price, "activation_price")
        if side in (2, 3):
            pos_side = "long" if side == 3 else "short"
            pos = self.state.user_positions(uid).get((symbol, pos_side))
            if pos is None:
                raise errors.POSITION_NOT_EXIST(f"no {pos_side} {symbol} position for a closing trail order")
            if size > pos.size:
                raise errors.POSITION_NOT_ENOUGH(f"size {size} exceeds the position's {pos.size} contracts")
        coid = check_coid(self.state, uid, client_order_id)
        self.plan_book.check_plan_room(uid, symbol)
        p = self.plan_book.new_plan(
            uid,
            symbol,
            client_order_id=coid,
            kind="trailing",
            side=side,
            size=size,
            trigger_price=activation_price,
            price_type=activation_price_type,
            price_way=2 if side in (1, 2) else 1,
            category="market",
            executive_price=None,
            leverage=lev,
            open_type=open_type,
            mode=1,
            plan_category=1,
            callback_rate=callback_rate,
        )
        return {"order_id": int(p.order_id)}

    def cancel_trail_order(self, uid: str, symbol: str, *, order_id: str) -> Json:
        """POST /contract/private/cancel-trail-order -> {}."""
        self.state.spec(symbol)
        p = self.state.plans.get(str(order_id))
        if p is None or p.uid != uid or p.kind != "trailing" or p.symbol != symbol:
            raise errors.ORDER_ID_NOT_EXIST(f"no trailing order {order_id} on {symbol}")
        if p.state != 1:
            raise errors.ORDER_STATUS_INVALID(f"trailing order {p.order_id} is already finished")
        self.plan_book.end_plan(p)
        return {}

    def step(self, p: PlanOrder, price: Decimal) -> bool:
        """Advance a trailing order at price; True when it must fire. A sell (side 3/4) activates
        when the price rises to the activation price, then fires when the price falls
        callback_rate % below the highest price since; a buy (1/2) mirrors it."""
        sell = p.side in (3, 4)
        if not p.activated:
            if (price >= p.trigger_price) if sell else (price <= p.trigger_price):
                p.activated, p.extreme, p.update_time = True, price, self.state.now()
                self.state.save_plan(p)
            return False
        extreme = p.extreme if p.extreme is not None else price
        if (price > extreme) if sell else (price < extreme):
            p.extreme = price
            self.state.save_plan(p)
            return False
        rate = (p.callback_rate or Decimal(0)) / 100
        return price <= extreme * (1 - rate) if sell else price >= extreme * (1 + rate)
