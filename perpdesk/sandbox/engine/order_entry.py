"""Placing orders: submit-order (also what plan, TP/SL and trailing orders send when they fire)
and close-all-position.

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

from decimal import Decimal
from typing import Any, Unpack

from perpdesk.sandbox.engine import errors
from perpdesk.sandbox.engine.checks import (
    PresetPrices,
    check_coid,
    check_leverage,
    check_open_type,
    check_order_type,
    check_presets,
    check_price,
    check_side,
    check_size,
    preset_pairs,
)
from perpdesk.sandbox.engine.contracts import CONTRACTS, ContractSpec, money, s
from perpdesk.sandbox.engine.engine_state import TAKER_FEE, EngineState
from perpdesk.sandbox.engine.fills import Fills, reserve
from perpdesk.sandbox.engine.margin import qty
from perpdesk.sandbox.engine.orders import Orders
from perpdesk.sandbox.engine.positions import Positions
from perpdesk.sandbox.engine.state import ZERO, Account, Order
from perpdesk.sandbox.engine.trading_settings import TradingSettings
from perpdesk.sandbox.engine.views import order_push
from perpdesk.sandbox.engine.wallets import Wallets

Json = dict[str, Any]


class OrderEntry:
    def __init__(
        self,
        state: EngineState,
        wallets: Wallets,
        positions: Positions,
        fills: Fills,
        settings: TradingSettings,
        orders: Orders,
    ) -> None:
        self.state = state
        self.wallets = wallets
        self.positions = positions
        self.fills = fills
        self.settings = settings
        self.orders = orders

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
        stp_mode: int | None = None,
        plan_order_id: str = "",
        **presets: Unpack[PresetPrices],
    ) -> Json:
        """POST /contract/private/submit-order -> {"order_id": int, "price": str}.
        `plan_order_id` is set when a plan, TP/SL or trailing order sends the order."""
        tp, sl = preset_pairs(presets)
        st = self.state
        spec = st.spec(symbol)
        acct = st.account(uid)
        sim = st.markets[symbol]
        check_side(side)
        check_order_type(type)
        if mode not in (1, 2, 3, 4):
            raise errors.INVALID_REQUEST(f"mode {mode!r}: 1 GTC, 2 FOK, 3 IOC, 4 maker only")
        market = type == "market"
        check_size(spec, size, market)
        if market:
            price = ZERO
        else:
            price = check_price(spec, price)
        check_presets(spec, tp, sl)
        coid = check_coid(st, uid, client_order_id)
        cur_lev, cur_type = st.setting(acct, symbol)
        check_open_type(open_type)
        otype = open_type or cur_type
        lev = check_leverage(spec, leverage) if leverage is not None else cur_lev
        buy = side in (1, 2)
        one_way = acct.position_mode == "one_way_mode"

        # How much of the order reduces a position (reserved now) and how much opens.
        reduce_side = "short" if buy else "long"
        reduce_pos = st.user_positions(uid).get((symbol, reduce_side))
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
                self.settings.apply_leverage(acct, spec, otype, lev)
        if open_part:
            lev, otype = st.setting(acct, symbol)
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
            if est > self.wallets.figures(uid).available:
                raise errors.BALANCE_NOT_ENOUGH(
                    f"needs {s(est)} USDT (margin at {s(lev)}x plus fee), "
                    f"available {s(self.wallets.figures(uid).available)}"
                )
            held_side = "long" if buy else "short"
            held = st.user_positions(uid).get((symbol, held_side))
            held_size = held.size if held else 0
            ref = price if not market else (sweep[-1][0] if sweep else sim.state.mark)
            notional = qty(spec, held_size + open_part) * ref
            if lev > spec.bracket_for(notional).initial_leverage:
                raise errors.LEVERAGE_TOO_LARGE(
                    f"a {s(money(notional))} USDT position allows at most "
                    f"{spec.bracket_for(notional).initial_leverage}x"
                )

        now = st.now()
        o = Order(
            order_id=st.next_id("order"),
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
            st.save_position(reduce_pos)
        st.index_order(o, rest=False)  # rests below if anything is left after taking
        st.emit("futures/order", uid, [order_push(o, 2)])

        if mode == 2 and sum(q for _, q in sweep) < size:
            self.fills.finish(o, action=3)  # FOK: all or nothing
        else:
            for fill_price, fill_qty in sweep:
                if o.remaining == 0 or o.state == 4:
                    break
                self.fills.fill(o, fill_price, fill_qty, maker=False)
            if o.state != 4:
                if market or mode in (2, 3) or o.remaining == 0:
                    self.fills.finish(o, action=3 if o.remaining else 1)
                else:
                    o.frozen = reserve(o)
                    st.rest(o)
                    st.save_order(o)
        self.wallets.push_asset(uid)
        return {"order_id": int(o.order_id), "price": s(o.price) if o.type == "limit" else "market price"}

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
                mark = self.state.markets[symbol].state.mark
                ref = price if not market else (sweep[-1][0] if sweep else mark)
                notional += qty(spec, open_part - counted) * ref
        else:
            notional = qty(spec, open_part) * price
        return money(notional / lev + notional * TAKER_FEE)

    def close_all_position(
        self, uid: str, symbol: str | None = None, position_side: str | None = None
    ) -> Json:
        """POST /contract/private/close-all-position: market-close the positions of symbol (or of
        every symbol), of one side when position_side is long/short, else both -> {}.

        With both sides, the symbol's open orders are cancelled first (nothing may reopen the
        position). With one side, only orders that would close that side are cancelled (they
        hold its volume); orders on the other side stay."""
        if position_side not in (None, "long", "short"):
            raise errors.INVALID_REQUEST(f"position_side {position_side!r}: long or short")
        if symbol:
            self.state.spec(symbol)
        sides = (position_side,) if position_side else ("long", "short")
        held = self.state.user_positions(uid)
        symbols = [symbol] if symbol else sorted({sym for (sym, side) in held if side in sides})
        for sym in symbols:
            if position_side is None:
                self.orders.cancel_all(uid, sym)
            else:
                self._cancel_closing(uid, sym, position_side)
            cap = CONTRACTS[sym].market_max_volume
            for side in sides:
                # market orders are capped at market_max_volume: close in as many slices as needed
                while (pos := self.state.user_positions(uid).get((sym, side))) is not None and pos.size:
                    n = min(pos.size - pos.frozen_close, cap)
                    if n <= 0:
                        break
                    self.submit_order(uid, sym, side=3 if side == "long" else 2, size=n, type="market")
        self.wallets.push_asset(uid)
        return {}

    def _cancel_closing(self, uid: str, symbol: str, position_side: str) -> None:
        """Cancel the open orders that hold volume of the symbol's long or short position."""
        # a sell (3, or a one-way 4 that reduces first) holds long volume; a buy holds short volume
        closing = (3, 4) if position_side == "long" else (2, 1)
        todo = [
            o
            for o in self.state.open_by_uid.get(uid, {}).values()
            if o.symbol == symbol and (o.side == closing[0] or (o.side == closing[1] and o.close_frozen))
        ]
        for o in todo:
            self.fills.finish(o, action=3)
        if todo:
            self.positions.push_position(uid, symbol)
