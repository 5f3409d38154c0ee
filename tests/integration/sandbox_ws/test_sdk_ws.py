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
        ws.subscribe(args=["futures/order"])
        deadline = time.monotonic() + 5
        while not any(m.get("action") == "subscribe" for m in received) and time.monotonic() < deadline:
            time.sleep(0.05)
        api = APIContract(key["api_key"], key["secret_key"], key["memo"], url=sandbox.base_url)
        api.post_submit_order(contract_symbol="BTCUSDT", client_order_id=client_order_id, type="limit",
                              side=1, leverage="5", open_type="isolated", mode=1, price="1000", size=1)
        assert arrived.wait(5), received
    finally:
        ws.stop()
        # The SDK re-arms a non-daemon ping Timer forever; cancel it so the test process can exit.
        for thread in threading.enumerate():
            if isinstance(thread, threading.Timer):
                thread.cancel()
