"""Public market data: the `/contract/public/*` endpoints, the merged order book (synthetic
levels plus users' resting orders) and the public ticker push."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from perpdesk.sandbox.engine import errors
from perpdesk.sandbox.engine.contracts import CONTRACTS, money, s
from perpdesk.sandbox.engine.engine_state import EngineState
from perpdesk.sandbox.engine.market import MAX_FUNDING

Json = dict[str, Any]
KLINE_STEPS = (1, 3, 5, 15, 30, 60, 120, 240, 360, 720, 1440, 4320, 10080)


class PublicData:
    def __init__(self, state: EngineState) -> None:
        self.state = state

    def symbols(self) -> list[str]:
        return list(CONTRACTS)

    def mark_price(self, symbol: str) -> Decimal:
        self.state.spec(symbol)
        return self.state.markets[symbol].state.mark

    def last_price(self, symbol: str) -> Decimal:
        self.state.spec(symbol)
        return self.state.markets[symbol].state.last

    def contract_details(self, symbol: str | None = None) -> Json:
        """GET /contract/public/details -> {"symbols":[...]}."""
        symbols = [symbol] if symbol else list(CONTRACTS)
        now = self.state.now()
        rows = []
        for sym in symbols:
            spec = self.state.spec(sym)
            sim = self.state.markets[sym]
            st = sim.state
            open_24h, high, low, vol = sim.day_stats(now)
            change = (st.last - open_24h) / open_24h if open_24h else Decimal(0)
            oi = Decimal(st.open_interest)
            rows.append(
                {
                    "symbol": sym,
                    "product_type": 1,
                    "open_timestamp": spec.open_timestamp,
                    "expire_timestamp": 0,
                    "settle_timestamp": 0,
                    "base_currency": spec.base,
                    "quote_currency": "USDT",
                    "last_price": s(st.last),
                    "volume_24h": s(vol),
                    "turnover_24h": s(money(vol * spec.contract_size * st.last)),
                    "index_price": s(st.mark),
                    "index_name": sym,
                    "contract_size": s(spec.contract_size),
                    "min_leverage": str(spec.min_leverage),
                    "max_leverage": str(spec.max_leverage),
                    "price_precision": s(spec.tick),
                    "vol_precision": s(spec.vol_precision),
                    "max_volume": str(spec.max_volume),
                    "market_max_volume": str(spec.market_max_volume),
                    "min_volume": str(spec.min_volume),
                    "funding_rate": s(st.funding_rate),
                    "expected_funding_rate": s(sim.premium_rate()),
                    "open_interest": s(oi),
                    "open_interest_value": s(money(oi * spec.contract_size * st.mark)),
                    "high_24h": s(high),
                    "low_24h": s(low),
                    "change_24h": s(change.quantize(Decimal("0.000001"))),
                    "funding_interval_hours": max(1, self.state.funding_interval_ms // 3_600_000),
                    "status": "Trading",
                    "delist_time": 0,
                }
            )
        return {"symbols": rows}

    def depth(self, symbol: str) -> Json:
        """GET /contract/public/depth -> {"asks":[[price,size,cum]...],"bids":...,"timestamp","symbol"}.
        Synthetic levels around the mark plus users' resting limit orders."""
        self.state.spec(symbol)
        bids, asks = self.book(symbol)

        def rows(levels: list[tuple[Decimal, int]]) -> list[list[str]]:
            cum = 0
            out = []
            for price, size in levels:
                cum += size
                out.append([s(price), str(size), str(cum)])
            return out

        return {"asks": rows(asks), "bids": rows(bids), "timestamp": self.state.now(), "symbol": symbol}

    def book(self, symbol: str) -> tuple[list[tuple[Decimal, int]], list[tuple[Decimal, int]]]:
        sim = self.state.markets[symbol]
        cached = self.state.book_cache.get(symbol)
        if cached is not None and cached[0] == sim.state.mark:
            return cached[1], cached[2]
        resting = self.state.resting[symbol]
        bids, asks = sim.depth_side(True, resting["bids"]), sim.depth_side(False, resting["asks"])
        self.state.book_cache[symbol] = (sim.state.mark, bids, asks)
        return bids, asks

    def market_trades(self, symbol: str, limit: int = 50) -> list[Json]:
        """GET /contract/public/market-trade
        -> [{"symbol","price","qty","quote_qty","time","is_buyer_maker"}] (newest first)."""
        self.state.spec(symbol)
        n = max(1, min(limit, 100))
        out = []
        for t in reversed(self.state.markets[symbol].trades):
            out.append({k: v for k, v in t.items() if k != "trade_id"})
            if len(out) >= n:
                break
        return out

    def funding_rate(self, symbol: str) -> Json:
        """GET /contract/public/funding-rate."""
        self.state.spec(symbol)
        sim = self.state.markets[symbol]
        return {
            "timestamp": self.state.now(),
            "symbol": symbol,
            "rate_value": s(sim.state.funding_rate),
            "expected_rate": s(sim.premium_rate()),
            "funding_time": sim.state.next_funding_ms,
            "funding_upper_limit": s(MAX_FUNDING),
            "funding_lower_limit": s(-MAX_FUNDING),
        }

    def funding_rate_history(self, symbol: str, limit: int = 100) -> Json:
        """GET /contract/public/funding-rate-history
        -> {"list":[{"symbol","funding_rate","funding_time"}]} (newest first, limit <= 100)."""
        self.state.spec(symbol)
        n = max(1, min(limit, 100))
        rows = []
        for rec in reversed(self.state.funding_history[symbol]):
            rows.append({"symbol": symbol, "funding_rate": s(rec.rate), "funding_time": str(rec.time)})
            if len(rows) >= n:
                break
        return {"list": rows}

    def funding_rate_v2(self, symbol: str | None = None) -> Json | list[Json]:
        """GET /contract/public/funding-rate-v2: the funding-rate record of symbol, or of every
        symbol as a list when symbol is omitted (shape assumed equal to funding-rate)."""
        if symbol:
            return self.funding_rate(symbol)
        return [self.funding_rate(sym) for sym in CONTRACTS]

    def _klines(self, kind: str, symbol: str, step: int, start_time: int, end_time: int) -> list[Json]:
        self.state.spec(symbol)
        if step not in KLINE_STEPS:
            raise errors.KLINE_STEP_INVALID(f"step {step}: one of {', '.join(map(str, KLINE_STEPS))} minutes")
        if start_time > end_time:
            raise errors.TIMESTAMP_INVALID("start_time is after end_time (both in seconds)")
        if end_time > 10**11:
            raise errors.TIMESTAMP_INVALID("start_time and end_time are seconds, not milliseconds")
        return self.state.markets[symbol].klines(kind, step, start_time, end_time)

    def kline(self, symbol: str, step: int, start_time: int, end_time: int) -> list[Json]:
        """GET /contract/public/kline (last price; step minutes; start/end seconds)."""
        return self._klines("last", symbol, step, start_time, end_time)

    def markprice_kline(self, symbol: str, step: int, start_time: int, end_time: int) -> list[Json]:
        """GET /contract/public/markprice-kline."""
        return self._klines("mark", symbol, step, start_time, end_time)

    def open_interest(self, symbol: str) -> Json:
        """GET /contract/public/open-interest."""
        spec = self.state.spec(symbol)
        st = self.state.markets[symbol].state
        oi = Decimal(st.open_interest)
        return {
            "timestamp": self.state.now(),
            "symbol": symbol,
            "open_interest": s(oi),
            "open_interest_value": s(money(oi * spec.contract_size * st.mark)),
        }

    def leverage_bracket(self, symbol: str | None = None) -> Json:
        """GET /contract/public/leverage-bracket -> {"rules":[{"symbol","brackets":[...]}]}."""
        symbols = [symbol] if symbol else list(CONTRACTS)
        rules = []
        for sym in symbols:
            spec = self.state.spec(sym)
            rules.append(
                {
                    "symbol": sym,
                    "brackets": [
                        {
                            "bracket": b.bracket,
                            "initial_leverage": b.initial_leverage,
                            "notional_cap": s(b.notional_cap),
                            "notional_floor": s(b.notional_floor),
                            "maint_margin_ratio": s(b.maint_margin_ratio),
                            "cum": s(b.cum),
                        }
                        for b in spec.brackets
                    ],
                }
            )
        return {"rules": rules}

    # ---- public pushes -----------------------------------------------------------------------
    def push_market(self, symbol: str, now: int) -> None:
        """The symbol's ticker; it also tells the WebSocket layer to push the symbol's other
        market-data channels (built by `feeds.MarketFeeds`)."""
        if not self.state.subscribers:
            return
        sim = self.state.markets[symbol]
        st = sim.state
        bids, asks = self.book(symbol)
        open_24h, _high, _low, vol = sim.day_stats(now)
        self.state.emit(
            "futures/ticker",
            None,
            {
                "symbol": symbol,
                "last_price": s(st.last),
                "volume_24": s(vol),
                "range": s(((st.last - open_24h) / open_24h).quantize(Decimal("0.000001"))),
                "mark_price": s(st.mark),
                "index_price": s(st.mark),
                "ask_price": s(asks[0][0]) if asks else "0",
                "ask_vol": str(asks[0][1]) if asks else "0",
                "bid_price": s(bids[0][0]) if bids else "0",
                "bid_vol": str(bids[0][1]) if bids else "0",
            },
        )
