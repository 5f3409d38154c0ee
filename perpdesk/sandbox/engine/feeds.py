"""Payloads of the public WebSocket market-data channels, built from the engine's market state.

One `MarketFeeds` serves the whole WebSocket layer; every method is a quick synchronous read of
the engine (call it from the event loop). Shapes follow BitMart's Futures V2 WebSocket docs:
prices and volumes as strings, `ms_t` in ms, k-line `ts` in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from perpdesk.sandbox.engine.contracts import s
from perpdesk.sandbox.engine.engine_state import EngineState
from perpdesk.sandbox.engine.klines import KlineBook

Json = dict[str, Any]
Levels = list[tuple[Decimal, int]]
BID, ASK = 1, 2  # the depth channel's `way`


def _rows(levels: Levels) -> list[dict[str, str]]:
    return [{"price": s(p), "vol": str(v)} for p, v in levels]


@dataclass(slots=True)
class _Increase:
    """What the subscribers of one depthIncrease stream hold: the book as of `version`."""

    version: int
    bids: dict[Decimal, int] = field(default_factory=dict)
    asks: dict[Decimal, int] = field(default_factory=dict)


def _diff(old: dict[Decimal, int], new: dict[Decimal, int]) -> Levels:
    """Levels whose volume changed; a level that left the book is sent with volume 0."""
    out = [(p, v) for p, v in new.items() if old.get(p) != v]
    out += [(p, 0) for p in old if p not in new]
    return out


class FeedSource(Protocol):
    """What the feeds read (the `Engine` facade is one): the market state and the funding rate."""

    @property
    def state(self) -> EngineState: ...
    def funding_rate(self, symbol: str) -> Json: ...


class MarketFeeds:
    def __init__(self, engine: FeedSource) -> None:
        self.engine = engine
        self.klines = KlineBook()
        self._increase: dict[tuple[str, int], _Increase] = {}
        self._versions: dict[tuple[str, int], int] = {}

    # ---- order book ----------------------------------------------------------------------------
    def book(self, symbol: str, levels: int) -> tuple[Levels, Levels]:
        """(bids best first, asks best first), `levels` deep, users' resting orders included."""
        sim = self.engine.state.markets[symbol]
        resting = self.engine.state.resting[symbol]
        return sim.depth_side(True, resting["bids"], levels), sim.depth_side(False, resting["asks"], levels)

    def depth(self, symbol: str, levels: int, way: int, now: int) -> Json:
        """futures/depthN: one side of the book per push (way 1 bids, 2 asks)."""
        bids, asks = self.book(symbol, levels)
        return {"symbol": symbol, "way": way, "depths": _rows(bids if way == BID else asks), "ms_t": now}

    def depth_all(self, symbol: str, levels: int, now: int) -> Json:
        """futures/depthAllN: both sides, whole."""
        bids, asks = self.book(symbol, levels)
        return {"symbol": symbol, "asks": _rows(asks), "bids": _rows(bids), "ms_t": now}

    def bookticker(self, symbol: str, now: int) -> Json:
        bids, asks = self.book(symbol, 1)
        bid = bids[0] if bids else (Decimal(0), 0)
        ask = asks[0] if asks else (Decimal(0), 0)
        return {"symbol": symbol, "best_bid_price": s(bid[0]), "best_bid_vol": str(bid[1]),
                "best_ask_price": s(ask[0]), "best_ask_vol": str(ask[1]), "ms_t": now}

    # ---- incremental depth ---------------------------------------------------------------------
    def _next_version(self, key: tuple[str, int]) -> int:
        # Versions never go back, even after a stream was dropped and started again.
        self._versions[key] = self._versions.get(key, 0) + 1
        return self._versions[key]

    def increase_snapshot(self, symbol: str, levels: int, now: int) -> Json:
        """futures/depthIncreaseN type=snapshot: the book subscribers hold, with its version."""
        key = (symbol, levels)
        state = self._increase.get(key)
        if state is None:
            bids, asks = self.book(symbol, levels)
            state = _Increase(self._next_version(key), dict(bids), dict(asks))
            self._increase[key] = state
        bids_rows = sorted(state.bids.items(), key=lambda kv: kv[0], reverse=True)
        asks_rows = sorted(state.asks.items(), key=lambda kv: kv[0])
        return {"symbol": symbol, "asks": _rows(asks_rows), "bids": _rows(bids_rows), "ms_t": now,
                "version": state.version, "type": "snapshot"}

    def increase_update(self, symbol: str, levels: int, now: int) -> Json | None:
        """type=update with the levels changed since the last version, or None if none changed."""
        key = (symbol, levels)
        state = self._increase.get(key)
        if state is None:
            return None
        bids, asks = self.book(symbol, levels)
        new_bids, new_asks = dict(bids), dict(asks)
        bid_changes, ask_changes = _diff(state.bids, new_bids), _diff(state.asks, new_asks)
        if not bid_changes and not ask_changes:
            return None
        state.version = self._next_version(key)
        state.bids, state.asks = new_bids, new_asks
        return {"symbol": symbol, "asks": _rows(ask_changes), "bids": _rows(bid_changes), "ms_t": now,
                "version": state.version, "type": "update"}

    def drop_increase(self, symbol: str, levels: int) -> None:
        """Nobody follows this stream any more: stop tracking it."""
        self._increase.pop((symbol, levels), None)

    # ---- k-lines, funding ------------------------------------------------------------------------
    def kline(self, symbol: str, kind: str, minutes: int, now: int) -> Json | None:
        """futures/klineBin* ("last") or futures/markPriceKlineBin* ("mark"): the forming candle."""
        c = self.klines.current(self.engine.state.markets[symbol], kind, minutes, now)
        if c is None:
            return None
        return {"symbol": symbol, "o": s(c.open), "h": s(c.high), "l": s(c.low), "c": s(c.close),
                "v": s(c.volume), "ts": c.minute // 1000}

    def funding(self, symbol: str, now: int) -> Json:
        rest = self.engine.funding_rate(symbol)
        return {
            "symbol": symbol,
            "fundingRate": rest["rate_value"],
            "fundingTime": rest["funding_time"],
            "nextFundingRate": rest["expected_rate"],
            "nextFundingTime": rest["funding_time"] + self.engine.state.funding_interval_ms,
            "funding_upper_limit": rest["funding_upper_limit"],
            "funding_lower_limit": rest["funding_lower_limit"],
            "ts": now,
        }
