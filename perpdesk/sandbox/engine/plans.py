"""Plan (trigger) orders and TP/SL orders: submitted, modified, cancelled, listed.

A plan order waits until the trigger price (last price if price_type 1, mark if 2) is reached in
its direction (price_way 1: rising to it, 2: falling to it), then places a limit order at
executive_price or a market order. TP/SL orders close a position: take_profit fires when the
price moves in the position's favour to the trigger, stop_loss when it moves against it; size 0
(position TP/SL, plan_category 2) closes whatever the position holds at that moment. The firing
is in `triggers`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Unpack

from perpdesk.sandbox.engine import errors
from perpdesk.sandbox.engine.checks import (
    PresetPrices,
    check_coid,
    check_leverage,
    check_open_type,
    check_order_type,
    check_presets,
    check_price,
    check_price_type,
    check_size,
    preset_pairs,
)
from perpdesk.sandbox.engine.engine_state import EngineState
from perpdesk.sandbox.engine.plan_book import PlanBook
from perpdesk.sandbox.engine.state import Order, PlanOrder
from perpdesk.sandbox.engine.views import plan_view

Json = dict[str, Any]
TPSL_KINDS = ("take_profit", "stop_loss")


class Plans:
    def __init__(self, state: EngineState, plan_book: PlanBook) -> None:
        self.state = state
        self.plan_book = plan_book

    def submit_plan_order(
        self,
        uid: str,
        symbol: str,
        *,
        side: int,
        size: int,
        trigger_price: Decimal,
        price_way: int,
        price_type: int,
        type: str = "limit",
        executive_price: Decimal | None = None,
        leverage: Decimal | None = None,
        open_type: str | None = None,
        mode: int = 1,
        plan_category: int | None = None,
        client_order_id: str | None = None,
        **presets: Unpack[PresetPrices],
    ) -> Json:
        """POST /contract/private/submit-plan-order -> {"order_id": int}."""
        spec = self.state.spec(symbol)
        acct = self.state.account(uid)
        if side not in (1, 2, 3, 4):
            raise errors.SIDE_INVALID(f"side {side!r}")
        if type not in ("limit", "market", *TPSL_KINDS):
            raise errors.TYPE_INVALID(f"type {type!r}: limit, market, take_profit or stop_loss")
        kind, category = "plan", type
        if type in TPSL_KINDS:
            # a TP/SL plan closes a position with a market order when triggered
            if side not in (2, 3):
                raise errors.SIDE_INVALID(f"side {side!r}: a {type} plan closes (2 or 3)")
            kind, category = type, "market"
        if price_way not in (1, 2):
            raise errors.INVALID_REQUEST(f"price_way {price_way!r}: 1 price_way_long, 2 price_way_short")
        check_price_type(price_type)
        if mode not in (1, 2, 3, 4):
            raise errors.INVALID_REQUEST(f"mode {mode!r}")
        check_size(spec, size, category == "market")
        self.plan_book.check_trigger(symbol, trigger_price)
        exec_price = check_price(spec, executive_price, "executive_price") if category == "limit" else None
        check_open_type(open_type)
        cur_lev, cur_type = self.state.setting(acct, symbol)
        lev = check_leverage(spec, leverage) if leverage is not None else cur_lev
        coid = check_coid(self.state, uid, client_order_id)
        self.plan_book.check_plan_room(uid, symbol)
        tp, sl = preset_pairs(presets)
        p = self.plan_book.new_plan(
            uid,
            symbol,
            client_order_id=coid,
            kind=kind,
            side=side,
            size=size,
            trigger_price=trigger_price,
            price_type=price_type,
            price_way=price_way,
            category=category,
            executive_price=exec_price,
            leverage=lev,
            open_type=open_type or cur_type,
            mode=mode,
            plan_category=plan_category or 1,
            tp_price=tp[0],
            tp_type=tp[1] if tp[0] is not None else None,
            sl_price=sl[0],
            sl_type=sl[1] if sl[0] is not None else None,
        )
        return {"order_id": int(p.order_id)}

    def submit_tp_sl_order(
        self,
        uid: str,
        symbol: str,
        *,
        type: str,
        side: int,
        trigger_price: Decimal,
        price_type: int,
        executive_price: Decimal | None = None,
        size: int | None = None,
        plan_category: int = 1,
        client_order_id: str | None = None,
        category: str = "market",
    ) -> Json:
        """POST /contract/private/submit-tp-sl-order -> {"order_id": str, "client_order_id": str}."""
        spec = self.state.spec(symbol)
        if type not in TPSL_KINDS:
            raise errors.TYPE_INVALID(f"type {type!r}: take_profit or stop_loss")
        if side not in (2, 3):
            raise errors.SIDE_INVALID(f"side {side!r}: 2 buy_close_short or 3 sell_close_long")
        check_price_type(price_type)
        if plan_category not in (1, 2):
            raise errors.INVALID_REQUEST(f"plan_category {plan_category!r}: 1 TP/SL, 2 position TP/SL")
        if category not in ("limit", "market"):
            raise errors.TYPE_INVALID(f"category {category!r}: limit or market")
        pos_side = "long" if side == 3 else "short"
        pos = self.state.user_positions(uid).get((symbol, pos_side))
        if pos is None:
            raise errors.POSITION_NOT_EXIST(f"no {pos_side} {symbol} position for a {type} order")
        self.plan_book.check_trigger(symbol, trigger_price)
        exec_price = None
        if category == "limit":
            exec_price = check_price(spec, executive_price, "executive_price")
        n = 0 if plan_category == 2 else (size if size is not None else pos.size)
        if n:
            check_size(spec, n, category == "market")
            if n > pos.size:
                raise errors.POSITION_NOT_ENOUGH(f"size {n} exceeds the position's {pos.size} contracts")
        coid = check_coid(self.state, uid, client_order_id)
        self.plan_book.check_plan_room(uid, symbol)
        p = self.plan_book.new_tpsl(
            pos,
            type,
            trigger_price,
            price_type,
            size=n,
            plan_category=plan_category,
            category=category,
            executive_price=exec_price,
            client_order_id=coid,
        )
        return {"order_id": p.order_id, "client_order_id": p.client_order_id}

    # ---- edits -------------------------------------------------------------------------------
    def modify_tp_sl_order(
        self,
        uid: str,
        symbol: str,
        *,
        trigger_price: Decimal,
        price_type: int,
        order_id: str | None = None,
        client_order_id: str | None = None,
        executive_price: Decimal | None = None,
        plan_category: int | None = None,
        category: str | None = None,
    ) -> Json:
        """POST /contract/private/modify-tp-sl-order -> {"order_id": str}."""
        p = self._waiting(uid, symbol, order_id, client_order_id, TPSL_KINDS, "TP/SL order")
        check_price_type(price_type)
        if category is not None and category not in ("limit", "market"):
            raise errors.TYPE_INVALID(f"category {category!r}: limit or market")
        new_category = category or p.category
        exec_price = executive_price or p.executive_price
        self._retrigger(p, trigger_price, price_type, new_category, exec_price, keep=p.executive_price)
        if plan_category in (1, 2):
            p.plan_category = plan_category
        self.state.save_plan(p)
        return {"order_id": p.order_id}

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
        p = self._waiting(uid, symbol, order_id, client_order_id, ("plan",), "plan order")
        check_order_type(type)
        check_price_type(price_type)
        self._retrigger(p, trigger_price, price_type, type, executive_price, keep=None)
        self.state.save_plan(p)
        return {"order_id": p.order_id}

    def _waiting(
        self,
        uid: str,
        symbol: str,
        order_id: str | None,
        client_order_id: str | None,
        kinds: tuple[str, ...],
        what: str,
    ) -> PlanOrder:
        """uid's waiting plan of one of `kinds` on symbol, by order_id or client_order_id."""
        self.state.spec(symbol)
        p = self.plan_book.find_plan(uid, order_id, client_order_id)
        if p.symbol != symbol or p.kind not in kinds:
            raise errors.ORDER_ID_NOT_EXIST(f"no {what} {p.order_id} on {symbol}")
        if p.state != 1:
            raise errors.ORDER_STATUS_INVALID(f"{what} {p.order_id} is no longer waiting")
        return p

    def _retrigger(
        self,
        p: PlanOrder,
        trigger_price: Decimal,
        price_type: int,
        category: str,
        executive_price: Decimal | None,
        *,
        keep: Decimal | None,
    ) -> None:
        """Give p a new trigger and the order it sends: a limit at executive_price, or a market
        order (whose executive price becomes `keep`)."""
        self.plan_book.check_trigger(p.symbol, trigger_price)
        exec_price = keep
        if category == "limit":
            exec_price = check_price(self.state.spec(p.symbol), executive_price, "executive_price")
        p.trigger_price, p.price_type, p.category, p.executive_price = (
            trigger_price,
            price_type,
            category,
            exec_price,
        )
        p.update_time = self.state.now()

    def modify_preset_plan_order(
        self,
        uid: str,
        symbol: str,
        *,
        order_id: str,
        **presets: Unpack[PresetPrices],
    ) -> Json:
        """POST /contract/private/modify-preset-plan-order -> {"order_id": str}: change the preset
        TP/SL of a waiting plan order, or of an open order that has not filled yet (its presets
        become position TP/SL orders on the first fill)."""
        spec = self.state.spec(symbol)
        tp, sl = preset_pairs(presets)
        if tp == (None, None) and sl == (None, None):
            raise errors.INVALID_REQUEST("give preset_take_profit_price and/or preset_stop_loss_price")
        check_presets(spec, tp, sl)
        target: Order | PlanOrder
        plan = self.state.plans.get(str(order_id))
        order = self.state.orders.get(str(order_id))
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
        if tp[0] is not None:
            target.tp_price = tp[0]
        if target.tp_price is not None:
            target.tp_type = tp[1] or target.tp_type or 1
        if sl[0] is not None:
            target.sl_price = sl[0]
        if target.sl_price is not None:
            target.sl_type = sl[1] or target.sl_type or 1
        target.update_time = self.state.now()
        if isinstance(target, PlanOrder):
            self.state.save_plan(target)
        else:
            self.state.save_order(target)
        return {"order_id": str(order_id)}

    # ---- cancel and list ---------------------------------------------------------------------
    def cancel_plan_order(
        self, uid: str, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> Json:
        """POST /contract/private/cancel-plan-order -> {}."""
        self.state.spec(symbol)
        p = self.plan_book.find_plan(uid, order_id, client_order_id)
        if p.symbol != symbol:
            raise errors.ORDER_ID_NOT_EXIST(f"plan order {p.order_id} is on {p.symbol}, not {symbol}")
        if p.kind == "trailing":
            raise errors.ORDER_ID_NOT_EXIST(f"{p.order_id} is a trailing order: use cancel-trail-order")
        if p.state != 1:
            raise errors.ORDER_STATUS_INVALID(f"plan order {p.order_id} is already finished")
        self.plan_book.end_plan(p)
        return {}

    def current_plan_orders(
        self,
        uid: str,
        symbol: str | None = None,
        type: str | None = None,
        limit: int = 100,
        plan_type: str | None = None,
    ) -> list[Json]:
        """GET /contract/private/current-plan-order (waiting plan and TP/SL orders, newest first)."""
        if symbol:
            self.state.spec(symbol)
        if plan_type not in (None, "plan", "profit_loss"):
            raise errors.INVALID_REQUEST(f"plan_type {plan_type!r}: plan or profit_loss")
        out = []
        for p in reversed(list(self.state.plans_by_uid.get(uid, {}).values())):
            if p.state != 1 or (symbol and p.symbol != symbol):
                continue
            if type and p.category != type:
                continue
            if p.kind == "trailing":  # listed by get-open-orders (type trailing), not here
                continue
            if plan_type == "plan" and p.kind != "plan":
                continue
            if plan_type == "profit_loss" and p.kind == "plan":
                continue
            out.append(plan_view(p))
            if len(out) >= max(1, min(limit, 100)):
                break
        return out
