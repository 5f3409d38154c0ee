"""Every Binance USDⓈ-M Futures REST endpoint the sandbox serves: method, path, security type,
request weight (as Binance's docs give it) and handler."""

from __future__ import annotations

from perpdesk.sandbox.binance import market_data as M
from perpdesk.sandbox.binance.call import NONE, Endpoint, Handler

_V1 = "/fapi/v1/"


def _public(path: str, handler: Handler, weight: object = 1) -> Endpoint:
    return Endpoint("GET", path, NONE, handler, weight)  # type: ignore[arg-type]


ENDPOINTS: list[Endpoint] = [
    _public(_V1 + "ping", M.ping),
    _public(_V1 + "time", M.server_time),
    _public(_V1 + "exchangeInfo", M.exchange_info),
    _public(_V1 + "depth", M.depth, M.depth_weight),
    _public(_V1 + "trades", M.trades, 5),
    _public(_V1 + "aggTrades", M.agg_trades, 20),
    _public(_V1 + "klines", M.klines, 5),
    _public(_V1 + "markPriceKlines", M.mark_price_klines, 5),
    _public(_V1 + "premiumIndex", M.premium_index, M.all_symbols_weight(1, 10)),
    _public(_V1 + "fundingRate", M.funding_rate),
    _public(_V1 + "fundingInfo", M.funding_info),
    _public(_V1 + "openInterest", M.open_interest),
    _public(_V1 + "ticker/24hr", M.ticker_24hr, M.all_symbols_weight(1, 40)),
    _public(_V1 + "ticker/price", M.ticker_price, M.all_symbols_weight(1, 2)),
    _public("/fapi/v2/ticker/price", M.ticker_price, M.all_symbols_weight(1, 2)),
    _public(_V1 + "ticker/bookTicker", M.book_ticker, M.all_symbols_weight(2, 5)),
]


def routes(endpoints: list[Endpoint]) -> dict[tuple[str, str], Endpoint]:
    return {(e.method, e.path): e for e in endpoints}
