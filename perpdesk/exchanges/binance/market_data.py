"""Binance's public market data as the terminal's types: 24 h ticker with mark and funding,
k-lines (last or mark price), order book. Reads are shared by every user for a moment."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from perpdesk.core.terminal import BookLevel, ChartCandle, MarketSummary, OrderBook
from perpdesk.exchanges.binance.parse import d0, integer
from perpdesk.exchanges.common.order_checks import invalid

if TYPE_CHECKING:
    from perpdesk.exchanges.binance.rest import BinanceRest
    from perpdesk.exchanges.shared_reads import SharedReads

V1 = "/fapi/v1/"
TICKER_TTL_S, CANDLES_TTL_S, BOOK_TTL_S = 1.0, 1.0, 0.5
INTERVALS = {1: "1m", 5: "5m", 15: "15m", 30: "30m", 60: "1h", 120: "2h", 240: "4h", 1440: "1d", 10080: "1w"}
DEPTHS = (5, 10, 20, 50, 100, 500, 1000)


def _levels(rows: Any, depth: int) -> tuple[BookLevel, ...]:
    out: list[BookLevel] = []
    total = Decimal(0)
    for r in (rows if isinstance(rows, list) else [])[:depth]:
        size = d0(r[1])
        total += size
        out.append(BookLevel(d0(r[0]), size, total))
    return tuple(out)


class MarketData:
    def __init__(self, rest: BinanceRest, shared: SharedReads) -> None:
        self.rest = rest
        self.shared = shared

    async def _get(self, path: str, params: dict[str, Any]) -> Any:
        return await self.rest.call("GET", V1 + path, params, None, signed=False)

    async def ticker(self, symbol: str) -> MarketSummary:
        return await self.shared.get(("ticker", symbol), TICKER_TTL_S, lambda: self._ticker(symbol))

    async def _ticker(self, symbol: str) -> MarketSummary:
        day, premium = await asyncio.gather(
            self._get("ticker/24hr", {"symbol": symbol}), self._get("premiumIndex", {"symbol": symbol})
        )
        day = day if isinstance(day, dict) else {}
        premium = premium if isinstance(premium, dict) else {}
        last = d0(day.get("lastPrice"))
        return MarketSummary(
            symbol=symbol,
            last_price=last,
            mark_price=d0(premium.get("markPrice")) or last,
            change_24h=d0(day.get("priceChangePercent")) / 100,
            high_24h=d0(day.get("highPrice")),
            low_24h=d0(day.get("lowPrice")),
            volume_24h=d0(day.get("volume")),
            funding_rate=d0(premium.get("lastFundingRate")),
            next_funding_ms=integer(premium.get("nextFundingTime")),
        )

    async def candles(
        self, symbol: str, step_min: int, start_s: int, end_s: int, *, mark: bool = False
    ) -> list[ChartCandle]:
        interval = INTERVALS.get(step_min)
        if interval is None:
            raise invalid(
                "interval", "is not one Binance offers", "Choose 1m, 5m, 15m, 30m, 1H, 4H, 1D or 1W."
            )
        path = "markPriceKlines" if mark else "klines"
        params = {
            "symbol": symbol,
            "interval": interval,
            "startTime": start_s * 1000,
            "endTime": end_s * 1000,
            "limit": 1500,
        }

        async def fetch() -> list[ChartCandle]:
            rows = await self._get(path, params)
            return [
                ChartCandle(integer(r[0]) // 1000, d0(r[1]), d0(r[2]), d0(r[3]), d0(r[4]), d0(r[5]))
                for r in (rows if isinstance(rows, list) else [])
                if isinstance(r, list) and len(r) > 5
            ]

        return await self.shared.get((path, symbol, step_min, start_s, end_s), CANDLES_TTL_S, fetch)

    async def order_book(self, symbol: str, depth: int = 20) -> OrderBook:
        limit = next((d for d in DEPTHS if d >= depth), DEPTHS[-1])

        async def fetch() -> OrderBook:
            data = await self._get("depth", {"symbol": symbol, "limit": limit})
            data = data if isinstance(data, dict) else {}
            return OrderBook(
                symbol,
                _levels(data.get("bids"), depth),
                _levels(data.get("asks"), depth),
                integer(data.get("T") or data.get("E")),
            )

        return await self.shared.get(("depth", symbol, depth), BOOK_TTL_S, fetch)
