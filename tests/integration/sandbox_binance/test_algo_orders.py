"""Binance's algo (conditional) orders on the engine's plan and trailing orders, hand-signed
against the real sandbox; every answer read by the official SDK's models."""

from __future__ import annotations

import binance_sdk_derivatives_trading_usds_futures.rest_api.models as sdk

from tests.fixtures.binance import BinanceSandbox
from tests.integration.sandbox_binance.test_reference import conforms


def test_stop_take_profit_trailing_and_close_position(binance_sandbox: BinanceSandbox) -> None:
    admin = binance_sandbox.server.admin
    admin.set_price("ETHUSDT", "3500")
    c = binance_sandbox.client()
    c.ok("POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": False})
    c.ok("POST", "/fapi/v1/order", {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.30"})
    algo = {"algoType": "CONDITIONAL", "symbol": "ETHUSDT", "side": "SELL", "reduceOnly": True}
    stop = c.ok(
        "POST",
        "/fapi/v1/algoOrder",
        {
            **algo,
            "type": "STOP_MARKET",
            "quantity": "0.30",
            "triggerPrice": "3400.00",
            "clientAlgoId": "stop1",
        },
    )
    conforms(sdk.NewAlgoOrderResponse, stop)
    assert (
        stop["orderType"],
        stop["algoStatus"],
        stop["triggerPrice"],
        stop["quantity"],
        stop["reduceOnly"],
    ) == ("STOP_MARKET", "NEW", "3400.00", "0.30", True)
    take = c.ok(
        "POST",
        "/fapi/v1/algoOrder",
        {
            **algo,
            "type": "TAKE_PROFIT",
            "quantity": "0.10",
            "triggerPrice": "3600.00",
            "price": "3599.00",
            "workingType": "MARK_PRICE",
        },
    )
    assert (take["orderType"], take["price"], take["workingType"], take["timeInForce"]) == (
        "TAKE_PROFIT",
        "3599.00",
        "MARK_PRICE",
        "GTC",
    )
    trail = c.ok(
        "POST",
        "/fapi/v1/algoOrder",
        {
            "algoType": "CONDITIONAL",
            "symbol": "ETHUSDT",
            "side": "BUY",
            "type": "TRAILING_STOP_MARKET",
            "quantity": "0.10",
            "activatePrice": "3300.00",
            "callbackRate": "1",
        },
    )
    assert (trail["orderType"], trail["activatePrice"], trail["callbackRate"]) == (
        "TRAILING_STOP_MARKET",
        "3300.00",
        "1",
    )
    opened = c.ok("GET", "/fapi/v1/openAlgoOrders", {"symbol": "ETHUSDT"})
    conforms(sdk.CurrentAllAlgoOpenOrdersResponseInner, opened)
    assert [o["algoId"] for o in opened] == [stop["algoId"], take["algoId"], trail["algoId"]]

    admin.set_price("ETHUSDT", "3400")  # the stop fires: the long is sold at market
    fired = c.ok("GET", "/fapi/v1/algoOrder", {"clientAlgoId": "stop1"})
    conforms(sdk.QueryAlgoOrderResponse, fired)
    assert fired["algoStatus"] == "TRIGGERED" and fired["actualOrderId"] and fired["triggerTime"] > 0
    sold = c.ok("GET", "/fapi/v1/order", {"symbol": "ETHUSDT", "orderId": int(fired["actualOrderId"])})
    assert (sold["side"], sold["type"], sold["executedQty"], sold["reduceOnly"]) == (
        "SELL",
        "MARKET",
        "0.30",
        True,
    )
    assert c.ok("GET", "/fapi/v3/positionRisk") == []

    cancelled = c.ok("DELETE", "/fapi/v1/algoOrder", {"algoId": take["algoId"]})
    conforms(sdk.CancelAlgoOrderResponse, cancelled)
    assert (cancelled["code"], cancelled["msg"]) == ("200", "success")
    assert c.signed("DELETE", "/fapi/v1/algoOrder", {"algoId": take["algoId"]}).json()["code"] == -2011
    history = c.ok("GET", "/fapi/v1/allAlgoOrders", {"symbol": "ETHUSDT"})
    conforms(sdk.QueryAllAlgoOrdersResponseInner, history)
    assert [h["algoStatus"] for h in history] == ["TRIGGERED", "CANCELED", "NEW"]
    done = c.ok("DELETE", "/fapi/v1/algoOpenOrders", {"symbol": "ETHUSDT"})
    conforms(sdk.CancelAllAlgoOpenOrdersResponse, done)
    assert c.ok("GET", "/fapi/v1/openAlgoOrders") == []

    # closePosition: a TAKE_PROFIT_MARKET for the whole (new) long, no quantity
    c.ok("POST", "/fapi/v1/order", {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.20"})
    whole = c.ok(
        "POST",
        "/fapi/v1/algoOrder",
        {
            "algoType": "CONDITIONAL",
            "symbol": "ETHUSDT",
            "side": "SELL",
            "type": "TAKE_PROFIT_MARKET",
            "triggerPrice": "3500.00",
            "closePosition": True,
        },
    )
    assert (whole["closePosition"], whole["orderType"]) == (True, "TAKE_PROFIT_MARKET")
    admin.set_price("ETHUSDT", "3500")
    assert c.ok("GET", "/fapi/v1/algoOrder", {"algoId": whole["algoId"]})["algoStatus"] == "TRIGGERED"
    assert c.ok("GET", "/fapi/v3/positionRisk") == []


def test_algo_order_errors(binance_sandbox: BinanceSandbox) -> None:
    c = binance_sandbox.client()
    base = {
        "algoType": "CONDITIONAL",
        "symbol": "BTCUSDT",
        "side": "BUY",
        "positionSide": "LONG",
        "quantity": "0.002",
        "triggerPrice": "99000.0",
    }

    def code(**changes: str) -> int:
        r = c.signed("POST", "/fapi/v1/algoOrder", {**base, "type": "STOP_MARKET", **changes})
        assert r.status_code == 400, r.text
        return int(r.json()["code"])

    assert code(type="LIMIT") == -1116
    assert code(algoType="VP") == -1130
    assert code(triggerPrice="99000.05") == -1111
    assert code(type="STOP") == -1102  # a STOP needs its limit price
    assert code(type="TRAILING_STOP_MARKET", callbackRate="10.5") == -1130  # Binance: 0.1 to 10
    wide = c.ok("POST", "/fapi/v1/algoOrder", {  # BitMart stops at 5 %; Binance takes up to 10
        "algoType": "CONDITIONAL", "symbol": "BTCUSDT", "side": "BUY", "positionSide": "LONG",
        "type": "TRAILING_STOP_MARKET", "quantity": "0.002", "callbackRate": "9"})
    assert wide["callbackRate"] == "9"
    assert code(closePosition="true", quantity="0.002") == -1106
    assert c.signed("GET", "/fapi/v1/algoOrder", {"algoId": 1}).json()["code"] == -2013
