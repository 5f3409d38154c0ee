"""The position read endpoints: position, position-v2 and position-risk."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from perpdesk.sandbox.engine.amend import AmendMixin
from perpdesk.sandbox.engine.contracts import CONTRACTS, money, s
from perpdesk.sandbox.engine.margin import initial_margin, maintenance, qty, upnl
from perpdesk.sandbox.engine.state import ZERO, Position

Json = dict[str, Any]


class PositionReadsMixin(AmendMixin):
    def _positions_of(self, uid: str, symbol: str | None) -> list[Position]:
        if symbol:
            self.spec(symbol)
        out = [p for (sym, _), p in self._user_positions(uid).items() if not symbol or sym == symbol]
        return sorted(out, key=lambda p: (p.symbol, p.side))

    def position(self, uid: str, symbol: str | None = None) -> list[Json]:
        """GET /contract/private/position (open positions; both sides in hedge mode)."""
        acct = self._account(uid)
        now = self.now()
        out = []
        for p in self._positions_of(uid, symbol):
            spec = CONTRACTS[p.symbol]
            mark = self.markets[p.symbol].state.mark
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
        acct = self._account(uid)
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
        now = self.now()
        return [self._position_v2_row(p, one_way, now) for p in held]

    def _zero_position(self, uid: str, symbol: str, side: str) -> Position:
        leverage, open_type = self._setting(self._account(uid), symbol)
        return Position(uid, symbol, side, 0, ZERO, leverage, open_type, 0, 0)

    def _position_v2_row(self, p: Position, one_way: bool, now: int) -> Json:
        spec = CONTRACTS[p.symbol]
        mark = self.markets[p.symbol].state.mark
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
            mark = self.markets[p.symbol].state.mark
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
