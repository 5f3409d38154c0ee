"""The whole contract set is served: REST contract details and brackets, per-symbol market data,
the WebSocket tickers, and the platform connector's market list, each with exact Decimal rules."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import httpx
import websockets

from perpdesk.exchanges.bitmart import BitmartFuturesConnector
from perpdesk.sandbox.engine.contracts import CONTRACTS
from tests.fixtures.sandbox import SandboxServer


def _get(sandbox: SandboxServer, path: str, **params: str) -> Any:
    body = httpx.get(sandbox.base_url + path, params=params).json()
    assert body["code"] == 1000, body
    return body["data"]


def test_rest_serves_every_contract(sandbox: SandboxServer) -> None:
    rows = {r["symbol"]: r for r in _get(sandbox, "/contract/public/details")["symbols"]}
    assert set(rows) == set(CONTRACTS) and len(rows) >= 50
    for sym, row in rows.items():
        spec = CONTRACTS[sym]
        assert Decimal(row["contract_size"]) == spec.contract_size, sym
        assert Decimal(row["price_precision"]) == spec.tick and "E" not in row["price_precision"], sym
        assert (int(row["max_volume"]), int(row["max_leverage"])) == (spec.max_volume, spec.max_leverage), sym
        assert Decimal(row["last_price"]) > 0, sym
    assert rows["PEPEUSDT"]["price_precision"] == "0.0000000001"
    rules = {r["symbol"]: r for r in _get(sandbox, "/contract/public/leverage-bracket")["rules"]}
    assert set(rules) == set(CONTRACTS)
    assert len(rules["DOGEUSDT"]["brackets"]) == len(CONTRACTS["DOGEUSDT"].brackets)
    book = _get(sandbox, "/contract/public/depth", symbol="AVAXUSDT")
    assert Decimal(book["asks"][0][0]) > Decimal(book["bids"][0][0]) > 0
    assert _get(sandbox, "/contract/public/funding-rate", symbol="XRPUSDT")["symbol"] == "XRPUSDT"


async def test_websocket_tickers_of_every_contract(sandbox: SandboxServer) -> None:
    groups = [f"futures/ticker:{sym}" for sym in CONTRACTS]
    got: dict[str, dict[str, Any]] = {}
    async with websockets.connect(sandbox.ws_url + "/api?protocol=1.1") as ws:
        await ws.send(json.dumps({"action": "subscribe", "args": groups}))
        acks = 0
        async with asyncio.timeout(10):
            while acks < len(groups):
                msg = json.loads(await ws.recv())
                if msg.get("action") == "subscribe":
                    assert msg["success"] is True, msg
                    acks += 1
            await asyncio.to_thread(sandbox.admin.tick)  # one tick: a ticker per listed contract
            while len(got) < len(groups):
                msg = json.loads(await ws.recv())
                if msg.get("group") in groups:
                    got[msg["group"]] = msg["data"]
    assert {data["symbol"] for data in got.values()} == set(CONTRACTS)
    assert got["futures/ticker:SHIBUSDT"]["mark_price"].startswith("0.0000")


async def test_connector_lists_every_contract_exactly(sandbox: SandboxServer) -> None:
    connector = BitmartFuturesConnector(sandbox.base_url, ws_url=sandbox.ws_url, timeout_s=5)
    try:
        instruments = {i.symbol: i for i in await connector.instruments()}
    finally:
        await connector.aclose()
    assert set(instruments) == set(CONTRACTS)
    pepe, xrp = instruments["PEPEUSDT"], instruments["XRPUSDT"]
    assert (pepe.price_tick, pepe.contract_size, pepe.base) == (Decimal("1E-10"), Decimal(10000), "PEPE")
    assert (xrp.max_leverage, xrp.contract_size) == (Decimal(200), Decimal("0.1"))
    assert xrp.max_size == Decimal(100_000_000)
