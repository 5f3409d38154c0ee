"""`Engine`: the time-driven part (price steps, resting fills, triggers, funding, liquidation)
on top of the endpoint mixins. One instance serves the whole sandbox; it is not thread-safe and
is meant to be used from the event loop only (all methods are quick and synchronous)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path

from perpdesk.sandbox.engine import errors
from perpdesk.sandbox.engine.contracts import CONTRACTS, money
from perpdesk.sandbox.engine.margin import maintenance, qty, upnl
from perpdesk.sandbox.engine.public import PublicMixin
from perpdesk.sandbox.engine.state import ZERO, Fill, FundingRecord, Order, Position
from perpdesk.sandbox.engine.views import order_push

log = logging.getLogger(__name__)


class Engine(PublicMixin):
    """The BitMart Futures sandbox engine. See the package docstring for the contract."""

    async def run(self, interval_s: float) -> None:
        """Call tick() every interval_s until cancelled."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                self.tick()
            except Exception:  # keep the market alive; the error is in the log
                log.exception("engine tick failed")

    def tick(self, now_ms: int | None = None) -> None:
        """Advance prices one step; fill/trigger/fund/liquidate; emit events."""
        now = self.now() if now_ms is None else now_ms
        for sym, sim in self.markets.items():
            queued = self.replay_queues.get(sym)
            if queued:
                sim.state.last_tick_ms = now
                sim.set(queued.popleft(), now)
            elif self.price_walk:
                sim.walk(now)
                if self._persist is not None:
                    self._persist.put("rng", sym, sim.rng_doc(self.seed))
            else:
                sim.state.last_tick_ms = now
                sim.record(now)
            self._after_price(sym, now)
        self._run_cancel_timers(now)

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Admin: set the mark (and last) price, then match/trigger/liquidate like tick()."""
        spec = self.spec(symbol)
        if not price.is_finite() or price <= 0:
            raise errors.RANGE_INVALID(f"price {price} must be positive")
        price = spec.round_price(price)
        if price <= 0:
            raise errors.PRECISION_INVALID(f"price rounds to 0 on the {spec.tick} grid")
        now = self.now()
        self.markets[symbol].set(price, now)
        self._after_price(symbol, now)

    # ---- replay ------------------------------------------------------------------------------
    def replay_prices(self, symbol: str, prices: Iterable[Decimal]) -> int:
        """Admin: queue marks that the next ticks play back, one per tick, before the random walk
        resumes. Prices are rounded to the tick grid. Returns how many are queued for symbol."""
        spec = self.spec(symbol)
        queue = self.replay_queues[symbol]
        for price in prices:
            if not price.is_finite() or price <= 0:
                raise errors.RANGE_INVALID(f"replay price {price} must be positive")
            queue.append(spec.round_price(price))
        return len(queue)

    def load_price_file(self, path: str | Path) -> int:
        """Queue a price file for replay: one `SYMBOL,PRICE` per line; blank lines and lines
        starting with # are skipped. The whole file is checked before anything is queued.
        Returns the number of prices queued."""
        return self.queue_price_lines(Path(path).read_text(encoding="utf-8"), str(path))

    def queue_price_lines(self, text: str, source: str = "prices") -> int:
        """Queue `SYMBOL,PRICE` lines (the price-file format); all or nothing."""
        rows = self.parse_price_lines(text, source)
        for symbol, price in rows:
            self.replay_prices(symbol, [price])
        return len(rows)

    def parse_price_lines(self, text: str, source: str = "prices") -> list[tuple[str, Decimal]]:
        """Check `SYMBOL,PRICE` lines; ValueError names the line that is wrong."""
        rows: list[tuple[str, Decimal]] = []
        for lineno, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split(",")]
            if len(parts) != 2:
                raise ValueError(f"{source}:{lineno}: expected SYMBOL,PRICE, got {line!r}")
            if parts[0] not in self.replay_queues:
                listed = ", ".join(self.symbols())
                raise ValueError(f"{source}:{lineno}: unknown symbol {parts[0]!r}; listed: {listed}")
            try:
                price = Decimal(parts[1])
            except InvalidOperation:
                raise ValueError(f"{source}:{lineno}: {parts[1]!r} is not a price") from None
            if not price.is_finite() or price <= 0 or self.spec(parts[0]).round_price(price) <= 0:
                raise ValueError(f"{source}:{lineno}: price {parts[1]!r} must be positive")
            rows.append((parts[0], price))
        return rows

    def queued_prices(self) -> dict[str, int]:
        """How many replay prices wait, per symbol (only symbols with some)."""
        return {sym: len(q) for sym, q in self.replay_queues.items() if q}

    def clear_replay(self) -> int:
        cleared = sum(len(q) for q in self.replay_queues.values())
        for q in self.replay_queues.values():
            q.clear()
        return cleared

    # ---- after every price change ------------------------------------------------------------
    def _after_price(self, symbol: str, now: int) -> None:
        sim = self.markets[symbol]
        self._match_resting(symbol)
        self._trigger_plans(symbol)
        if now >= sim.state.next_funding_ms:
            self._apply_funding(symbol, now)
        self._check_liquidations(symbol)
        self._put("market", symbol, sim.state)
        for kind in ("last", "mark"):
            c = sim.candles[kind].get(now - now % 60_000)
            if c is not None:
                self._put("candle", f"{symbol}:{kind}:{c.minute}", c)
        self._push_market(symbol, now)

    # ---- funding -----------------------------------------------------------------------------
    def settle_funding(self, symbol: str, rate: Decimal | None = None) -> Decimal:
        """Settle funding now (admin): at `rate` when given, else at the current rate -> the rate."""
        self.spec(symbol)
        if rate is not None:
            self.markets[symbol].state.funding_rate = rate
        settled = self.markets[symbol].state.funding_rate
        self._apply_funding(symbol, self.now())
        return settled

    def _apply_funding(self, symbol: str, now: int) -> None:
        """Settle the current rate: longs pay shorts when it is positive, shorts pay longs when not."""
        sim = self.markets[symbol]
        st = sim.state
        spec = CONTRACTS[symbol]
        rate = st.funding_rate
        for uid in sorted(self.holders[symbol]):
            acct = self._account(uid)
            for side in ("long", "short"):
                pos = self._user_positions(uid).get((symbol, side))
                if pos is None:
                    continue
                amount = money(qty(spec, pos.size) * st.mark * rate)
                signed = -amount if side == "long" else amount
                if not signed:
                    continue
                acct.balance += signed
                if pos.open_type == "isolated":
                    pos.margin = max(ZERO, pos.margin + signed)
                pos.funding += signed
                self._put("position", pos.key, pos)
                self._txn(uid, symbol, 3, signed)
            self._save_account(acct)
            self._push_asset(uid)
        rec = FundingRecord(symbol, rate, st.next_funding_ms)
        self.funding_history[symbol].append(rec)
        self._put("funding", f"{symbol}:{rec.time}", rec)
        st.next_funding_ms = self._next_funding_boundary(now)
        st.funding_rate = sim.premium_rate()

    # ---- liquidation -------------------------------------------------------------------------
    def _check_liquidations(self, symbol: str) -> None:
        mark = self.markets[symbol].state.mark
        spec = CONTRACTS[symbol]
        for uid in sorted(self.holders[symbol]):
            for side in ("long", "short"):
                pos = self._user_positions(uid).get((symbol, side))
                if pos is None or pos.open_type != "isolated":
                    continue
                if pos.margin + upnl(spec, pos, mark) <= maintenance(spec, pos, mark):
                    self._cancel_all(uid, symbol)
                    self._liquidate(pos, cap=pos.margin)
            self._check_cross(uid)

    def _check_cross(self, uid: str) -> None:
        cross = [p for p in self._user_positions(uid).values() if p.open_type == "cross"]
        if not cross:
            return
        iso = sum((p.margin for p in self._user_positions(uid).values() if p.open_type == "isolated"), ZERO)
        acct = self._account(uid)
        equity = acct.balance - iso
        need = ZERO
        for p in cross:
            spec = CONTRACTS[p.symbol]
            mark = self.markets[p.symbol].state.mark
            equity += upnl(spec, p, mark)
            need += maintenance(spec, p, mark)
        if equity > need:
            return
        for sym in sorted({p.symbol for p in cross}):
            self._cancel_all(uid, sym)
        for p in sorted(cross, key=lambda p: (p.symbol, p.side)):
            self._liquidate(p, cap=None)
        if acct.balance < iso:  # the insurance fund takes the rest: a balance never goes negative
            self._txn(uid, "", 5, iso - acct.balance)
            acct.balance = iso
            self._save_account(acct)
        self._push_asset(uid)

    def _liquidate(self, pos: Position, *, cap: Decimal | None) -> None:
        """Close the whole position at the mark as a 'liquidate' order (no liquidation fee)."""
        mark = self.markets[pos.symbol].state.mark
        now = self.now()
        n = pos.size
        o = Order(
            order_id=self._next_id("order"),
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
            position_mode=self._account(pos.uid).position_mode,
            create_time=now,
            update_time=now,
            state=4,
            deal_size=n,
            deal_value=mark * n,
        )
        self._index_order(o, rest=False)
        self._save_order(o)
        pnl = self._reduce(pos, n, mark, floor_loss=cap)
        self._txn(pos.uid, pos.symbol, 5, pnl)
        fill = Fill(
            trade_id=self._next_id("trade"),
            order_id=o.order_id,
            uid=pos.uid,
            symbol=pos.symbol,
            side=o.side,
            price=mark,
            vol=n,
            exec_type="Taker",
            realised_profit=pnl,
            paid_fees=ZERO,
            create_time=now,
        )
        self.fills.setdefault(pos.uid, []).append(fill)
        self._put("fill", fill.trade_id, fill)
        self._emit("futures/order", pos.uid, [order_push(o, 6)])
        self._push_asset(pos.uid)
