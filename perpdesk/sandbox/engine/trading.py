"""Orders and positions: submit / modify / cancel, fills against the synthetic book, netting.

Semantics (BitMart Futures V2):
- side 1 buy_open_long, 2 buy_close_short, 3 sell_close_long, 4 sell_open_short. In one_way_mode
  1 and 4 are plain buy/sell: they reduce the opposite position first, then open; 2 and 3 only
  reduce. In hedge_mode each side addresses its own position.
- mode 1 GTC, 2 FOK, 3 IOC, 4 maker-only. A limit order that crosses the book takes (taker fee);
  what is left rests and fills at its price when the mark reaches it (maker fee).
- opening contracts reserve margin (notional / leverage) plus a taker-fee estimate while resting;
  closing contracts reserve the position volume they will close.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from perpdesk.sandbox.engine import errors
from perpdesk.sandbox.engine.contracts import CONTRACTS, ContractSpec, money, s
from perpdesk.sandbox.engine.core import EngineCore
from perpdesk.sandbox.engine.margin import qty
from perpdesk.sandbox.engine.state import ZERO, Account, Fill, Order, PlanOrder, Position, Txn
from perpdesk.sandbox.engine.user_pushes import trade_way
from perpdesk.sandbox.engine.views import iso_ms, last_trade_view, order_push

Json = dict[str, Any]
_COID = re.compile(r"^[A-Za-z0-9]+$")
POSITION_MODES = ("hedge_mode", "one_way_mode")
OPEN_TYPES = ("cross", "isolated")
ENTRY_Q = Decimal("1e-10")


class TradingMixin(EngineCore):
    # ---- validation helpers ------------------------------------------------------------------
    def _check_coid(self, uid: str, client_order_id: str | None) -> str:
        if not client_order_id:
            return ""
        if len(client_order_id) > 32:
            raise errors.CLIENT_ID_LENGTH(f"client_order_id has {len(client_order_id)} characters")
        if not _COID.match(client_order_id):
            raise errors.CLIENT_ID_FORMAT(f"client_order_id {client_order_id!r}")
        live = self.order_coid.get(uid, {}).get(client_order_id)
        if live is not None and self.orders[live].state != 4:
            raise errors.CLIENT_ID_DUPLICATED(f"order {live} is live with this id {client_order_id!r}")
        plan = self.plan_coid.get(uid, {}).get(client_order_id)
        if plan is not None and self.plans[plan].state == 1:
            raise errors.CLIENT_ID_DUPLICATED(
                f"plan order {plan} is live with client_order_id {client_order_id!r}"
            )
        return client_order_id

    def _check_leverage(self, spec: ContractSpec, leverage: Decimal) -> Decimal:
        if not leverage.is_finite() or leverage != leverage.to_integral_value():
            raise errors.LEVERAGE_INVALID(f"leverage {leverage}: a whole number is expected")
        if leverage < spec.min_leverage:
            raise errors.LEVERAGE_TOO_SMALL(f"minimum for {spec.symbol} is {spec.min_leverage}")
        if leverage > spec.max_leverage:
            raise errors.LEVERAGE_TOO_LARGE(f"maximum for {spec.symbol} is {spec.max_leverage}")
        return Decimal(int(leverage))

    def _check_size(self, spec: ContractSpec, size: int, market: bool) -> None:
        if isinstance(size, bool) or not isinstance(size, int):
            raise errors.PRECISION_INVALID(f"size {size!r}: whole contracts expected")
        top = spec.market_max_volume if market else spec.max_volume
        if size < spec.min_volume or size > top:
            raise errors.RANGE_INVALID(f"size {size}: allowed {spec.min_volume}..{top} contracts")

    def _check_price(self, spec: ContractSpec, price: Decimal | None, what: str = "price") -> Decimal:
        if price is None:
            raise errors.INVALID_REQUEST(f"{what} is required")
        if not price.is_finite() or price <= 0:
            raise errors.RANGE_INVALID(f"{what} {price} must be positive")
        if not spec.on_grid(price):
            raise errors.PRECISION_INVALID(f"{what} {price} is not a multiple of {spec.tick}")
        return price

    # ---- leverage and position mode ----------------------------------------------------------
    def submit_leverage(self, uid: str, symbol: str, open_type: str, leverage: Decimal | None = None) -> Json:
        """POST /contract/private/submit-leverage -> {"symbol","leverage","open_type","max_value"}."""
        spec = self.spec(symbol)
        acct = self._account(uid)
        if open_type not in OPEN_TYPES:
            raise errors.OPEN_TYPE_INVALID(f"open_type {open_type!r}: cross or isolated")
        current, _ = self._setting(acct, symbol)
        lev = self._check_leverage(spec, leverage) if leverage is not None else current
        self._apply_leverage(acct, spec, open_type, lev)
        self._push_asset(uid)
        return {
            "symbol": symbol,
            "leverage": s(lev),
            "open_type": open_type,
            "max_value": str(spec.max_leverage),
        }

    def _apply_leverage(self, acct: Account, spec: ContractSpec, open_type: str, lev: Decimal) -> None:
        """Set the symbol's leverage/margin mode; re-margin open positions (isolated needs funds)."""
        uid, symbol = acct.uid, spec.symbol
        positions = [p for (sym, _), p in self._user_positions(uid).items() if sym == symbol]
        open_orders = [o for o in self.open_by_uid.get(uid, {}).values() if o.symbol == symbol]
        cur_lev, cur_type = self._setting(acct, symbol)
        if open_type != cur_type and (positions or open_orders):
            raise errors.OPEN_TYPE_INVALID(
                f"{symbol} has open positions or orders in {cur_type} mode; close them first"
            )
        if lev == cur_lev and open_type == cur_type:
            if symbol not in acct.settings:
                acct.settings[symbol] = {"leverage": s(lev), "open_type": open_type}
                self._save_account(acct)
            return
        for pos in positions:
            notional = qty(spec, pos.size) * self.markets[symbol].state.mark
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
        if extra > 0 and extra > self.figures(uid).available:
            raise errors.BALANCE_NOT_ENOUGH(f"raising margin needs {s(money(extra))} USDT")
        for pos, want in new_margins:
            pos.margin = want
        for pos in positions:
            pos.leverage = lev
            pos.update_time = self.now()
            self._put("position", pos.key, pos)
        acct.settings[symbol] = {"leverage": s(lev), "open_type": open_type}
        self._save_account(acct)
        if positions:
            self._push_position(uid, symbol)

    def get_position_mode(self, uid: str) -> Json:
        """GET /contract/private/get-position-mode -> {"position_mode": "hedge_mode"|"one_way_mode"}."""
        return {"position_mode": self._account(uid).position_mode}

    def set_position_mode(self, uid: str, position_mode: str) -> Json:
        """POST /contract/private/set-position-mode -> {"position_mode": ...}."""
        acct = self._account(uid)
        if position_mode not in POSITION_MODES:
            raise errors.INVALID_REQUEST(f"position_mode {position_mode!r}: hedge_mode or one_way_mode")
        if position_mode != acct.position_mode:
            if self._user_positions(uid) or self.open_by_uid.get(uid) or any(
                p.state == 1 for p in self.plans_by_uid.get(uid, {}).values()
            ):
                raise errors.INVALID_REQUEST(
                    "close all positions and cancel all orders before switching position mode"
                )
            acct.position_mode = position_mode
            self._save_account(acct)
        return {"position_mode": acct.position_mode}

    # ---- submit ------------------------------------------------------------------------------
    def submit_order(
        self,
        uid: str,
        symbol: str,
        *,
        side: int,
        size: int,
        type: str = "limit",
        price: Decimal | None = None,
        client_order_id: str | None = None,
        leverage: Decimal | None = None,
        open_type: str | None = None,
        mode: int = 1,
        preset_take_profit_price: Decimal | None = None,
        preset_take_profit_price_type: int | None = None,
        preset_stop_loss_price: Decimal | None = None,
        preset_stop_loss_price_type: int | None = None,
        stp_mode: int | None = None,
    ) -> Json:
        """POST /contract/private/submit-order -> {"order_id": int, "price": str}."""
        o = self._place(
            uid,
            symbol,
            side=side,
            size=size,
            type=type,
            price=price,
            client_order_id=client_order_id,
            leverage=leverage,
            open_type=open_type,
            mode=mode,
            tp=(preset_take_profit_price, preset_take_profit_price_type),
            sl=(preset_stop_loss_price, preset_stop_loss_price_type),
            stp_mode=stp_mode,
        )
        return {"order_id": int(o.order_id), "price": s(o.price) if o.type == "limit" else "market price"}

    def _place(
        self,
        uid: str,
        symbol: str,
        *,
        side: int,
        size: int,
        type: str = "limit",
        price: Decimal | None = None,
        client_order_id: str | None = None,
        leverage: Decimal | None = None,
        open_type: str | None = None,
        mode: int = 1,
        tp: tuple[Decimal | None, int | None] = (None, None),
        sl: tuple[Decimal | None, int | None] = (None, None),
        stp_mode: int | None = None,
        plan_order_id: str = "",
    ) -> Order:
        spec = self.spec(symbol)
        acct = self._account(uid)
        sim = self.markets[symbol]
        if side not in (1, 2, 3, 4):
            raise errors.SIDE_INVALID(f"side {side!r}: 1 buy_open_long, 2 buy_close_short, "
                                      "3 sell_close_long, 4 sell_open_short")
        if type not in ("limit", "market"):
            raise errors.TYPE_INVALID(f"type {type!r}: limit or market")
        if mode not in (1, 2, 3, 4):
            raise errors.INVALID_REQUEST(f"mode {mode!r}: 1 GTC, 2 FOK, 3 IOC, 4 maker only")
        market = type == "market"
        self._check_size(spec, size, market)
        if market:
            price = ZERO
        else:
            price = self._check_price(spec, price)
        for label, (p, ptype) in (("preset_take_profit_price", tp), ("preset_stop_loss_price", sl)):
            if p is not None:
                self._check_price(spec, p, label)
                if ptype not in (None, 1, 2):
                    raise errors.INVALID_REQUEST(f"{label}_type {ptype!r}: 1 last price, 2 fair price")
        coid = self._check_coid(uid, client_order_id)
        cur_lev, cur_type = self._setting(acct, symbol)
        if open_type is not None and open_type not in OPEN_TYPES:
            raise errors.OPEN_TYPE_INVALID(f"open_type {open_type!r}: cross or isolated")
        otype = open_type or cur_type
        lev = self._check_leverage(spec, leverage) if leverage is not None else cur_lev
        buy = side in (1, 2)
        one_way = acct.position_mode == "one_way_mode"

        # How much of the order reduces a position (reserved now) and how much opens.
        reduce_side = "short" if buy else "long"
        reduce_pos = self._user_positions(uid).get((symbol, reduce_side))
        free_close = reduce_pos.size - reduce_pos.frozen_close if reduce_pos else 0
        if side in (2, 3):
            if reduce_pos is None:
                raise errors.POSITION_NOT_EXIST(f"no {reduce_side} {symbol} position to close")
            if size > free_close:
                raise errors.POSITION_NOT_ENOUGH(
                    f"closable {free_close} contracts (position {reduce_pos.size}, "
                    f"{reduce_pos.frozen_close} held by open close orders)"
                )
            close_part, open_part = size, 0
        elif one_way:
            close_part = min(size, free_close)
            open_part = size - close_part
        else:
            close_part, open_part = 0, size

        if open_part and (open_type is not None or leverage is not None):
            if (lev, otype) != (cur_lev, cur_type):
                self._apply_leverage(acct, spec, otype, lev)
        if open_part:
            lev, otype = self._setting(acct, symbol)
        elif reduce_pos is not None:
            lev, otype = reduce_pos.leverage, reduce_pos.open_type

        # What a taker would get now, for crossing checks, FOK and the margin estimate.
        crossing = market or (buy and price >= sim.best_ask()) or (not buy and price <= sim.best_bid())
        if mode == 4 and crossing and not market:
            raise errors.RANGE_INVALID(
                f"maker-only order at {s(price)} would take liquidity "
                f"(best {'ask' if buy else 'bid'} {s(sim.best_ask() if buy else sim.best_bid())})"
            )
        sweep = sim.sweep(buy, size, None if market else price) if crossing else []
        if open_part:
            est = self._open_cost(spec, acct, symbol, buy, open_part, price, market, lev, sweep, close_part)
            if est > self.figures(uid).available:
                raise errors.BALANCE_NOT_ENOUGH(
                    f"needs {s(est)} USDT (margin at {s(lev)}x plus fee), "
                    f"available {s(self.figures(uid).available)}"
                )
            held_side = "long" if buy else "short"
            held = self._user_positions(uid).get((symbol, held_side))
            held_size = held.size if held else 0
            ref = price if not market else (sweep[-1][0] if sweep else sim.state.mark)
            notional = qty(spec, held_size + open_part) * ref
            if lev > spec.bracket_for(notional).initial_leverage:
                raise errors.LEVERAGE_TOO_LARGE(
                    f"a {s(money(notional))} USDT position allows at most "
                    f"{spec.bracket_for(notional).initial_leverage}x"
                )

        now = self.now()
        o = Order(
            order_id=self._next_id("order"),
            uid=uid,
            symbol=symbol,
            client_order_id=coid,
            side=side,
            type=type,
            mode=mode,
            price=price,
            size=size,
            leverage=lev,
            open_type=otype,
            position_mode=acct.position_mode,
            create_time=now,
            update_time=now,
            close_frozen=close_part,
            tp_price=tp[0],
            tp_type=(tp[1] or 1) if tp[0] is not None else None,
            sl_price=sl[0],
            sl_type=(sl[1] or 1) if sl[0] is not None else None,
            stp_mode=stp_mode,
            plan_order_id=plan_order_id,
        )
        if close_part and reduce_pos is not None:
            reduce_pos.frozen_close += close_part
            self._put("position", reduce_pos.key, reduce_pos)
        self._index_order(o, rest=False)  # rests below if anything is left after taking
        self._emit("futures/order", uid, [order_push(o, 2)])

        if mode == 2 and sum(q for _, q in sweep) < size:
            self._finish(o, action=3)  # FOK: all or nothing
        else:
            for fill_price, fill_qty in sweep:
                if o.remaining == 0 or o.state == 4:
                    break
                self._fill(o, fill_price, fill_qty, maker=False)
            if o.state != 4:
                if market or mode in (2, 3) or o.remaining == 0:
                    self._finish(o, action=3 if o.remaining else 1)
                else:
                    o.frozen = self._reserve(o)
                    self._rest(o)
                    self._save_order(o)
        self._push_asset(uid)
        return o

    def _open_cost(
        self,
        spec: ContractSpec,
        acct: Account,
        symbol: str,
        buy: bool,
        open_part: int,
        price: Decimal,
        market: bool,
        lev: Decimal,
        sweep: list[tuple[Decimal, int]],
        close_part: int,
    ) -> Decimal:
        """Margin + taker fee for the opening contracts, priced at the fills they would get now."""
        if market or sweep:
            # the opening contracts are the last ones filled (netting reduces first)
            skip = close_part
            notional = ZERO
            counted = 0
            for p, q in sweep:
                use = q
                if skip:
                    cut = min(skip, use)
                    skip -= cut
                    use -= cut
                if use:
                    notional += qty(spec, use) * p
                    counted += use
            if counted < open_part:
                ref = price if not market else (sweep[-1][0] if sweep else self.markets[symbol].state.mark)
                notional += qty(spec, open_part - counted) * ref
        else:
            notional = qty(spec, open_part) * price
        return money(notional / lev + notional * self.TAKER_FEE)

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
            p.kind for p in self.plans_by_uid.get(o.uid, {}).values()
            if p.state == 1 and p.symbol == o.symbol and p.plan_category == 2
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
