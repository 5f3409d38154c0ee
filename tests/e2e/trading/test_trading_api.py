"""The trading JSON API of the real platform (subprocess) against the real sandbox."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.fixtures.sandbox import SandboxServer

ETH = "ETHUSDT"


async def test_orders_balances_positions_over_the_api(make_api_user: Any, sandbox: SandboxServer) -> None:
    alice = await make_api_user()
    account_id, key = await alice.connect(sandbox, futures_usdt="2500.75")
    base = f"/api/accounts/{account_id}"
    sandbox.admin.set_price(ETH, "3500")

    r = await alice.http.get(base + "/balances")
    assert r.status_code == 200, r.text
    usdt = next(b for b in r.json()["balances"] if b["currency"] == "USDT")
    assert usdt["equity"] == "2500.75" and usdt["available"] == "2500.75"  # exact strings

    r = await alice.http.get(base + "/instruments")
    assert ETH in [i["symbol"] for i in r.json()["instruments"]]

    ticket = {
        "symbol": ETH,
        "side": "buy",
        "type": "limit",
        "price": "3000.5",
        "size": "2",
        "leverage": "5",
        "margin_mode": "cross",
        "time_in_force": "post_only",
    }
    r = await alice.http.post(base + "/orders", json=ticket)
    assert r.status_code == 201, r.text
    placed = r.json()["order"]
    assert placed["status"] == "placed" and placed["price"] == "3000.5" and placed["order_id"]

    r = await alice.http.get(base + "/orders")
    (order,) = r.json()["orders"]
    assert order["order_id"] == placed["order_id"] and order["price"] == "3000.5" and order["size"] == "2"
    assert order["client_order_id"] == placed["client_order_id"]

    # another user cannot see or touch it
    bob = await make_api_user()
    for method, path in (
        ("GET", "/orders"),
        ("GET", "/balances"),
        ("GET", "/positions"),
        ("DELETE", f"/orders/{placed['order_id']}?symbol={ETH}"),
    ):
        r = await bob.http.request(method, base + path)
        assert r.status_code == 404, (path, r.text)
        assert key["secret_key"] not in r.text
    r = await bob.http.post(base + "/orders", json=ticket)
    assert r.status_code == 404
    r = await bob.http.get(f"/accounts/{account_id}/trade")  # the page too
    assert r.status_code == 404 and "Trade" not in r.text.split("<title>")[-1][:40]
    r = await bob.http.post(f"/accounts/{account_id}/trade/orders", data={**ticket, "time_in_force": "gtc"})
    assert r.status_code == 404
    r = await bob.http.get("/api/portfolio")
    assert r.json()["accounts"] == []

    # a bad ticket names the field; a float is refused
    r = await alice.http.post(base + "/orders", json={**ticket, "size": "0.5"})
    err = r.json()["error"]
    assert r.status_code == 422 and err["field"] == "size" and "minimum" in err["message"], r.text
    r = await alice.http.post(base + "/orders", json={**ticket, "price": 3000.5})
    assert r.status_code == 422 and "price" in r.json()["error"]["message"], r.text

    r = await alice.http.delete(base + f"/orders/{placed['order_id']}", params={"symbol": ETH})
    assert r.status_code == 204, r.text
    assert (await alice.http.get(base + "/orders")).json()["orders"] == []

    # market order → a position; the price moves; PnL shows; close it
    r = await alice.http.post(
        base + "/orders",
        json={**ticket, "type": "market", "price": None, "time_in_force": "gtc", "size": "4"},
    )
    assert r.status_code == 201, r.text
    sandbox.admin.set_price(ETH, "3400")
    (pos,) = (await alice.http.get(base + "/positions")).json()["positions"]
    assert pos["side"] == "long" and pos["size"] == "4" and pos["mark_price"] == "3400"
    pnl = (Decimal(pos["mark_price"]) - Decimal(pos["entry_price"])) * 4 * Decimal(pos["contract_size"])
    assert Decimal(pos["unrealized_pnl"]) == pnl < 0
    r = await alice.http.post(base + "/positions/close", json={"symbol": ETH, "side": "long"})
    assert r.status_code == 201 and r.json()["order"]["side"] == "sell_close_long", r.text
    assert (await alice.http.get(base + "/positions")).json()["positions"] == []

    r = await alice.http.get(base + "/orders", params={"state": "intents"})
    assert [i["status"] for i in r.json()["intents"]] == ["placed", "placed", "placed"]
    r = await alice.http.get(base + "/orders", params={"state": "history"})
    assert {o["state"] for o in r.json()["orders"]} == {"cancelled", "filled"}

    r = await alice.http.post(
        base + "/leverage", json={"symbol": ETH, "leverage": "250", "margin_mode": "cross"}
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "leverage"
    r = await alice.http.get("/api/portfolio")
    assert [a["account"]["id"] for a in r.json()["accounts"]] == [account_id]


async def test_unknown_outcome_over_the_api_is_202_then_settled(
    make_api_user: Any, sandbox: SandboxServer
) -> None:
    alice = await make_api_user()
    account_id, _ = await alice.connect(sandbox)
    base = f"/api/accounts/{account_id}"
    sandbox.admin.set_price(ETH, "3500")
    ticket = {"symbol": ETH, "side": "sell", "type": "limit", "price": "3900", "size": "1"}
    sandbox.admin.fault("execute_then_drop", "/contract/private/submit-order", times=1)
    sandbox.admin.fault("http_error", "/contract/private/get-open-orders", status=503)
    try:
        r = await alice.http.post(base + "/orders", json=ticket)
    finally:
        sandbox.admin.clear_faults("/contract/private/get-open-orders")
        sandbox.admin.clear_faults("/contract/private/submit-order")
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["error"]["code"] == "being_confirmed" and body["order"]["status"] == "unknown"
    assert "do not submit it again" in body["error"]["next_step"].lower()
    cid = body["order"]["client_order_id"]
    # the same ticket while that one is being confirmed: refused, nothing sent
    r = await alice.http.post(base + "/orders", json=ticket)
    assert r.status_code == 409, r.text
    refused = r.json().get("error", r.json())  # the one JSON error envelope
    assert refused["code"] == "order_being_confirmed" and "being confirmed" in refused["message"]
    r = await alice.http.post(base + "/orders/settle")
    assert r.status_code == 200, r.text
    assert [(o["client_order_id"], o["status"]) for o in r.json()["orders"]] == [(cid, "placed")]
    (order,) = (await alice.http.get(base + "/orders")).json()["orders"]
    assert order["client_order_id"] == cid and order["side"] == "sell_open_short"

    r = await alice.http.patch(base + f"/orders/{order['order_id']}", json={"symbol": ETH, "price": "3950"})
    assert r.status_code == 200, r.text
    (order,) = (await alice.http.get(base + "/orders")).json()["orders"]
    assert order["price"] == "3950"
    r = await alice.http.delete(base + "/orders", params={"symbol": ETH, "client_order_id": cid})
    assert r.status_code == 204, r.text
    assert (await alice.http.get(base + "/orders")).json()["orders"] == []


async def test_leverage_and_tp_sl_forms_of_the_trade_page(make_api_user: Any, sandbox: SandboxServer) -> None:
    """The Trade page's leverage and TP/SL forms (plain form posts): done → back to the page with
    the notice and the symbol kept; refused → the page again with the error."""
    alice = await make_api_user()
    account_id, _ = await alice.connect(sandbox)
    page = f"/accounts/{account_id}/trade"
    api = f"/api/accounts/{account_id}"
    sandbox.admin.set_price(ETH, "3500")

    r = await alice.http.post(
        page + "/leverage", data={"symbol": ETH, "leverage": "250", "margin_mode": "cross"}
    )
    assert r.status_code == 422 and 'id="error"' in r.text and "1x-100x" in r.text, r.text[-2000:]
    r = await alice.http.post(
        page + "/leverage", data={"symbol": ETH, "leverage": "7", "margin_mode": "isolated"}
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"{page}?msg=leverage&symbol={ETH}"
    assert "Leverage and margin mode set." in (await alice.http.get(r.headers["location"])).text

    ticket = {"symbol": ETH, "side": "buy", "type": "market", "size": "2", "time_in_force": "gtc"}
    r = await alice.http.post(api + "/orders", json=ticket)
    assert r.status_code == 201, r.text
    (pos,) = (await alice.http.get(api + "/positions")).json()["positions"]
    assert pos["leverage"] == "7" and pos["margin_mode"] == "isolated", pos  # the form's choice held

    r = await alice.http.post(
        page + "/tp-sl", data={"symbol": ETH, "side": "sideways", "take_profit": "4000"}
    )
    assert r.status_code == 422 and 'id="error"' in r.text, r.text[-2000:]
    r = await alice.http.post(
        page + "/tp-sl", data={"symbol": ETH, "side": "long", "take_profit": "4000", "stop_loss": "3000"}
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"{page}?msg=tpsl&symbol={ETH}"
    assert (
        "Take-profit / stop-loss set for the position." in (await alice.http.get(r.headers["location"])).text
    )
