"""Leverage, margin mode and position mode of a user's symbols: submit-leverage,
get-position-mode, set-position-mode, an isolated position's margin; order entry re-margins
through `apply_leverage` too."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from perpdesk.sandbox.engine import errors
from perpdesk.sandbox.engine.checks import OPEN_TYPES, check_leverage
from perpdesk.sandbox.engine.contracts import ContractSpec, money, s
from perpdesk.sandbox.engine.engine_state import EngineState
from perpdesk.sandbox.engine.margin import maintenance, qty, upnl
from perpdesk.sandbox.engine.positions import Positions
from perpdesk.sandbox.engine.state import ZERO, Account, Position
from perpdesk.sandbox.engine.wallets import Wallets

Json = dict[str, Any]
POSITION_MODES = ("hedge_mode", "one_way_mode")


class TradingSettings:
    def __init__(self, state: EngineState, wallets: Wallets, positions: Positions) -> None:
        self.state = state
        self.wallets = wallets
        self.positions = positions

    def submit_leverage(self, uid: str, symbol: str, open_type: str, leverage: Decimal | None = None) -> Json:
        """POST /contract/private/submit-leverage -> {"symbol","leverage","open_type","max_value"}."""
        spec = self.state.spec(symbol)
        acct = self.state.account(uid)
        if open_type not in OPEN_TYPES:
            raise errors.OPEN_TYPE_INVALID(f"open_type {open_type!r}: cross or isolated")
        current, _ = self.state.setting(acct, symbol)
        lev = check_leverage(spec, leverage) if leverage is not None else current
        self.apply_leverage(acct, spec, open_type, lev)
        self.wallets.push_asset(uid)
        return {
            "symbol": symbol,
            "leverage": s(lev),
            "open_type": open_type,
            "max_value": str(spec.max_leverage),
        }

    def apply_leverage(self, acct: Account, spec: ContractSpec, open_type: str, lev: Decimal) -> None:
        """Set the symbol's leverage/margin mode; re-margin open positions (isolated needs funds)."""
        uid, symbol = acct.uid, spec.symbol
        positions = [p for (sym, _), p in self.state.user_positions(uid).items() if sym == symbol]
        open_orders = [o for o in self.state.open_by_uid.get(uid, {}).values() if o.symbol == symbol]
        cur_lev, cur_type = self.state.setting(acct, symbol)
        if open_type != cur_type and (positions or open_orders):
            raise errors.OPEN_TYPE_INVALID(
                f"{symbol} has open positions or orders in {cur_type} mode; close them first"
            )
        if lev == cur_lev and open_type == cur_type:
            if symbol not in acct.settings:
                acct.settings[symbol] = {"leverage": s(lev), "open_type": open_type}
                self.state.save_account(acct)
            return
        for pos in positions:
            notional = qty(spec, pos.size) * self.state.markets[symbol].state.mark
            if lev > spec.bracket_for(notional).initial_leverage:
                raise errors.LEVERAGE_TOO_LARGE(
                    f"position notional {s(money(notional))} allows at most "
                    f"{spec.bracket_for(notional).initial_leverage}x"
                )
        extra = ZERO
        new_margins: list[tuple[Position, Decimal]] = []
        for pos in positions:
            if pos.open_type == "isolated":
                want = money(qty(spec, pos.size) * pos.entry / lev)
                new_margins.append((pos, want))
                extra += want - pos.margin
            else:
                extra += qty(spec, pos.size) * pos.entry * (1 / lev - 1 / pos.leverage)
        if extra > 0 and extra > self.wallets.figures(uid).available:
            raise errors.BALANCE_NOT_ENOUGH(f"raising margin needs {s(money(extra))} USDT")
        for pos, want in new_margins:
            pos.margin = want
        for pos in positions:
            pos.leverage = lev
            pos.update_time = self.state.now()
            self.state.save_position(pos)
        acct.settings[symbol] = {"leverage": s(lev), "open_type": open_type}
        self.state.save_account(acct)
        if positions:
            self.positions.push_position(uid, symbol)

    def get_position_mode(self, uid: str) -> Json:
        """GET /contract/private/get-position-mode -> {"position_mode": "hedge_mode"|"one_way_mode"}."""
        return {"position_mode": self.state.account(uid).position_mode}

    def set_position_mode(self, uid: str, position_mode: str) -> Json:
        """POST /contract/private/set-position-mode -> {"position_mode": ...}."""
        acct = self.state.account(uid)
        if position_mode not in POSITION_MODES:
            raise errors.INVALID_REQUEST(f"position_mode {position_mode!r}: hedge_mode or one_way_mode")
        if position_mode != acct.position_mode:
            if (
                self.state.user_positions(uid)
                or self.state.open_by_uid.get(uid)
                or any(p.state == 1 for p in self.state.plans_by_uid.get(uid, {}).values())
            ):
                raise errors.INVALID_REQUEST(
                    "close all positions and cancel all orders before switching position mode"
                )
            acct.position_mode = position_mode
            self.state.save_account(acct)
        return {"position_mode": acct.position_mode}

    def adjust_isolated_margin(self, uid: str, symbol: str, side: str, amount: Decimal, add: bool) -> Decimal:
        """Move `amount` USDT into (add) or out of an isolated position's margin; returns the
        position's new margin. Adding needs that much available; what is left after removing
        must keep the position above its maintenance margin at the mark. (BitMart's V2 API has
        no such endpoint; the Binance dialect's POST /fapi/v1/positionMargin uses it.)"""
        spec = self.state.spec(symbol)
        pos = self.state.user_positions(uid).get((symbol, side))
        if pos is None:
            raise errors.POSITION_NOT_EXIST(f"no {side} {symbol} position")
        if pos.open_type != "isolated":
            raise errors.POSITION_NOT_ISOLATED(f"the {side} {symbol} position is cross margined")
        if not amount.is_finite() or amount <= 0:
            raise errors.INVALID_REQUEST("amount must be greater than 0")
        amount = money(amount)
        if add:
            if amount > self.wallets.figures(uid).available:
                raise errors.BALANCE_NOT_ENOUGH(f"available {s(self.wallets.figures(uid).available)} USDT")
            pos.margin += amount
        else:
            mark = self.state.markets[symbol].state.mark
            keep = max(ZERO, maintenance(spec, pos, mark) - upnl(spec, pos, mark))
            if pos.margin - amount <= keep:
                raise errors.WOULD_LIQUIDATE(f"less than {s(money(pos.margin - keep))} USDT can go")
            pos.margin -= amount
        pos.update_time = self.state.now()
        self.state.save_position(pos)
        self.positions.push_position(uid, symbol)
        self.wallets.push_asset(uid)
        return pos.margin
