"""Plan (trigger) orders and TP/SL orders: stored, listed, modified, fired on price moves.

A plan order waits until the trigger price (last price if price_type 1, mark if 2) is reached in
its direction (price_way 1: rising to it, 2: falling to it), then places a limit order at
executive_price or a market order. TP/SL orders close a position: take_profit fires when the
price moves in the position's favour to the trigger, stop_loss when it moves against it; size 0
(position TP/SL, plan_category 2) closes whatever the position holds at that moment.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from perpdesk.sandbox.engine import errors
from perpdesk.sandbox.engine.contracts import s
from perpdesk.sandbox.engine.orders import OrdersMixin
from perpdesk.sandbox.engine.state import PlanOrder, Position
from perpdesk.sandbox.engine.views import plan_view

Json = dict[str, Any]
MAX_LIVE_PLANS = 50  # per user and symbol
MAX_TRIGGER_DEVIATION = Decimal("0.5")


class PlansMixin(OrdersMixin):
    def _new_plan(self, uid: str, symbol: str, **kw: Any) -> PlanOrder:
        now = self.now()
        acct = self._account(uid)
        p = PlanOrder(
            order_id=self._next_id("order"),
            uid=uid,
            symbol=symbol,
            position_mode=acct.position_mode,
            create_time=now,
            update_time=now,
            **kw,
        )
        self._index_plan(p)
        self._put("plan", p.order_id, p)
        return p

    def _check_plan_room(self, uid: str, symbol: str) -> None:
        live = sum(1 for p in self.plans_by_uid.get(uid, {}).values() if p.state == 1 and p.symbol == symbol)
        if live >= MAX_LIVE_PLANS:
            raise errors.PLAN_COUNT_LIMIT(f"{live} live plan orders on {symbol}; limit {MAX_LIVE_PLANS}")

    def _check_trigger(self, symbol: str, trigger: Decimal) -> Decimal:
        spec = self.spec(symbol)
        self._check_price(spec, trigger, "trigger_price")
        mark = self.markets[symbol].state.mark
        if abs(trigger - mark) / mark > MAX_TRIGGER_DEVIATION:
            raise errors.TRIGGER_DEVIATION(f"trigger {s(trigger)} vs mark {s(mark)}")
        return trigger

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
        preset_take_profit_price: Decimal | None = None,
        preset_take_profit_price_type: int | None = None,
        preset_stop_loss_price: Decimal | None = None,
        preset_stop_loss_price_type: int | None = None,
    ) -> Json:
        """POST /contract/private/submit-plan-order -> {"order_id": int}."""
        spec = self.spec(symbol)
        acct = self._account(uid)
        if side not in (1, 2, 3, 4):
            raise errors.SIDE_INVALID(f"side {side!r}")
        if type not in ("limit", "market", "take_profit", "stop_loss"):
            raise errors.TYPE_INVALID(f"type {type!r}: limit, market, take_profit or stop_loss")
        kind, category = "plan", type
        if type in ("take_profit", "stop_loss"):
            # a TP/SL plan closes a position with a market order when triggered
            if side not in (2, 3):
                raise errors.SIDE_INVALID(f"side {side!r}: a {type} plan closes (2 or 3)")
            kind, category = type, "market"
        if price_way not in (1, 2):
            raise errors.INVALID_REQUEST(f"price_way {price_way!r}: 1 price_way_long, 2 price_way_short")
        if price_type not in (1, 2):
            raise errors.INVALID_REQUEST(f"price_type {price_type!r}: 1 last_price, 2 fair_price")
        if mode not in (1, 2, 3, 4):
            raise errors.INVALID_REQUEST(f"mode {mode!r}")
        self._check_size(spec, size, category == "market")
        self._check_trigger(symbol, trigger_price)
        exec_price = (
            self._check_price(spec, executive_price, "executive_price") if category == "limit" else None
        )
        if open_type is not None and open_type not in ("cross", "isolated"):
            raise errors.OPEN_TYPE_INVALID(f"open_type {open_type!r}")
        cur_lev, cur_type = self._setting(acct, symbol)
        lev = self._check_leverage(spec, leverage) if leverage is not None else cur_lev
        coid = self._check_coid(uid, client_order_id)
        self._check_plan_room(uid, symbol)
        p = self._new_plan(
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
            tp_price=preset_take_profit_price,
            tp_type=preset_take_profit_price_type if preset_take_profit_price is not None else None,
            sl_price=preset_stop_loss_price,
            sl_type=preset_stop_loss_price_type if preset_stop_loss_price is not None else None,
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
        spec = self.spec(symbol)
        if type not in ("take_profit", "stop_loss"):
            raise errors.TYPE_INVALID(f"type {type!r}: take_profit or stop_loss")
        if side not in (2, 3):
            raise errors.SIDE_INVALID(f"side {side!r}: 2 buy_close_short or 3 sell_close_long")
        if price_type not in (1, 2):
            raise errors.INVALID_REQUEST(f"price_type {price_type!r}: 1 last_price, 2 fair_price")
        if plan_category not in (1, 2):
            raise errors.INVALID_REQUEST(f"plan_category {plan_category!r}: 1 TP/SL, 2 position TP/SL")
        if category not in ("limit", "market"):
            raise errors.TYPE_INVALID(f"category {category!r}: limit or market")
        pos_side = "long" if side == 3 else "short"
        pos = self._user_positions(uid).get((symbol, pos_side))
        if pos is None:
            raise errors.POSITION_NOT_EXIST(f"no {pos_side} {symbol} position for a {type} order")
        self._check_trigger(symbol, trigger_price)
        exec_price = None
        if category == "limit":
            exec_price = self._check_price(spec, executive_price, "executive_price")
        n = 0 if plan_category == 2 else (size if size is not None else pos.size)
        if n:
            self._check_size(spec, n, category == "market")
            if n > pos.size:
                raise errors.POSITION_NOT_ENOUGH(f"size {n} exceeds the position's {pos.size} contracts")
        coid = self._check_coid(uid, client_order_id)
        self._check_plan_room(uid, symbol)
        p = self._new_plan(
            uid,
            symbol,
            client_order_id=coid,
            kind=type,
            side=side,
            size=n,
            trigger_price=trigger_price,
            price_type=price_type,
            price_way=self._tpsl_way(type, pos_side),
            category=category,
            executive_price=exec_price,
            leverage=pos.leverage,
            open_type=pos.open_type,
            mode=1,
            plan_category=plan_category,
        )
        return {"order_id": p.order_id, "client_order_id": p.client_order_id}

    def _find_plan(self, uid: str, order_id: str | None, client_order_id: str | None) -> PlanOrder:
        if order_id:
            p = self.plans.get(str(order_id))
            if p is None or p.uid != uid:
                raise errors.ORDER_ID_NOT_EXIST(f"plan order_id {order_id}")
            return p
        if client_order_id:
            pid = self.plan_coid.get(uid, {}).get(client_order_id)
            if pid is None:
                raise errors.ORDER_ID_NOT_EXIST(f"plan client_order_id {client_order_id!r}")
            return self.plans[pid]
        raise errors.INVALID_REQUEST("order_id or client_order_id is required")

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
        spec = self.spec(symbol)
        p = self._find_plan(uid, order_id, client_order_id)
        if p.symbol != symbol or p.kind not in ("take_profit", "stop_loss"):
            raise errors.ORDER_ID_NOT_EXIST(f"no TP/SL order {p.order_id} on {symbol}")
        if p.state != 1:
            raise errors.ORDER_STATUS_INVALID(f"TP/SL order {p.order_id} is no longer waiting")
        if price_type not in (1, 2):
            raise errors.INVALID_REQUEST(f"price_type {price_type!r}: 1 last_price, 2 fair_price")
        if category is not None and category not in ("limit", "market"):
            raise errors.TYPE_INVALID(f"category {category!r}: limit or market")
        self._check_trigger(symbol, trigger_price)
        new_category = category or p.category
        exec_price = p.executive_price
        if new_category == "limit":
            exec_price = self._check_price(spec, executive_price or p.executive_price, "executive_price")
        p.trigger_price, p.price_type, p.category, p.executive_price = (
            trigger_price,
            price_type,
            new_category,
            exec_price,
        )
        if plan_category in (1, 2):
            p.plan_category = plan_category
        p.update_time = self.now()
        self._put("plan", p.order_id, p)
        return {"order_id": p.order_id}

    def cancel_plan_order(
        self, uid: str, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> Json:
        """POST /contract/private/cancel-plan-order -> {}."""
        self.spec(symbol)
        p = self._find_plan(uid, order_id, client_order_id)
        if p.symbol != symbol:
            raise errors.ORDER_ID_NOT_EXIST(f"plan order {p.order_id} is on {p.symbol}, not {symbol}")
        if p.kind == "trailing":
            raise errors.ORDER_ID_NOT_EXIST(f"{p.order_id} is a trailing order: use cancel-trail-order")
        if p.state != 1:
            raise errors.ORDER_STATUS_INVALID(f"plan order {p.order_id} is already finished")
        self._end_plan(p)
        return {}

    def _end_plan(self, p: PlanOrder, executive_order_id: str = "") -> None:
        p.state = 4
        p.executive_order_id = executive_order_id
        p.update_time = self.now()
        self.live_plans[p.symbol].pop(p.order_id, None)
        self._put("plan", p.order_id, p)

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
            self.spec(symbol)
        if plan_type not in (None, "plan", "profit_loss"):
            raise errors.INVALID_REQUEST(f"plan_type {plan_type!r}: plan or profit_loss")
        out = []
        for p in reversed(list(self.plans_by_uid.get(uid, {}).values())):
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

    # ---- triggering (tick / set_price) -------------------------------------------------------
    def _trigger_plans(self, symbol: str) -> None:
        st = self.markets[symbol].state
        for p in list(self.live_plans[symbol].values()):
            if p.state != 1:  # ended by an earlier trigger in this pass (its position closed)
                continue
            price = st.last if p.price_type == 1 else st.mark
            if p.kind == "trailing":
                if self._trail_step(p, price):
                    self._fire(p)
                continue
            hit = price >= p.trigger_price if p.price_way == 1 else price <= p.trigger_price
            if hit:
                self._fire(p)

    def _trail_step(self, p: PlanOrder, price: Decimal) -> bool:
        """Advance a trailing order at price; True when it must fire. A sell (side 3/4) activates
        when the price rises to the activation price, then fires when the price falls
        callback_rate % below the highest price since; a buy (1/2) mirrors it."""
        sell = p.side in (3, 4)
        if not p.activated:
            if (price >= p.trigger_price) if sell else (price <= p.trigger_price):
                p.activated, p.extreme, p.update_time = True, price, self.now()
                self._put("plan", p.order_id, p)
            return False
        extreme = p.extreme if p.extreme is not None else price
        if (price > extreme) if sell else (price < extreme):
            p.extreme = price
            self._put("plan", p.order_id, p)
            return False
        rate = (p.callback_rate or Decimal(0)) / 100
        return price <= extreme * (1 - rate) if sell else price >= extreme * (1 + rate)

    def _fire(self, p: PlanOrder) -> None:
        size = p.size
        closing = p.kind in ("take_profit", "stop_loss") or (p.kind == "trailing" and p.side in (2, 3))
        if closing:
            pos = self._user_positions(p.uid).get((p.symbol, "long" if p.side == 3 else "short"))
            free = pos.size - pos.frozen_close if pos else 0
            size = min(size, free) if size else free
            if size <= 0:
                self._end_plan(p)  # nothing left to close
                return
        try:
            o = self._place(
                p.uid,
                p.symbol,
                side=p.side,
                size=size,
                type=p.category,
                price=p.executive_price if p.category == "limit" else None,
                leverage=None if closing else p.leverage,
                open_type=None if closing else p.open_type,
                mode=p.mode,
                tp=(p.tp_price, p.tp_type),
                sl=(p.sl_price, p.sl_type),
                plan_order_id=p.order_id,
            )
        except errors.EngineError:
            self._end_plan(p)  # BitMart drops a plan whose order cannot be placed
            return
        self._end_plan(p, o.order_id)
        self._push_asset(p.uid)

    def _on_position_closed(self, pos: Position) -> None:
        """A closed position takes its TP/SL orders with it."""
        close_side = 3 if pos.side == "long" else 2
        for p in list(self.live_plans[pos.symbol].values()):
            if p.uid == pos.uid and p.kind != "plan" and p.side == close_side:
                self._end_plan(p)
