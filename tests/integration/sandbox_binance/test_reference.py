"""Binance's published reference as a test, for the Binance dialect.

* Endpoints: the facts derived from Binance's Postman collections (binance_reference.json, by
  scripts/binance_reference.py): every endpoint served is documented with that method, signed
  where the collection signs it; a request without a required parameter is refused naming it.
  Coverage (served / documented) is printed.
* Answers: each served endpoint's answer is read by the official SDK's model
  (binance-sdk-derivatives-trading-usds-futures): strict types, no field the model does not know.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import binance_sdk_derivatives_trading_usds_futures.rest_api.models as sdk
import orjson
import pytest
from pydantic import BaseModel

from perpdesk.sandbox.binance.call import NONE, SIGNED, USER_STREAM
from perpdesk.sandbox.binance.endpoints import ENDPOINTS
from tests.fixtures.binance import BinanceClient, BinanceSandbox

REFERENCE = json.loads((Path(__file__).parent / "binance_reference.json").read_text())
DOCUMENTED = {(r["method"], r["path"]): r for r in REFERENCE}
SERVED = {(e.method, e.path): e for e in ENDPOINTS}


def test_every_served_endpoint_is_documented_and_coverage() -> None:
    undocumented = sorted(set(SERVED) - set(DOCUMENTED))
    assert not undocumented
    for key, endpoint in SERVED.items():
        documented_signed = DOCUMENTED[key]["signed"]
        assert documented_signed == (endpoint.security == SIGNED), key
        if endpoint.security == NONE:
            assert not documented_signed
    missing = sorted(f"{m} {p}" for m, p in set(DOCUMENTED) - set(SERVED))
    print(f"\nBinance REST coverage: {len(SERVED)}/{len(DOCUMENTED)} endpoints served; not served:")
    for line in missing:
        print("  ", line, "—", DOCUMENTED[tuple(line.split(" ", 1))]["name"])  # type: ignore[index]


def test_a_missing_required_parameter_is_refused_naming_it(binance_sandbox: BinanceSandbox) -> None:
    client = binance_sandbox.client()
    checked = 0
    for key, endpoint in sorted(SERVED.items()):
        required = [p["name"] for p in DOCUMENTED[key]["params"] if p["required"]]
        if not required or endpoint.security == USER_STREAM:
            continue
        method, path = key
        r = client.public(path) if endpoint.security == NONE else client.signed(method, path)
        assert r.status_code == 400, (key, r.text)
        body = r.json()
        assert body["code"] == -1102, (key, body)
        assert any(f"'{name}'" in body["msg"] for name in required), (key, body)
        checked += 1
    assert checked >= 20


def _unknown(obj: Any, where: str) -> list[str]:
    """Fields of the answer that the SDK's model (and its nested models) does not know."""
    out: list[str] = []
    if isinstance(obj, BaseModel):
        extra = getattr(obj, "additional_properties", {}) or {}
        out += [f"{where}.{k}" for k in extra]
        for name in type(obj).model_fields:
            if name != "additional_properties":
                out += _unknown(getattr(obj, name), f"{where}.{name}")
    elif isinstance(obj, list):
        for item in obj[:3]:
            out += _unknown(item, where + "[]")
    return out


def conforms(model: type[BaseModel], data: Any) -> None:
    items = data if isinstance(data, list) else [data]
    assert items, model
    for item in items:
        parsed = model.from_dict(item)  # type: ignore[attr-defined]  # strict: raises on a wrong type
        assert not _unknown(parsed, model.__name__), _unknown(parsed, model.__name__)


@pytest.fixture(scope="module")
def trader(binance_sandbox: BinanceSandbox) -> BinanceClient:
    """An account holding a BTCUSDT position, a resting order and some history (one-way mode)."""
    binance_sandbox.server.admin.set_price("BTCUSDT", "95000")
    client = binance_sandbox.client()
    client.ok("POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": False})
    client.ok(
        "POST", "/fapi/v1/order", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.003"}
    )
    client.ok(
        "POST",
        "/fapi/v1/order",
        {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.002",
         "price": "90000.0", "newClientOrderId": "rest1"},
    )  # fmt: skip
    binance_sandbox.server.admin.settle_funding("BTCUSDT", "0.0001")
    return client


