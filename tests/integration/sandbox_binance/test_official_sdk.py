"""Binance's official Python SDK (`binance-sdk-derivatives-trading-usds-futures`), unmodified
except for its base URL and streams URL, runs a trader's session against the sandbox: market
data, account, orders (limit, modify, market, batch, cancel all, algo orders), user trades and
income, and the user data stream through the SDK's own WebSocket client.

Every answer must be what the SDK's models read strictly: the SDK falls back to a relaxed model
(or the raw payload) with a log warning when an answer does not fit, so `Strict` fails the test
on any such warning, and on an answer whose model, dumped again, differs from the raw JSON (a
field the model does not know, or a value it had to coerce). A response hook on the SDK's own
HTTP session records the raw answers; nothing in the SDK is patched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import binance_common.utils
import pytest
import requests
from binance_common.configuration import ConfigurationRestAPI, ConfigurationWebSocketStreams
from binance_common.errors import BadRequestError, UnauthorizedError
from binance_sdk_derivatives_trading_usds_futures.derivatives_trading_usds_futures import (
    DerivativesTradingUsdsFutures,
)
from binance_sdk_derivatives_trading_usds_futures.rest_api import models as M
from pydantic import BaseModel

from tests.fixtures.binance import BinanceClient, BinanceSandbox

SYMBOL = "BTCUSDT"
# Fields the SDK's models declare that the sandbox's answers may lack (docs/sandbox-binance.md):
MAY_BE_ABSENT = {
    *("pair", "baseQty", "marginAsset", "cumBase"),  # COIN-M fields in the shared models
    *("activatePrice", "priceRate", "callbackRate"),  # trailing stop orders only
    *("code", "msg"),  # a batch item that failed
    *(
        "icebergQuantity",
        "tpOrderType",
        "tpPrice",
        "tpTriggerPrice",
        "slPrice",
        "slTriggerPrice",
    ),  # not offered
    *("actualType", "actualQty"),  # an algo order until it triggers (asserted present after)
    "modifyId",  # undocumented: Binance's pages show none
    *("multiplierUp", "multiplierDown", "multiplierDecimal"),  # no PERCENT_PRICE filter
}


def _missing(value: Any, where: str = "") -> set[str]:
    """Fields a parsed model (and the models in it) declares that the answer did not carry."""
    if isinstance(value, list):  # missing from every item (a filter list mixes kinds of filter)
        each = [_missing(v, where) for v in value]
        return set.intersection(*each) if each else set()
    if not isinstance(value, BaseModel):
        return set()
    fields = type(value).model_fields
    if "actual_instance" in fields:
        return _missing(getattr(value, "actual_instance", None), where)
    name = where or type(value).__name__
    out = set()
    for attr, field in fields.items():
        if attr == "additional_properties":
            continue
        v = getattr(value, attr)
        if v is None:
            out.add(f"{name}.{field.alias or attr}")
        else:
            out |= _missing(v, f"{name}.{field.alias or attr}")
    return out


def _plain(value: Any) -> Any:
    """A parsed model as plain JSON values (by alias, unset fields left out); its unknown fields
    (additional_properties) must be empty."""
    if isinstance(value, BaseModel):
        inner = getattr(value, "actual_instance", None)
        if "actual_instance" in type(value).model_fields:
            return _plain(inner)
        extra = getattr(value, "additional_properties", None) or {}
        assert not extra, f"{type(value).__name__} does not know {sorted(extra)}"
        out = {}
        for name, field in type(value).model_fields.items():
            v = getattr(value, name)
            if name != "additional_properties" and v is not None:
                out[field.alias or name] = _plain(v)
        return out
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class Strict:
    """Records the SDK's raw answers (a response hook on its own session) and checks each parsed
    answer against them."""

    def __init__(self, session: requests.Session, caplog: pytest.LogCaptureFixture) -> None:
        self.raw: Any = None
        self.caplog = caplog
        session.hooks["response"].append(self._record)

    def _record(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.raw = response.json()

    def complaints(self) -> list[str]:
        """What the SDK logged about answers or pushes it could not read strictly."""
        return [r.getMessage() for r in self.caplog.records if r.levelno >= logging.WARNING]

    def __call__(self, answer: Any, model: type[BaseModel]) -> Any:
        data = answer.data()
        assert not self.complaints(), self.complaints()
        assert not binance_common.utils._relaxed_models, "the SDK relaxed a model's types"
        items = data if isinstance(data, list) else [data]
        assert all(isinstance(item, model) for item in items), (model, data)
        assert _plain(data) == self.raw, (model.__name__, self.raw)
        missing = {name.rsplit(".", 1)[-1] for name in _missing(data, model.__name__)}
        assert not missing - MAY_BE_ABSENT, (model.__name__, sorted(missing - MAY_BE_ABSENT))
        assert answer.status == 200
        return self.raw


@pytest.fixture
def trader(binance_sandbox: BinanceSandbox) -> BinanceClient:
    binance_sandbox.server.admin.set_price(SYMBOL, "95000")
    return binance_sandbox.client(usdt="50000")


@pytest.fixture
def official(
    binance_sandbox: BinanceSandbox, trader: BinanceClient
) -> Iterator[DerivativesTradingUsdsFutures]:
    rest = ConfigurationRestAPI(
        api_key=trader.api_key, api_secret=trader.secret, base_path=binance_sandbox.url
    )
    streams = ConfigurationWebSocketStreams(stream_url=binance_sandbox.url.replace("http://", "ws://"))
    yield DerivativesTradingUsdsFutures(config_rest_api=rest, config_ws_streams=streams)


@pytest.fixture
def strict(official: DerivativesTradingUsdsFutures, caplog: pytest.LogCaptureFixture) -> Strict:
    caplog.set_level(logging.WARNING)
    return Strict(official.rest_api._session, caplog)


def test_market_data_and_account(official: DerivativesTradingUsdsFutures, strict: Strict) -> None:
    api = official.rest_api
    assert api.test_connectivity().status == 200
    strict(api.check_server_time(), M.CheckServerTimeResponse)
    info = strict(api.exchange_information(), M.ExchangeInformationResponse)
    assert SYMBOL in {s["symbol"] for s in info["symbols"]}
    book = strict(api.order_book(symbol=SYMBOL, limit=5), M.OrderBookResponse)
    assert len(book["bids"]) == 5 and Decimal(book["bids"][0][0]) < Decimal(book["asks"][0][0])
    rows = api.kline_candlestick_data(symbol=SYMBOL, interval="1m", limit=3).data()
    # the SDK hands kline rows on as they come (lists): their types checked here
    kline_types = [int, str, str, str, str, str, int, str, int, str, str, str]
    assert rows and all([type(v) for v in r] == kline_types for r in rows)
    strict(api.mark_price(symbol=SYMBOL), M.MarkPriceResponse)
    ticker = strict(
        api.ticker24hr_price_change_statistics(symbol=SYMBOL), M.Ticker24hrPriceChangeStatisticsResponse
    )
    assert ticker["lastPrice"] == "95000.0"

    strict(api.futures_account_balance_v2(), M.FuturesAccountBalanceV2Response)
    account = strict(api.account_information_v3(), M.AccountInformationV3Response)
    assert Decimal(account["totalWalletBalance"]) == 50000
    strict(api.account_information_v2(), M.AccountInformationV2Response)
    strict(api.user_commission_rate(symbol=SYMBOL), M.UserCommissionRateResponse)
    strict(api.notional_and_leverage_brackets(symbol=SYMBOL), M.NotionalAndLeverageBracketsResponse)
    strict(api.change_initial_leverage(symbol=SYMBOL, leverage=10), M.ChangeInitialLeverageResponse)
    strict(api.change_margin_type(symbol=SYMBOL, margin_type="ISOLATED"), M.ChangeMarginTypeResponse)
    strict(api.change_position_mode(dual_side_position="false"), M.ChangePositionModeResponse)
    assert strict(api.get_current_position_mode(), M.GetCurrentPositionModeResponse) == {
        "dualSidePosition": False
    }
    strict(api.get_current_multi_assets_mode(), M.GetCurrentMultiAssetsModeResponse)
    strict(api.position_information_v2(symbol=SYMBOL), M.PositionInformationV2Response)


def test_orders_algo_orders_trades_and_income(
    binance_sandbox: BinanceSandbox, official: DerivativesTradingUsdsFutures, strict: Strict
) -> None:
    api = official.rest_api
    strict(api.change_position_mode(dual_side_position="false"), M.ChangePositionModeResponse)
    limit = {"symbol": SYMBOL, "side": "BUY", "type": "LIMIT", "time_in_force": "GTC"}
    placed = strict(
        api.new_order(
            **limit, quantity=Decimal("0.002"), price=Decimal("90000.0"), new_client_order_id="sdk1"
        ),
        M.NewOrderResponse,
    )
    assert (placed["status"], placed["clientOrderId"]) == ("NEW", "sdk1")
    oid = placed["orderId"]
    modified = strict(
        api.modify_order(
            symbol=SYMBOL, side="BUY", quantity=Decimal("0.003"), price=Decimal("90500.0"), order_id=oid
        ),
        M.ModifyOrderResponse,
    )
    assert (modified["origQty"], modified["price"]) == ("0.003", "90500.0")
    queried = strict(api.query_order(symbol=SYMBOL, orig_client_order_id="sdk1"), M.QueryOrderResponse)
    assert queried["orderId"] == oid
    history = strict(
        api.get_order_modify_history(symbol=SYMBOL, order_id=oid), M.GetOrderModifyHistoryResponse
    )
    assert history[0]["amendment"]["price"] == {"before": "90000.0", "after": "90500.0"}
    strict(api.current_all_open_orders(symbol=SYMBOL), M.CurrentAllOpenOrdersResponse)
    cancelled = strict(api.cancel_order(symbol=SYMBOL, order_id=oid), M.CancelOrderResponse)
    assert cancelled["status"] == "CANCELED"

    bought = strict(
        api.new_order(symbol=SYMBOL, side="BUY", type="MARKET", quantity=Decimal("0.010")), M.NewOrderResponse
    )
    assert bought["status"] == "FILLED"
    # the SDK's batch item model takes floats only (StrictFloat): what it sends is their repr
    item = M.PlaceMultipleOrdersBatchOrdersParameterInner(
        symbol=SYMBOL, side="BUY", type="LIMIT", time_in_force="GTC", quantity=0.002, price=80000.0
    )
    many = strict(api.place_multiple_orders(batch_orders=[item, item]), M.PlaceMultipleOrdersResponse)
    assert [o["status"] for o in many] == ["NEW", "NEW"]
    done = strict(api.cancel_all_open_orders(symbol=SYMBOL), M.CancelAllOpenOrdersResponse)
    assert done["code"] == 200
    assert strict(api.current_all_open_orders(symbol=SYMBOL), M.CurrentAllOpenOrdersResponse) == []

    conditional = {"algo_type": "CONDITIONAL", "symbol": SYMBOL, "side": "SELL"}
    stop = strict(
        api.new_algo_order(
            **conditional, type="STOP_MARKET", trigger_price=Decimal("90000.0"), close_position="true"
        ),
        M.NewAlgoOrderResponse,
    )
    take = strict(
        api.new_algo_order(**conditional, type="TAKE_PROFIT_MARKET", trigger_price=Decimal("99000.0"),
                           quantity=Decimal("0.005"), reduce_only="true"),
        M.NewAlgoOrderResponse,
    )  # fmt: skip
    trail = strict(
        api.new_algo_order(**conditional, type="TRAILING_STOP_MARKET", quantity=Decimal("0.005"),
                           activate_price=Decimal("96000.0"), callback_rate=Decimal("1"), reduce_only="true"),
        M.NewAlgoOrderResponse,
    )  # fmt: skip
    assert (stop["orderType"], take["orderType"], trail["orderType"]) == (
        "STOP_MARKET",
        "TAKE_PROFIT_MARKET",
        "TRAILING_STOP_MARKET",
    )
    open_algos = strict(api.current_all_algo_open_orders(symbol=SYMBOL), M.CurrentAllAlgoOpenOrdersResponse)
    assert {o["algoId"] for o in open_algos} == {stop["algoId"], take["algoId"], trail["algoId"]}
    strict(api.query_algo_order(algo_id=take["algoId"]), M.QueryAlgoOrderResponse)
    strict(api.cancel_algo_order(algo_id=take["algoId"]), M.CancelAlgoOrderResponse)
    binance_sandbox.server.admin.set_price(SYMBOL, "89000")  # the stop fires: the position closes
    fired = strict(api.query_algo_order(algo_id=stop["algoId"]), M.QueryAlgoOrderResponse)
    assert (fired["algoStatus"], fired["actualType"], fired["actualQty"]) == ("TRIGGERED", "MARKET", "0.010")
    strict(api.query_all_algo_orders(symbol=SYMBOL), M.QueryAllAlgoOrdersResponse)
    strict(api.cancel_all_algo_open_orders(symbol=SYMBOL), M.CancelAllAlgoOpenOrdersResponse)

    trades = strict(api.account_trade_list(symbol=SYMBOL), M.AccountTradeListResponse)
    assert [t["side"] for t in trades] == ["BUY", "SELL"]
    income = strict(api.get_income_history(symbol=SYMBOL), M.GetIncomeHistoryResponse)
    assert {"COMMISSION", "REALIZED_PNL"} <= {r["incomeType"] for r in income}
    realised = sum(Decimal(r["income"]) for r in income if r["incomeType"] == "REALIZED_PNL")
    assert realised == sum(Decimal(t["realizedPnl"]) for t in trades) < 0
    strict(api.all_orders(symbol=SYMBOL), M.AllOrdersResponse)
    strict(api.position_information_v3(), M.PositionInformationV3Response)


class Pushes:
    """What each SDK stream handed its callback; `wait` until every stream named has pushed."""

    def __init__(self, strict: Strict) -> None:
        self.strict = strict
        self.by_stream: dict[str, list[Any]] = {}
        self.changed = asyncio.Event()

    def collect(self, name: str) -> Any:
        def callback(parsed: Any) -> None:
            self.by_stream.setdefault(name, []).append(parsed)
            self.changed.set()

        return callback

    def events(self, name: str) -> list[Any]:
        return [p.actual_instance for p in self.by_stream.get("user", [])
                if type(p.actual_instance).__name__ == name]  # fmt: skip

    async def wait(self, ready: Any, nudge: Any = None) -> None:
        """Until `ready()`; `nudge` (a move of the price) is repeated while waiting, since the
        SDK does not wait for its subscriptions to be taken before it returns."""
        async with asyncio.timeout(15):
            while not ready():
                assert not self.strict.complaints(), self.strict.complaints()
                self.changed.clear()
                if nudge is not None:
                    await asyncio.to_thread(nudge)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.changed.wait(), 0.3)


# Fields of the stream models that the sandbox's pushes may lack (docs/sandbox-binance.md)
PUSH_MAY_BE_ABSENT = {
    # "(After CM migration) Symbol type" and the COIN-M pair
    *(f"{m}.st" for m in ("AggregateTradeStreamsResponse", "MarkPriceStreamResponse")),
    *(
        f"{m}.{f}"
        for f in ("ps", "st")
        for m in (
            "IndividualSymbolBookTickerStreamsResponse",
            "IndividualSymbolTickerStreamsResponse",
            "PartialBookDepthStreamsResponse",
        )
    ),
    "MarkPriceStreamResponse.ap",  # the mark price's moving average: not computed
    "AccountConfigUpdate.ai",  # multi-assets mode changes (ac carries leverage changes)
    "AccountUpdate.a.S",  # the symbol of a FUNDING_FEE update only
    # trailing stop orders only; an expired order's reason; a modifyId the request gave
    *(f"OrderTradeUpdate.o.{f}" for f in ("AP", "cr", "er", "M")),
}


def _checked(parsed: Any) -> None:
    """A push as the SDK parsed it: no field its model does not know, none missing unexpectedly."""
    _plain(parsed)
    missing = _missing(parsed)
    assert not missing - PUSH_MAY_BE_ABSENT, sorted(missing - PUSH_MAY_BE_ABSENT)


async def test_user_data_and_market_streams_through_the_sdks_websocket(
    binance_sandbox: BinanceSandbox, official: DerivativesTradingUsdsFutures, strict: Strict
) -> None:
    api = official.rest_api
    admin = binance_sandbox.server.admin
    strict(
        await asyncio.to_thread(api.change_position_mode, dual_side_position="false"),
        M.ChangePositionModeResponse,
    )
    key = strict(await asyncio.to_thread(api.start_user_data_stream), M.StartUserDataStreamResponse)[
        "listenKey"
    ]
    ws = official.websocket_streams
    await ws.create_connection()
    pushes = Pushes(strict)
    try:
        (await ws.user_data(key)).on("message", pushes.collect("user"))
        market = {
            "markPrice": await ws.mark_price_stream(symbol="btcusdt"),
            "kline": await ws.kline_candlestick_streams(symbol="btcusdt", interval="1m"),
            "ticker": await ws.individual_symbol_ticker_streams(symbol="btcusdt"),
            "depth5": await ws.partial_book_depth_streams(symbol="btcusdt", levels="5"),
            "bookTicker": await ws.individual_symbol_book_ticker_streams(symbol="btcusdt"),
            "aggTrade": await ws.aggregate_trade_streams(symbol="btcusdt"),
        }
        for name, handle in market.items():
            handle.on("message", pushes.collect(name))
        prices = iter(["95010", "95000"] * 50)
        ticked = [name for name in market if name != "aggTrade"]
        await pushes.wait(
            lambda: all(pushes.by_stream.get(n) for n in ticked),
            lambda: admin.set_price(SYMBOL, next(prices)),
        )

        order = {"symbol": SYMBOL, "side": "BUY", "type": "MARKET", "quantity": Decimal("0.004")}
        strict(await asyncio.to_thread(api.new_order, **order), M.NewOrderResponse)
        strict(
            await asyncio.to_thread(api.change_initial_leverage, symbol=SYMBOL, leverage=7),
            M.ChangeInitialLeverageResponse,
        )
        algo = {"algo_type": "CONDITIONAL", "symbol": SYMBOL, "side": "SELL", "type": "STOP_MARKET",
                "trigger_price": Decimal("80000.0"), "close_position": "true"}  # fmt: skip
        strict(await asyncio.to_thread(api.new_algo_order, **algo), M.NewAlgoOrderResponse)
        wanted = ("OrderTradeUpdate", "AccountUpdate", "AccountConfigUpdate", "AlgoUpdate")
        await pushes.wait(lambda: all(pushes.events(n) for n in wanted) and pushes.by_stream.get("aggTrade"))
        fill = pushes.events("OrderTradeUpdate")[-1].o
        assert (fill.s, fill.x, fill.X, fill.z) == (SYMBOL, "TRADE", "FILLED", "0.004")
        assert pushes.events("AccountConfigUpdate")[0].ac.l == 7
        assert pushes.events("AlgoUpdate")[0].o.o == "STOP_MARKET"

        strict(await asyncio.to_thread(api.keepalive_user_data_stream), M.KeepaliveUserDataStreamResponse)
        await asyncio.to_thread(api.close_user_data_stream)
        await pushes.wait(lambda: pushes.events("ListenKeyExpired"))
    finally:
        await ws.close_connection()
    for parsed in [p for stream in pushes.by_stream.values() for p in stream]:
        _checked(parsed)
    assert not strict.complaints(), strict.complaints()


def test_refusals_reach_the_sdk_as_its_own_errors(
    binance_sandbox: BinanceSandbox, official: DerivativesTradingUsdsFutures, trader: BinanceClient
) -> None:
    """Binance's HTTP statuses pick the SDK's exception; its `status_code` is Binance's code."""
    api = official.rest_api
    with pytest.raises(BadRequestError) as unknown:
        api.cancel_order(symbol=SYMBOL, order_id=1)
    assert unknown.value.status_code == -2011
    with pytest.raises(BadRequestError) as fine:
        api.new_order(
            symbol=SYMBOL, side="BUY", position_side="LONG", type="MARKET", quantity=Decimal("0.0001")
        )
    assert fine.value.status_code == -1111 and "0.0001" not in fine.value.error_message
    rest = ConfigurationRestAPI(api_key=trader.api_key, api_secret="0" * 64, base_path=binance_sandbox.url)
    wrong_secret = DerivativesTradingUsdsFutures(config_rest_api=rest).rest_api
    with pytest.raises(BadRequestError) as unsigned:
        wrong_secret.futures_account_balance_v2()
    assert unsigned.value.status_code == -1022
    rest = ConfigurationRestAPI(api_key="x" * 64, api_secret="0" * 64, base_path=binance_sandbox.url)
    with pytest.raises(UnauthorizedError) as unknown_key:
        DerivativesTradingUsdsFutures(config_rest_api=rest).rest_api.futures_account_balance_v2()
    assert unknown_key.value.status_code == -2015
