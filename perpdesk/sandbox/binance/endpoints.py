"""Every Binance USDⓈ-M Futures REST endpoint the sandbox serves: method, path, security type,
request weight (as Binance's docs give it) and handler."""

from __future__ import annotations

from perpdesk.sandbox.binance import account as A
from perpdesk.sandbox.binance import algo as G
from perpdesk.sandbox.binance import history as H
from perpdesk.sandbox.binance import kline_variants as V
from perpdesk.sandbox.binance import listen_keys as L
from perpdesk.sandbox.binance import market_data as M
from perpdesk.sandbox.binance import risk as R
from perpdesk.sandbox.binance import settings as S
from perpdesk.sandbox.binance import tickers as K
from perpdesk.sandbox.binance import trade as T
from perpdesk.sandbox.binance.call import MARKET_DATA, NONE, SIGNED, USER_STREAM, Endpoint, Handler

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
    _public(_V1 + "indexPriceKlines", V.index_price_klines, 5),
    _public(_V1 + "continuousKlines", V.continuous_klines, 5),
    _public(_V1 + "premiumIndexKlines", V.premium_index_klines, 5),
    _public(_V1 + "premiumIndex", M.premium_index, K.all_symbols_weight(1, 10)),
    _public(_V1 + "fundingRate", M.funding_rate),
    _public(_V1 + "fundingInfo", M.funding_info),
    _public(_V1 + "openInterest", M.open_interest),
    _public(_V1 + "ticker/24hr", K.ticker_24hr, K.all_symbols_weight(1, 40)),
    _public(_V1 + "ticker/price", K.ticker_price, K.all_symbols_weight(1, 2)),
    _public("/fapi/v2/ticker/price", K.ticker_price, K.all_symbols_weight(1, 2)),
    _public(_V1 + "ticker/bookTicker", K.book_ticker, K.all_symbols_weight(2, 5)),
    _public(_V1 + "symbolAdlRisk", R.adl_risk),
    # MARKET_DATA: any key of any account, no signature
    Endpoint("GET", _V1 + "historicalTrades", MARKET_DATA, M.historical_trades, 20, futures=False),
]


def _read(path: str, handler: Handler, weight: object = 5) -> Endpoint:
    """USER_DATA: signed; any key of the account may read (Binance's "Enable Reading")."""
    return Endpoint("GET", path, SIGNED, handler, weight, futures=False)  # type: ignore[arg-type]


def _trade(method: str, path: str, handler: Handler, weight: int = 1, orders: int = 0) -> Endpoint:
    """TRADE: signed, needs "Enable Futures" on the key, persisted before the answer."""
    return Endpoint(method, path, SIGNED, handler, weight, orders, mutating=True)


ENDPOINTS += [
    _read("/fapi/v2/balance", A.balance_v2),
    _read("/fapi/v3/balance", A.balance_v2),
    _read("/fapi/v2/account", A.account_v2),
    _read("/fapi/v3/account", A.account_v3),
    _read("/fapi/v2/positionRisk", A.position_risk_v2),
    _read("/fapi/v3/positionRisk", A.position_risk_v3),
    _read(_V1 + "positionSide/dual", S.get_position_mode, 30),
    _read(_V1 + "multiAssetsMargin", S.get_multi_assets, 30),
    _read(_V1 + "commissionRate", S.commission_rate, 20),
    _read(_V1 + "leverageBracket", S.leverage_bracket, 1),
    _read(_V1 + "accountConfig", S.account_config),
    _read(_V1 + "symbolConfig", S.symbol_config),
    _read("/sapi/v1/account/apiRestrictions", A.api_restrictions, 1),
    _read(_V1 + "order", T.query_order, 1),
    _read(_V1 + "openOrder", T.open_order, 1),
    _read(_V1 + "openOrders", T.open_orders, K.all_symbols_weight(1, 40)),
    _read(_V1 + "allOrders", T.all_orders),
    _read(_V1 + "userTrades", T.user_trades),
    _read(_V1 + "orderAmendment", T.order_amendments, 1),
    # TRADE in Binance's docs (signed), but a read: any key of the account may read it
    _read(_V1 + "positionMargin/history", H.margin_changes, 1),
    _read(_V1 + "income", T.income, 30),
    _read(_V1 + "forceOrders", R.force_orders, K.all_symbols_weight(20, 50)),
    _read(_V1 + "adlQuantile", R.adl_quantile, 5),
    _read(_V1 + "rateLimit/order", M.order_limits, 1),
    _read(_V1 + "apiTradingStatus", S.trading_status, K.all_symbols_weight(1, 10)),
    _trade("POST", _V1 + "positionSide/dual", S.set_position_mode),
    _trade("POST", _V1 + "multiAssetsMargin", S.set_multi_assets),
    _trade("POST", _V1 + "leverage", S.change_leverage),
    _trade("POST", _V1 + "marginType", S.change_margin_type),
    _trade("POST", _V1 + "positionMargin", S.position_margin),
    _trade("POST", _V1 + "order", T.new_order, 0, orders=1),
    _trade("POST", _V1 + "order/test", T.order_test, 0),
    _trade("PUT", _V1 + "order", T.modify_order, 1, orders=1),
    _trade("DELETE", _V1 + "order", T.cancel_order),
    _trade("POST", _V1 + "batchOrders", T.batch_new, 5, orders=-1),
    _trade("PUT", _V1 + "batchOrders", T.batch_modify, 5, orders=-1),
    _trade("DELETE", _V1 + "batchOrders", T.batch_cancel),
    _trade("DELETE", _V1 + "allOpenOrders", T.cancel_all),
    _trade("POST", _V1 + "countdownCancelAll", T.countdown_cancel_all, 10),
    _trade("POST", _V1 + "algoOrder", G.new_algo, 0, orders=1),
    _trade("DELETE", _V1 + "algoOrder", G.cancel_algo),
    _trade("DELETE", _V1 + "algoOpenOrders", G.cancel_all_algos),
    _read(_V1 + "algoOrder", G.query_algo, 1),
    _read(_V1 + "openAlgoOrders", G.open_algos, K.all_symbols_weight(1, 40)),
    _read(_V1 + "allAlgoOrders", G.all_algos),
    # USER_STREAM: the API key only, no signature; any key of the account may stream
    Endpoint("POST", _V1 + "listenKey", USER_STREAM, L.start_stream, 1, futures=False),
    Endpoint("PUT", _V1 + "listenKey", USER_STREAM, L.keepalive_stream, 1, futures=False),
    Endpoint("DELETE", _V1 + "listenKey", USER_STREAM, L.close_stream, 1, futures=False),
]


def routes(endpoints: list[Endpoint]) -> dict[tuple[str, str], Endpoint]:
    return {(e.method, e.path): e for e in endpoints}
