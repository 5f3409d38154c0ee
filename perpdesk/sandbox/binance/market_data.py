"""Binance's public market data over the shared engine: exchangeInfo, depth, trades, aggTrades,
klines (last and mark price), premiumIndex, fundingRate, fundingInfo, openInterest, the three
tickers, time and ping. Prices, quantities (base asset) and rates are exact decimal strings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from perpdesk.sandbox.binance import errors as E
from perpdesk.sandbox.binance.call import Call
from perpdesk.sandbox.binance.limits import ORDERS_PER_10S, ORDERS_PER_MIN, WEIGHT_PER_MIN
from perpdesk.sandbox.binance.params import Params
from perpdesk.sandbox.binance.views import decimals, money, price, qty, rate, spec_of
from perpdesk.sandbox.engine.contracts import CONTRACTS
from perpdesk.sandbox.engine.market import MAX_FUNDING, MarketSim
from perpdesk.sandbox.engine.plan_book import MAX_LIVE_PLANS

Json = dict[str, Any]
# Binance's MIN_NOTIONAL (USDT); enforced on new orders unless reduce-only. Other symbols: 5.
MIN_NOTIONAL = {"BTCUSDT": Decimal(100), "ETHUSDT": Decimal(20)}


def min_notional(symbol: str) -> Decimal:
    return MIN_NOTIONAL.get(symbol, Decimal(5))


MAX_PRICE = Decimal(10_000_000)
MAX_NUM_ORDERS = 200
MAX_NUM_ALGO_ORDERS = MAX_LIVE_PLANS  # the engine's limit of waiting plan orders per symbol
ORDER_TYPES = [
    "LIMIT",
    "MARKET",
    "STOP",
    "STOP_MARKET",
    "TAKE_PROFIT",
    "TAKE_PROFIT_MARKET",
    "TRAILING_STOP_MARKET",
]
TIME_IN_FORCE = ["GTC", "IOC", "FOK", "GTX"]
INTERVALS = {
    "1m": 1,
    "3m": 3,
    "5m": 5,
    "15m": 15,
    "30m": 30,
    "1h": 60,
    "2h": 120,
    "4h": 240,
    "6h": 360,
    "12h": 720,
    "1d": 1440,
    "3d": 4320,
    "1w": 10080,
}
DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000)
FAR_FUTURE_MS = 4133404800000  # Binance's deliveryDate of a perpetual (2100-12-25)


def sim_of(call: Call, symbol: str) -> MarketSim:
    return call.ctx.engine.state.markets[symbol]


def symbols_of(call: Call) -> list[str]:
    symbol = call.params.symbol(required=False)
    return [symbol] if symbol else list(CONTRACTS)


def one_or_all(call: Call, rows: list[Json]) -> Json | list[Json]:
    return rows[0] if call.params.has("symbol") else rows


def order_limits(call: Call) -> list[Json]:
    """The order-count limits as applied (exchangeInfo lists them; so does GET /fapi/v1/rateLimit/order)."""
    cap = call.limits.cap
    return [
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": cap(ORDERS_PER_10S)},
        {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": cap(ORDERS_PER_MIN)},
    ]


def ping(call: Call) -> Json:
    return {}


def server_time(call: Call) -> Json:
    return {"serverTime": call.ctx.engine.now()}


def _filters(symbol: str) -> list[Json]:
    spec = spec_of(symbol)
    step = qty(spec, 1)
    return [
        {
            "filterType": "PRICE_FILTER",
            "minPrice": price(spec, spec.tick),
            "maxPrice": price(spec, MAX_PRICE),
            "tickSize": price(spec, spec.tick),
        },
        {
            "filterType": "LOT_SIZE",
            "minQty": qty(spec, spec.min_volume),
            "maxQty": qty(spec, spec.max_volume),
            "stepSize": step,
        },
        {
            "filterType": "MARKET_LOT_SIZE",
            "minQty": qty(spec, spec.min_volume),
            "maxQty": qty(spec, spec.market_max_volume),
            "stepSize": step,
        },
        {"filterType": "MAX_NUM_ORDERS", "limit": MAX_NUM_ORDERS},
        {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": MAX_NUM_ALGO_ORDERS},
        {"filterType": "MIN_NOTIONAL", "notional": str(min_notional(symbol))},
    ]


def exchange_info(call: Call) -> Json:
    cap = call.limits.cap
    symbols = []
    for symbol, spec in CONTRACTS.items():
        top = spec.brackets[0]
        symbols.append(
            {
                "symbol": symbol,
                "pair": symbol,
                "contractType": "PERPETUAL",
                "deliveryDate": FAR_FUTURE_MS,
                "onboardDate": spec.open_timestamp,
                "status": "TRADING",
                "maintMarginPercent": rate(top.maint_margin_ratio * 100),
                "requiredMarginPercent": rate(Decimal(100) / top.initial_leverage),
                "baseAsset": spec.base,
                "quoteAsset": "USDT",
                "marginAsset": "USDT",
                "pricePrecision": decimals(spec.tick),
                "quantityPrecision": decimals(spec.contract_size),
                "baseAssetPrecision": 8,
                "quotePrecision": 8,
                "underlyingType": "COIN",
                "underlyingSubType": [],
                "settlePlan": 0,
                "triggerProtect": "0.0500",
                "liquidationFee": "0.012500",
                "marketTakeBound": "0.05",
                "filters": _filters(symbol),
                "orderTypes": ORDER_TYPES,
                "timeInForce": TIME_IN_FORCE,
            }
        )
    return {
        "exchangeFilters": [],
        "rateLimits": [
            {
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": cap(WEIGHT_PER_MIN),
                "rateLimitType": "REQUEST_WEIGHT",
            },
            *order_limits(call),
        ],
        "serverTime": call.ctx.engine.now(),
        "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"}],
        "symbols": symbols,
        "timezone": "UTC",
    }


def depth_weight(params: Params) -> int:
    n = params.values.get("limit", "500")
    return {"5": 2, "10": 2, "20": 2, "50": 2, "100": 5, "500": 10, "1000": 20}.get(n, 10)


def depth(call: Call) -> Json:
    symbol = call.params.req_symbol()
    n = call.params.limit(500, 1000, DEPTH_LIMITS)
    spec, sim = spec_of(symbol), sim_of(call, symbol)
    resting = call.ctx.engine.state.resting[symbol]
    now = call.ctx.engine.now()

    def rows(buy_side: bool) -> list[list[str]]:
        side = sim.depth_side(buy_side, resting["bids" if buy_side else "asks"], depth=n)
        return [[price(spec, p), qty(spec, size)] for p, size in side]

    # one update id per book state: the mark's tick time and the symbol's trade count
    update_id = sim.state.last_tick_ms * 1000 + sim.trade_seq % 1000
    return {"lastUpdateId": update_id, "E": now, "T": now, "bids": rows(True), "asks": rows(False)}


def _trade_rows(call: Call, symbol: str, n: int) -> list[dict[str, object]]:
    trades = list(sim_of(call, symbol).trades)
    return trades[-n:]


def _trade(symbol: str, t: dict[str, object]) -> Json:
    spec = spec_of(symbol)
    return {
        "id": t["trade_id"],
        "price": price(spec, Decimal(str(t["price"]))),
        "qty": qty(spec, Decimal(str(t["qty"]))),
        "quoteQty": money(Decimal(str(t["quote_qty"]))),
        "time": t["time"],
        "isBuyerMaker": t["is_buyer_maker"],
        "isRPITrade": False,
    }


def trades(call: Call) -> list[Json]:
    symbol = call.params.req_symbol()
    return [_trade(symbol, t) for t in _trade_rows(call, symbol, call.params.limit(500, 1000))]


def historical_trades(call: Call) -> list[Json]:
    """MARKET_DATA (an API key, no signature): from trade `fromId` on, else the most recent."""
    symbol = call.params.req_symbol()
    n = call.params.limit(100, 500)
    from_id = call.params.int_("fromId", lo=0)
    rows = list(sim_of(call, symbol).trades)
    rows = rows[-n:] if from_id is None else [t for t in rows if int(str(t["trade_id"])) >= from_id][:n]
    return [_trade(symbol, t) for t in rows]


def agg_trades(call: Call) -> list[Json]:
    """One aggregate per trade: the sandbox's trades each fill one taker at one price."""
    symbol = call.params.req_symbol()
    spec = spec_of(symbol)
    start, end = call.params.int_("startTime", lo=0), call.params.int_("endTime", lo=0)
    from_id = call.params.int_("fromId", lo=0)
    rows = []
    for t in _trade_rows(call, symbol, 100):
        if (start is not None and int(str(t["time"])) < start) or (
            end is not None and int(str(t["time"])) > end
        ):
            continue
        if from_id is not None and int(str(t["trade_id"])) < from_id:
            continue
        contracts = Decimal(str(t["qty"]))
        tid = t["trade_id"]
        rows.append(
            {
                "a": tid,
                "p": price(spec, Decimal(str(t["price"]))),
                "q": qty(spec, contracts),
                "nq": qty(spec, contracts),
                "f": tid,
                "l": tid,
                "T": t["time"],
                "m": t["is_buyer_maker"],
            }
        )
    return rows[-call.params.limit(500, 1000) :]


