"""The waiting plan, TP/SL and trailing orders of every user: created, found, ended; the preset
TP/SL an opening order carries become position TP/SL orders here, and a closed position's TP/SL
orders end here. The endpoints are in `plans` and `trailing`, the triggering in `triggers`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from perpdesk.sandbox.engine import errors
from perpdesk.sandbox.engine.checks import check_price
from perpdesk.sandbox.engine.contracts import s
from perpdesk.sandbox.engine.engine_state import EngineState
from perpdesk.sandbox.engine.state import Order, PlanOrder, Position

MAX_LIVE_PLANS = 50  # per user and symbol
# A plan order was placed or ended: not a BitMart channel (its WebSocket has no plan channel and
# ignores it); the Binance dialect's user stream turns it into ALGO_UPDATE.
PLAN_EVENT = "sandbox/plan"
MAX_TRIGGER_DEVIATION = Decimal("0.5")


def tpsl_way(kind: str, position_side: str) -> int:
    """price_way of a TP/SL order: 1 fires on a rise to the trigger, 2 on a fall."""
    rises = (kind == "take_profit") == (position_side == "long")
    return 1 if rises else 2


class PlanBook:
    def __init__(self, state: EngineState) -> None:
        self.state = state

    def new_plan(self, uid: str, symbol: str, **fields: Any) -> PlanOrder:
        """A waiting plan order with the given PlanOrder fields (id, mode and times set here)."""
        st = self.state
        now = st.now()
        p = PlanOrder(
            order_id=st.next_id("order"),
            uid=uid,
            symbol=symbol,
            position_mode=st.account(uid).position_mode,
            create_time=now,
            update_time=now,
            **fields,
        )
        st.index_plan(p)
        st.save_plan(p)
        st.emit(PLAN_EVENT, uid, {"order_id": p.order_id})
        return p

    def end_plan(self, p: PlanOrder, executive_order_id: str = "") -> None:
        p.state = 4
        p.executive_order_id = executive_order_id
        p.update_time = self.state.now()
        self.state.live_plans[p.symbol].pop(p.order_id, None)
        self.state.save_plan(p)
        self.state.emit(PLAN_EVENT, p.uid, {"order_id": p.order_id})

    def find_plan(self, uid: str, order_id: str | None, client_order_id: str | None) -> PlanOrder:
        st = self.state
        if order_id:
            p = st.plans.get(str(order_id))
            if p is None or p.uid != uid:
                raise errors.ORDER_ID_NOT_EXIST(f"plan order_id {order_id}")
            return p
        if client_order_id:
            pid = st.plan_coid.get(uid, {}).get(client_order_id)
            if pid is None:
                raise errors.ORDER_ID_NOT_EXIST(f"plan client_order_id {client_order_id!r}")
            return st.plans[pid]
        raise errors.INVALID_REQUEST("order_id or client_order_id is required")

    def check_plan_room(self, uid: str, symbol: str) -> None:
        plans = self.state.plans_by_uid.get(uid, {}).values()
        live = sum(1 for p in plans if p.state == 1 and p.symbol == symbol)
        if live >= MAX_LIVE_PLANS:
            raise errors.PLAN_COUNT_LIMIT(f"{live} live plan orders on {symbol}; limit {MAX_LIVE_PLANS}")

    def check_trigger(self, symbol: str, trigger: Decimal, what: str = "trigger_price") -> Decimal:
        """On the tick grid and within 50% of the mark."""
        check_price(self.state.spec(symbol), trigger, what)
        mark = self.state.markets[symbol].state.mark
        if abs(trigger - mark) / mark > MAX_TRIGGER_DEVIATION:
            raise errors.TRIGGER_DEVIATION(f"trigger {s(trigger)} vs mark {s(mark)}")
        return trigger

    def attach_presets(self, o: Order) -> None:
        """Preset TP/SL of an opening order become position TP/SL plan orders on its first fill."""
        if o.closing:
            return
        side = "long" if o.side == 1 else "short"
        pos = self.state.user_positions(o.uid).get((o.symbol, side))
        if pos is None:
            return
        close_side = 3 if side == "long" else 2
        existing = {
            p.kind
            for p in self.state.plans_by_uid.get(o.uid, {}).values()
            if p.state == 1 and p.symbol == o.symbol and p.plan_category == 2 and p.side == close_side
        }
        presets = (("take_profit", o.tp_price, o.tp_type), ("stop_loss", o.sl_price, o.sl_type))
        for kind, price, ptype in presets:
            if price is not None and kind not in existing:
                self.new_tpsl(pos, kind, price, ptype or 1, size=0, plan_category=2)

    def new_tpsl(
        self,
        pos: Position,
        kind: str,
        trigger_price: Decimal,
        price_type: int,
        *,
        size: int,
        plan_category: int,
        category: str = "market",
        executive_price: Decimal | None = None,
        client_order_id: str = "",
    ) -> PlanOrder:
        """A take_profit / stop_loss order that closes `size` contracts of pos (0: all it holds)."""
        return self.new_plan(
            pos.uid,
            pos.symbol,
            client_order_id=client_order_id,
            kind=kind,
            side=3 if pos.side == "long" else 2,
            size=size,
            trigger_price=trigger_price,
            price_type=price_type,
            price_way=tpsl_way(kind, pos.side),
            category=category,
            executive_price=executive_price,
            leverage=pos.leverage,
            open_type=pos.open_type,
            mode=1,
            plan_category=plan_category,
        )

    def drop_position_tpsl(self, pos: Position) -> None:
        """A closed position takes its TP/SL (and closing trailing) orders with it."""
        close_side = 3 if pos.side == "long" else 2
        for p in list(self.state.live_plans[pos.symbol].values()):
            if p.uid == pos.uid and p.kind != "plan" and p.side == close_side:
                self.end_plan(p)
