"""Positions: opened and reduced by fills, their liquidation price and push, and the position
read endpoints (position, position-v2, position-risk)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from perpdesk.sandbox.engine.contracts import CONTRACTS, money, s
from perpdesk.sandbox.engine.engine_state import EngineState
from perpdesk.sandbox.engine.margin import initial_margin, liquidation_price, maintenance, qty, upnl
from perpdesk.sandbox.engine.plan_book import PlanBook
from perpdesk.sandbox.engine.state import ZERO, Order, Position
from perpdesk.sandbox.engine.views import position_push

Json = dict[str, Any]
ENTRY_Q = Decimal("1e-10")


class Positions:
    def __init__(self, state: EngineState, plan_book: PlanBook) -> None:
        self.state = state
        self.plan_book = plan_book

    # ---- changes -----------------------------------------------------------------------------
    def open(self, o: Order, side: str, n: int, price: Decimal, now: int) -> Position:
        """Add n contracts at price to o's user's position on side (created if none)."""
        st = self.state
        spec = CONTRACTS[o.symbol]
        positions = st.positions.setdefault(o.uid, {})
        pos = positions.get((spec.symbol, side))
        if pos is None:
            pos = Position(
                uid=o.uid,
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
            st.holders[spec.symbol].add(o.uid)
        total = pos.size + n
        pos.entry = ((pos.entry * pos.size + price * n) / total).quantize(ENTRY_Q)
        pos.size = total
        if pos.open_type == "isolated":
            pos.margin += money(qty(spec, n) * price / pos.leverage)
        pos.update_time = now
        st.markets[spec.symbol].state.open_interest += n if side == "long" else 0
        st.save_position(pos)
        return pos

    def reduce(self, pos: Position, n: int, price: Decimal, *, floor_loss: Decimal | None = None) -> Decimal:
        """Close n contracts of pos at price; returns the realised PnL credited to the balance."""
        st = self.state
        spec = CONTRACTS[pos.symbol]
        acct = st.account(pos.uid)
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
        pos.update_time = st.now()
        if pos.side == "long":
            market = st.markets[pos.symbol].state
            market.open_interest = max(0, market.open_interest - n)
        if pos.size == 0:
            # the position is gone: drop it and any close orders still pointing at it
            if pos.open_type == "isolated" and pos.margin:
                pos.margin = ZERO
            del st.positions[pos.uid][(pos.symbol, pos.side)]
            if not any(sym == pos.symbol for sym, _ in st.positions[pos.uid]):
                st.holders[pos.symbol].discard(pos.uid)
            st.delete("position", pos.key)
            self.plan_book.drop_position_tpsl(pos)
            self.push_position(pos.uid, pos.symbol, closed=pos)
        else:
            st.save_position(pos)
        st.save_account(acct)
        return pnl

    # ---- liquidation price and push ----------------------------------------------------------
    def cross_collateral(self, uid: str, exclude: Position | None) -> Decimal:
        """Cross pool left to carry `exclude`: balance minus isolated margins, plus the other cross
        positions' PnL minus their maintenance margins. Margin frozen by open orders counts as
        collateral, as in the liquidation check (which cancels those orders first)."""
        pool = self.state.account(uid).balance
        for (sym, _side), pos in self.state.user_positions(uid).items():
            spec = CONTRACTS[sym]
            if pos.open_type == "isolated":
                pool -= pos.margin
            elif pos is not exclude:
                mark = self.state.markets[sym].state.mark
                pool += upnl(spec, pos, mark) - maintenance(spec, pos, mark)
        return pool

    def liq_price(self, pos: Position) -> Decimal:
        spec = CONTRACTS[pos.symbol]
        mark = self.state.markets[pos.symbol].state.mark
        if pos.open_type == "isolated":
            collateral = pos.margin
        else:
            collateral = self.cross_collateral(pos.uid, pos)
        return liquidation_price(spec, pos, mark, collateral)

    def push_position(self, uid: str, symbol: str, closed: Position | None = None) -> None:
        st = self.state
        if not st.subscribers:
            return
        mode = st.account(uid).position_mode
        now = st.now()
        spec = CONTRACTS[symbol]
        items = []
        for side in ("long", "short"):
            pos = st.user_positions(uid).get((symbol, side))
            if pos is not None:
                items.append(position_push(spec, pos, self.liq_price(pos), mode, now))
        if closed is not None and closed.size == 0:
            items.append(position_push(spec, closed, ZERO, mode, now))
        if items:
            st.emit("futures/position", uid, items)

    # ---- reads -------------------------------------------------------------------------------
    def _positions_of(self, uid: str, symbol: str | None) -> list[Position]:
        if symbol:
            self.state.spec(symbol)
        out = [p for (sym, _), p in self.state.user_positions(uid).items() if not symbol or sym == symbol]
        return sorted(out, key=lambda p: (p.symbol, p.side))

    def position(self, uid: str, symbol: str | None = None) -> list[Json]:
        """GET /contract/private/position (open positions; both sides in hedge mode)."""
        acct = self.state.account(uid)
        now = self.state.now()
        out = []
        for p in self._positions_of(uid, symbol):
            spec = CONTRACTS[p.symbol]
            mark = self.state.markets[p.symbol].state.mark
            out.append(
                {
                    "timestamp": now,
                    "symbol": p.symbol,
                    "leverage": s(p.leverage),
                    "current_fee": s(p.fee),
                    "open_timestamp": p.open_time,
                    "current_value": s(money(qty(spec, p.size) * mark)),
                    "mark_value": s(money(qty(spec, p.size) * mark)),
                    "mark_price": s(mark),
                    "position_value": s(money(qty(spec, p.size) * p.entry)),
                    "position_cross": s(money(initial_margin(spec, p))),
                    "maintenance_margin": s(money(maintenance(spec, p, mark))),
                    "margin_type": "Isolated" if p.open_type == "isolated" else "Cross",
                    "close_vol": str(p.close_vol),
                    "close_avg_price": s(p.close_value / p.close_vol) if p.close_vol else "0",
                    "open_avg_price": s(p.entry),
                    "entry_price": s(p.entry),
                    "current_amount": str(p.size),
                    "unrealized_value": s(money(upnl(spec, p, mark))),
                    "realized_value": s(p.realized),
                    "position_type": 1 if p.side == "long" else 2,
                    "account": "futures",
                    "position_mode": acct.position_mode,
                }
            )
        return out

    def position_v2(self, uid: str, symbol: str | None = None) -> list[Json]:
        """GET /contract/private/position-v2. With `symbol`, a side without a position is the
        documented zero row (hedge mode: long and short; one-way mode: one "both" row)."""
        acct = self.state.account(uid)
        one_way = acct.position_mode == "one_way_mode"
        held = self._positions_of(uid, symbol)
        if symbol:
            sides = {p.side for p in held}
            if one_way:
                if not held:
                    held = [self._zero_position(uid, symbol, "long")]
            else:
                missing = [side for side in ("long", "short") if side not in sides]
                held += [self._zero_position(uid, symbol, side) for side in missing]
                held.sort(key=lambda p: p.side)
        now = self.state.now()
        return [self._position_v2_row(p, one_way, now) for p in held]

    def _zero_position(self, uid: str, symbol: str, side: str) -> Position:
        leverage, open_type = self.state.setting(self.state.account(uid), symbol)
        return Position(uid, symbol, side, 0, ZERO, leverage, open_type, 0, 0)

    def _position_v2_row(self, p: Position, one_way: bool, now: int) -> Json:
        spec = CONTRACTS[p.symbol]
        mark = self.state.markets[p.symbol].state.mark
        mark_value = money(qty(spec, p.size) * mark)
        # position_type (1 long / 2 short) is not in the table, but the live exchange sent it and
        # clients read it; position_amount is signed in one-way mode (negative = short).
        signed = -p.size if one_way and p.side == "short" else p.size
        return {
            "symbol": p.symbol,
            "leverage": s(p.leverage),
            "timestamp": now,
            "current_fee": s(p.fee),
            "open_timestamp": p.open_time,
            "current_value": s(mark_value),
            "mark_price": s(mark),
            "mark_value": s(mark_value),
            "position_value": s(money(qty(spec, p.size) * p.entry)),
            "position_cross": s(money(initial_margin(spec, p))) if p.size else "0",
            "maintenance_margin": s(money(maintenance(spec, p, mark))) if p.size else "0",
            "close_vol": str(p.close_vol),
            "close_avg_price": s(p.close_value / p.close_vol) if p.close_vol else "0",
            "open_avg_price": s(p.entry),
            "entry_price": s(p.entry),
            "current_amount": str(p.size),
            "position_amount": str(signed),
            "realized_value": s(p.realized),
            "unrealized_pnl": s(money(upnl(spec, p, mark))) if p.size else "0",
            "liquidation_price": s(self.liq_price(p)) if p.size else "0",
            "max_notional_value": s(self._max_notional(p)),
            "initial_margin": s(money(initial_margin(spec, p))) if p.size else "0",
            "open_type": p.open_type,
            "position_side": "both" if one_way else p.side,
            "position_type": 1 if p.side == "long" else 2,
            "account": "futures",
        }

    def _max_notional(self, p: Position) -> Decimal:
        """Largest notional the position's leverage allows (top of the last bracket that permits it)."""
        spec = CONTRACTS[p.symbol]
        cap = ZERO
        for b in spec.brackets:
            if b.initial_leverage >= p.leverage:
                cap = b.notional_cap
        return cap

    def position_risk(self, uid: str, symbol: str | None = None) -> list[Json]:
        """GET /contract/private/position-risk."""
        out = []
        for p in self._positions_of(uid, symbol):
            spec = CONTRACTS[p.symbol]
            mark = self.state.markets[p.symbol].state.mark
            out.append(
                {
                    "symbol": p.symbol,
                    "position_amt": str(p.size),
                    "mark_price": s(mark),
                    "unrealized_profit": s(money(upnl(spec, p, mark))),
                    "liquidation_price": s(self.liq_price(p)),
                    "leverage": s(p.leverage),
                    "max_notional_value": s(self._max_notional(p)),
                    "margin_type": "Isolated" if p.open_type == "isolated" else "Cross",
                    "isolated_margin": s(p.margin) if p.open_type == "isolated" else "0",
                    "position_side": "Long" if p.side == "long" else "Short",
                    "notional": s(money(qty(spec, p.size) * mark)),
                    "update_time": p.update_time,
                    "account": "futures",
                }
            )
        return out