def kline_rows(call: Call, kind: str) -> list[list[Any]]:
    symbol = call.params.req_symbol()
    interval = call.params.req("interval")
    if interval not in INTERVALS:
        raise E.err(E.BAD_INTERVAL, f"one of {', '.join(INTERVALS)}")
    n = call.params.limit(500, 1500)
    step_ms = INTERVALS[interval] * 60_000
    now = call.ctx.engine.now()
    end = call.params.int_("endTime", lo=0)
    start = call.params.int_("startTime", lo=0)
    if start is None:
        start = (end if end is not None else now) - (n - 1) * step_ms
    if end is None:
        end = start + (n - 1) * step_ms
    if start > end:
        raise E.err(E.INVALID_PARAMETER, "'startTime' must not be after 'endTime'", "startTime")
    spec = spec_of(symbol)
    rows = sim_of(call, symbol).klines(kind, INTERVALS[interval], start // 1000, end // 1000)
    out = []
    for r in rows[:n]:
        open_ms = int(str(r["timestamp"])) * 1000
        volume = Decimal(str(r["volume"])) * spec.contract_size
        close = Decimal(str(r["close_price"]))
        out.append(
            [
                open_ms,
                price(spec, Decimal(str(r["open_price"]))),
                price(spec, Decimal(str(r["high_price"]))),
                price(spec, Decimal(str(r["low_price"]))),
                price(spec, close),
                qty(spec, volume / spec.contract_size) if kind == "last" else "0",
                open_ms + step_ms - 1,
                money(volume * close) if kind == "last" else "0",
                0,
                "0",
                "0",
                "0",
            ]
        )
    return out


def klines(call: Call) -> list[list[Any]]:
    return kline_rows(call, "last")


def mark_price_klines(call: Call) -> list[list[Any]]:
    return kline_rows(call, "mark")


def premium_index(call: Call) -> Json | list[Json]:
    rows = []
    now = call.ctx.engine.now()
    for symbol in symbols_of(call):
        spec, st = spec_of(symbol), sim_of(call, symbol).state
        rows.append(
            {
                "symbol": symbol,
                "markPrice": price(spec, st.mark),
                "indexPrice": price(spec, st.mark),
                "estimatedSettlePrice": price(spec, st.mark),
                "lastFundingRate": rate(st.funding_rate),
                "interestRate": "0.00010000",
                "nextFundingTime": st.next_funding_ms,
                "time": now,
            }
        )
    return one_or_all(call, rows)


def funding_rate(call: Call) -> list[Json]:
    start, end = call.params.int_("startTime", lo=0), call.params.int_("endTime", lo=0)
    n = call.params.limit(100, 1000)
    rows: list[Json] = []
    for symbol in symbols_of(call):
        spec, sim = spec_of(symbol), sim_of(call, symbol)
        for rec in call.ctx.engine.state.funding_history[symbol]:
            if (start is not None and rec.time < start) or (end is not None and rec.time > end):
                continue
            candle = sim.candles["mark"].get(rec.time - rec.time % 60_000)
            rows.append(
                {
                    "symbol": symbol,
                    "fundingRate": rate(rec.rate),
                    "fundingTime": rec.time,
                    "markPrice": price(spec, candle.close) if candle else "",
                    "rateType": "normal",
                }
            )
    rows.sort(key=lambda r: r["fundingTime"])
    return rows[:n] if start is not None else rows[-n:]


def funding_info(call: Call) -> list[Json]:
    hours = max(1, call.ctx.engine.state.funding_interval_ms // 3_600_000)
    return [
        {
            "symbol": symbol,
            "adjustedFundingRateCap": rate(MAX_FUNDING),
            "adjustedFundingRateFloor": rate(-MAX_FUNDING),
            "fundingIntervalHours": hours,
            "disclaimer": False,
        }
        for symbol in CONTRACTS
    ]


def open_interest(call: Call) -> Json:
    symbol = call.params.req_symbol()
    spec, st = spec_of(symbol), sim_of(call, symbol).state
    return {"openInterest": qty(spec, st.open_interest), "symbol": symbol, "time": call.ctx.engine.now()}
