"""MARGIN_CALL on the user data stream of the real sandbox: pushed once when an isolated
position's margin ratio reaches the margin-call ratio (80 %), again only after it fell back."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import binance_sdk_derivatives_trading_usds_futures.websocket_streams.models as ws_models
import websockets

from tests.fixtures.binance import BinanceClient, BinanceSandbox
from tests.integration.sandbox_binance.test_reference import conforms
from tests.integration.sandbox_binance.test_streams import event, listen_key, without_e, ws_url
from tests.integration.sandbox_ws.wsclient import recv_until


async def _margin_calls_until(ws: Any, done: Any) -> list[dict[str, Any]]:
    """Every MARGIN_CALL seen until `done` matches (included)."""
    seen: list[dict[str, Any]] = []
    await recv_until(ws, lambda m: (seen.append(m) if event("MARGIN_CALL")(m) else None) or done(m))
    return seen


def isolated_sol_long(sandbox: BinanceSandbox) -> tuple[BinanceClient, Decimal]:
    """A new account long 1 SOL at 180, isolated at 20x; with its liquidation price."""
    sandbox.server.admin.set_price("SOLUSDT", "180")
    client = sandbox.client()
    client.ok("POST", "/fapi/v1/marginType", {"symbol": "SOLUSDT", "marginType": "ISOLATED"})
    client.ok("POST", "/fapi/v1/leverage", {"symbol": "SOLUSDT", "leverage": 20})
    client.ok("POST", "/fapi/v1/order", {"symbol": "SOLUSDT", "side": "BUY", "positionSide": "LONG",
                                         "type": "MARKET", "quantity": "1.0"})
    [risk] = [r for r in client.ok("GET", "/fapi/v2/positionRisk", {"symbol": "SOLUSDT"})
              if r["positionSide"] == "LONG"]
    return client, Decimal(risk["liquidationPrice"])


async def test_margin_call_on_crossing_the_ratio(binance_sandbox: BinanceSandbox) -> None:
    admin = binance_sandbox.server.admin
    client, liq = isolated_sol_long(binance_sandbox)
    at_risk = str(liq + Decimal("0.05"))
    key = listen_key(client)
    mark_at = lambda px: lambda m: m.get("e") == "markPriceUpdate" and m["p"] == px  # noqa: E731
    try:
        # the mark stream beside it tells when a price's pushes (and any call) have all arrived
        async with websockets.connect(ws_url(binance_sandbox, f"/ws/{key}/solusdt@markPrice")) as ws:
            await asyncio.to_thread(admin.set_price, "SOLUSDT", at_risk)
            call = await recv_until(ws, event("MARGIN_CALL"))
            conforms(ws_models.MarginCall, without_e(call))
            [p] = call["p"]
            seen = (p["s"], p["ps"], p["pa"], p["mt"], p["mp"])
            assert seen == ("SOLUSDT", "LONG", "1.0", "ISOLATED", at_risk)
            assert "cw" not in call  # Binance sends the cross wallet with cross calls only
            equity = Decimal(p["iw"]) + Decimal(p["up"])
            assert Decimal("0.8") <= Decimal(p["mm"]) / equity < 1

            # still at risk: no second call; back to safety re-arms it
            await asyncio.to_thread(admin.set_price, "SOLUSDT", str(liq + Decimal("0.04")))
            await asyncio.to_thread(admin.set_price, "SOLUSDT", "180")
            assert await _margin_calls_until(ws, mark_at("180.00")) == []
            await asyncio.to_thread(admin.set_price, "SOLUSDT", at_risk)
            again = await _margin_calls_until(ws, mark_at(at_risk))
            assert [c["p"][0]["mp"] for c in again] == [at_risk]
    finally:
        admin.set_price("SOLUSDT", "180")
