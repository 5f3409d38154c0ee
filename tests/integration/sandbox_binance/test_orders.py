"""Order lifecycle on the Binance dialect, hand-signed against the real sandbox: exact decimal
strings for quantities (base asset), prices, fees and PnL; one-way and hedge mode; errors."""

from __future__ import annotations

import orjson
import pytest

from tests.fixtures.binance import BinanceClient, BinanceSandbox

BUY_LIMIT = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.002",
    "price": "94000.0",
}


@pytest.fixture
def one_way(binance_sandbox: BinanceSandbox) -> BinanceClient:
    binance_sandbox.server.admin.set_price("BTCUSDT", "95000")  # book: bid 94999.5, ask 95000.5
    client = binance_sandbox.client()
    assert client.ok("POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": False}) == {
        "code": 200,
        "msg": "success",
    }
    return client


def test_limit_order_query_modify_cancel(one_way: BinanceClient) -> None:
    placed = one_way.ok("POST", "/fapi/v1/order", BUY_LIMIT)
    assert (placed["status"], placed["origQty"], placed["price"], placed["executedQty"]) == (
        "NEW",
        "0.002",
        "94000.0",
        "0.000",
    )
    assert (placed["side"], placed["positionSide"], placed["reduceOnly"], placed["timeInForce"]) == (
        "BUY",
        "BOTH",
        False,
        "GTC",
    )
    assert len(placed["clientOrderId"]) == 22  # made up when none is sent
    oid = placed["orderId"]
    by_client = one_way.ok(
        "GET", "/fapi/v1/order", {"symbol": "BTCUSDT", "origClientOrderId": placed["clientOrderId"]}
    )
    assert by_client["orderId"] == oid and by_client["time"] > 0
    assert [o["orderId"] for o in one_way.ok("GET", "/fapi/v1/openOrders", {"symbol": "BTCUSDT"})] == [oid]
    modified = one_way.ok(
        "PUT",
        "/fapi/v1/order",
        {"symbol": "BTCUSDT", "orderId": oid, "side": "BUY", "quantity": "0.003", "price": "94100.0"},
    )
    assert (modified["price"], modified["origQty"], modified["orderId"]) == ("94100.0", "0.003", oid)
    assert (
        one_way.ok("GET", "/fapi/v1/openOrder", {"symbol": "BTCUSDT", "orderId": oid})["price"] == "94100.0"
    )
    cancelled = one_way.ok("DELETE", "/fapi/v1/order", {"symbol": "BTCUSDT", "orderId": oid})
    assert cancelled["status"] == "CANCELED"
    again = one_way.signed("DELETE", "/fapi/v1/order", {"symbol": "BTCUSDT", "orderId": oid})
    assert again.json()["code"] == -2011
    assert (
        one_way.signed("GET", "/fapi/v1/openOrder", {"symbol": "BTCUSDT", "orderId": oid}).json()["code"]
        == -2013
    )
    assert [o["status"] for o in one_way.ok("GET", "/fapi/v1/allOrders", {"symbol": "BTCUSDT"})] == [
        "CANCELED"
    ]


