"""Binance's tickers over the shared engine: 24 h statistics, last price, best bid and ask."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from perpdesk.sandbox.binance.call import Call
from perpdesk.sandbox.binance.market_data import one_or_all, sim_of, symbols_of
from perpdesk.sandbox.binance.views import money, price, qty, spec_of

Json = dict[str, Any]


def ticker_24hr(call: Call) -> Json | list[Json]:
    now = call.ctx.engine.now()
    rows = []
    for symbol in symbols_of(call):
        spec, sim = spec_of(symbol), sim_of(call, symbol)
        open_24h, high, low, vol = sim.day_stats(now)
        last = sim.state.last
        day = [t for t in sim.trades if int(str(t["time"])) >= now - 86_400_000]
        change = last - open_24h
        rows.append(
            {
                "symbol": symbol,
                "priceChange": price(spec, change),
                "priceChangePercent": f"{(change / open_24h * 100) if open_24h else Decimal(0):.3f}",
                "weightedAvgPrice": price(spec, last),
                "lastPrice": price(spec, last),
                "lastQty": qty(spec, Decimal(str(day[-1]["qty"]))) if day else qty(spec, 0),
                "openPrice": price(spec, open_24h),
                "highPrice": price(spec, high),
                "lowPrice": price(spec, low),
                "volume": qty(spec, vol),
                "quoteVolume": money(vol * spec.contract_size * last),
                "openTime": now - 86_400_000,
                "closeTime": now,
                "firstId": int(str(day[0]["trade_id"])) if day else -1,
                "lastId": int(str(day[-1]["trade_id"])) if day else -1,
                "count": len(day),
            }
        )
    return one_or_all(call, rows)


def ticker_price(call: Call) -> Json | list[Json]:
    now = call.ctx.engine.now()
    rows = [
        {"symbol": sym, "price": price(spec_of(sym), sim_of(call, sym).state.last), "time": now}
        for sym in symbols_of(call)
    ]
    return one_or_all(call, rows)


def book_ticker(call: Call) -> Json | list[Json]:
    now = call.ctx.engine.now()
    rows = []
    for symbol in symbols_of(call):
        spec = spec_of(symbol)
        bids, asks = call.ctx.engine.public.book(symbol)
        rows.append(
            {
                "symbol": symbol,
                "bidPrice": price(spec, bids[0][0]),
                "bidQty": qty(spec, bids[0][1]),
                "askPrice": price(spec, asks[0][0]),
                "askQty": qty(spec, asks[0][1]),
                "time": now,
            }
        )
    return one_or_all(call, rows)


def all_symbols_weight(single: int, every: int) -> Any:
    return lambda params: single if params.has("symbol") else every
