"""Funding settlement: every funding interval (or when the admin asks) longs pay shorts at the
current rate when it is positive, shorts pay longs when it is not."""

from __future__ import annotations

from decimal import Decimal

from perpdesk.sandbox.engine.contracts import CONTRACTS, money
from perpdesk.sandbox.engine.engine_state import EngineState
from perpdesk.sandbox.engine.margin import qty
from perpdesk.sandbox.engine.state import ZERO, FundingRecord
from perpdesk.sandbox.engine.wallets import Wallets


class Funding:
    def __init__(self, state: EngineState, wallets: Wallets) -> None:
        self.state = state
        self.wallets = wallets

    def settle_funding(self, symbol: str, rate: Decimal | None = None) -> Decimal:
        """Settle funding now (admin): at `rate` when given, else at the current rate -> the rate."""
        self.state.spec(symbol)
        market = self.state.markets[symbol].state
        if rate is not None:
            market.funding_rate = rate
        settled = market.funding_rate
        self.apply_funding(symbol, self.state.now())
        return settled

    def apply_funding(self, symbol: str, now: int) -> None:
        """Settle the current rate and start the next interval."""
        st = self.state
        sim = st.markets[symbol]
        market = sim.state
        spec = CONTRACTS[symbol]
        rate = market.funding_rate
        for uid in sorted(st.holders[symbol]):
            acct = st.account(uid)
            for side in ("long", "short"):
                pos = st.user_positions(uid).get((symbol, side))
                if pos is None:
                    continue
                amount = money(qty(spec, pos.size) * market.mark * rate)
                signed = -amount if side == "long" else amount
                if not signed:
                    continue
                acct.balance += signed
                if pos.open_type == "isolated":
                    pos.margin = max(ZERO, pos.margin + signed)
                pos.funding += signed
                st.save_position(pos)
                self.wallets.txn(uid, symbol, 3, signed)
            st.save_account(acct)
            self.wallets.push_asset(uid)
        rec = FundingRecord(symbol, rate, market.next_funding_ms)
        st.funding_history[symbol].append(rec)
        st.put("funding", f"{symbol}:{rec.time}", rec)
        market.next_funding_ms = st.next_funding_boundary(now)
        market.funding_rate = sim.premium_rate()
