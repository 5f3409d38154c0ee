"""BitMart's market-data, plan/TP-SL/trailing and trade payloads → the terminal's value types."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from perpdesk.core.terminal import (
    BookLevel,
    ChartCandle,
    MarketSummary,
    OrderBook,
    PriceType,
)
from perpdesk.exchanges.bitmart.parse import _int, d0

PRICE_TYPE_CODES = {PriceType.LAST: 1, PriceType.MARK: 2}


def ticker(row: dict[str, Any], mark: Decimal | None, next_funding: Any = None) -> MarketSummary:
    last = d0(row.get("last_price"))
    return MarketSummary(
        symbol=str(row.get("symbol", "")),
        last_price=last,
        mark_price=mark if mark is not None else d0(row.get("index_price")) or last,
        change_24h=d0(row.get("change_24h")),
        high_24h=d0(row.get("high_24h")),
        low_24h=d0(row.get("low_24h")),
        volume_24h=d0(row.get("volume_24h")),
        funding_rate=d0(row.get("funding_rate")),
        next_funding_ms=_int(next_funding if next_funding is not None else row.get("funding_time")),
    )


def candles(data: Any) -> list[ChartCandle]:
    rows = data if isinstance(data, list) else []
    out = [
        ChartCandle(
            time_s=_int(r.get("timestamp")),
            open=d0(r.get("open_price")),
            high=d0(r.get("high_price")),
            low=d0(r.get("low_price")),
            close=d0(r.get("close_price")),
            volume=d0(r.get("volume")),
        )
        for r in rows
        if isinstance(r, dict)
    ]
    return sorted(out, key=lambda c: c.time_s)


def _levels(rows: Any, depth: int) -> tuple[BookLevel, ...]:
    out: list[BookLevel] = []
    total = Decimal(0)
    for r in rows if isinstance(rows, list) else []:
        if not isinstance(r, list | tuple) or len(r) < 2:
            continue
        size = d0(r[1])
        total += size
        out.append(BookLevel(d0(r[0]), size, total))
        if len(out) >= depth:
            break
    return tuple(out)


def book(data: Any, symbol: str, depth: int) -> OrderBook:
    data = data if isinstance(data, dict) else {}
    return OrderBook(
        symbol,
        _levels(data.get("bids"), depth),
        _levels(data.get("asks"), depth),
        _int(data.get("timestamp")),
    )
