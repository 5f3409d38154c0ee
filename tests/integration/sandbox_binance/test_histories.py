"""The change histories Binance keeps and the engine does not: an order's modifications
(`GET /fapi/v1/orderAmendment`) and isolated-margin changes (`GET /fapi/v1/positionMargin/history`),
read with the official SDK's models."""

from __future__ import annotations

import time

import binance_sdk_derivatives_trading_usds_futures.rest_api.models as sdk

from tests.fixtures.binance import BinanceSandbox
from tests.integration.sandbox_binance.test_reference import conforms


def test_an_orders_modifications_newest_first(binance_sandbox: BinanceSandbox) -> None:
    binance_sandbox.server.admin.set_price("ETHUSDT", "3000")
    c = binance_sandbox.client()
    placed = c.ok(
        "POST",
        "/fapi/v1/order",
        {"symbol": "ETHUSDT", "side": "BUY", "positionSide": "LONG", "type": "LIMIT", "timeInForce": "GTC",
         "quantity": "0.10", "price": "2900.00", "newClientOrderId": "amend1"},
    )  # fmt: skip
    oid = placed["orderId"]
    assert c.ok("GET", "/fapi/v1/orderAmendment", {"symbol": "ETHUSDT", "orderId": oid}) == []
    modify = {"symbol": "ETHUSDT", "orderId": oid, "side": "BUY"}
    c.ok("PUT", "/fapi/v1/order", {**modify, "quantity": "0.20", "price": "2900.00"})
    c.ok("PUT", "/fapi/v1/order", {**modify, "quantity": "0.20", "price": "2910.50"})
    rows = c.ok("GET", "/fapi/v1/orderAmendment", {"symbol": "ETHUSDT", "origClientOrderId": "amend1"})
    conforms(sdk.GetOrderModifyHistoryResponseInner, rows)
    assert [r["amendment"]["count"] for r in rows] == [2, 1]
    assert rows[0]["amendmentId"] > rows[1]["amendmentId"]
    assert rows[0]["amendment"]["price"] == {"before": "2900.00", "after": "2910.50"}
    assert rows[0]["amendment"]["origQty"] == {"before": "0.20", "after": "0.20"}
    assert rows[1]["amendment"]["origQty"] == {"before": "0.10", "after": "0.20"}
    assert {r["orderId"] for r in rows} == {oid} and {r["clientOrderId"] for r in rows} == {"amend1"}
    one = c.ok("GET", "/fapi/v1/orderAmendment", {"symbol": "ETHUSDT", "orderId": oid, "limit": 1})
    assert one == rows[:1]
    after = {"symbol": "ETHUSDT", "orderId": oid, "startTime": rows[0]["time"] + 1}
    assert c.ok("GET", "/fapi/v1/orderAmendment", after) == []
    # another account's order is not found, nor is a missing one
    other = binance_sandbox.client()
    r = other.signed("GET", "/fapi/v1/orderAmendment", {"symbol": "ETHUSDT", "orderId": oid})
    assert (r.status_code, r.json()["code"]) == (400, -2013)
    r = c.signed("GET", "/fapi/v1/orderAmendment", {"symbol": "ETHUSDT"})
    assert r.json()["code"] == -1102 and "'orderId'" in r.json()["msg"]


def test_isolated_margin_changes_by_type_and_window(binance_sandbox: BinanceSandbox) -> None:
    binance_sandbox.server.admin.set_price("SOLUSDT", "180")
    c = binance_sandbox.client()
    c.ok("POST", "/fapi/v1/marginType", {"symbol": "SOLUSDT", "marginType": "ISOLATED"})
    c.ok(
        "POST",
        "/fapi/v1/order",
        {"symbol": "SOLUSDT", "side": "SELL", "positionSide": "SHORT", "type": "MARKET", "quantity": "2.0"},
    )
    margin = {"symbol": "SOLUSDT", "positionSide": "SHORT"}
    c.ok("POST", "/fapi/v1/positionMargin", {**margin, "amount": "7.5", "type": 1})
    c.ok("POST", "/fapi/v1/positionMargin", {**margin, "amount": "2.25", "type": 2})
    refused = c.signed("POST", "/fapi/v1/positionMargin", {**margin, "amount": "100000", "type": 1})
    assert refused.status_code == 400  # not recorded: nothing moved
    rows = c.ok("GET", "/fapi/v1/positionMargin/history", {"symbol": "SOLUSDT"})
    conforms(sdk.GetPositionMarginChangeHistoryResponseInner, rows)
    assert [(r["type"], r["amount"], r["positionSide"], r["deltaType"]) for r in rows] == [
        (1, "7.50000000", "SHORT", "USER_ADJUST"),
        (2, "2.25000000", "SHORT", "USER_ADJUST"),
    ]
    removed = c.ok("GET", "/fapi/v1/positionMargin/history", {"symbol": "SOLUSDT", "type": 2})
    assert removed == rows[1:]
    assert c.ok("GET", "/fapi/v1/positionMargin/history", {"symbol": "ETHUSDT"}) == []
    now = int(time.time() * 1000)
    window = {"symbol": "SOLUSDT", "startTime": now - 31 * 86_400_000, "endTime": now}
    r = c.signed("GET", "/fapi/v1/positionMargin/history", window)
    assert (r.status_code, r.json()["code"]) == (400, -1127)
    old = {"symbol": "SOLUSDT", "endTime": rows[0]["time"] - 1}
    assert c.ok("GET", "/fapi/v1/positionMargin/history", old) == []
