"""The terminal's JSON API on the real platform against the sandbox: market data, conditional
orders, close by percent, position mode; errors in the envelope; every route in the OpenAPI."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.platform import PlatformServer
from tests.fixtures.sandbox import SandboxServer

SOL = "SOLUSDT"


async def test_terminal_api(
    trading_platform: PlatformServer, make_api_user: Any, frozen: SandboxServer
) -> None:
    user = await make_api_user()
    account_id, _ = await user.connect(frozen)
    http = user.http
    base = f"/api/accounts/{account_id}"

    t = (await http.get(f"{base}/market/{SOL}/ticker")).json()["ticker"]
    assert t["last_price"] == "180" and isinstance(t["next_funding_ms"], int)
    c = (await http.get(f"{base}/market/{SOL}/candles", params={"interval": "4H", "limit": "10"})).json()
    assert c["interval"] == "4H" and 1 <= len(c["candles"]) <= 11
    assert set(c["candles"][0]) == {"time_s", "open", "high", "low", "close", "volume"}
    book = (await http.get(f"{base}/market/{SOL}/book", params={"depth": "3"})).json()["book"]
    assert len(book["bids"]) == 3 and book["asks"][0]["price"] > book["bids"][0]["price"]

    bad = await http.get(f"{base}/market/{SOL}/candles", params={"interval": "2m"})
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "interval" and "1m" in bad.json()["error"]["next_step"]
    other = await http.get(f"{base}/market/NOPEUSDT/ticker")
    assert other.status_code == 422 and other.json()["error"]["field"] == "symbol"

    r = await http.post(
        f"{base}/orders", json={"symbol": SOL, "side": "buy", "type": "market", "size": "10", "leverage": "5"}
    )
    assert r.status_code == 201, r.text
    r = await http.post(f"{base}/tp-sl", json={"symbol": SOL, "side": "long", "stop_loss": "170.001"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "stop_loss"
    r = await http.post(
        f"{base}/tp-sl", json={"symbol": SOL, "side": "long", "take_profit": "200", "stop_loss": "170"}
    )
    assert r.status_code == 200, r.text
    waiting = (await http.get(f"{base}/conditional-orders", params={"symbol": SOL})).json()["orders"]
    sl_id = next(o["order_id"] for o in waiting if o["kind"] == "stop_loss")
    frozen.admin.fault("execute_then_drop", "/contract/private/modify-tp-sl-order", times=1)
    try:  # the answer is lost: recorded as a TP/SL change being confirmed, not repeated
        r = await http.patch(
            f"{base}/conditional-orders/{sl_id}", json={"symbol": SOL, "trigger_price": "171"}
        )
    finally:
        frozen.admin.clear_faults()
    assert r.status_code == 202, r.text
    assert r.json()["change"]["kind"] == "tp_sl" and r.json()["error"]["code"] == "being_confirmed"
    r = await http.patch(f"{base}/conditional-orders/{sl_id}", json={"symbol": SOL, "trigger_price": "170"})
    assert r.status_code == 200 and r.json()["trigger_price"] == "170"
    r = await http.post(
        f"{base}/plan-orders",
        json={
            "symbol": SOL,
            "side": "sell",
            "size": "2",
            "trigger_price": "175",
            "price": "174.5",
            "leverage": "5",
        },
    )
    assert r.status_code == 201, r.text
    r = await http.post(
        f"{base}/trail-orders",
        json={
            "symbol": SOL,
            "side": "sell_close_long",
            "size": "10",
            "activation_price": "185",
            "callback_rate": "9",
            "leverage": "5",
        },
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "callback_rate"
    waiting = (await http.get(f"{base}/conditional-orders", params={"symbol": SOL})).json()["orders"]
    by_kind = {o["kind"]: o for o in waiting}
    assert set(by_kind) == {"take_profit", "stop_loss", "plan"}
    assert by_kind["plan"]["execution_price"] == "174.5"
    r = await http.patch(
        f"{base}/conditional-orders/{by_kind['plan']['order_id']}",
        json={"symbol": SOL, "trigger_price": "176"},
    )
    assert r.status_code == 422 and "not a TP/SL" in r.json()["error"]["message"]

    r = await http.put(f"{base}/position-mode", json={"mode": "one_way"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "position_mode_locked"
    assert "3 waiting trigger/TP-SL/trailing order(s)" in r.json()["error"]["message"]
    assert (await http.get(f"{base}/position-mode")).json() == {"mode": "hedge"}

    r = await http.post(f"{base}/orders/cancel-all", json={"symbol": SOL, "include_tp_sl": True})
    assert r.json() == {"cancelled": {"orders": 0, "conditional": 3}}
    r = await http.post(
        f"{base}/positions/close-percent", json={"symbol": SOL, "side": "long", "percent": "5"}
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "percent"  # 0.5 contract < the minimum
    r = await http.post(
        f"{base}/positions/close-percent", json={"symbol": SOL, "side": "long", "percent": "30"}
    )
    assert r.status_code == 201 and r.json()["order"]["size"] == "3"
    fills = (await http.get(f"{base}/fills", params={"symbol": SOL})).json()["fills"]
    assert [f["size"] for f in fills] == ["3", "10"]

    paths = (await http.get("/api/openapi.json")).json()["paths"]
    for path in (
        "/market/{symbol}/ticker",
        "/market/{symbol}/candles",
        "/market/{symbol}/book",
        "/conditional-orders",
        "/conditional-orders/{order_id}",
        "/plan-orders",
        "/trail-orders",
        "/orders/cancel-all",
        "/positions/close-percent",
        "/fills",
        "/position-mode",
    ):
        assert "/api/accounts/{account_id}" + path in paths, path
    # answers are documented too: prices, sizes and money as decimal strings
    schemas = (await http.get("/api/openapi.json")).json()["components"]["schemas"]
    for model, field in (("FillOut", "fee"), ("TickerOut", "mark_price"), ("BookLevelOut", "price"),
                         ("PlanOut", "trigger_price"), ("CandleOut", "close")):
        spec = schemas[model]["properties"][field]
        assert (spec["type"], spec["format"]) == ("string", "decimal") and "pattern" in spec, (model, spec)


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/plan-orders", {"size": 2.5}, "size"),
        ("post", "/plan-orders", {"trigger_price": "1,5"}, "trigger_price"),
        ("post", "/plan-orders", {"price": "NaN"}, "price"),
        ("post", "/trail-orders", {"callback_rate": "１"}, "callback_rate"),
        ("post", "/trail-orders", {"activation_price": "1e999"}, "activation_price"),
        ("patch", "/conditional-orders/1", {"trigger_price": ""}, "trigger_price"),
        ("post", "/positions/close-percent", {"percent": "fifty"}, "percent"),
        ("post", "/positions/close-percent", {"type": "limit", "price": "9" * 70}, "price"),
    ],
)
async def test_malformed_numbers_are_refused_by_field(
    trading_platform: PlatformServer, make_api_user: Any, method: str, path: str, body: dict[str, Any],
    field: str,
) -> None:
    """Every money/price/size field is an exact decimal string (in the OpenAPI too): a JSON number
    or a malformed string is a 422 naming that field, in the one error envelope."""
    user = await make_api_user()
    valid = {"symbol": SOL, "side": "sell_close_long", "size": "2", "trigger_price": "175", "leverage": "5",
             "activation_price": "185", "callback_rate": "1", "percent": "50"}
    r = await getattr(user.http, method)(f"/api/accounts/{'0' * 32}{path}", json={**valid, **body})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert set(error) == {"code", "message", "field", "next_step"}
    assert (error["code"], error["field"]) == ("invalid_input", field), error
    assert error["message"].startswith(field + ": ") and error["next_step"]

    schemas = (await user.http.get("/api/openapi.json")).json()["components"]["schemas"]
    model = {"/plan-orders": "PlanIn", "/trail-orders": "TrailIn", "/conditional-orders/1": "ModifyIn",
             "/positions/close-percent": "ClosePercentIn"}
    spec = schemas[model[path]]["properties"][field]
    decimal = spec if "pattern" in spec else next(s for s in spec["anyOf"] if "pattern" in s)
    assert decimal["type"] == "string" and decimal["maxLength"] == 64
