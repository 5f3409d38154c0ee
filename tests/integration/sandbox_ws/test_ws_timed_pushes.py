"""The timed pushes (position every 10 s, fundingRate every minute), with the clocks shortened:
the sandbox runs in this test's event loop so its interval constants can be patched."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from bitmart.api_contract import APIContract

from perpdesk.sandbox.context import SandboxConfig
from perpdesk.sandbox.server import serve_sandbox
from perpdesk.sandbox.web import ws, ws_private, ws_public
from tests.fixtures.sandbox import SandboxAdmin, free_port
from tests.integration.sandbox_ws.wsclient import ack_of, push_of, recv_until, sign_login


@pytest.fixture
async def fast_clock_sandbox(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[str, SandboxAdmin]]:
    monkeypatch.setattr(ws, "CLOCK_S", 0.05)
    monkeypatch.setattr(ws_private, "POSITION_EVERY_MS", 300)
    monkeypatch.setattr(ws_public, "FUNDING_EVERY_MS", 300)
    port = free_port()
    task = asyncio.create_task(serve_sandbox(
        SandboxConfig(port=port, admin_token="tok", price_interval_s=3600)))
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=url, timeout=2) as client:
        for _ in range(100):
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/system/time")).status_code == 200:
                    break
            await asyncio.sleep(0.05)
    admin = SandboxAdmin(url, "tok")
    try:
        yield url, admin
    finally:
        admin.client.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_position_and_funding_rate_are_pushed_on_their_clocks(
    fast_clock_sandbox: tuple[str, SandboxAdmin],
) -> None:
    url, admin = fast_clock_sandbox
    user = await asyncio.to_thread(admin.create_user)
    key: dict[str, Any] = await asyncio.to_thread(admin.create_key, user["email"], "timed", ("future_trade",),
                                                  ("127.0.0.1",))
    api = APIContract(key["api_key"], key["secret_key"], key["memo"], url=url)
    placed = await asyncio.to_thread(api.post_submit_order, contract_symbol="ETHUSDT", type="market",
                                     side=4, leverage="5", open_type="isolated", size=3)
    assert placed[0]["code"] == 1000, placed
    ws_url = url.replace("http", "ws")
    async with (
        websockets.connect(ws_url + "/user?protocol=1.1") as private,
        websockets.connect(ws_url + "/api?protocol=1.1") as public,
    ):
        await private.send(json.dumps({"action": "access", "args": sign_login(key)}))
        await recv_until(private, lambda m: m.get("action") == "access")
        await private.send(json.dumps({"action": "subscribe", "args": ["futures/position"]}))
        await recv_until(private, ack_of("futures/position"))
        # Nothing changes, yet the position comes, again and again.
        for _ in range(2):
            pushed = (await recv_until(private, push_of("futures/position"), timeout=5))["data"]
            held = [(p["symbol"], p["hold_volume"], p["position_type"]) for p in pushed]
            assert held == [("ETHUSDT", "3", 2)]

        group = "futures/fundingRate:ETHUSDT"
        await public.send(json.dumps({"action": "subscribe", "args": [group]}))
        await recv_until(public, ack_of(group))
        stamps = [(await recv_until(public, push_of(group), timeout=5))["data"]["ts"] for _ in range(3)]
        assert stamps == sorted(stamps) and len(set(stamps)) == 3  # at once, then on the clock
