"""BitMart futures WebSocket of the sandbox: login, subscriptions, pushes from the engine."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from typing import Any

import pytest
import websockets
from bitmart.api_contract import APIContract

from tests.fixtures.sandbox import SandboxServer
from tests.integration.sandbox_ws.wsclient import login, push_of, recv_until, sign_login


async def test_private_order_and_position_events(sandbox: SandboxServer) -> None:
    user = sandbox.admin.create_user()
    key = sandbox.admin.create_key(user["email"], memo="ws-memo", ip=("127.0.0.1",))
    ws = await login(sandbox, key)
    try:
        groups = ["futures/order", "futures/position", "futures/asset:USDT"]
        await ws.send(json.dumps({"action": "subscribe", "args": groups}))
        for group in groups:
            reply = await recv_until(ws, lambda m, g=group: m.get("group") == g and "success" in m)
            assert reply["success"] is True and reply["action"] == "subscribe"
            assert reply["request"] == {"action": "subscribe", "args": groups}

        await ws.send(json.dumps({"action": "ping"}))
        assert await recv_until(ws, lambda m: m.get("group") == "System") == {"group": "System",
                                                                              "data": "pong"}

        client_order_id = "ws" + secrets.token_hex(6)
        api = APIContract(key["api_key"], key["secret_key"], key["memo"], url=sandbox.base_url)
        placed = await asyncio.to_thread(
            api.post_submit_order, contract_symbol="BTCUSDT", client_order_id=client_order_id,
            type="market", side=1, leverage="10", open_type="cross", size=2)
        order_id = str(placed[0]["data"]["order_id"])

        def is_our_order(m: dict[str, Any]) -> bool:
            return m.get("group") == "futures/order" and any(
                item["order"]["client_order_id"] == client_order_id for item in m["data"])

        order = await recv_until(ws, is_our_order)
        pushed = next(i["order"] for i in order["data"] if i["order"]["client_order_id"] == client_order_id)
        assert str(pushed["order_id"]) == order_id and pushed["symbol"] == "BTCUSDT"
        position = await recv_until(ws, lambda m: m.get("group") == "futures/position"
                               and any(p["symbol"] == "BTCUSDT" for p in m["data"]))
        held = next(p for p in position["data"] if p["symbol"] == "BTCUSDT")
        assert held["hold_volume"] == "2"
        asset = await recv_until(ws, lambda m: m.get("group") == "futures/asset:USDT" and "data" in m)
        assert asset["data"]["currency"] == "USDT"

        # Unsubscribed groups stop: after unsubscribing orders, a new order pushes no order event.
        await ws.send(json.dumps({"action": "unsubscribe", "args": ["futures/order"]}))
        await recv_until(ws, lambda m: m.get("action") == "unsubscribe")
        await asyncio.to_thread(api.post_submit_order, contract_symbol="BTCUSDT", type="market", side=1,
                                leverage="10", open_type="cross", size=1)
        await recv_until(ws, lambda m: m.get("group") == "futures/position" and "data" in m)
        with pytest.raises((AssertionError, TimeoutError)):
            await recv_until(ws, lambda m: m.get("group") == "futures/order", timeout=0.5)
    finally:
        await ws.close()


async def test_login_refusals(sandbox: SandboxServer) -> None:
    user = sandbox.admin.create_user(deposit={}, futures_deposit={})
    key = sandbox.admin.create_key(user["email"], memo="ws-memo", ip=("127.0.0.1",))
    elsewhere = sandbox.admin.create_key(user["email"], memo="ws-memo2", ip=("127.0.0.2",))
    outsider = sandbox.admin.create_user(whitelisted=False, deposit={}, futures_deposit={})
    outsider_key = sandbox.admin.create_key(outsider["email"], memo="m", ip=())
    cases = [  # (login args, what the error must say); a wrong memo is a wrong sign, as at BitMart
        ([*sign_login(key)[:2], "0" * 64, "web"], "sign is wrong"),
        (sign_login({**key, "memo": "wrong"}), "sign is wrong"),
        (sign_login(key, str(int(time.time() * 1000) - 3_600_000)), "timestamp"),
        (sign_login(elsewhere), "IP 127.0.0.1 is forbidden"),
        (sign_login(outsider_key), "not whitelisted"),
        (sign_login({**key, "api_key": "f" * 40}), "not found"),
    ]
    async with websockets.connect(sandbox.ws_url + "/user?protocol=1.1") as ws:
        # Private channels need a login first (BitMart's wording, spelling included).
        await ws.send(json.dumps({"action": "subscribe", "args": ["futures/order"]}))
        refused = await recv_until(ws, lambda m: m.get("group") == "futures/order")
        assert refused == {"action": "subscribe", "group": "futures/order", "success": False,
                           "request": {"action": "subscribe", "args": ["futures/order"]},
                           "error": "futures/order need authenication: send access first"}
        # The right login works on the same connection afterwards.
        await ws.send(json.dumps({"action": "access", "args": sign_login(key)}))
        reply = await recv_until(ws, lambda m: m.get("action") == "access")
        assert reply == {"action": "access", "success": True}
    for args, expected in cases:
        # Documented: a failed login is answered, then the connection is closed.
        async with websockets.connect(sandbox.ws_url + "/user?protocol=1.1") as ws:
            await ws.send(json.dumps({"action": "access", "args": args}))
            reply = await recv_until(ws, lambda m: m.get("action") == "access")
            assert reply["success"] is False, expected
            assert reply["error"].startswith("access failed") and expected in reply["error"], reply
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)
            assert ws.close_code == 1008


async def test_public_ticker_and_depth(sandbox: SandboxServer) -> None:
    async with websockets.connect(sandbox.ws_url + "/api?protocol=1.1") as ws:
        groups = ["futures/ticker:ETHUSDT", "futures/depth20:ETHUSDT@200ms", "futures/nope",
                  "futures/depth20:NOPEUSDT"]
        await ws.send(json.dumps({"action": "subscribe", "args": groups}))
        for bad in groups[2:]:
            refused = await recv_until(ws, lambda m, g=bad: m.get("group") == g)
            assert refused["success"] is False and refused["error"].startswith(f"group [{bad}] not exist")
        await asyncio.to_thread(sandbox.admin.set_price, "ETHUSDT", "3333.33")
        ticker = await recv_until(ws, lambda m: m.get("group") == "futures/ticker:ETHUSDT" and "data" in m)
        assert ticker["data"]["symbol"] == "ETHUSDT" and ticker["data"]["mark_price"] == "3333.33"
        depth = await recv_until(ws, push_of("futures/depth20:ETHUSDT@200ms"))
        assert depth["data"]["symbol"] == "ETHUSDT"
        await ws.send("ping")  # the plain-text heartbeat is answered in plain text
        while (reply := await asyncio.wait_for(ws.recv(), 5)) != "pong":
            assert reply.startswith("{")
        # Private channels are not served on the public path.
        await ws.send(json.dumps({"action": "subscribe", "args": ["futures/position"]}))
        refused = await recv_until(ws, lambda m: m.get("group") == "futures/position")
        assert refused["success"] is False and "need authenication" in refused["error"]
