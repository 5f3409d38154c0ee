"""Market data of one contract: the seeded mark-price walk, the synthetic book, candles, trades.

The mark price moves by a whole number of ticks per step (a Gaussian random walk scaled by the
contract's volatility and the elapsed time), so it is exact Decimal on the tick grid and the same
for the same seed and the same tick times. Each step's draw is a hash of (seed, symbol, step
number): every contract has its own sequence, and a restart continues it from the saved step
number (part of the market state) with nothing else to save. The synthetic book is a pure
function of the mark: level i on each side sits `(i+1) * book_step_ticks` ticks away and holds
`book_lot * (1 + i/2)` contracts, so fills are predictable (and testable) and slippage grows
with size.
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict, deque
from collections.abc import Iterator
from decimal import Decimal

from perpdesk.sandbox.engine.contracts import RATE_Q, ContractSpec
from perpdesk.sandbox.engine.contracts import s as _s
from perpdesk.sandbox.engine.state import Candle, MarketState

MINUTE_MS = 60_000
CANDLE_RETENTION = 7 * 24 * 60  # minutes kept per kind
SECONDS_PER_YEAR = 365 * 24 * 3600
BOOK_LEVELS = 20
MAX_FUNDING = Decimal("0.003")
BASE_FUNDING = Decimal("0.0001")  # BitMart-style interest component per interval
LAST_OFFSETS = (-2, -1, 0, 0, 1, 2)  # ticks between the last price and the mark after a step


class MarketSim:
    def __init__(self, spec: ContractSpec, state: MarketState, seed: int) -> None:
        self.spec = spec
        self.state = state
        self.seed = seed
        self.candles: dict[str, OrderedDict[int, Candle]] = {"last": OrderedDict(), "mark": OrderedDict()}
        self.trades: deque[dict[str, object]] = deque(maxlen=100)
        self.trade_seq = 0
        self.evicted: list[tuple[str, int]] = []  # (kind, minute) of candles dropped, to unsave

    def _draw(self) -> tuple[float, int]:
        """The next step's standard normal draw (Box-Muller) and the last price's offset in ticks."""
        self.state.steps += 1
        key = f"perpdesk-sandbox:{self.seed}:{self.spec.symbol}:{self.state.steps}".encode()
        digest = hashlib.blake2b(key, digest_size=16).digest()
        u1 = (int.from_bytes(digest[:7], "big") + 1) / 2.0**56  # (0, 1]: log() stays finite
        u2 = int.from_bytes(digest[7:14], "big") / 2.0**56
        normal = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
        return normal, LAST_OFFSETS[digest[14] % len(LAST_OFFSETS)]

    # ---- price process ------------------------------------------------------------------------
    def walk(self, now_ms: int) -> bool:
        """Advance the mark by the time elapsed since the last step. Returns True if it moved."""
        dt = (now_ms - self.state.last_tick_ms) / 1000.0
        if dt <= 0:
            return False
        dt = min(dt, 3600.0)
        spec = self.spec
        sigma = spec.annual_vol * math.sqrt(dt / SECONDS_PER_YEAR)
        mark = self.state.mark
        normal, offset = self._draw()
        ticks = round(normal * sigma * float(mark / spec.tick))
        new_mark = mark + ticks * spec.tick
        floor = spec.tick * 10
        if new_mark < floor:
            new_mark = floor
        # the last price wanders a tick or two around the mark: the premium that drives funding
        last = new_mark + offset * spec.tick
        self.state.last_tick_ms = now_ms
        moved = new_mark != mark
        self.set(new_mark, now_ms, last=last if last > 0 else new_mark)
        return moved

    def set(self, mark: Decimal, now_ms: int, last: Decimal | None = None) -> None:
        self.state.mark = mark
        self.state.last = last if last is not None else mark
        # a set price is a tick: the Binance dialect's book update id moves with it
        self.state.last_tick_ms = max(self.state.last_tick_ms, now_ms)
        self.record(now_ms)

    def premium_rate(self) -> Decimal:
        """Funding rate of the coming interval: interest plus the last-vs-mark premium, clamped."""
        premium = (self.state.last - self.state.mark) / self.state.mark
        rate = BASE_FUNDING + premium
        rate = max(-MAX_FUNDING, min(MAX_FUNDING, rate))
        return rate.quantize(RATE_Q)

    # ---- candles -----------------------------------------------------------------------------
    def record(self, now_ms: int, volume: Decimal = Decimal(0)) -> list[Candle]:
        minute = now_ms - now_ms % MINUTE_MS
        touched = []
        for kind, price in (("last", self.state.last), ("mark", self.state.mark)):
            book = self.candles[kind]
            c = book.get(minute)
            if c is None:
                c = Candle(self.spec.symbol, kind, minute, price, price, price, price)
                book[minute] = c
                self._trim(kind)
            else:
                c.high = max(c.high, price)
                c.low = min(c.low, price)
                c.close = price
            if kind == "last":
                c.volume += volume
            touched.append(c)
        return touched

    def add_volume(self, now_ms: int, contracts: int) -> Candle:
        minute = now_ms - now_ms % MINUTE_MS
        c = self.candles["last"].get(minute)
        if c is None:
            self.record(now_ms)
            c = self.candles["last"][minute]
        c.volume += contracts
        return c

    def restore_candle(self, c: Candle) -> None:
        self.candles[c.kind][c.minute] = c

    def sort_candles(self) -> None:
        """After loading: candles in time order, those beyond the retention dropped."""
        for kind, book in self.candles.items():
            self.candles[kind] = OrderedDict(sorted(book.items()))
            self._trim(kind)

    def _trim(self, kind: str) -> None:
        book = self.candles[kind]
        while len(book) > CANDLE_RETENTION:
            minute, _ = book.popitem(last=False)
            self.evicted.append((kind, minute))

    def klines(self, kind: str, step_min: int, start_s: int, end_s: int) -> list[dict[str, object]]:
        step_ms = step_min * MINUTE_MS
        start_ms = start_s * 1000 - (start_s * 1000) % step_ms
        end_ms = end_s * 1000
        book = self.candles[kind]
        out: list[dict[str, object]] = []
        bucket = start_ms
        while bucket <= end_ms and len(out) < 1000:
            agg: Candle | None = None
            for minute in range(bucket, bucket + step_ms, MINUTE_MS):
                c = book.get(minute)
                if c is None:
                    continue
                if agg is None:
                    agg = Candle(c.symbol, kind, bucket, c.open, c.high, c.low, c.close, c.volume)
                else:
                    agg.high = max(agg.high, c.high)
                    agg.low = min(agg.low, c.low)
                    agg.close = c.close
                    agg.volume += c.volume
            if agg is not None:
                out.append(
                    {
                        "timestamp": bucket // 1000,
                        "open_price": _s(agg.open),
                        "close_price": _s(agg.close),
                        "high_price": _s(agg.high),
                        "low_price": _s(agg.low),
                        "volume": _s(agg.volume),
                    }
                )
            bucket += step_ms
        return out

    def day_stats(self, now_ms: int) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """(open 24h ago, high, low, volume) over the last 24h of 'last' candles."""
        since = now_ms - 24 * 3600 * 1000
        book = self.candles["last"]
        first: Decimal | None = None
        high = low = self.state.last
        vol = Decimal(0)
        for minute in reversed(book):
            if minute < since:
                break
            c = book[minute]
            first = c.open
            high = max(high, c.high)
            low = min(low, c.low)
            vol += c.volume
        return (first if first is not None else self.state.last), high, low, vol

    # ---- synthetic book ----------------------------------------------------------------------
    @property
    def step(self) -> Decimal:
        return self.spec.tick * self.spec.book_step_ticks

    def best_ask(self) -> Decimal:
        return self.spec.price_down(self.state.mark) + self.step

    def best_bid(self) -> Decimal:
        return self.spec.price_up(self.state.mark) - self.step

    def level_size(self, i: int) -> int:
        return self.spec.book_lot + (self.spec.book_lot * i) // 2

    def levels(self, buy: bool) -> Iterator[tuple[Decimal, int]]:
        """The synthetic levels a taker walks: asks for a buy, bids for a sell (unbounded)."""
        i = 0
        price = self.best_ask() if buy else self.best_bid()
        while price > 0:
            yield price, self.level_size(i)
            i += 1
            price = price + self.step if buy else price - self.step

    def sweep(self, buy: bool, size: int, limit: Decimal | None) -> list[tuple[Decimal, int]]:
        """Fills a taker of `size` gets from the synthetic book, not beyond `limit` if given."""
        fills: list[tuple[Decimal, int]] = []
        left = size
        for price, avail in self.levels(buy):
            if limit is not None and ((buy and price > limit) or (not buy and price < limit)):
                break
            take = min(left, avail)
            fills.append((price, take))
            left -= take
            if left == 0:
                break
        return fills

    def depth_side(
        self, buy_side: bool, extra: dict[Decimal, int], depth: int = BOOK_LEVELS
    ) -> list[tuple[Decimal, int]]:
        """`depth` levels of one side of the book (bids if buy_side), users' resting orders added."""
        merged: dict[Decimal, int] = {}
        for i, (price, size) in enumerate(self.levels(not buy_side)):
            if i >= depth:
                break
            merged[price] = size
        for price, size in extra.items():
            merged[price] = merged.get(price, 0) + size
        ordered = sorted(merged.items(), key=lambda kv: kv[0], reverse=buy_side)
        return ordered[:depth]

    # ---- public trades -----------------------------------------------------------------------
    def add_trade(self, price: Decimal, qty: int, buyer_maker: bool, now_ms: int) -> dict[str, object]:
        self.trade_seq += 1
        trade: dict[str, object] = {
            "symbol": self.spec.symbol,
            "price": _s(price),
            "qty": str(qty),
            "quote_qty": _s(price * qty * self.spec.contract_size),
            "time": now_ms,
            "is_buyer_maker": buyer_maker,
            "trade_id": self.trade_seq,
        }
        self.trades.append(trade)
        return trade
