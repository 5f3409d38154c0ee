"""Liquidation after every price change: an isolated position whose margin plus PnL falls to its
maintenance margin, or every cross position of a user whose cross equity does, is closed at the
mark as a 'liquidate' order (no liquidation fee); the user's open orders on the symbol go first."""

from __future__ import annotations

from decimal import Decimal

from perpdesk.sandbox.engine.contracts import CONTRACTS
from perpdesk.sandbox.engine.engine_state import EngineState
from perpdesk.sandbox.engine.fills import Fills
from perpdesk.sandbox.engine.margin import maintenance, upnl
from perpdesk.sandbox.engine.orders import Orders
from perpdesk.sandbox.engine.positions import Positions
from perpdesk.sandbox.engine.state import ZERO, Order, Position
from perpdesk.sandbox.engine.views import order_push
from perpdesk.sandbox.engine.wallets import Wallets


class Liquidations:
    def __init__(
        self, state: EngineState, wallets: Wallets, positions: Positions, fills: Fills, orders: Orders
    ) -> None:
        self.state = state
        self.wallets = wallets
        self.positions = positions
        self.fills = fills
        self.orders = orders

    def check_liquidations(self, symbol: str) -> None:
        st = self.state
        mark = st.markets[symbol].state.mark
        spec = CONTRACTS[symbol]
        for uid in sorted(st.holders[symbol]):
            for side in ("long", "short"):
                pos = st.user_positions(uid).get((symbol, side))
                if pos is None or pos.open_type != "isolated":
                    continue
                if pos.margin + upnl(spec, pos, mark) <= maintenance(spec, pos, mark):
                    self.orders.cancel_all(uid, symbol)
                    self._liquidate(pos, cap=pos.margin)
            self._check_cross(uid)

    def _check_cross(self, uid: str) -> None:
        st = self.state
        held = st.user_positions(uid).values()
        cross = [p for p in held if p.open_type == "cross"]
        if not cross:
            return
        iso = sum((p.margin for p in held if p.open_type == "isolated"), ZERO)
        acct = st.account(uid)
        equity = acct.balance - iso
        need = ZERO
        for p in cross:
            spec = CONTRACTS[p.symbol]
            mark = st.markets[p.symbol].state.mark
            equity += upnl(spec, p, mark)
            need += maintenance(spec, p, mark)
        if equity > need:
            return
        for sym in sorted({p.symbol for p in cross}):
            self.orders.cancel_all(uid, sym)
        for p in sorted(cross, key=lambda p: (p.symbol, p.side)):
            self._liquidate(p, cap=None)
        if acct.balance < iso:  # the insurance fund takes the rest: a balance never goes negative
            self.wallets.txn(uid, "", 5, iso - acct.balance)
            acct.balance = iso
            st.save_account(acct)
        self.wallets.push_asset(uid)

    def _liquidate(self, pos: Position, *, cap: Decimal | None) -> None:
        """Close the whole position at the mark as a 'liquidate' order (no liquidation fee)."""
        st = self.state
        mark = st.markets[pos.symbol].state.mark
        now = st.now()
        n = pos.size
        o = Order(
            order_id=st.next_id("order"),
            uid=pos.uid,
            symbol=pos.symbol,
            client_order_id="",
            side=3 if pos.side == "long" else 2,
            type="liquidate",
            mode=3,
            price=mark,
            size=n,
            leverage=pos.leverage,
            open_type=pos.open_type,
            position_mode=st.account(pos.uid).position_mode,
            create_time=now,
            update_time=now,
            state=4,
            deal_size=n,
            deal_value=mark * n,
        )
        st.index_order(o, rest=False)
        st.save_order(o)
        pnl = self.positions.reduce(pos, n, mark, floor_loss=cap)
        self.wallets.txn(pos.uid, pos.symbol, 5, pnl)
        self.fills.record_fill(o, mark, n, "Taker", pnl, ZERO, now)
        st.emit("futures/order", pos.uid, [order_push(o, 6)])
        self.wallets.push_asset(pos.uid)
