"""Order management and order reads: cancel (one, all, all-after), modify, detail, open orders
(with the waiting trailing orders), history and fills. Orders are found by order_id or by the
user's client_order_id (the newest order that used it), which is how a platform settles a
submit that timed out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, TypedDict, Unpack

from perpdesk.sandbox.engine import errors
from perpdesk.sandbox.engine.checks import check_price, check_size
from perpdesk.sandbox.engine.contracts import s
from perpdesk.sandbox.engine.engine_state import EngineState
from perpdesk.sandbox.engine.fills import Fills, reserve_for
from perpdesk.sandbox.engine.positions import Positions
from perpdesk.sandbox.engine.state import Order
from perpdesk.sandbox.engine.views import (
    fill_view,
    history_order_view,
    open_order_view,
    order_push,
    order_view,
    trail_view,
)
from perpdesk.sandbox.engine.wallets import Wallets

Json = dict[str, Any]
MIN_CANCEL_AFTER_S = 5  # documented minimum
MAX_CANCEL_AFTER_S = 86_400  # not documented: one day, so that a deadline always fits 64 bits
MAX_LISTED = 200  # order history and trades list at most this many


class HistoryFilters(TypedDict, total=False):
    """The filters order-history and trades share besides the symbol."""

    start_time: int | None  # seconds
    end_time: int | None
    order_id: str | None
    client_order_id: str | None


class Orders:
    def __init__(self, state: EngineState, wallets: Wallets, positions: Positions, fills: Fills) -> None:
        self.state = state
        self.wallets = wallets
        self.positions = positions
        self.fills = fills

    # ---- modify / cancel ---------------------------------------------------------------------
    def _find_order(self, uid: str, order_id: str | None, client_order_id: str | None, err: Any) -> Order:
        if order_id:
            o = self.state.orders.get(str(order_id))
            if o is None or o.uid != uid:
                raise err(f"order_id {order_id}")
            return o
        if client_order_id:
            oid = self.state.order_coid.get(uid, {}).get(client_order_id)
            if oid is None:
                raise err(f"client_order_id {client_order_id!r}")
            return self.state.orders[oid]
        raise errors.INVALID_REQUEST("order_id or client_order_id is required")

    def cancel_order(
        self, uid: str, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> Json:
        """POST /contract/private/cancel-order -> {} (BitMart answers with empty data)."""
        self.state.spec(symbol)
        o = self._find_order(uid, order_id, client_order_id, errors.ORDER_ID_NOT_EXIST)
        if o.symbol != symbol:
            raise errors.ORDER_ID_NOT_EXIST(f"order {o.order_id} is on {o.symbol}, not {symbol}")
        if o.state == 4:
            raise errors.ORDER_STATUS_INVALID(f"order {o.order_id} is already finished")
        self.fills.finish(o, action=3)
        self.wallets.push_asset(uid)
        self.positions.push_position(uid, symbol)
        return {}

    def cancel_orders(self, uid: str, symbol: str) -> Json:
        """POST /contract/private/cancel-orders: cancel every open order of symbol -> {}."""
        self.state.spec(symbol)
        self.cancel_all(uid, symbol)
        return {}

    def cancel_all(self, uid: str, symbol: str) -> int:
        todo = [o for o in self.state.open_by_uid.get(uid, {}).values() if o.symbol == symbol]
        for o in todo:
            self.fills.finish(o, action=3)
        if todo:
            self.wallets.push_asset(uid)
            self.positions.push_position(uid, symbol)
        return len(todo)

    def cancel_all_after(self, uid: str, symbol: str, timeout: int) -> Json:
        """POST /contract/private/cancel-all-after (timeout seconds; 0 disables)
        -> {"result": true, "set_time": s, "cancel_time": s}."""
        self.state.spec(symbol)
        acct = self.state.account(uid)
        if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 0:
            raise errors.INVALID_REQUEST(f"timeout {timeout!r}: whole seconds, 0 to disable")
        if 0 < timeout < MIN_CANCEL_AFTER_S or timeout > MAX_CANCEL_AFTER_S:
            raise errors.INVALID_REQUEST(
                f"timeout {timeout}: 0 to disable, else {MIN_CANCEL_AFTER_S} to {MAX_CANCEL_AFTER_S} seconds"
            )
        now = self.state.now()
        if timeout == 0:
            acct.cancel_after.pop(symbol, None)
            self.state.cancel_timers.pop((uid, symbol), None)
            cancel_time = 0
        else:
            deadline = now + timeout * 1000
            acct.cancel_after[symbol] = deadline
            self.state.cancel_timers[(uid, symbol)] = deadline
            cancel_time = deadline // 1000
        self.state.save_account(acct)
        return {"result": True, "set_time": now // 1000, "cancel_time": cancel_time}

    def run_cancel_timers(self, now: int) -> None:
        for (uid, symbol), deadline in list(self.state.cancel_timers.items()):
            if now >= deadline:
                del self.state.cancel_timers[(uid, symbol)]
                acct = self.state.account(uid)
                acct.cancel_after.pop(symbol, None)
                self.state.save_account(acct)
                self.cancel_all(uid, symbol)

    def modify_limit_order(
        self,
        uid: str,
        symbol: str,
        *,
        order_id: str | None = None,
        client_order_id: str | None = None,
        price: Decimal | None = None,
        size: int | None = None,
    ) -> Json:
        """POST /contract/private/modify-limit-order -> {"order_id": int, "client_order_id": str}.
        The order keeps its id; a new price that crosses the book takes at once."""
        spec = self.state.spec(symbol)
        o = self._find_order(uid, order_id, client_order_id, errors.ORDER_ID_NOT_EXIST)
        if o.symbol != symbol:
            raise errors.ORDER_ID_NOT_EXIST(f"order {o.order_id} is on {o.symbol}, not {symbol}")
        if o.state == 4 or o.type != "limit":
            raise errors.ORDER_STATUS_INVALID(f"order {o.order_id} is not an open limit order")
        if price is None and size is None:
            raise errors.INVALID_REQUEST("price or size is required")
        new_price = check_price(spec, price) if price is not None else o.price
        new_size = size if size is not None else o.size
        check_size(spec, new_size, False)
        if new_size <= o.deal_size:
            raise errors.RANGE_INVALID(f"size {new_size} must exceed the filled {o.deal_size} contracts")
        sim = self.state.markets[symbol]
        buy = o.side in (1, 2)
        crossing = (buy and new_price >= sim.best_ask()) or (not buy and new_price <= sim.best_bid())
        if o.mode == 4 and crossing:
            raise errors.RANGE_INVALID(f"maker-only order at {s(new_price)} would take liquidity")
        new_remaining = new_size - o.deal_size
        side = "short" if buy else "long"
        pos = self.state.user_positions(uid).get((symbol, side))
        if o.closing:
            new_close = new_remaining
            grow = new_close - o.close_frozen
            free = pos.size - pos.frozen_close if pos else 0
            if grow > free:
                raise errors.POSITION_NOT_ENOUGH(f"closable {free} more contracts")
        else:
            new_close = min(o.close_frozen, new_remaining)
        new_frozen = reserve_for(spec, new_remaining - new_close, new_price, o.leverage)
        if new_frozen - o.frozen > self.wallets.figures(uid).available:
            raise errors.BALANCE_NOT_ENOUGH(f"needs {s(new_frozen - o.frozen)} more USDT")
        if pos is not None and new_close != o.close_frozen:
            pos.frozen_close = max(0, pos.frozen_close + new_close - o.close_frozen)
            self.state.save_position(pos)
        self.state.hide(o)
        o.price, o.size, o.close_frozen, o.frozen = new_price, new_size, new_close, new_frozen
        o.update_time = self.state.now()
        self.state.show(o)
        self.state.save_order(o)
        # BitMart has no "modified" action: the amended order is pushed as a submit (action 2)
        self.state.emit("futures/order", uid, [order_push(o, 2)])
        if crossing:
            for fill_price, fill_qty in sim.sweep(buy, o.remaining, new_price):
                if o.state == 4:
                    break
                self.fills.fill(o, fill_price, fill_qty, maker=False)
        self.wallets.push_asset(uid)
        return {"order_id": int(o.order_id), "client_order_id": o.client_order_id}

    # ---- reads -------------------------------------------------------------------------------
    def order(
        self, uid: str, symbol: str, order_id: str | None = None, client_order_id: str | None = None
    ) -> Json:
        """GET /contract/private/order (order_id or client_order_id; the latest order with it).
        A trailing order is found by its order_id too."""
        if order_id:
            p = self.state.plans.get(str(order_id))
            if p is not None and p.uid == uid and p.kind == "trailing" and p.symbol == symbol:
                return trail_view(p, detail=True)
        self.state.spec(symbol)
        o = self._find_order(uid, order_id, client_order_id, errors.ORDER_NOT_EXIST)
        if o.symbol != symbol:
            raise errors.ORDER_NOT_EXIST(f"order {o.order_id} is on {o.symbol}, not {symbol}")
        return order_view(o)

    def open_orders(
        self,
        uid: str,
        symbol: str | None = None,
        type: str | None = None,
        order_state: str | None = None,
        limit: int = 100,
    ) -> list[Json]:
        """GET /contract/private/get-open-orders: limit/market orders and waiting trailing orders
        (newest first, at most `limit` <= 100)."""
        if symbol:
            self.state.spec(symbol)
        if order_state not in (None, "all", "partially_filled"):
            raise errors.INVALID_REQUEST(f"order_state {order_state!r}: all or partially_filled")
        cap = max(1, min(limit, 100))
        out = []
        for o in reversed(list(self.state.open_by_uid.get(uid, {}).values())):
            if symbol and o.symbol != symbol:
                continue
            if type and o.type != type:
                continue
            if order_state == "partially_filled" and o.deal_size == 0:
                continue
            out.append(open_order_view(o))
            if len(out) >= cap:
                break
        if type not in (None, "trailing") or order_state == "partially_filled":
            return out
        trails = [
            trail_view(p)
            for p in self.state.plans_by_uid.get(uid, {}).values()
            if p.kind == "trailing" and p.state == 1 and (not symbol or p.symbol == symbol)
        ]
        if not trails:
            return out
        return sorted(out + trails, key=lambda v: int(v["order_id"]), reverse=True)[:cap]

    def order_history(
        self, uid: str, symbol: str | None = None, **filters: Unpack[HistoryFilters]
    ) -> list[Json]:
        """GET /contract/private/order-history: finished orders (start/end seconds, default 7 days)."""
        order_id, client_order_id = filters.get("order_id"), filters.get("client_order_id")
        want_order = str(order_id) if order_id else None
        return self._newest_in_window(
            list(self.state.orders_by_uid.get(uid, {}).values()),
            symbol,
            filters,
            lambda o: (
                o.state == 4
                and (not want_order or o.order_id == want_order)
                and (not client_order_id or o.client_order_id == client_order_id)
            ),
            history_order_view,
        )

    def trades(self, uid: str, symbol: str | None = None, **filters: Unpack[HistoryFilters]) -> list[Json]:
        """GET /contract/private/trades (start/end seconds, default last 7 days; newest first)."""
        order_id, client_order_id = filters.get("order_id"), filters.get("client_order_id")
        want_order = str(order_id) if order_id else None
        if client_order_id:
            want_order = self.state.order_coid.get(uid, {}).get(client_order_id, "-")
        return self._newest_in_window(
            self.state.fills.get(uid, []),
            symbol,
            filters,
            lambda f: not want_order or f.order_id == want_order,
            fill_view,
        )

    def _newest_in_window(
        self,
        items: Sequence[Any],
        symbol: str | None,
        filters: HistoryFilters,
        keep: Callable[[Any], bool],
        view: Callable[[Any], Json],
    ) -> list[Json]:
        """The views of the newest (at most 200) `items` of symbol (any when None)
        created between start_time and end_time (seconds; default: the 7 days before now) that
        `keep` accepts; `items` is oldest first. Shared by order history and trades."""
        start_s, end_s = filters.get("start_time"), filters.get("end_time")
        if symbol:
            self.state.spec(symbol)
        now = self.state.now()
        end_ms = end_s * 1000 + 999 if end_s else now
        start_ms = start_s * 1000 if start_s else end_ms - 7 * 24 * 3600 * 1000
        if start_ms > end_ms:
            raise errors.TIMESTAMP_INVALID("start_time is after end_time")
        out = []
        for x in reversed(items):
            if (not symbol or x.symbol == symbol) and keep(x) and start_ms <= x.create_time <= end_ms:
                out.append(view(x))
                if len(out) >= MAX_LISTED:
                    break
        return out
