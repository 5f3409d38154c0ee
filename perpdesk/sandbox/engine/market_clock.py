"""What moves prices: the timed tick (seeded random walk or queued replay prices), the admin's
set_price, and what follows every price change: resting orders fill, plans fire, funding is
settled when due, positions are liquidated, the market is saved and pushed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path

from perpdesk.sandbox.engine import errors
from perpdesk.sandbox.engine.engine_state import EngineState
from perpdesk.sandbox.engine.fills import Fills
from perpdesk.sandbox.engine.funding import Funding
from perpdesk.sandbox.engine.liquidation import Liquidations
from perpdesk.sandbox.engine.orders import Orders
from perpdesk.sandbox.engine.public import PublicData
from perpdesk.sandbox.engine.triggers import Triggers

log = logging.getLogger(__name__)
MAX_MARK = Decimal("1e12")  # far above any listed contract's price; keeps Decimal arithmetic exact


class MarketClock:
    def __init__(
        self,
        state: EngineState,
        public: PublicData,
        fills: Fills,
        triggers: Triggers,
        funding: Funding,
        liquidations: Liquidations,
        orders: Orders,
    ) -> None:
        self.state = state
        self.public = public
        self.fills = fills
        self.triggers = triggers
        self.funding = funding
        self.liquidations = liquidations
        self.orders = orders

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
        now = self.state.now() if now_ms is None else now_ms
        for sym, sim in self.state.markets.items():
            queued = self.state.replay_queues.get(sym)
            if queued:
                sim.state.last_tick_ms = now
                sim.set(queued.popleft(), now)
            elif self.state.price_walk:
                sim.walk(now)
            else:
                sim.state.last_tick_ms = now
                sim.record(now)
            self._after_price(sym, now)
        self.orders.run_cancel_timers(now)

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Admin: set the mark (and last) price, then match/trigger/liquidate like tick()."""
        spec = self.state.spec(symbol)
        if not price.is_finite() or not 0 < price <= MAX_MARK:
            raise errors.RANGE_INVALID(f"price {price} must be above 0 and at most {MAX_MARK:f}")
        price = spec.round_price(price)
        if price <= 0:
            raise errors.PRECISION_INVALID(f"price rounds to 0 on the {spec.tick} grid")
        now = self.state.now()
        self.state.markets[symbol].set(price, now)
        self._after_price(symbol, now)

    # ---- replay ------------------------------------------------------------------------------
    def replay_prices(self, symbol: str, prices: Iterable[Decimal]) -> int:
        """Admin: queue marks that the next ticks play back, one per tick, before the random walk
        resumes. Prices are rounded to the tick grid. Returns how many are queued for symbol."""
        spec = self.state.spec(symbol)
        queue = self.state.replay_queues[symbol]
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
            if parts[0] not in self.state.replay_queues:
                raise ValueError(f"{source}:{lineno}: unknown symbol {parts[0]!r}; the sandbox lists "
                                 f"{len(self.state.replay_queues)} contracts, e.g. BTCUSDT")
            try:
                price = Decimal(parts[1])
            except InvalidOperation:
                raise ValueError(f"{source}:{lineno}: {parts[1]!r} is not a price") from None
            fits = price.is_finite() and 0 < price <= MAX_MARK
            if not fits or self.state.spec(parts[0]).round_price(price) <= 0:
                at_most = f"{MAX_MARK:f}"
                raise ValueError(f"{source}:{lineno}: price {parts[1]!r} must be positive, at most {at_most}")
            rows.append((parts[0], price))
        return rows

    def queued_prices(self) -> dict[str, int]:
        """How many replay prices wait, per symbol (only symbols with some)."""
        return {sym: len(q) for sym, q in self.state.replay_queues.items() if q}

    def clear_replay(self) -> int:
        cleared = sum(len(q) for q in self.state.replay_queues.values())
        for q in self.state.replay_queues.values():
            q.clear()
        return cleared

    # ---- after every price change ------------------------------------------------------------
    def _after_price(self, symbol: str, now: int) -> None:
        sim = self.state.markets[symbol]
        self.fills.match_resting(symbol)
        self.triggers.trigger_plans(symbol)
        if now >= sim.state.next_funding_ms:
            self.funding.apply_funding(symbol, now)
        self.liquidations.check_liquidations(symbol)
        self.state.put("market", symbol, sim.state)
        for kind in ("last", "mark"):
            c = sim.candles[kind].get(now - now % 60_000)
            if c is not None:
                self.state.put("candle", f"{symbol}:{kind}:{c.minute}", c)
        # the state file keeps what memory keeps: 60 contracts' minutes would grow it for ever
        for kind, minute in sim.evicted:
            self.state.delete("candle", f"{symbol}:{kind}:{minute}")
        sim.evicted.clear()
        self.public.push_market(symbol, now)
