"""The public market-data channels and the push-only fields, behaving as BitMart documents them."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import websockets
from bitmart.api_contract import APIContract

from tests.fixtures.sandbox import SandboxServer
from tests.integration.sandbox_ws.wsclient import ack_of, gather, login, push_of, recv_until

INTERVAL_S = {"1m": 60, "5m": 300, "1H": 3600, "4H": 14400, "1D": 86400, "1W": 604800}


async def _mark(sandbox: SandboxServer, symbol: str) -> Decimal:
    return Decimal((await asyncio.to_thread(sandbox.admin.market))["marks"][symbol])


async def _public(sandbox: SandboxServer, groups: list[str]) -> Any:
    ws = await websockets.connect(sandbox.ws_url + "/api?protocol=1.1", max_size=None)
    await ws.send(json.dumps({"action": "subscribe", "args": groups}))
    for group in groups:
        assert (await recv_until(ws, ack_of(group)))["success"] is True
    return ws


def _prices(rows: list[dict[str, str]]) -> list[Decimal]:
    return [Decimal(r["price"]) for r in rows]


async def test_depth_channels_sides_levels_and_bookticker(sandbox: SandboxServer) -> None:
    groups = ["futures/depth5:SOLUSDT", "futures/depth50:SOLUSDT@100ms", "futures/depthAll20:SOLUSDT",
              "futures/bookticker:SOLUSDT"]
    ws = await _public(sandbox, groups)
    try:
        await asyncio.to_thread(sandbox.admin.set_price, "SOLUSDT", await _mark(sandbox, "SOLUSDT") + 1)
        got = await gather(ws, {groups[0]: 2, groups[1]: 2, groups[2]: 1, groups[3]: 1})
        for group, levels in ((groups[0], 5), (groups[1], 50)):
            sides = {data["way"]: _prices(data["depths"]) for data in got[group]}  # 1 bids, 2 asks
            assert all(len(data["depths"]) == levels and isinstance(data["ms_t"], int) for data in got[group])
            assert sides[1] == sorted(sides[1], reverse=True) and sides[2] == sorted(sides[2])
            assert sides[1][0] < sides[2][0]
        full = got[groups[2]][0]
        assert len(full["bids"]) == len(full["asks"]) == 20
        best = got[groups[3]][0]
        assert Decimal(best["best_bid_price"]) == _prices(full["bids"])[0]
        assert Decimal(best["best_ask_price"]) == _prices(full["asks"])[0]
        assert best["best_ask_vol"] == full["asks"][0]["vol"]
    finally:
        await ws.close()


def _apply(book: dict[str, dict[Decimal, str]], data: dict[str, Any]) -> None:
    for side in ("bids", "asks"):
        for row in data[side]:
            if row["vol"] == "0":
                book[side].pop(Decimal(row["price"]), None)
            else:
                book[side][Decimal(row["price"])] = row["vol"]


def _book(data: dict[str, Any]) -> dict[str, dict[Decimal, str]]:
    return {side: {Decimal(r["price"]): r["vol"] for r in data[side]} for side in ("bids", "asks")}


async def test_depth_increase_keeps_a_local_book_as_documented(sandbox: SandboxServer) -> None:
    group = "futures/depthIncrease20:SOLUSDT@200ms"
    ws = await _public(sandbox, [group])
    try:
        snapshot = (await recv_until(ws, push_of(group)))["data"]
        assert snapshot["type"] == "snapshot" and len(snapshot["bids"]) == 20
        local, version = _book(snapshot), snapshot["version"]
        mark = await _mark(sandbox, "SOLUSDT")
        for step in ("0.5", "1.5", "-2"):
            await asyncio.to_thread(sandbox.admin.set_price, "SOLUSDT", mark + Decimal(step))
            update = (await recv_until(ws, push_of(group)))["data"]
            assert update["type"] == "update" and update["version"] == version + 1
            assert any(r["vol"] == "0" for r in update["bids"] + update["asks"])  # levels left the book
            _apply(local, update)
            version = update["version"]
        # The documented `request` answers the current snapshot: the local book equals it.
        await ws.send(json.dumps({"action": "request", "args": [group]}))
        fresh = (await recv_until(ws, push_of(group)))["data"]
        assert fresh["type"] == "snapshot" and fresh["version"] == version
        assert _book(fresh) == local
    finally:
        await ws.close()
    # Without a subscription, each request answers the book as it is then.
    async with websockets.connect(sandbox.ws_url + "/api?protocol=1.1", max_size=None) as ws:
        group = "futures/depthIncrease5:SOLUSDT"
        books = []
        for step in ("3", "4"):
            await asyncio.to_thread(sandbox.admin.set_price, "SOLUSDT", mark + Decimal(step))
            await ws.send(json.dumps({"action": "request", "args": [group]}))
            books.append((await recv_until(ws, push_of(group)))["data"])
        assert books[0]["bids"] != books[1]["bids"] and books[1]["version"] > books[0]["version"]


async def test_kline_channels_every_interval(sandbox: SandboxServer) -> None:
    groups = [f"futures/klineBin{i}:ETHUSDT" for i in INTERVAL_S]
    groups += [f"futures/markPriceKlineBin{i}:ETHUSDT" for i in INTERVAL_S]
    ws = await _public(sandbox, groups)
    try:
        price = await _mark(sandbox, "ETHUSDT") + Decimal("0.5")
        await asyncio.to_thread(sandbox.admin.set_price, "ETHUSDT", price)
        got = await gather(ws, dict.fromkeys(groups, 1))
        for group in groups:
            data = got[group][0]
            interval = group.split(":")[0].split("Bin")[1]
            assert Decimal(data["c"]) == price and data["symbol"] == "ETHUSDT"
            assert Decimal(data["l"]) <= price <= Decimal(data["h"])
            assert data["ts"] % INTERVAL_S[interval] == 0, (group, data)
    finally:
        await ws.close()


async def test_funding_rate_subscribe_and_request(sandbox: SandboxServer) -> None:
    async with websockets.connect(sandbox.ws_url + "/api?protocol=1.1") as ws:
        group = "futures/fundingRate:BTCUSDT"
        await ws.send(json.dumps({"action": "request", "args": [group]}))
        data = json.loads(await asyncio.wait_for(ws.recv(), 5))  # the data itself, no acknowledgement
        assert data["group"] == group
        rate = data["data"]
        assert rate["nextFundingTime"] > rate["fundingTime"] > 0 and Decimal(rate["funding_upper_limit"]) > 0
        await ws.send(json.dumps({"action": "subscribe", "args": [group]}))
        assert (await recv_until(ws, ack_of(group)))["success"] is True
        assert (await recv_until(ws, push_of(group)))["data"]["symbol"] == "BTCUSDT"
        # `request` is documented for fundingRate and depthIncrease only.
        await ws.send(json.dumps({"action": "request", "args": ["futures/ticker:BTCUSDT"]}))
        refused = await recv_until(ws, ack_of("futures/ticker:BTCUSDT"))
        assert refused["success"] is False and "request serves futures/fundingRate" in refused["error"]


async def test_trade_way_and_order_push_fields(sandbox: SandboxServer) -> None:
    user = sandbox.admin.create_user()
    key = sandbox.admin.create_key(user["email"], memo="ws-fields", ip=("127.0.0.1",))
    api = APIContract(key["api_key"], key["secret_key"], key["memo"], url=sandbox.base_url)
    public = await _public(sandbox, ["futures/trade:BTCUSDT"])
    private = await login(sandbox, key)
    try:
        await private.send(json.dumps({"action": "subscribe", "args": ["futures/order"]}))
        await recv_until(private, ack_of("futures/order"))
        await asyncio.to_thread(api.post_submit_order, contract_symbol="BTCUSDT", type="market", side=1,
                                leverage="10", open_type="cross", size=3)
        trade = (await recv_until(public, push_of("futures/trade:BTCUSDT")))["data"][0]
        assert trade["way"] == 1 and trade["m"] is False  # the buyer took: buy_open_long / sell_open_short
        submitted = (await recv_until(private, push_of("futures/order")))["data"][0]
        assert submitted["action"] == 2 and submitted["order"]["last_trade"] is None
        assert submitted["order"]["trigger_price"] == submitted["order"]["callback_rate"] == "-"
        filled = (await recv_until(private, push_of("futures/order")))["data"][0]
        assert filled["action"] == 1 and filled["order"]["last_trade"]["fillQty"] == "3"

        # An order a plan sent carries the plan's trigger.
        mark = await _mark(sandbox, "BTCUSDT")
        trigger = mark + 10
        placed = await asyncio.to_thread(
            api.post_submit_plan_order, contract_symbol="BTCUSDT", type="market", side=1, leverage="10",
            open_type="cross", mode=1, size=1, trigger_price=str(trigger), price_way=1, price_type=1)
        assert placed[0]["code"] == 1000, placed
        await asyncio.to_thread(sandbox.admin.set_price, "BTCUSDT", trigger + 5)
        sent = (await recv_until(private, lambda m: push_of("futures/order")(m)
                                 and m["data"][0]["order"]["plan_order_id"] != ""))["data"][0]["order"]
        assert Decimal(sent["trigger_price"]) == trigger and sent["trigger_price_type"] == "last_price"
        assert sent["activation_price"] == "-"
    finally:
        await public.close()
        await private.close()