def test_market_round_trip_fees_pnl_and_income(one_way: BinanceClient) -> None:
    opened = one_way.ok(
        "POST",
        "/fapi/v1/order",
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "MARKET",
            "quantity": "0.002",
            "newClientOrderId": "open1",
        },
    )
    assert (opened["status"], opened["cumQty"], opened["clientOrderId"]) == ("FILLED", "0.002", "open1")
    opened = one_way.ok("GET", "/fapi/v1/order", {"symbol": "BTCUSDT", "orderId": opened["orderId"]})
    assert (opened["status"], opened["avgPrice"], opened["executedQty"], opened["cumQuote"]) == (
        "FILLED",
        "95000.50000000",
        "0.002",
        "190.00100000",
    )
    assert opened["clientOrderId"] == "open1"
    [pos] = one_way.ok("GET", "/fapi/v3/positionRisk", {"symbol": "BTCUSDT"})
    assert (pos["positionSide"], pos["positionAmt"], pos["entryPrice"], pos["markPrice"]) == (
        "BOTH",
        "0.002",
        "95000.5",
        "95000.0",
    )
    assert pos["unRealizedProfit"] == "-0.00100000" and pos["notional"] == "190.00000000"
    closed = one_way.ok(
        "POST",
        "/fapi/v1/order",
        {"symbol": "BTCUSDT", "side": "SELL", "type": "MARKET", "quantity": "0.002", "reduceOnly": True},
    )
    closed = one_way.ok("GET", "/fapi/v1/order", {"symbol": "BTCUSDT", "orderId": closed["orderId"]})
    assert (closed["status"], closed["reduceOnly"], closed["avgPrice"]) == ("FILLED", True, "94999.50000000")
    assert one_way.ok("GET", "/fapi/v3/positionRisk", {"symbol": "BTCUSDT"}) == []
    trades = one_way.ok("GET", "/fapi/v1/userTrades", {"symbol": "BTCUSDT"})
    assert [
        (t["side"], t["qty"], t["price"], t["commission"], t["realizedPnl"], t["maker"]) for t in trades
    ] == [
        ("BUY", "0.002", "95000.5", "0.11400060", "0.00000000", False),
        ("SELL", "0.002", "94999.5", "0.11399940", "-0.00200000", False),
    ]
    income = one_way.ok("GET", "/fapi/v1/income", {"symbol": "BTCUSDT"})
    kinds = sorted((i["incomeType"], i["income"]) for i in income)
    assert kinds == [
        ("COMMISSION", "-0.11399940"),
        ("COMMISSION", "-0.11400060"),
        ("REALIZED_PNL", "-0.00200000"),
    ]
    only_pnl = one_way.ok("GET", "/fapi/v1/income", {"incomeType": "REALIZED_PNL"})
    assert [i["income"] for i in only_pnl] == ["-0.00200000"]
    [balance] = one_way.ok("GET", "/fapi/v2/balance")
    assert balance["balance"] == "9999.77000000"  # 10000 - 0.002 PnL - 0.228 fees


def test_order_rules_in_binance_codes(one_way: BinanceClient) -> None:
    def code(**changes: str) -> int:
        r = one_way.signed("POST", "/fapi/v1/order", {**BUY_LIMIT, **changes})
        assert r.status_code == 400, r.text
        return int(r.json()["code"])

    assert code(quantity="0.0015") == -1111  # finer than the step
    assert code(price="94000.05") == -1111
    assert code(quantity="0.001") == -4164  # 94 USDT is under BTCUSDT's 100 minimum notional
    assert code(side="UP") == -1117
    assert code(type="ICEBERG") == -1116
    assert code(timeInForce="GTD") == -1115
    assert code(type="STOP_MARKET") == -4120  # conditional orders go to the algo API
    assert code(positionSide="LONG") == -4061  # one-way mode
    assert code(timeInForce="GTX", price="95001.0") == -5022  # would take
    assert code(quantity="-1") == -4003
    assert code(quantity="1e-3") == -1102  # no exponents
    assert one_way.ok("POST", "/fapi/v1/order/test", BUY_LIMIT) == {}  # checked, not placed
    assert (
        one_way.signed("POST", "/fapi/v1/order/test", {**BUY_LIMIT, "quantity": "0.001"}).json()["code"]
        == -4164
    )
    assert one_way.ok("GET", "/fapi/v1/openOrders") == []
    fok = one_way.ok("POST", "/fapi/v1/order", {**BUY_LIMIT, "timeInForce": "FOK"})
    assert (fok["status"], fok["executedQty"]) == ("EXPIRED", "0.000")
    r = one_way.signed(
        "POST",
        "/fapi/v1/order",
        {"symbol": "BTCUSDT", "side": "SELL", "type": "MARKET", "quantity": "0.002", "reduceOnly": True},
    )
    assert r.json()["code"] == -2022  # nothing to reduce


