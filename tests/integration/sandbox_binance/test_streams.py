"""The Binance port's WebSocket against the real sandbox: the listen-key user data stream
(ORDER_TRADE_UPDATE, ACCOUNT_UPDATE, ALGO_UPDATE, ACCOUNT_CONFIG_UPDATE, listenKeyExpired) and
the market streams (raw, combined, live SUBSCRIBE), each push read by the official SDK's models."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import binance_sdk_derivatives_trading_usds_futures.websocket_streams.models as ws_models
import websockets

from tests.fixtures.binance import BinanceClient, BinanceSandbox
from tests.integration.sandbox_binance.test_reference import conforms
from tests.integration.sandbox_ws.wsclient import recv_until


def ws_url(sandbox: BinanceSandbox, path: str) -> str:
    return sandbox.url.replace("http://", "ws://") + path


def event(name: str) -> Any:
    return lambda m: isinstance(m, dict) and m.get("e") == name


def without_e(payload: dict[str, Any]) -> dict[str, Any]:
    """The SDK's event models leave the event type `e` to the union that picks them."""
    return {k: v for k, v in payload.items() if k != "e"}


def listen_key(client: BinanceClient) -> str:
    r = client.http.post(client.url + "/fapi/v1/listenKey", headers={"X-MBX-APIKEY": client.api_key})
    assert r.status_code == 200, r.text
    return str(r.json()["listenKey"])


async def test_listen_key_rest_lifecycle(binance_sandbox: BinanceSandbox) -> None:
    client = binance_sandbox.client()
    headers = {"X-MBX-APIKEY": client.api_key}
    first = listen_key(client)
    assert len(first) == 64 and listen_key(client) == first  # one per key, extended
    assert client.http.put(client.url + "/fapi/v1/listenKey", headers=headers).json() == {"listenKey": first}
    assert client.http.delete(client.url + "/fapi/v1/listenKey", headers=headers).json() == {}
    r = client.http.put(client.url + "/fapi/v1/listenKey", headers=headers)
    assert (r.status_code, r.json()["code"]) == (400, -1125)
    assert client.http.post(client.url + "/fapi/v1/listenKey").json()["code"] == -2015  # no key


async def test_user_data_stream_events(binance_sandbox: BinanceSandbox) -> None:
    binance_sandbox.server.admin.set_price("SOLUSDT", "180")
    client = binance_sandbox.client()
    client.ok("POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": False})
    key = listen_key(client)
    async with websockets.connect(ws_url(binance_sandbox, "/ws/" + key)) as ws:
        await asyncio.to_thread(client.ok, "POST", "/fapi/v1/leverage", {"symbol": "SOLUSDT", "leverage": 4})
        config = await recv_until(ws, event("ACCOUNT_CONFIG_UPDATE"))
        assert config["ac"] == {"s": "SOLUSDT", "l": 4}
        conforms(ws_models.AccountConfigUpdate, without_e(config))

        order = {
            "symbol": "SOLUSDT",
            "side": "BUY",
            "type": "MARKET",
            "quantity": "1.0",
            "newClientOrderId": "w1",
        }
        await asyncio.to_thread(client.ok, "POST", "/fapi/v1/order", order)
        new = await recv_until(ws, lambda m: event("ORDER_TRADE_UPDATE")(m) and m["o"]["x"] == "NEW")
        trade = await recv_until(ws, lambda m: event("ORDER_TRADE_UPDATE")(m) and m["o"]["x"] == "TRADE")
        for update in (new, trade):
            conforms(ws_models.OrderTradeUpdate, without_e(update))
        o = trade["o"]
        assert (o["s"], o["c"], o["S"], o["o"], o["X"], o["l"], o["z"], o["L"], o["ps"]) == (
            "SOLUSDT",
            "w1",
            "BUY",
            "MARKET",
            "FILLED",
            "1.0",
            "1.0",
            "180.02",
            "BOTH",
        )
        assert o["n"] == "0.10801200" and o["N"] == "USDT" and o["m"] is False  # 180.02 * 0.0006
        account = await recv_until(ws, event("ACCOUNT_UPDATE"))
        conforms(ws_models.AccountUpdate, without_e(account))
        [position] = account["a"]["P"]
        assert (position["s"], position["pa"], position["ep"], position["ps"]) == (
            "SOLUSDT",
            "1.0",
            "180.02",
            "BOTH",
        )
        assert account["a"]["m"] == "ORDER" and account["a"]["B"][0]["a"] == "USDT"

        stop = {
            "algoType": "CONDITIONAL",
            "symbol": "SOLUSDT",
            "side": "SELL",
            "type": "STOP_MARKET",
            "quantity": "1.0",
            "triggerPrice": "170.00",
            "reduceOnly": True,
        }
        await asyncio.to_thread(client.ok, "POST", "/fapi/v1/algoOrder", stop)
        algo = await recv_until(ws, event("ALGO_UPDATE"))
        conforms(ws_models.AlgoUpdate, without_e(algo))
        assert (algo["o"]["X"], algo["o"]["o"], algo["o"]["tp"]) == ("NEW", "STOP_MARKET", "170.00")

        headers = {"X-MBX-APIKEY": client.api_key}
        await asyncio.to_thread(client.http.delete, client.url + "/fapi/v1/listenKey", headers=headers)
        expired = await recv_until(ws, event("listenKeyExpired"))
        assert expired["listen_key"] == key
        conforms(ws_models.ListenKeyExpired, without_e(expired))


