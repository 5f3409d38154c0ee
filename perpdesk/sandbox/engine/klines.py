"""The current k-line of any interval, built from the one-minute candles a `MarketSim` keeps.

The WebSocket k-line channels push the candle that is still forming, every tick. A week holds
10,080 minutes, so the minutes of a bucket that are already closed are folded once and kept;
each tick then merges only the current minute. Buckets are aligned like `MarketSim.klines`
(multiples of the interval since the epoch), so pushes agree with `/contract/public/kline`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from perpdesk.sandbox.engine.market import MINUTE_MS, MarketSim
from perpdesk.sandbox.engine.state import Candle

# BitMart's WebSocket interval names -> minutes
INTERVALS: dict[str, int] = {
    "1m": 1, "5m": 5, "15m": 15, "30m": 30, "1H": 60, "2H": 120, "4H": 240, "1D": 1440, "1W": 10080,
}


def _merge(agg: Candle | None, c: Candle | None, bucket: int) -> Candle | None:
    if c is None:
        return agg
    if agg is None:
        return replace(c, minute=bucket)
    return replace(agg, high=max(agg.high, c.high), low=min(agg.low, c.low), close=c.close,
                   volume=agg.volume + c.volume)


@dataclass(slots=True)
class _Closed:
    bucket: int  # ms at the start of the interval
    upto: int  # minutes before this one are folded into `agg`
    agg: Candle | None


class KlineBook:
    """Current candles per (symbol, kind, interval), with the closed part of each bucket cached."""

    def __init__(self) -> None:
        self._closed: dict[tuple[str, str, int], _Closed] = {}

    def current(self, sim: MarketSim, kind: str, minutes: int, now_ms: int) -> Candle | None:
        """The forming candle of `kind` ("last" or "mark") for the interval containing now_ms."""
        step = minutes * MINUTE_MS
        bucket = now_ms - now_ms % step
        minute = now_ms - now_ms % MINUTE_MS
        key = (sim.spec.symbol, kind, minutes)
        closed = self._closed.get(key)
        if closed is None or closed.bucket != bucket or closed.upto > minute:
            closed = _Closed(bucket, bucket, None)
        book = sim.candles[kind]
        agg = closed.agg
        for m in range(closed.upto, minute, MINUTE_MS):
            agg = _merge(agg, book.get(m), bucket)
        self._closed[key] = _Closed(bucket, minute, agg)
        return _merge(agg, book.get(minute), bucket)