PUBLIC = [
    ("/fapi/v1/time", {}, sdk.CheckServerTimeResponse),
    ("/fapi/v1/exchangeInfo", {}, sdk.ExchangeInformationResponse),
    ("/fapi/v1/depth", {"symbol": "BTCUSDT", "limit": 5}, sdk.OrderBookResponse),
    ("/fapi/v1/trades", {"symbol": "BTCUSDT"}, sdk.RecentTradesListResponseInner),
    ("/fapi/v1/aggTrades", {"symbol": "BTCUSDT"}, sdk.CompressedAggregateTradesListResponseInner),
    ("/fapi/v1/premiumIndex", {"symbol": "BTCUSDT"}, sdk.MarkPriceResponse1),
    ("/fapi/v1/premiumIndex", {}, sdk.MarkPriceResponse1),
    ("/fapi/v1/fundingRate", {"symbol": "BTCUSDT"}, sdk.GetFundingRateHistoryResponseInner),
    ("/fapi/v1/fundingInfo", {}, sdk.GetFundingRateInfoResponseInner),
    ("/fapi/v1/openInterest", {"symbol": "BTCUSDT"}, sdk.OpenInterestResponse),
    ("/fapi/v1/ticker/24hr", {"symbol": "BTCUSDT"}, sdk.Ticker24hrPriceChangeStatisticsResponse1),
    ("/fapi/v1/ticker/24hr", {}, sdk.Ticker24hrPriceChangeStatisticsResponse1),
    ("/fapi/v1/ticker/price", {"symbol": "BTCUSDT"}, sdk.SymbolPriceTickerResponse1),
    ("/fapi/v2/ticker/price", {}, sdk.SymbolPriceTickerV2Response1),
    ("/fapi/v1/ticker/bookTicker", {"symbol": "ETHUSDT"}, sdk.SymbolOrderBookTickerResponse1),
    ("/fapi/v1/symbolAdlRisk", {"symbol": "BTCUSDT"}, sdk.AdlRiskResponse1),
    ("/fapi/v1/symbolAdlRisk", {}, sdk.AdlRiskResponse2Inner),
]

READS = [
    ("/fapi/v2/balance", {}, sdk.FuturesAccountBalanceV2ResponseInner),
    # the SDK's V3 model inherits V2's fields but lists none of them: V2's is the one that reads it
    ("/fapi/v3/balance", {}, sdk.FuturesAccountBalanceV2ResponseInner),
    ("/fapi/v2/account", {}, sdk.AccountInformationV2Response),
    ("/fapi/v3/account", {}, sdk.AccountInformationV3Response),
    ("/fapi/v2/positionRisk", {}, sdk.PositionInformationV2ResponseInner),
    ("/fapi/v3/positionRisk", {}, sdk.PositionInformationV3ResponseInner),
    ("/fapi/v1/positionSide/dual", {}, sdk.GetCurrentPositionModeResponse),
    ("/fapi/v1/multiAssetsMargin", {}, sdk.GetCurrentMultiAssetsModeResponse),
    ("/fapi/v1/commissionRate", {"symbol": "BTCUSDT"}, sdk.UserCommissionRateResponse),
    ("/fapi/v1/leverageBracket", {"symbol": "BTCUSDT"}, sdk.NotionalAndLeverageBracketsResponse2),
    ("/fapi/v1/leverageBracket", {}, sdk.NotionalAndLeverageBracketsResponse1Inner),
    ("/fapi/v1/accountConfig", {}, sdk.FuturesAccountConfigurationResponse),
    ("/fapi/v1/symbolConfig", {}, sdk.SymbolConfigurationResponseInner),
    ("/fapi/v1/order", {"symbol": "BTCUSDT", "origClientOrderId": "rest1"}, sdk.QueryOrderResponse),
    (
        "/fapi/v1/openOrder",
        {"symbol": "BTCUSDT", "origClientOrderId": "rest1"},
        sdk.QueryCurrentOpenOrderResponse,
    ),
    ("/fapi/v1/openOrders", {}, sdk.CurrentAllOpenOrdersResponseInner),
    ("/fapi/v1/allOrders", {"symbol": "BTCUSDT"}, sdk.AllOrdersResponseInner),
    ("/fapi/v1/userTrades", {"symbol": "BTCUSDT"}, sdk.AccountTradeListResponseInner),
    ("/fapi/v1/income", {}, sdk.GetIncomeHistoryResponseInner),
    ("/fapi/v1/rateLimit/order", {}, sdk.QueryUserRateLimitResponseInner),
    ("/fapi/v1/apiTradingStatus", {}, sdk.FuturesTradingQuantitativeRulesIndicatorsResponse),
]