async def test_market_streams_raw_combined_and_live_subscribe(binance_sandbox: BinanceSandbox) -> None:
    admin = binance_sandbox.server.admin
    admin.set_price("BTCUSDT", "95000")
    async with websockets.connect(ws_url(binance_sandbox, "/ws/btcusdt@markPrice")) as raw:
        names = "btcusdt@kline_1m/btcusdt@depth5/btcusdt@bookTicker/btcusdt@ticker"
        async with websockets.connect(ws_url(binance_sandbox, "/stream?streams=" + names)) as combined:
            await asyncio.to_thread(admin.set_price, "BTCUSDT", "95100")
            mark = await recv_until(raw, event("markPriceUpdate"))
            assert (mark["s"], mark["p"]) == ("BTCUSDT", "95100.0")
            conforms(ws_models.MarkPriceStreamResponse, mark)
            seen: dict[str, Any] = {}
            while len(seen) < 4:
                message = json.loads(await asyncio.wait_for(combined.recv(), 10))
                seen[message["stream"]] = message["data"]
            conforms(ws_models.KlineCandlestickStreamsResponse, seen["btcusdt@kline_1m"])
            conforms(ws_models.PartialBookDepthStreamsResponse, seen["btcusdt@depth5"])
            conforms(ws_models.IndividualSymbolBookTickerStreamsResponse, seen["btcusdt@bookTicker"])
            conforms(ws_models.IndividualSymbolTickerStreamsResponse, seen["btcusdt@ticker"])
            assert len(seen["btcusdt@depth5"]["b"]) == 5 and seen["btcusdt@bookTicker"]["b"] == "95099.5"
            assert seen["btcusdt@kline_1m"]["k"]["c"] == "95100.0"

        async with websockets.connect(ws_url(binance_sandbox, "/ws")) as live:
            await live.send(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade"], "id": 7}))
            assert await recv_until(live, lambda m: m.get("id") == 7) == {"result": None, "id": 7}
            await live.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 8}))
            assert await recv_until(live, lambda m: m.get("id") == 8) == {
                "result": ["btcusdt@aggTrade"],
                "id": 8,
            }
            await live.send(json.dumps({"method": "SUBSCRIBE", "params": ["nope@ticker"], "id": 9}))
            assert (await recv_until(live, lambda m: m.get("id") == 9))["error"]["code"] == 2
            trader = binance_sandbox.client()
            order = {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "positionSide": "LONG",
                "type": "MARKET",
                "quantity": "0.002",
            }
            await asyncio.to_thread(trader.ok, "POST", "/fapi/v1/order", order)
            agg = await recv_until(live, event("aggTrade"))
            conforms(ws_models.AggregateTradeStreamsResponse, agg)
            assert (agg["s"], agg["q"], agg["p"], agg["m"]) == ("BTCUSDT", "0.002", "95100.5", False)


