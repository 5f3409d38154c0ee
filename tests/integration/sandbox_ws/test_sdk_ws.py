"""BitMart's official SDK WebSocket client, unmodified, against the sandbox's private path."""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

from bitmart.api_contract import APIContract
from bitmart.websocket.futures_socket_client import FuturesSocketClient

from tests.fixtures.sandbox import SandboxServer


def test_sdk_socket_client_gets_order_event(sandbox: SandboxServer) -> None:
    user = sandbox.admin.create_user()
    key = sandbox.admin.create_key(user["email"], memo="sdk-ws", ip=("127.0.0.1",))
    received: list[dict[str, Any]] = []
    arrived = threading.Event()
    client_order_id = "sdk" + secrets.token_hex(6)

    def on_message(message: dict[str, Any]) -> None:
        received.append(message)
        if message.get("group") == "futures/order" and any(
            i["order"]["client_order_id"] == client_order_id for i in message.get("data", [])
        ):
            arrived.set()

    ws = FuturesSocketClient(stream_url=sandbox.ws_url + "/user?protocol=1.1", on_message=on_message,
                             api_key=key["api_key"], api_secret_key=key["secret_key"], api_memo=key["memo"],
                             reconnection=False, ping_interval=3600)
    try:
        ws.login(timeout=0.5)
        assert {"action": "access", "success": True} in received
        # A common client subscribes the three documented asset currencies with the orders.
        groups = ["futures/asset:USDT", "futures/asset:BTC", "futures/asset:ETH", "futures/order"]
        ws.subscribe(args=groups)
        deadline = time.monotonic() + 5

        def acks() -> dict[str, Any]:
            return {m["group"]: m["success"] for m in list(received) if m.get("action") == "subscribe"}

        while len(acks()) < len(groups) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert acks() == dict.fromkeys(groups, True), received
        api = APIContract(key["api_key"], key["secret_key"], key["memo"], url=sandbox.base_url)
        api.post_submit_order(contract_symbol="BTCUSDT", client_order_id=client_order_id, type="limit",
                              side=1, leverage="5", open_type="isolated", mode=1, price="1000", size=1)
        assert arrived.wait(5), received
        # The resting order froze margin: the USDT asset push says so.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(
            m.get("group") == "futures/asset:USDT" and "data" in m for m in list(received)
        ):
            time.sleep(0.05)
        asset = next(m["data"] for m in list(received)
                     if m.get("group") == "futures/asset:USDT" and "data" in m)
        assert asset["currency"] == "USDT" and asset["frozen_balance"] != "0"
    finally:
        ws.stop()
        # The SDK re-arms a non-daemon ping Timer forever; cancel it so the test process can exit.
        for thread in threading.enumerate():
            if isinstance(thread, threading.Timer):
                thread.cancel()


def test_sdk_public_socket_client_gets_market_data(sandbox: SandboxServer) -> None:
    groups = ["futures/depthIncrease20:ETHUSDT@200ms", "futures/klineBin1H:ETHUSDT",
              "futures/bookticker:ETHUSDT", "futures/fundingRate:ETHUSDT"]
    received: list[dict[str, Any]] = []
    ws = FuturesSocketClient(stream_url=sandbox.ws_url + "/api?protocol=1.1", on_message=received.append,
                             reconnection=False, ping_interval=3600)

    def pushed() -> set[str]:
        return {m["group"] for m in list(received) if "data" in m and m.get("group") in groups}

    try:
        ws.subscribe(args=groups)
        deadline = time.monotonic() + 5
        while len([m for m in list(received) if m.get("action") == "subscribe"]) < len(groups):
            assert time.monotonic() < deadline, received
            time.sleep(0.05)
        mark = sandbox.admin.market()["marks"]["ETHUSDT"]
        sandbox.admin.set_price("ETHUSDT", mark)
        deadline = time.monotonic() + 5
        while pushed() != set(groups) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pushed() == set(groups), received
        kinds = [m["data"]["type"] for m in list(received) if m.get("group") == groups[0] and "data" in m]
        assert kinds[0] == "snapshot"
    finally:
        ws.stop()
        for thread in threading.enumerate():
            if isinstance(thread, threading.Timer):
                thread.cancel()