@pytest.mark.parametrize(("path", "params", "model"), PUBLIC, ids=[f"{p} {q}" for p, q, _ in PUBLIC])
def test_public_answers_read_by_the_sdk(
    trader: BinanceClient, path: str, params: dict[str, Any], model: Any
) -> None:
    r = trader.public(path, **params)
    assert r.status_code == 200, r.text
    conforms(model, r.json())


@pytest.mark.parametrize(("path", "params", "model"), READS, ids=[f"{p} {q}" for p, q, _ in READS])
def test_account_answers_read_by_the_sdk(
    trader: BinanceClient, path: str, params: dict[str, Any], model: Any
) -> None:
    conforms(model, trader.ok("GET", path, params))


KLINES = {
    "/fapi/v1/klines": {"symbol": "BTCUSDT"},
    "/fapi/v1/markPriceKlines": {"symbol": "BTCUSDT"},
    "/fapi/v1/indexPriceKlines": {"pair": "BTCUSDT"},
    "/fapi/v1/continuousKlines": {"pair": "BTCUSDT", "contractType": "PERPETUAL"},
    "/fapi/v1/premiumIndexKlines": {"symbol": "BTCUSDT"},
}


def test_klines_rows_have_binances_twelve_fields(trader: BinanceClient) -> None:
    for path, which in KLINES.items():
        rows = trader.public(path, **which, interval="1m", limit=3).json()
        assert rows, path
        for row in rows:
            types = [type(v) for v in row]
            assert types == [int, str, str, str, str, str, int, str, int, str, str, str]
            assert row[6] == row[0] + 59_999


def test_historical_trades_take_a_key_and_no_signature(trader: BinanceClient) -> None:
    path = trader.url + "/fapi/v1/historicalTrades"
    r = trader.http.get(path, params={"symbol": "BTCUSDT"})
    assert (r.status_code, r.json()["code"]) == (401, -2015)
    keyed = {"X-MBX-APIKEY": trader.api_key}
    recent = trader.http.get(path, params={"symbol": "BTCUSDT", "limit": 2}, headers=keyed).json()
    conforms(sdk.OldTradesLookupResponseInner, recent)
    assert recent == trader.public("/fapi/v1/trades", symbol="BTCUSDT", limit=2).json()
    first = recent[-1]["id"]
    after = trader.http.get(path, params={"symbol": "BTCUSDT", "fromId": first}, headers=keyed).json()
    assert [t["id"] for t in after] == [first]


