"""Firing waiting plan, TP/SL and trailing orders when the price of their symbol moves."""

from __future__ import annotations

from perpdesk.sandbox.engine import errors
from perpdesk.sandbox.engine.engine_state import EngineState
from perpdesk.sandbox.engine.order_entry import OrderEntry
from perpdesk.sandbox.engine.plan_book import PlanBook
from perpdesk.sandbox.engine.state import PlanOrder
from perpdesk.sandbox.engine.trailing import TrailingOrders
from perpdesk.sandbox.engine.wallets import Wallets


class Triggers:
    def __init__(
        self,
        state: EngineState,
        wallets: Wallets,
        plan_book: PlanBook,
        trailing: TrailingOrders,
        entry: OrderEntry,
    ) -> None:
        self.state = state
        self.wallets = wallets
        self.plan_book = plan_book
        self.trailing = trailing
        self.entry = entry

    def trigger_plans(self, symbol: str) -> None:
        """Fire the symbol's waiting orders whose trigger the last or mark price has reached."""
        market = self.state.markets[symbol].state
        for p in list(self.state.live_plans[symbol].values()):
            if p.state != 1:  # ended by an earlier trigger in this pass (its position closed)
                continue
            price = market.last if p.price_type == 1 else market.mark
            if p.kind == "trailing":
                if self.trailing.step(p, price):
                    self._fire(p)
                continue
            hit = price >= p.trigger_price if p.price_way == 1 else price <= p.trigger_price
            if hit:
                self._fire(p)

    def _fire(self, p: PlanOrder) -> None:
        size = p.size
        closing = p.kind in ("take_profit", "stop_loss") or (p.kind == "trailing" and p.side in (2, 3))
        if closing:
            pos = self.state.user_positions(p.uid).get((p.symbol, "long" if p.side == 3 else "short"))
            free = pos.size - pos.frozen_close if pos else 0
            size = min(size, free) if size else free
            if size <= 0:
                self.plan_book.end_plan(p)  # nothing left to close
                return
        try:
            sent = self.entry.submit_order(
                p.uid,
                p.symbol,
                side=p.side,
                size=size,
                type=p.category,
                price=p.executive_price if p.category == "limit" else None,
                leverage=None if closing else p.leverage,
                open_type=None if closing else p.open_type,
                mode=p.mode,
                preset_take_profit_price=p.tp_price,
                preset_take_profit_price_type=p.tp_type,
                preset_stop_loss_price=p.sl_price,
                preset_stop_loss_price_type=p.sl_type,
                plan_order_id=p.order_id,
            )
        except errors.EngineError:
            self.plan_book.end_plan(p)  # BitMart drops a plan whose order cannot be placed
            return
        self.plan_book.end_plan(p, str(sent["order_id"]))
        self.wallets.push_asset(p.uid)
