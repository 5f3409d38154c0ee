"""Trailing orders and the plan-order edits: submit-trail-order, cancel-trail-order,
modify-plan-order, modify-preset-plan-order.

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
from perpdesk.sandbox.engine.plans import PlansMixin
from perpdesk.sandbox.engine.state import PlanOrder
from perpdesk.sandbox.engine.views import trail_view

Json = dict[str, Any]
MIN_CALLBACK = Decimal("0.1")
MAX_CALLBACK = Decimal("5")


class AmendMixin(PlansMixin):
    # ---- trailing orders ---------------------------------------------------------------------
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
    ) -> Json:
        """POST /contract/private/submit-trail-order -> {"order_id": int}."""
        spec = self.spec(symbol)
        if side not in (1, 2, 3, 4):
            raise errors.SIDE_INVALID(
                f"side {side!r}: 1 buy_open_long, 2 buy_close_short, 3 sell_close_long, 4 sell_open_short"
            )
        if open_type not in ("cross", "isolated"):
            raise errors.OPEN_TYPE_INVALID(f"open_type {open_type!r}: cross or isolated")
        if activation_price_type not in (1, 2):
            raise errors.INVALID_REQUEST(
                f"activation_price_type {activation_price_type!r}: 1 last_price, 2 fair_price"
            )
        if not callback_rate.is_finite() or not MIN_CALLBACK <= callback_rate <= MAX_CALLBACK:
            raise errors.INVALID_REQUEST(
                f"callback_rate {callback_rate}: between {MIN_CALLBACK} and {MAX_CALLBACK} (1 = 1%)"
            )
        self._check_size(spec, size, True)
        lev = self._check_leverage(spec, leverage)
        self._check_price(spec, activation_price, "activation_price")
        self._check_trigger(symbol, activation_price)
        if side in (2, 3):
            pos_side = "long" if side == 3 else "short"
            pos = self._user_positions(uid).get((symbol, pos_side))
            if pos is None:
                raise errors.POSITION_NOT_EXIST(f"no {pos_side} {symbol} position for a closing trail order")
            if size > pos.size:
                raise errors.POSITION_NOT_ENOUGH(f"size {size} exceeds the position's {pos.size} contracts")
        self._check_plan_room(uid, symbol)
        p = self._new_plan(
            uid,
            symbol,
            client_order_id="",
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
        self.spec(symbol)
        p = self.plans.get(str(order_id))
        if p is None or p.uid != uid or p.kind != "trailing" or p.symbol != symbol:
            raise errors.ORDER_ID_NOT_EXIST(f"no trailing order {order_id} on {symbol}")
        if p.state != 1:
            raise errors.ORDER_STATUS_INVALID(f"trailing order {p.order_id} is already finished")
        self._end_plan(p)
        return {}

    def open_orders(
        self,
        uid: str,
        symbol: str | None = None,
        type: str | None = None,
        order_state: str | None = None,
        limit: int = 100,
    ) -> list[Json]:
        """GET /contract/private/get-open-orders: limit/market orders and waiting trailing orders."""
        regular = super().open_orders(uid, symbol, type, order_state, limit)
        if type not in (None, "trailing") or order_state == "partially_filled":
            return regular
        trails = [
            trail_view(p)
            for p in self.plans_by_uid.get(uid, {}).values()
            if p.kind == "trailing" and p.state == 1 and (not symbol or p.symbol == symbol)
        ]
        if not trails:
            return regular
        merged = sorted(regular + trails, key=lambda v: int(v["order_id"]), reverse=True)
        return merged[: max(1, min(limit, 100))]

    def order(
        self, uid: str, symbol: str, order_id: str | None = None, client_order_id: str | None = None
    ) -> Json:
        """GET /contract/private/order; a trailing order is found by its order_id too."""
        if order_id:
            p = self.plans.get(str(order_id))
            if p is not None and p.uid == uid and p.kind == "trailing" and p.symbol == symbol:
                return trail_view(p, detail=True)
        return super().order(uid, symbol, order_id=order_id, client_order_id=client_order_id)

    # ---- plan order edits ----------------------------------------------------------------------
    def modify_plan_order(
        self,
        uid: str,
        symbol: str,
        *,
        trigger_price: Decimal,
        price_type: int,
        type: str,
        order_id: str | None = None,
        client_order_id: str | None = None,
        executive_price: Decimal | None = None,
    ) -> Json:
        """POST /contract/private/modify-plan-order -> {"order_id": str}: new trigger, trigger
        price type and the order sent when triggered (limit at executive_price, or market)."""
        spec = self.spec(symbol)
        p = self._find_plan(uid, order_id, client_order_id)
        if p.symbol != symbol or p.kind != "plan":
            raise errors.ORDER_ID_NOT_EXIST(f"no plan order {p.order_id} on {symbol}")
        if p.state != 1:
            raise errors.ORDER_STATUS_INVALID(f"plan order {p.order_id} is no longer waiting")
        if type not in ("limit", "market"):
            raise errors.TYPE_INVALID(f"type {type!r}: limit or market")
        if price_type not in (1, 2):
            raise errors.INVALID_REQUEST(f"price_type {price_type!r}: 1 last_price, 2 fair_price")
        self._check_trigger(symbol, trigger_price)
        exec_price = self._check_price(spec, executive_price, "executive_price") if type == "limit" else None
        p.trigger_price, p.price_type, p.category, p.executive_price = (
            trigger_price,
            price_type,
            type,
            exec_price,
        )
        p.update_time = self.now()
        self._put("plan", p.order_id, p)
        return {"order_id": p.order_id}

    def modify_preset_plan_order(
        self,
        uid: str,
        symbol: str,
        *,
        order_id: str,
        preset_take_profit_price: Decimal | None = None,
        preset_take_profit_price_type: int | None = None,
        preset_stop_loss_price: Decimal | None = None,
        preset_stop_loss_price_type: int | None = None,
    ) -> Json:
        """POST /contract/private/modify-preset-plan-order -> {"order_id": str}: change the preset
        TP/SL of a waiting plan order, or of an open order that has not filled yet (its presets
        become position TP/SL orders on the first fill)."""
        spec = self.spec(symbol)
        if (
            preset_take_profit_price is None
            and preset_stop_loss_price is None
            and (preset_take_profit_price_type is None and preset_stop_loss_price_type is None)
        ):
            raise errors.INVALID_REQUEST("give preset_take_profit_price and/or preset_stop_loss_price")
        for label, ptype in (
            ("preset_take_profit_price_type", preset_take_profit_price_type),
            ("preset_stop_loss_price_type", preset_stop_loss_price_type),
        ):
            if ptype not in (None, 1, 2):
                raise errors.INVALID_REQUEST(f"{label} {ptype!r}: 1 last_price, 2 fair_price")
        for label, price in (
            ("preset_take_profit_price", preset_take_profit_price),
            ("preset_stop_loss_price", preset_stop_loss_price),
        ):
            if price is not None:
                self._check_price(spec, price, label)
        target: Any
        plan = self.plans.get(str(order_id))
        order = self.orders.get(str(order_id))
        if plan is not None and plan.uid == uid and plan.kind == "plan" and plan.symbol == symbol:
            if plan.state != 1:
                raise errors.ORDER_STATUS_INVALID(f"plan order {order_id} is no longer waiting")
            target = plan
        elif order is not None and order.uid == uid and order.symbol == symbol and not order.closing:
            if order.state == 4 or order.deal_size:
                raise errors.ORDER_STATUS_INVALID(
                    f"order {order_id} has filled or finished: its TP/SL are position TP/SL orders now "
                    "(use modify-tp-sl-order)"
                )
            target = order
        else:
            raise errors.ORDER_ID_NOT_EXIST(f"no plan or open order {order_id} with presets on {symbol}")
        if preset_take_profit_price is not None:
            target.tp_price = preset_take_profit_price
        if target.tp_price is not None:
            target.tp_type = preset_take_profit_price_type or target.tp_type or 1
        if preset_stop_loss_price is not None:
            target.sl_price = preset_stop_loss_price
        if target.sl_price is not None:
            target.sl_type = preset_stop_loss_price_type or target.sl_type or 1
        target.update_time = self.now()
        if isinstance(target, PlanOrder):
            self._put("plan", target.order_id, target)
        else:
            self._save_order(target)
        return {"order_id": str(order_id)}