def test_kline_variants_read_the_same_candles(trader: BinanceClient) -> None:
    """Index = mark, the perpetual's continuous candles = its own, premium 0; a pair or contract
    type the sandbox does not list is refused."""
    window = {"interval": "1m", "limit": 3}
    mark = trader.public("/fapi/v1/markPriceKlines", symbol="BTCUSDT", **window).json()
    assert trader.public("/fapi/v1/indexPriceKlines", pair="BTCUSDT", **window).json() == mark
    last = trader.public("/fapi/v1/klines", symbol="BTCUSDT", **window).json()
    continuous = {"pair": "BTCUSDT", "contractType": "PERPETUAL", **window}
    assert trader.public("/fapi/v1/continuousKlines", **continuous).json() == last
    premium = trader.public("/fapi/v1/premiumIndexKlines", symbol="BTCUSDT", **window).json()
    assert [r[0] for r in premium] == [r[0] for r in mark] and {r[4] for r in premium} == {"0.00000000"}
    quarter = trader.public("/fapi/v1/continuousKlines", **{**continuous, "contractType": "NEXT_QUARTER"})
    assert (quarter.status_code, quarter.json()["code"]) == (400, -1130)
    assert "'contractType'" in quarter.json()["msg"]
    assert trader.public("/fapi/v1/indexPriceKlines", pair="NOPEUSDT", **window).json()["code"] == -1121


def test_trade_answers_read_by_the_sdk(binance_sandbox: BinanceSandbox) -> None:
    binance_sandbox.server.admin.set_price("SOLUSDT", "180")
    c = binance_sandbox.client()
    conforms(
        sdk.ChangeInitialLeverageResponse,
        c.ok("POST", "/fapi/v1/leverage", {"symbol": "SOLUSDT", "leverage": 3}),
    )
    conforms(
        sdk.ChangeMarginTypeResponse,
        c.ok("POST", "/fapi/v1/marginType", {"symbol": "SOLUSDT", "marginType": "ISOLATED"}),
    )
    hedge_long = {"symbol": "SOLUSDT", "positionSide": "LONG", "type": "MARKET", "quantity": "1.0"}
    c.ok("POST", "/fapi/v1/order", {**hedge_long, "side": "BUY"})
    margin = {"symbol": "SOLUSDT", "positionSide": "LONG", "amount": "5", "type": 1}
    conforms(sdk.ModifyIsolatedPositionMarginResponse, c.ok("POST", "/fapi/v1/positionMargin", margin))
    c.ok("POST", "/fapi/v1/order", {**hedge_long, "side": "SELL"})  # flat again: the mode may change
    conforms(
        sdk.ChangePositionModeResponse,
        c.ok("POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": False}),
    )
    conforms(
        sdk.ChangeMultiAssetsModeResponse,
        c.ok("POST", "/fapi/v1/multiAssetsMargin", {"multiAssetsMargin": False}),
    )
    order = {
        "symbol": "SOLUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "1.0",
        "price": "170.00",
    }
    placed = c.ok("POST", "/fapi/v1/order", order)
    conforms(sdk.NewOrderResponse, placed)
    oid = placed["orderId"]
    modify = {"symbol": "SOLUSDT", "orderId": oid, "side": "BUY", "quantity": "2.0", "price": "171.00"}
    conforms(sdk.ModifyOrderResponse, c.ok("PUT", "/fapi/v1/order", modify))
    conforms(sdk.CancelOrderResponse, c.ok("DELETE", "/fapi/v1/order", {"symbol": "SOLUSDT", "orderId": oid}))
    batch = {"batchOrders": orjson.dumps([order, order]).decode()}
    placed_many = c.ok("POST", "/fapi/v1/batchOrders", batch)
    conforms(sdk.PlaceMultipleOrdersResponseInner, placed_many)
    ids = orjson.dumps([o["orderId"] for o in placed_many]).decode()
    conforms(
        sdk.CancelMultipleOrdersResponseInner,
        c.ok("DELETE", "/fapi/v1/batchOrders", {"symbol": "SOLUSDT", "orderIdList": ids}),
    )
    countdown = {"symbol": "SOLUSDT", "countdownTime": 0}
    conforms(sdk.AutoCancelAllOpenOrdersResponse, c.ok("POST", "/fapi/v1/countdownCancelAll", countdown))
    conforms(sdk.CancelAllOpenOrdersResponse, c.ok("DELETE", "/fapi/v1/allOpenOrders", {"symbol": "SOLUSDT"}))