def test_batch_orders_cancel_all_and_countdown(one_way: BinanceClient) -> None:
    batch = [BUY_LIMIT, {**BUY_LIMIT, "price": "93000.0"}, {**BUY_LIMIT, "side": "UP"}]
    rows = one_way.ok(
        "POST", "/fapi/v1/batchOrders", {"batchOrders": orjson.dumps(batch).decode()}, in_body=True
    )
    assert [r.get("status") for r in rows[:2]] == ["NEW", "NEW"] and rows[2]["code"] == -1117
    ids = [rows[0]["orderId"], 1]
    cancelled = one_way.ok(
        "DELETE", "/fapi/v1/batchOrders", {"symbol": "BTCUSDT", "orderIdList": orjson.dumps(ids).decode()}
    )
    assert cancelled[0]["status"] == "CANCELED" and cancelled[1]["code"] == -2011
    got = one_way.ok("POST", "/fapi/v1/countdownCancelAll", {"symbol": "BTCUSDT", "countdownTime": 10000})
    assert got == {"symbol": "BTCUSDT", "countdownTime": "10000"}
    done = one_way.ok("DELETE", "/fapi/v1/allOpenOrders", {"symbol": "BTCUSDT"})
    assert done == {"code": 200, "msg": "The operation of cancel all open order is done."}
    assert one_way.ok("GET", "/fapi/v1/openOrders") == []


def test_hedge_mode_sides_and_settings(binance_sandbox: BinanceSandbox) -> None:
    binance_sandbox.server.admin.set_price("ETHUSDT", "3500")
    hedge = binance_sandbox.client()
    assert hedge.ok("GET", "/fapi/v1/positionSide/dual") == {"dualSidePosition": True}
    assert (
        hedge.signed("POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": True}).json()["code"] == -4059
    )
    assert (
        hedge.ok("POST", "/fapi/v1/marginType", {"symbol": "ETHUSDT", "marginType": "ISOLATED"})["code"]
        == 200
    )
    assert (
        hedge.signed("POST", "/fapi/v1/marginType", {"symbol": "ETHUSDT", "marginType": "ISOLATED"}).json()[
            "code"
        ]
        == -4046
    )
    hedge.ok("POST", "/fapi/v1/leverage", {"symbol": "ETHUSDT", "leverage": 5})
    short = hedge.ok(
        "POST",
        "/fapi/v1/order",
        {"symbol": "ETHUSDT", "side": "SELL", "positionSide": "SHORT", "type": "MARKET", "quantity": "0.10"},
    )
    short = hedge.ok("GET", "/fapi/v1/order", {"symbol": "ETHUSDT", "orderId": short["orderId"]})
    assert (short["positionSide"], short["status"], short["avgPrice"]) == ("SHORT", "FILLED", "3499.90000000")
    r = hedge.signed(
        "POST",
        "/fapi/v1/order",
        {
            "symbol": "ETHUSDT",
            "side": "BUY",
            "positionSide": "SHORT",
            "type": "MARKET",
            "quantity": "0.10",
            "reduceOnly": True,
        },
    )
    assert r.json()["code"] == -1106  # hedge mode: no reduceOnly
    assert (
        hedge.signed("POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": False}).json()["code"]
        == -4068
    )
    rows = hedge.ok("GET", "/fapi/v2/positionRisk", {"symbol": "ETHUSDT"})
    by_side = {r["positionSide"]: r for r in rows}
    assert by_side["SHORT"]["positionAmt"] == "-0.10" and by_side["LONG"]["positionAmt"] == "0.00"
    assert (
        by_side["SHORT"]["marginType"],
        by_side["SHORT"]["leverage"],
        by_side["SHORT"]["isolatedWallet"],
    ) == ("isolated", "5", "69.99800000")
    margin = {"symbol": "ETHUSDT", "positionSide": "SHORT", "amount": "10.5", "type": 1}
    assert hedge.ok("POST", "/fapi/v1/positionMargin", margin) == {
        "amount": 10.5,
        "code": 200,
        "msg": "Successfully modify position margin.",
        "type": 1,
    }
    [short_row] = hedge.ok("GET", "/fapi/v3/positionRisk", {"symbol": "ETHUSDT"})
    assert short_row["isolatedWallet"] == "80.49800000"
    hedge.ok("POST", "/fapi/v1/positionMargin", {**margin, "type": 2})
    too_much = hedge.signed("POST", "/fapi/v1/positionMargin", {**margin, "amount": "69.998", "type": 2})
    assert too_much.json()["code"] == -2019
    wrong_side = hedge.signed("POST", "/fapi/v1/positionMargin", {**margin, "positionSide": "LONG"})
    assert wrong_side.json()["code"] == -1130
    account = hedge.ok("GET", "/fapi/v2/account")
    assert account["positions"][0]["positionAmt"] == "-0.10" and account["positions"][0]["isolated"] is True
    assert account["totalPositionInitialMargin"] == "69.99800000"
