"""Fills and what they change: reservations, positions opened and reduced, finished orders,
transaction records, preset TP/SL attached on the first fill, and resting-order matching."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from perpdesk.sandbox.engine.contracts import CONTRACTS, ContractSpec, money
from perpdesk.sandbox.engine.core import EngineCore
from perpdesk.sandbox.engine.margin import qty
from perpdesk.sandbox.engine.state import ZERO, Account, Fill, Order, PlanOrder, Position, Txn
from perpdesk.sandbox.engine.user_pushes import trade_way
from perpdesk.sandbox.engine.views import iso_ms, last_trade_view, order_push

Json = dict[str, Any]
ENTRY_Q = Decimal("1e-10")


class FillsMixin(EngineCore):
    def _reserve(self, o: Order) -> Decimal:
        """Margin + fee held for the unfilled opening part of a resting order."""
        return self._reserve_for(CONTRACTS[o.symbol], o.remaining - o.close_frozen, o.price, o.leverage)

    def _reserve_for(self, spec: ContractSpec, open_left: int, price: Decimal, leverage: Decimal) -> Decimal:
        if open_left <= 0:
            return ZERO
        notional = qty(spec, open_left) * price
        return money(notional / leverage + notional * self.TAKER_FEE)

    def _save_order(self, o: Order) -> None:
        self._put("order", o.order_id, o)

    # ---- fills and position changes ----------------------------------------------------------
    def _fill(self, o: Order, price: Decimal, fill_qty: int, *, maker: bool) -> Fill | None:
        """Execute fill_qty of order o at price: reduce first (reserved, then netting), then open."""
        spec = CONTRACTS[o.symbol]
        acct = self._account(o.uid)
        buy = o.side in (1, 2)
        reduce_side = "short" if buy else "long"
        positions = self.positions.setdefault(o.uid, {})
        now = self.now()
        left = min(fill_qty, o.remaining)
        realised = ZERO
        done = 0
        touched: Position | None = None
        self._hide(o)
        # 1) reserved closing volume
        pos = positions.get((o.symbol, reduce_side))
        take = min(left, o.close_frozen)
        if take:
            if pos is None:  # the position vanished (liquidated): nothing left to close
                o.close_frozen = 0
            else:
                take = min(take, pos.size)
                pos.frozen_close = max(0, pos.frozen_close - take)
                o.close_frozen -= take
                touched = pos
                realised += self._reduce(pos, take, price)
                left -= take
                done += take
        # 2) one-way netting of the unreserved part against the opposite position
        if left and o.side in (1, 4) and o.position_mode == "one_way_mode":
            pos = positions.get((o.symbol, reduce_side))
            if pos is not None:
                take = min(left, pos.size - pos.frozen_close)
                if take > 0:
                    touched = pos
                    realised += self._reduce(pos, take, price)
                    left -= take
                    done += take
        # 3) open
        if left and o.side in (1, 4):
            touched = self._open(acct, spec, o, "long" if buy else "short", left, price, now)
            done += left
            left = 0
        if done == 0:
            # a close order whose position is gone cannot fill: cancel what is left
            self._finish(o, action=3)
            return None
        fee = money(qty(spec, done) * price * (self.MAKER_FEE if maker else self.TAKER_FEE))
        acct.balance -= fee
        o.fee += fee
        if touched is not None and touched.size > 0:
            touched.fee += fee
            self._put("position", touched.key, touched)
        if fee:
            self._txn(o.uid, o.symbol, 4, -fee)
        if realised:
            self._txn(o.uid, o.symbol, 2, realised)
        o.deal_size += done
        o.deal_value += price * done
        o.update_time = now
        fill = Fill(
            trade_id=self._next_id("trade"),
            order_id=o.order_id,
            uid=o.uid,
            symbol=o.symbol,
            side=o.side,
            price=price,
            vol=done,
            exec_type="Maker" if maker else "Taker",
            realised_profit=realised,
            paid_fees=fee,
            create_time=now,
        )
        self.fills.setdefault(o.uid, []).append(fill)
        self._put("fill", fill.trade_id, fill)
        self._save_account(acct)
        sim = self.markets[o.symbol]
        trade = sim.add_trade(price, done, buyer_maker=maker == buy, now_ms=now)
        candle = sim.add_volume(now, done)
        self._put("candle", f"{candle.symbol}:{candle.kind}:{candle.minute}", candle)
        self._emit(
            f"futures/trade:{o.symbol}",
            None,
            [
                {
                    "trade_id": trade["trade_id"],
                    "symbol": o.symbol,
                    "deal_price": trade["price"],
                    "deal_vol": trade["qty"],
                    "m": trade["is_buyer_maker"],
                    "way": trade_way(o.side, maker),
                    "created_at": iso_ms(now),
                }
            ],
        )
        if (o.tp_price is not None or o.sl_price is not None) and o.deal_size == done:
            self._attach_presets(o)
        if o.remaining == 0:
            self._finish(o, action=1, last=fill)
        else:
            if o.order_id in self.open_by_symbol[o.symbol]:
                o.frozen = self._reserve(o)
                self._show(o)
            self._save_order(o)
            self._emit("futures/order", o.uid, [order_push(o, 1, last_trade_view(fill))])
        self._push_position(o.uid, o.symbol)
        return fill

    def _open(
        self, acct: Account, spec: ContractSpec, o: Order, side: str, n: int, price: Decimal, now: int
    ) -> Position:
        positions = self.positions.setdefault(acct.uid, {})
        pos = positions.get((spec.symbol, side))
        if pos is None:
            pos = Position(
                uid=acct.uid,
                symbol=spec.symbol,
                side=side,
                size=0,
                entry=price,
                leverage=o.leverage,
                open_type=o.open_type,
                open_time=now,
                update_time=now,
            )
            positions[(spec.symbol, side)] = pos
            self.holders[spec.symbol].add(acct.uid)
        total = pos.size + n
        pos.entry = ((pos.entry * pos.size + price * n) / total).quantize(ENTRY_Q)
        pos.size = total
        if pos.open_type == "isolated":
            pos.margin += money(qty(spec, n) * price / pos.leverage)
        pos.update_time = now
        self.markets[spec.symbol].state.open_interest += n if side == "long" else 0
        self._put("position", pos.key, pos)
        return pos

    def _reduce(self, pos: Position, n: int, price: Decimal, *, floor_loss: Decimal | None = None) -> Decimal:
        """Close n contracts of pos at price; returns the realised PnL credited to the balance."""
        spec = CONTRACTS[pos.symbol]
        acct = self._account(pos.uid)
        pnl = money(pos.sign * (price - pos.entry) * qty(spec, n))
        if floor_loss is not None:
            pnl = max(pnl, -floor_loss)
        if pos.open_type == "isolated":
            release = money(pos.margin * n / pos.size)
            pos.margin -= release
        acct.balance += pnl
        pos.realized += pnl
        pos.close_vol += n
        pos.close_value += price * n
        pos.size -= n
        pos.update_time = self.now()
        if pos.side == "long":
            st = self.markets[pos.symbol].state
            st.open_interest = max(0, st.open_interest - n)
        if pos.size == 0:
            # the position is gone: drop it and any close orders still pointing at it
            if pos.open_type == "isolated" and pos.margin:
                pos.margin = ZERO
            del self.positions[pos.uid][(pos.symbol, pos.side)]
            if not any(sym == pos.symbol for sym, _ in self.positions[pos.uid]):
                self.holders[pos.symbol].discard(pos.uid)
            self._delete("position", pos.key)
            self._on_position_closed(pos)
            self._push_position(pos.uid, pos.symbol, closed=pos)
        else:
            self._put("position", pos.key, pos)
        self._save_account(acct)
        return pnl

    def _finish(self, o: Order, *, action: int, last: Fill | None = None) -> None:
        """Take o off the book (filled or cancelled): release its reservations."""
        if o.state == 4:
            return
        self._hide(o)
        if o.close_frozen:
            side = "short" if o.side in (1, 2) else "long"
            pos = self._user_positions(o.uid).get((o.symbol, side))
            if pos is not None:
                pos.frozen_close = max(0, pos.frozen_close - o.close_frozen)
                self._put("position", pos.key, pos)
            o.close_frozen = 0
        o.frozen = ZERO
        o.state = 4
        o.update_time = self.now()
        self.open_by_symbol[o.symbol].pop(o.order_id, None)
        self.open_by_uid.get(o.uid, {}).pop(o.order_id, None)
        self._save_order(o)
        self._emit("futures/order", o.uid, [order_push(o, action, last_trade_view(last) if last else None)])

    def _txn(self, uid: str, symbol: str, flow: int, amount: Decimal) -> None:
        t = Txn(self._next_id("txn"), uid, symbol, flow, amount, self.now())
        self.txns.setdefault(uid, []).append(t)
        self._put("txn", t.tran_id, t)

    def _attach_presets(self, o: Order) -> None:
        """Preset TP/SL of an opening order become position TP/SL plan orders on its first fill."""
        if o.closing:
            return
        side = "long" if o.side == 1 else "short"
        pos = self._user_positions(o.uid).get((o.symbol, side))
        if pos is None:
            return
        existing = {
            p.kind
            for p in self.plans_by_uid.get(o.uid, {}).values()
            if p.state == 1
            and p.symbol == o.symbol
            and p.plan_category == 2
            and p.side == (3 if side == "long" else 2)
        }
        presets = (("take_profit", o.tp_price, o.tp_type), ("stop_loss", o.sl_price, o.sl_type))
        for kind, price, ptype in presets:
            if price is None or kind in existing:
                continue
            self._new_plan(
                o.uid,
                o.symbol,
                kind=kind,
                side=3 if side == "long" else 2,
                size=0,
                trigger_price=price,
                price_type=ptype or 1,
                price_way=self._tpsl_way(kind, side),
                category="market",
                executive_price=None,
                leverage=pos.leverage,
                open_type=pos.open_type,
                mode=1,
                plan_category=2,
                client_order_id="",
            )

    @staticmethod
    def _tpsl_way(kind: str, position_side: str) -> int:
        rises = (kind == "take_profit") == (position_side == "long")
        return 1 if rises else 2

    def _new_plan(self, uid: str, symbol: str, **kw: Any) -> PlanOrder:
        raise NotImplementedError  # provided by PlansMixin

    def _on_position_closed(self, pos: Position) -> None:
        """Hook: a position reached size 0 (PlansMixin drops its position TP/SL)."""

    # ---- resting-order matching (called by tick / set_price) ---------------------------------
    def _match_resting(self, symbol: str) -> None:
        mark = self.markets[symbol].state.mark
        for o in list(self.open_by_symbol[symbol].values()):
            if o.state == 4:
                continue
            buy = o.side in (1, 2)
            if (buy and mark <= o.price) or (not buy and mark >= o.price):
                self._fill(o, o.price, o.remaining, maker=True)
                self._push_asset(o.uid)
