"""The market streams' payloads, built on each engine tick from the same reads as the REST
market data: `<symbol>@markPrice`, `@kline_<interval>`, `@depth<5|10|20>`, `@bookTicker`,
`@ticker`, the diff depth `@depth[@speed]` (depth_diffs), (on each trade) `@aggTrade`, and the
all-market `!markPrice@arr[@1s]` and `!ticker@arr`, whose arrays carry the symbols that moved
(one per engine tick of a symbol)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from perpdesk.sandbox.binance import market_data as M
from perpdesk.sandbox.binance import tickers as K
from perpdesk.sandbox.binance.call import Call
from perpdesk.sandbox.binance.params import Params
from perpdesk.sandbox.binance.views import price, qty, spec_of
from perpdesk.sandbox.engine.contracts import CONTRACTS

Json = dict[str, Any]
_INTERVALS = "|".join(M.INTERVALS)
STREAM_RE = re.compile(
    rf"^(?P<symbol>[a-z0-9]+)@(?P<kind>markPrice(@1s)?|kline_(?:{_INTERVALS})|depth(5|10|20)?(@(100|250|500)ms)?"
    r"|aggTrade|bookTicker|ticker)$"
)


# all-market streams: the name and the kind of each item of their arrays
ALL_MARKET = {"!markPrice@arr": "markPrice", "!markPrice@arr@1s": "markPrice@1s", "!ticker@arr": "ticker"}
ALL_SYMBOLS = "*"


def parse(name: str) -> tuple[str, str] | None:
    """(SYMBOL, kind) of a market stream name (SYMBOL is ALL_SYMBOLS for an all-market stream),
    or None when it is not one the sandbox serves."""
    if name in ALL_MARKET:
        return ALL_SYMBOLS, ALL_MARKET[name]
    m = STREAM_RE.match(name)
    if m is None or m["symbol"].upper() not in CONTRACTS:
        return None
    return m["symbol"].upper(), m["kind"]


def is_diff_depth(kind: str) -> bool:
    """`depth[@speed]` without a level count: the diff depth stream (see depth_diffs)."""
    return kind == "depth" or kind.startswith("depth@")


def tick_payload(call: Call, symbol: str, kind: str, now: int) -> Json | None:
    """The push of one market stream for the symbol's tick (None for aggTrade: trades push it)."""
    reads = Call(call.ctx, Params({"symbol": symbol}), call.limits)
    if kind.startswith("markPrice"):
        p = M.premium_index(reads)
        assert isinstance(p, dict)
        return {
            "e": "markPriceUpdate",
            "E": now,
            "s": symbol,
            "p": p["markPrice"],
            "i": p["indexPrice"],
            "P": p["estimatedSettlePrice"],
            "r": p["lastFundingRate"],
            "T": p["nextFundingTime"],
        }
    if kind.startswith("kline_"):
        return _kline(call, symbol, kind.removeprefix("kline_"), now)
    if kind.startswith("depth"):
        levels = int(kind[5:].split("@")[0])
        book = M.depth(Call(call.ctx, Params({"symbol": symbol, "limit": str(levels)}), call.limits))
        update = int(book["lastUpdateId"])
        return {
            "e": "depthUpdate",
            "E": now,
            "T": now,
            "s": symbol,
            "U": update,
            "u": update,
            "pu": update - 1,
            "b": book["bids"][:levels],
            "a": book["asks"][:levels],
        }
    if kind == "bookTicker":
        b = K.book_ticker(reads)
        assert isinstance(b, dict)
        return {
            "e": "bookTicker",
            "u": now,
            "E": now,
            "T": now,
            "s": symbol,
            "b": b["bidPrice"],
            "B": b["bidQty"],
            "a": b["askPrice"],
            "A": b["askQty"],
        }
    if kind == "ticker":
        t = K.ticker_24hr(reads)
        assert isinstance(t, dict)
        return {
            "e": "24hrTicker",
            "E": now,
            "s": symbol,
            "p": t["priceChange"],
            "P": t["priceChangePercent"],
            "w": t["weightedAvgPrice"],
            "c": t["lastPrice"],
            "Q": t["lastQty"],
            "o": t["openPrice"],
            "h": t["highPrice"],
            "l": t["lowPrice"],
            "v": t["volume"],
            "q": t["quoteVolume"],
            "O": t["openTime"],
            "C": t["closeTime"],
            "F": t["firstId"],
            "L": t["lastId"],
            "n": t["count"],
        }
    return None


def _kline(call: Call, symbol: str, interval: str, now: int) -> Json:
    step_ms = M.INTERVALS[interval] * 60_000
    start = now - now % step_ms
    params = Params({"symbol": symbol, "interval": interval, "startTime": str(start), "limit": "1"})
    rows = M.klines(Call(call.ctx, params, call.limits))
    spec = spec_of(symbol)
    mark = price(spec, call.ctx.engine.state.markets[symbol].state.last)
    row = rows[0] if rows else [start, mark, mark, mark, mark, qty(spec, 0), start + step_ms - 1, "0", 0]
    return {
        "e": "kline",
        "E": now,
        "s": symbol,
        "k": {
            "t": row[0],
            "T": row[6],
            "s": symbol,
            "i": interval,
            "f": -1,
            "L": -1,
            "o": row[1],
            "c": row[4],
            "h": row[2],
            "l": row[3],
            "v": row[5],
            "n": row[8],
            "x": False,
            "q": row[7],
            "V": "0",
            "Q": "0",
            "B": "0",
        },
    }


def agg_trades(symbol: str, items: list[Any], now: int) -> list[Json]:
    """`@aggTrade` pushes of the engine's trade event (one aggregate per trade)."""
    spec = spec_of(symbol)
    out = []
    for t in items:
        tid = int(t["trade_id"])
        q = qty(spec, int(t["deal_vol"]))
        out.append(
            {
                "e": "aggTrade",
                "E": now,
                "s": symbol,
                "a": tid,
                "p": price(spec, Decimal(str(t["deal_price"]))),
                "q": q,
                "nq": q,
                "f": tid,
                "l": tid,
                "T": now,
                "m": bool(t["m"]),
            }
        )
    return out