async def test_unknown_stream_is_refused(binance_sandbox: BinanceSandbox) -> None:
    try:
        async with websockets.connect(ws_url(binance_sandbox, "/ws/btcusdt@nothing")) as ws:
            await asyncio.wait_for(ws.recv(), 5)
        raise AssertionError("an unknown stream was accepted")
    except (websockets.InvalidStatus, websockets.ConnectionClosed) as exc:
        assert "403" in str(exc) or "1008" in str(exc)


async def test_routed_endpoints_take_only_their_own_streams(binance_sandbox: BinanceSandbox) -> None:
    """Binance's /market, /public and /private stream endpoints (where its SDK connects)."""
    key = listen_key(binance_sandbox.client())
    cases = {
        "/market/stream": (["btcusdt@markPrice", "!ticker@arr"], ["btcusdt@depth5", key]),
        "/public/stream": (["btcusdt@depth5", "btcusdt@bookTicker"], ["btcusdt@aggTrade", key]),
        "/private/stream": ([key], ["btcusdt@bookTicker"]),
    }
    for path, (taken, refused) in cases.items():
        async with websockets.connect(ws_url(binance_sandbox, path)) as ws:
            for n, name in enumerate(taken + refused):
                await ws.send(json.dumps({"method": "SUBSCRIBE", "params": [name], "id": f"req{n}"}))
                answer = await recv_until(ws, lambda m, n=n: m.get("id") == f"req{n}")
                assert ("error" not in answer) == (name in taken), (path, name, answer)


async def test_all_market_streams(binance_sandbox: BinanceSandbox) -> None:
    admin = binance_sandbox.server.admin
    admin.set_price("ETHUSDT", "3000")
    names = "!markPrice@arr/!markPrice@arr@1s/!ticker@arr"
    async with websockets.connect(ws_url(binance_sandbox, "/stream?streams=" + names)) as ws:
        await asyncio.to_thread(admin.set_price, "ETHUSDT", "3001")
        seen: dict[str, Any] = {}
        while len(seen) < 3:
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if any(item["s"] == "ETHUSDT" for item in message["data"]):
                seen[message["stream"]] = message["data"]
        conforms(ws_models.MarkPriceStreamForAllMarketResponseInner, seen["!markPrice@arr"])
        conforms(ws_models.MarkPriceStreamForAllMarketResponseInner, seen["!markPrice@arr@1s"])
        conforms(ws_models.AllMarketTickersStreamsResponseInner, seen["!ticker@arr"])
        [mark] = seen["!markPrice@arr"]
        [ticker] = seen["!ticker@arr"]
        assert (mark["e"], mark["p"]) == ("markPriceUpdate", "3001.00")
        assert (ticker["e"], ticker["c"]) == ("24hrTicker", "3001.00")


async def test_diff_depth_keeps_a_local_book_equal_to_rest(binance_sandbox: BinanceSandbox) -> None:
    """Binance's recipe: snapshot over REST, then apply each push with u > lastUpdateId."""
    admin = binance_sandbox.server.admin
    admin.set_price("ETHUSDT", "3000")
    client = binance_sandbox.client()
    async with websockets.connect(ws_url(binance_sandbox, "/ws/ethusdt@depth@100ms")) as ws:
        await asyncio.to_thread(admin.set_price, "ETHUSDT", "3000.5")
        first = await recv_until(ws, event("depthUpdate"))
        conforms(ws_models.DiffBookDepthStreamsResponse, first)
        snap = client.public("/fapi/v1/depth", symbol="ETHUSDT", limit=1000).json()
        book = {"b": dict(snap["bids"]), "a": dict(snap["asks"])}
        last = snap["lastUpdateId"]
        for px in ("3002", "2999.5"):
            await asyncio.to_thread(admin.set_price, "ETHUSDT", px)
            while True:
                push = await recv_until(ws, event("depthUpdate"))
                if push["u"] <= last:
                    continue
                assert push["pu"] == last or push["U"] <= last + 1  # no gap
                for side in ("b", "a"):
                    for p, q in push[side]:
                        if q == "0":
                            book[side].pop(p, None)
                        else:
                            book[side][p] = q
                last = push["u"]
                break
        snap = client.public("/fapi/v1/depth", symbol="ETHUSDT", limit=1000).json()
        assert snap["lastUpdateId"] == last
        assert book == {"b": dict(snap["bids"]), "a": dict(snap["asks"])}
