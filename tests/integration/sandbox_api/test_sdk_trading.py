"""BitMart's official Python SDK, pointed at the sandbox, trades a futures account end to end:
contract details and depth, assets, leverage, limit and market orders (with and without a client
order id), open orders and history, cancels, positions and their PnL after a price move, and
spot <-> futures transfers."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest

from tests.fixtures.sandbox import SandboxServer
from tests.integration.sandbox_api.helpers import account, contract, new_trader, sdk_error

SYMBOL = "ETHUSDT"  # each test module moves its own symbol's price; the connector's tests use BTCUSDT


def ok(result: tuple[dict[str, Any], dict[str, Any]]) -> Any:
    body, _headers = result
    assert body["code"] == 1000, body
    return body["data"]


@pytest.fixture(scope="module")
def trader(sandbox: SandboxServer) -> dict[str, Any]:
    user, key = new_trader(sandbox)
    return {"user": user, "key": key, "sdk": contract(sandbox, key), "account": account(sandbox, key)}


def test_public_market_data(sandbox: SandboxServer, trader: dict[str, Any]) -> None:
    sdk = trader["sdk"]
    details = ok(sdk.get_details(SYMBOL))["symbols"]
    assert [d["symbol"] for d in details] == [SYMBOL]
    d = details[0]
    for field in ("contract_size", "price_precision", "vol_precision", "min_volume", "max_leverage"):
        Decimal(d[field])  # exact decimal strings
    all_symbols = {s["symbol"] for s in ok(sdk.get_details())["symbols"]}
    assert {"BTCUSDT", SYMBOL} <= all_symbols
    depth = ok(sdk.get_depth(SYMBOL))
    assert depth["symbol"] == SYMBOL and depth["asks"] and depth["bids"]
    assert Decimal(depth["asks"][0][0]) > Decimal(depth["bids"][0][0])
    body, headers = sdk.get_depth(SYMBOL)
    assert headers["Mode"] == "IP" and int(headers["Limit"]) == 12
    status, body = sdk_error(sdk.get_depth, "NOPEUSDT")
    assert (status, body["code"]) == (400, 40034)
    ok(sdk.get_funding_rate(SYMBOL))
    ok(sdk.get_open_interest(SYMBOL))
    ok(sdk.get_leverage_bracket(SYMBOL))
    ok(sdk.get_market_trade(SYMBOL))
    now = int(time.time())
    ok(sdk.get_kline(SYMBOL, 1, now - 600, now))
    status, body = sdk_error(sdk.get_kline, SYMBOL, 7, now - 600, now)
    assert (status, body["code"]) == (400, 40038)


def test_assets_leverage_orders_cancel_and_history(trader: dict[str, Any]) -> None:
    sdk = trader["sdk"]
    assets = ok(sdk.get_assets_detail())
    usdt = next(a for a in assets if a["currency"] == "USDT")
    assert Decimal(usdt["available_balance"]) == Decimal("10000")

    lev = ok(sdk.post_submit_leverage(SYMBOL, "cross", "5"))
    assert (lev["symbol"], Decimal(lev["leverage"]), lev["open_type"]) == (SYMBOL, 5, "cross")

    far = ok(sdk.get_details(SYMBOL))["symbols"][0]
    low_price = str((Decimal(far["last_price"]) * Decimal("0.5")).quantize(Decimal(far["price_precision"])))
    with_id = ok(
        sdk.post_submit_order(
            contract_symbol=SYMBOL, client_order_id="sdkLimit1", side=1, type="limit", price=low_price,
            size=3, leverage="5", open_type="cross",
        )
    )  # fmt: skip
    without_id = ok(
        sdk.post_submit_order(
            contract_symbol=SYMBOL,
            side=1,
            type="limit",
            price=low_price,
            size=2,
            leverage="5",
            open_type="cross",
        )
    )
    assert with_id["order_id"] != without_id["order_id"]
    open_orders = ok(sdk.get_open_order(contract_symbol=SYMBOL))
    by_id = {str(o["order_id"]): o for o in open_orders}
    assert {str(with_id["order_id"]), str(without_id["order_id"])} <= by_id.keys()
    assert by_id[str(with_id["order_id"])]["client_order_id"] == "sdkLimit1"
    assert Decimal(by_id[str(with_id["order_id"])]["price"]) == Decimal(low_price)

    detail = ok(sdk.get_order(SYMBOL, str(with_id["order_id"])))
    assert detail["client_order_id"] == "sdkLimit1" and detail["size"] == "3"

    # a duplicate client order id is refused with BitMart's code
    _, body = sdk_error(
        sdk.post_submit_order, contract_symbol=SYMBOL, client_order_id="sdkLimit1", side=1, type="limit",
        price=low_price, size=1, leverage="5", open_type="cross",
    )  # fmt: skip
    assert body["code"] == 40050

    ok(sdk.post_cancel_order(SYMBOL, client_order_id="sdkLimit1"))  # by client id
    ok(sdk.post_cancel_order(SYMBOL, order_id=str(without_id["order_id"])))  # by order id
    assert ok(sdk.get_open_order(contract_symbol=SYMBOL)) == []

    market = ok(
        sdk.post_submit_order(
            contract_symbol=SYMBOL, client_order_id="sdkMkt1", side=1, type="market", size=4, leverage="5",
            open_type="cross",
        )
    )  # fmt: skip
    anonymous_market = ok(
        sdk.post_submit_order(
            contract_symbol=SYMBOL, side=1, type="market", size=1, leverage="5", open_type="cross"
        )
    )
    now = int(time.time())
    history = ok(sdk.get_order_history(SYMBOL, now - 3600, now + 60))
    assert str(anonymous_market["order_id"]) in {str(o["order_id"]) for o in history}
    states = {str(o["order_id"]): o for o in history}
    assert {str(with_id["order_id"]), str(without_id["order_id"]), str(market["order_id"])} <= states.keys()
    filled = states[str(market["order_id"])]
    assert filled["client_order_id"] == "sdkMkt1" and Decimal(filled["deal_size"]) == 4
    fills = ok(sdk.get_trades(SYMBOL))
    assert {str(market["order_id"]), str(anonymous_market["order_id"])} <= {str(f["order_id"]) for f in fills}
    # order-history's id filters reach the engine through the API
    by_coid = ok(sdk.get_order_history(SYMBOL, now - 3600, now + 60, client_order_id="sdkMkt1"))
    assert [str(o["order_id"]) for o in by_coid] == [str(market["order_id"])]
    anonymous_id = str(anonymous_market["order_id"])
    by_id = ok(sdk.get_order_history(SYMBOL, now - 3600, now + 60, order_id=anonymous_id))
    assert [str(o["order_id"]) for o in by_id] == [anonymous_id]

    # cancel-orders clears everything open on the symbol
    ok(
        sdk.post_submit_order(
            contract_symbol=SYMBOL,
            side=1,
            type="limit",
            price=low_price,
            size=1,
            leverage="5",
            open_type="cross",
        )
    )
    ok(sdk.post_cancel_orders(SYMBOL))
    assert ok(sdk.get_open_order(contract_symbol=SYMBOL)) == []


def test_position_pnl_follows_the_price(sandbox: SandboxServer, trader: dict[str, Any]) -> None:
    sdk = trader["sdk"]
    details = ok(sdk.get_details(SYMBOL))["symbols"][0]
    contract_size = Decimal(details["contract_size"])
    positions = [p for p in ok(sdk.get_position(SYMBOL)) if Decimal(p["current_amount"]) != 0]
    assert len(positions) == 1, positions  # the 4 + 1 contract long of the previous test
    long = positions[0]
    entry = Decimal(long["entry_price"])
    size = Decimal(long["current_amount"])
    assert size == 5 and long["position_type"] == 1

    new_price = (entry * Decimal("1.05")).quantize(Decimal(details["price_precision"]))
    sandbox.admin.set_price(SYMBOL, str(new_price))
    moved = next(p for p in ok(sdk.get_position(SYMBOL)) if Decimal(p["current_amount"]) != 0)
    assert Decimal(moved["mark_price"]) == new_price
    expected = (new_price - entry) * size * contract_size
    assert Decimal(moved["unrealized_value"]) == expected
    v2 = ok(sdk.get_position_v2(SYMBOL))
    assert any(Decimal(p.get("current_amount", "0")) == size for p in v2)
    ok(sdk.get_position_risk(SYMBOL))
    assets = next(a for a in ok(sdk.get_assets_detail()) if a["currency"] == "USDT")
    assert Decimal(assets["unrealized"]) == expected


def test_spot_futures_transfer_and_list(trader: dict[str, Any]) -> None:
    sdk, acct = trader["sdk"], trader["account"]

    def spot_usdt() -> Decimal:
        wallet = ok(acct.get_wallet())["wallet"]
        return Decimal(next(w["available"] for w in wallet if w["currency"] == "USDT"))

    def futures_usdt() -> Decimal:
        return Decimal(
            next(a["available_balance"] for a in ok(sdk.get_assets_detail()) if a["currency"] == "USDT")
        )

    spot0, fut0 = spot_usdt(), futures_usdt()
    assert ok(sdk.post_transfer("USDT", "125.5", "spot_to_contract")) == {
        "currency": "USDT",
        "amount": "125.5",
    }
    assert (spot_usdt(), futures_usdt()) == (spot0 - Decimal("125.5"), fut0 + Decimal("125.5"))
    time.sleep(2.05)  # transfer-contract: 1 request / 2 s per key
    ok(sdk.post_transfer("USDT", "25.5", "contract_to_spot"))
    assert (spot_usdt(), futures_usdt()) == (spot0 - 100, fut0 + 100)
    records = ok(sdk.get_transfer_list(page=1, limit=10))["records"]
    amounts = sorted((r["type"], Decimal(r["amount"])) for r in records)
    assert ("contract_to_spot", Decimal("25.5")) in amounts and (
        "spot_to_contract",
        Decimal("125.5"),
    ) in amounts
    time.sleep(2.05)
    _, body = sdk_error(sdk.post_transfer, "USDT", "99999999", "spot_to_contract")
    assert body["code"] in (60008, 61001)


def test_bad_order_parameters_name_the_parameter(trader: dict[str, Any]) -> None:
    sdk = trader["sdk"]
    status, body = sdk_error(sdk.post_submit_order, contract_symbol=SYMBOL, side=1, type="limit", size=1)
    assert (status, body["code"]) == (400, 40011) and "'price'" in body["message"]
    status, body = sdk_error(sdk.post_submit_order, contract_symbol=SYMBOL, side=9, type="market", size=1)
    assert body["code"] == 40041 and "'side'" in body["message"]
    status, body = sdk_error(
        sdk.post_submit_order,
        contract_symbol=SYMBOL,
        client_order_id="bad-id!",
        side=1,
        type="market",
        size=1,
    )
    assert (status, body["code"]) == (403, 40048)
    status, body = sdk_error(
        sdk.post_submit_order, contract_symbol=SYMBOL, client_order_id="a" * 33, side=1, type="market", size=1
    )
    assert body["code"] == 40049
    status, body = sdk_error(sdk.post_submit_order, contract_symbol=SYMBOL, side=1, type="market", size="1.5")
    assert body["code"] == 40011 and "'size'" in body["message"]
    status, body = sdk_error(sdk.post_cancel_order, SYMBOL, order_id="12x")
    assert body["code"] == 40011 and "order_id" in body["message"]
