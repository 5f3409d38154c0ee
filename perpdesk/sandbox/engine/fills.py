"""Fills and what they change: reservations, positions opened and reduced, finished orders,
fees and transaction records, preset TP/SL attached on the first fill, and resting-order
matching when the mark reaches a resting limit price."""

from __future__ import annotations

from decimal import Decimal

from perpdesk.sandbox.engine.contracts import CONTRACTS, ContractSpec, money
from perpdesk.sandbox.engine.engine_state import MAKER_FEE, TAKER_FEE, EngineState
from perpdesk.sandbox.engine.margin import qty
from perpdesk.sandbox.engine.plan_book import PlanBook
from perpdesk.sandbox.engine.positions import Positions
from perpdesk.sandbox.engine.state import ZERO, Fill, Order, Position
from perpdesk.sandbox.engine.user_pushes import trade_way
from perpdesk.sandbox.engine.views import iso_ms, last_trade_view, order_push
from perpdesk.sandbox.engine.wallets import Wallets


def reserve_for(spec: ContractSpec, open_left: int, price: Decimal, leverage: Decimal) -> Decimal:
    """Margin + taker fee held for `open_left` opening contracts resting at price."""
    if open_left <= 0:
        return ZERO
    notional = qty(spec, open_left) * price
    return money(notional / leverage + notional * TAKER_FEE)


def reserve(o: Order) -> Decimal:
    """Margin + fee held for the unfilled opening part of a resting order."""
    return reserve_for(CONTRACTS[o.symbol], o.remaining - o.close_frozen, o.price, o.leverage)


class Fills:
    def __init__(
        self, state: EngineState, wallets: Wallets, positions: Positions, plan_book: PlanBook
    ) -> None:
        self.state = state
        self.wallets = wallets
        self.positions = positions
        self.plan_book = plan_book

    def fill(self, o: Order, price: Decimal, fill_qty: int, *, maker: bool) -> Fill | None:
        """Execute fill_qty of order o at price: reduce first (reserved, then netting), then open."""
        st = self.state
        spec = CONTRACTS[o.symbol]
        acct = st.account(o.uid)
        buy = o.side in (1, 2)
        reduce_side = "short" if buy else "long"
        positions = st.positions.setdefault(o.uid, {})
        now = st.now()
        left = min(fill_qty, o.remaining)
        realised = ZERO
        done = 0
        touched: Position | None = None
        st.hide(o)
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
                realised += self.positions.reduce(pos, take, price)
                left -= take
                done += take
        # 2) one-way netting of the unreserved part against the opposite position
        if left and o.side in (1, 4) and o.position_mode == "one_way_mode":
            pos = positions.get((o.symbol, reduce_side))
            if pos is not None:
                take = min(left, pos.size - pos.frozen_close)
                if take > 0:
                    touched = pos
                    realised += self.positions.reduce(pos, take, price)
                    left -= take
                    done += take
        # 3) open
        if left and o.side in (1, 4):
            touched = self.positions.open(o, "long" if buy else "short", left, price, now)
            done += left
            left = 0
        if done == 0:
            # a close order whose position is gone cannot fill: cancel what is left
            self.finish(o, action=3)
            return None
        fee = money(qty(spec, done) * price * (MAKER_FEE if maker else TAKER_FEE))
        acct.balance -= fee
        o.fee += fee
        if touched is not None and touched.size > 0:
            touched.fee += fee
            st.save_position(touched)
        if fee:
            self.wallets.txn(o.uid, o.symbol, 4, -fee)
        if realised:
            self.wallets.txn(o.uid, o.symbol, 2, realised)
        o.deal_size += done
        o.deal_value += price * done
        o.update_time = now
        fill = self.record_fill(o, price, done, "Maker" if maker else "Taker", realised, fee, now)
        st.save_account(acct)
        sim = st.markets[o.symbol]
        trade = sim.add_trade(price, done, buyer_maker=maker == buy, now_ms=now)
        candle = sim.add_volume(now, done)
        st.put("candle", f"{candle.symbol}:{candle.kind}:{candle.minute}", candle)
        st.emit(
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
            self.plan_book.attach_presets(o)
        if o.remaining == 0:
            self.finish(o, action=1, last=fill)
        else:
            if o.order_id in st.open_by_symbol[o.symbol]:
                o.frozen = reserve(o)
                st.show(o)
            st.save_order(o)
            st.emit("futures/order", o.uid, [order_push(o, 1, last_trade_view(fill))])
        self.positions.push_position(o.uid, o.symbol)
        return fill

    def record_fill(
        self, o: Order, price: Decimal, vol: int, exec_type: str, realised: Decimal, fee: Decimal, now: int
    ) -> Fill:
        """Add a fill of o to its user's trades (and to the state file)."""
        fill = Fill(
            trade_id=self.state.next_id("trade"),
            order_id=o.order_id,
            uid=o.uid,
            symbol=o.symbol,
            side=o.side,
            price=price,
            vol=vol,
            exec_type=exec_type,
            realised_profit=realised,
            paid_fees=fee,
            create_time=now,
        )
        self.state.fills.setdefault(o.uid, []).append(fill)
        self.state.put("fill", fill.trade_id, fill)
        return fill

    def finish(self, o: Order, *, action: int, last: Fill | None = None) -> None:
        """Take o off the book (filled or cancelled): release its reservations."""
        if o.state == 4:
            return
        st = self.state
        st.hide(o)
        if o.close_frozen:
            side = "short" if o.side in (1, 2) else "long"
            pos = st.user_positions(o.uid).get((o.symbol, side))
            if pos is not None:
                pos.frozen_close = max(0, pos.frozen_close - o.close_frozen)
                st.save_position(pos)
            o.close_frozen = 0
        o.frozen = ZERO
        o.state = 4
        o.update_time = st.now()
        st.unrest(o)
        st.save_order(o)
        st.emit("futures/order", o.uid, [order_push(o, action, last_trade_view(last) if last else None)])

    def match_resting(self, symbol: str) -> None:
        """Fill, as maker at their price, the resting orders the mark has reached."""
        mark = self.state.markets[symbol].state.mark
        for o in list(self.state.open_by_symbol[symbol].values()):
            if o.state == 4:
                continue
            buy = o.side in (1, 2)
            if (buy and mark <= o.price) or (not buy and mark >= o.price):
                self.fill(o, o.price, o.remaining, maker=True)
                self.wallets.push_asset(o.uid)
