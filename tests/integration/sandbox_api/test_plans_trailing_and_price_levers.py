"""Issue 3 follow-ups over the wire: close-all-position by side, trailing orders, modify-plan-order,
modify-preset-plan-order (official SDK where it has a working call), and the admin price levers
(freeze-prices, replay-prices) through the API, the CLI and the fixture helper."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from perpdesk.cli import app as cli_app
from tests.fixtures.sandbox import AdminCallError, SandboxServer
from tests.integration.sandbox_api.helpers import contract, new_trader, sdk_error, signed_post

SYMBOL = "ETHUSDT"
TICK = Decimal("0.01")


def ok(result: tuple[dict[str, Any], dict[str, Any]]) -> Any:
    body, _ = result
    assert body["code"] == 1000, body
    return body["data"]


@pytest.fixture
def market(sandbox: SandboxServer) -> Iterator[SandboxServer]:
    """The shared sandbox with the walk frozen for the test; restored (and replays dropped) after."""
    sandbox.admin.freeze_prices(True)
    try:
        yield sandbox
    finally:
        sandbox.admin.client.call("POST", "/replay-prices", {"clear": True})
        sandbox.admin.freeze_prices(False)


def mark(sandbox: SandboxServer, symbol: str = SYMBOL) -> Decimal:
    return Decimal(sandbox.admin.market()["marks"][symbol])


def px(value: Decimal) -> str:
    return str(value.quantize(TICK))


def test_close_all_position_by_side_through_the_sdk(market: SandboxServer) -> None:
    _, key = new_trader(market)
    sdk = contract(market, key)
    ok(sdk.post_submit_order(contract_symbol=SYMBOL, side=1, type="market", size=5, leverage="5",
                             open_type="cross"))  # fmt: skip
    ok(sdk.post_submit_order(contract_symbol=SYMBOL, side=4, type="market", size=3, leverage="5",
                             open_type="cross"))  # fmt: skip
    ok(sdk.post_close_all_position(1, SYMBOL, "short"))
    held = [(p["position_type"], p["current_amount"]) for p in ok(sdk.get_position(SYMBOL))]
    assert held == [(1, "5")]
    _, body = sdk_error(sdk.post_close_all_position, 1, SYMBOL, "up")
    assert body["code"] == 40011 and "'position_side' must be one of long, short" in body["message"]


def test_trailing_order_through_the_sdk(market: SandboxServer) -> None:
    _, key = new_trader(market)
    sdk = contract(market, key)
    ok(sdk.post_submit_order(contract_symbol=SYMBOL, side=1, type="market", size=10, leverage="5",
                             open_type="cross"))  # fmt: skip
    m = mark(market)
    activation = m * Decimal("1.01")
    out = ok(sdk.post_submit_trail_order(SYMBOL, side=3, leverage="5", open_type="cross", size=10,
                                         activation_price=px(activation), callback_rate="1",
                                         activation_price_type=2))  # fmt: skip
    tid = str(out["order_id"])
    listed = ok(sdk.get_open_order(SYMBOL, type="trailing"))
    assert [(o["order_id"], o["type"], o["callback_rate"]) for o in listed] == [(tid, "trailing", "1")]

    high = m * Decimal("1.03")
    market.admin.set_price(SYMBOL, px(activation))  # activates
    market.admin.set_price(SYMBOL, px(high))  # new high
    market.admin.set_price(SYMBOL, px(high * Decimal("0.995")))  # half the callback: holds
    assert ok(sdk.get_position(SYMBOL))[0]["current_amount"] == "10"
    market.admin.set_price(SYMBOL, px(high * Decimal("0.989")))  # beyond 1% off the high: fires
    assert [p for p in ok(sdk.get_position(SYMBOL)) if p["current_amount"] != "0"] == []
    assert ok(sdk.get_order(SYMBOL, tid))["state"] == 4

    # validation with BitMart's parameter names, and cancel
    submit_trail = sdk.post_submit_trail_order
    trail: dict[str, Any] = dict(side=4, leverage="5", open_type="cross", size=1, activation_price_type=1)
    _, body = sdk_error(submit_trail, SYMBOL, activation_price=px(m), callback_rate="7", **trail)
    assert body["code"] == 40011 and "'callback_rate' must be between 0.1 and 5" in body["message"]
    _, body = sdk_error(submit_trail, SYMBOL, activation_price=None, callback_rate="1", **trail)
    assert body["code"] == 40011 and "'activation_price' is required" in body["message"]
    second = ok(sdk.post_submit_trail_order(SYMBOL, side=4, leverage="5", open_type="isolated", size=1,
                                            activation_price=px(m * Decimal("1.2")), callback_rate="0.5",
                                            activation_price_type=1))  # fmt: skip
    ok(sdk.post_cancel_trail_order(SYMBOL, str(second["order_id"])))
    _, body = sdk_error(sdk.post_cancel_trail_order, SYMBOL, str(second["order_id"]))
    assert body["code"] == 40036
    _, body = sdk_error(sdk.post_cancel_trail_order, SYMBOL)
    assert body["code"] == 40011 and "'order_id' is required" in body["message"]


def test_modify_plan_and_preset_orders(market: SandboxServer) -> None:
    _, key = new_trader(market)
    sdk = contract(market, key)
    m = mark(market)
    plan = ok(sdk.post_submit_plan_order(
        contract_symbol=SYMBOL, type="limit", side=1, leverage="3", open_type="isolated", size=2,
        trigger_price=px(m * Decimal("1.1")), executive_price=px(m * Decimal("1.1")), price_way=1,
        price_type=1, preset_take_profit_price=px(m * Decimal("1.3")),
    ))  # fmt: skip
    pid = str(plan["order_id"])
    # The SDK's post_modify_plan_order raises NameError (it reads an undefined client_order_id),
    # so this one goes by hand, signed exactly as BitMart wants.
    body = {"symbol": SYMBOL, "order_id": pid, "trigger_price": px(m * Decimal("1.05")), "price_type": 2,
            "type": "market"}  # fmt: skip
    r = signed_post(market, key, "/contract/private/modify-plan-order", body)
    assert r.json()["code"] == 1000 and r.json()["data"] == {"order_id": pid}
    r = signed_post(market, key, "/contract/private/modify-plan-order", {**body, "type": "limit"})
    assert r.json()["code"] == 40011 and "'executive_price' is required" in r.json()["message"]

    ok(sdk.post_modify_preset_plan_order(SYMBOL, pid, preset_stop_loss_price=px(m * Decimal("0.9")),
                                         preset_stop_loss_price_type=2))  # fmt: skip
    view = {p["order_id"]: p for p in ok(sdk.get_current_plan_order(SYMBOL))}[pid]
    # The exchange writes prices without trailing zeros (3838.20 comes back as 3838.2): compare values.
    trigger = Decimal(px(m * Decimal("1.05")))
    assert (Decimal(view["trigger_price"]), view["price_type"], view["executive_price"]) == (trigger, 2, "")
    assert Decimal(view["preset_stop_loss_price"]) == Decimal(px(m * Decimal("0.9")))
    assert Decimal(view["preset_take_profit_price"]) == Decimal(px(m * Decimal("1.3")))
    _, err = sdk_error(sdk.post_modify_preset_plan_order, SYMBOL, pid)
    assert err["code"] == 40011 and "preset_take_profit_price" in err["message"]
    _, err = sdk_error(sdk.post_modify_preset_plan_order, SYMBOL, "123", preset_stop_loss_price="1")
    assert err["code"] == 40037


def test_freeze_and_replay_prices_through_the_fixture(market: SandboxServer) -> None:
    admin = market.admin
    before = mark(market, "BTCUSDT")
    admin.tick()
    admin.tick()
    assert mark(market, "BTCUSDT") == before  # frozen: ticks do not walk
    state = admin.replay_prices([("BTCUSDT", before + 10), ("BTCUSDT", before + 20)])
    assert state["added"] == 2 and state["queued"] == {"BTCUSDT": 2} and state["price_walk"] is False
    admin.tick()
    assert mark(market, "BTCUSDT") == before + 10
    admin.tick()
    admin.tick()
    assert mark(market, "BTCUSDT") == before + 20  # replay done; still frozen
    with pytest.raises(AdminCallError) as exc:
        admin.replay_prices([("BTCUSDT", "1"), ("NOPE", "2")])
    assert exc.value.field == "prices" and "prices:2: unknown symbol 'NOPE'" in exc.value.message
    assert admin.market()["queued"] == {}  # nothing of the refused batch was queued
    with pytest.raises(AdminCallError) as exc:
        admin.client.call("POST", "/freeze-prices", {"frozen": "yes"})
    assert exc.value.field == "frozen"
    assert admin.freeze_prices(False)["price_walk"] is True


def test_cli_freeze_and_replay_prices(market: SandboxServer, tmp_path: Path) -> None:
    base = ["sandbox", "admin", "--url", market.base_url, "--token", market.admin_token]
    runner = CliRunner()
    r = runner.invoke(cli_app, [*base, "freeze-prices", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["frozen"] is True
    m = mark(market, "SOLUSDT")
    prices = tmp_path / "sol.csv"
    prices.write_text(f"# replay\nSOLUSDT,{m + 1}\n\nSOLUSDT,{m + 2}\n")
    r = runner.invoke(cli_app, [*base, "replay-prices", "--file", str(prices), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["queued"] == {"SOLUSDT": 2}
    market.admin.tick()
    assert mark(market, "SOLUSDT") == m + 1
    bad = tmp_path / "bad.csv"
    bad.write_text("SOLUSDT;1\n")
    r = runner.invoke(cli_app, [*base, "replay-prices", "--file", str(bad), "--clear"])
    assert r.exit_code == 1 and "text:1: expected SYMBOL,PRICE" in r.output
    assert market.admin.market()["queued"] == {"SOLUSDT": 1}  # the refused --clear changed nothing
    r = runner.invoke(cli_app, [*base, "replay-prices", "--file", str(tmp_path / "missing.csv")])
    assert r.exit_code == 2
    r = runner.invoke(cli_app, [*base, "freeze-prices", "--unfreeze", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["price_walk"] is True


async def test_modify_limit_order_is_pushed_on_the_websocket(sandbox: SandboxServer) -> None:
    import asyncio
    import hashlib
    import hmac
    import time

    import websockets

    _, key = new_trader(sandbox)
    sdk = contract(sandbox, key)
    ts = str(int(time.time() * 1000))
    sign = hmac.new(key["secret_key"].encode(), f"{ts}#{key['memo']}#bitmart.WebSocket".encode(),
                    hashlib.sha256).hexdigest()  # fmt: skip
    async with websockets.connect(sandbox.ws_url + "/user?protocol=1.1") as ws:

        async def recv(want: Any) -> dict[str, Any]:
            async with asyncio.timeout(10):
                while True:
                    message = json.loads(await ws.recv())
                    if want(message):
                        return dict(message)

        await ws.send(json.dumps({"action": "access", "args": [key["api_key"], ts, sign, "web"]}))
        assert (await recv(lambda m: m.get("action") == "access"))["success"] is True
        await ws.send(json.dumps({"action": "subscribe", "args": ["futures/order"]}))
        await recv(lambda m: m.get("group") == "futures/order" and "success" in m)
        low = px(mark(sandbox) * Decimal("0.8"))
        lower = px(mark(sandbox) * Decimal("0.79"))
        placed = await asyncio.to_thread(
            sdk.post_submit_order, contract_symbol=SYMBOL, client_order_id="wsmod1", side=1, type="limit",
            price=low, size=2, leverage="5", open_type="cross",
        )  # fmt: skip
        oid = str(placed[0]["data"]["order_id"])
        await asyncio.to_thread(sdk.post_modify_limit_order, SYMBOL, order_id=oid, price=lower, size=3)

        def amended(m: dict[str, Any]) -> bool:
            return m.get("group") == "futures/order" and any(
                i["order"]["order_id"] == oid and Decimal(i["order"]["price"]) == Decimal(lower)
                for i in m["data"]  # the exchange drops trailing zeros: compare values
            )

        pushed = next(i for i in (await recv(amended))["data"] if i["order"]["order_id"] == oid)
        assert (pushed["action"], pushed["order"]["size"], pushed["order"]["state"]) == (2, "3", 2)
        await asyncio.to_thread(sdk.post_cancel_order, SYMBOL, order_id=oid)
