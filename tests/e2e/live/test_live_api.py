"""The live mirror through the platform: the JSON read, a page load that costs no exchange request
while the mirror is fresh (counted at the sandbox), and the SSE stream: a price set at the
exchange reaches the stream, and a user only ever gets their own accounts."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any

import orjson

from tests.e2e.live.conftest import tick_until_live, wait_live
from tests.fixtures.sandbox import SandboxServer

SYM = "ETHUSDT"


async def open_long(user: Any, account_id: str, size: str = "10") -> None:
    r = await user.http.post(f"/api/accounts/{account_id}/orders", json={
        "symbol": SYM, "side": "buy_open_long", "type": "market", "size": size, "leverage": "5",
        "margin_mode": "cross"})
    assert r.status_code in (200, 201), r.text


class Sse:
    """Reads an SSE response: (event, data) pairs, comments skipped."""

    def __init__(self, response: Any) -> None:
        self.lines = response.aiter_lines()

    async def next(self, timeout: float = 5.0) -> tuple[str, dict[str, Any]]:
        kind, data = "", ""
        async with asyncio.timeout(timeout):
            async for line in self.lines:
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    data = line[6:]
                elif line == "" and kind:
                    return kind, orjson.loads(data)
        raise AssertionError("the stream ended")

    async def until(self, cond: Any, timeout: float = 5.0) -> tuple[str, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            got = await self.next(max(0.01, deadline - time.monotonic()))
            if cond(*got):
                return got


async def test_page_loads_cost_no_exchange_request_while_the_mirror_is_fresh(
    make_user: Any, sandbox: SandboxServer
) -> None:
    user = await make_user()
    account_id, key = await user.connect(sandbox)
    sandbox.admin.freeze_prices(True)
    try:
        await asyncio.to_thread(sandbox.admin.set_price, SYM, "3000")
        await open_long(user, account_id)
        stale = await wait_live(user.http, account_id, fresh=False,
                                cond=lambda v: v["positions"] and v["positions"][0]["margin"] != "0")
        assert stale["freshness"]["state"] == "stale"  # no live mark yet: shown as stale, never as current
        # TP/SL orders are not pushed until they fire: the write itself has the mirror read them
        r = await user.http.post(f"/api/accounts/{account_id}/tp-sl", json={
            "symbol": SYM, "side": "long", "take_profit": "3300", "stop_loss": "2700"})
        assert r.status_code == 200, r.text
        await wait_live(user.http, account_id, fresh=False, cond=lambda v: sorted(
            p["kind"] for p in v["plans"]) == ["stop_loss", "take_profit"])
        view = await tick_until_live(sandbox, user.http, account_id, SYM, "3010")  # the live mark
        pos = view["positions"][0]
        assert Decimal(pos["unrealized_pnl"]) == (Decimal(3010) - Decimal(pos["entry_price"])) * 10 * Decimal(
            pos["contract_size"])
        await asyncio.sleep(1.0)  # the debounced refreshes after the fill are done
        before = await asyncio.to_thread(sandbox.admin.requests, key["api_key"])
        for path in (f"/accounts/{account_id}/trade", "/portfolio", f"/api/accounts/{account_id}/portfolio",
                     "/api/portfolio", f"/api/accounts/{account_id}/live"):
            r = await user.http.get(path)
            assert r.status_code == 200, (path, r.text[:300])
            # the live mark on every read that shows positions; the portfolio says it is live
            assert ("data-live-freshness>fresh<" if path == "/portfolio" else "3010") in r.text, path
        portfolio = (await user.http.get(f"/api/accounts/{account_id}/portfolio")).json()
        assert portfolio["source"] == "live"
        after = await asyncio.to_thread(sandbox.admin.requests, key["api_key"])
        assert after["api_key"] == before["api_key"], "a page load asked the exchange with the key"
        assert after["public"] == before["public"], "a page load asked the exchange's public API"
    finally:
        sandbox.admin.freeze_prices(False)


async def test_sse_carries_the_new_mark_and_only_the_users_own_accounts(
    make_user: Any, sandbox: SandboxServer
) -> None:
    alice, bob = await make_user(), await make_user()
    a_id, _ = await alice.connect(sandbox)
    b_id, _ = await bob.connect(sandbox)
    sandbox.admin.freeze_prices(True)
    try:
        await asyncio.to_thread(sandbox.admin.set_price, SYM, "3100")
        await open_long(alice, a_id)
        await open_long(bob, b_id)
        await wait_live(alice.http, a_id, lambda v: v["positions"], fresh=False)
        await wait_live(bob.http, b_id, lambda v: v["positions"], fresh=False)
        await tick_until_live(sandbox, alice.http, a_id, SYM, "3100.5")
        await tick_until_live(sandbox, bob.http, b_id, SYM, "3100.5")

        # someone else's account is not found, on the JSON read and on the stream
        assert (await bob.http.get(f"/api/accounts/{a_id}/live")).status_code == 404
        assert (await bob.http.get(f"/api/live/stream?account={a_id}")).status_code == 404

        async with alice.http.stream("GET", "/api/live/stream") as ra, \
                bob.http.stream("GET", "/api/live/stream") as rb:
            assert ra.headers["content-type"].startswith("text/event-stream")
            sa, sb = Sse(ra), Sse(rb)
            kind, first = await sa.next()
            assert (kind, first["account_id"]) == ("account", a_id)  # the current state first
            await sb.next()
            await asyncio.sleep(0.3)
            t0 = time.monotonic()
            await asyncio.to_thread(sandbox.admin.set_price, SYM, "3123.45")
            _, got = await sa.until(lambda k, d: k == "account" and d["positions"]
                                    and d["positions"][0]["mark_price"] == "3123.45")
            latency = time.monotonic() - t0
            assert got["freshness"]["state"] == "fresh" and latency < 5
            _, totals = await sa.until(lambda k, d: k == "totals")
            assert Decimal(totals["unrealized_pnl"]) == Decimal(got["unrealized_pnl"])
            seen_b: set[str] = set()
            deadline = time.monotonic() + 1.5
            while time.monotonic() < deadline:
                try:
                    kind, data = await sb.next(timeout=deadline - time.monotonic())
                except TimeoutError:
                    break
                if kind == "account":
                    seen_b.add(data["account_id"])
            assert seen_b <= {b_id} and a_id not in seen_b
        # the Terminal's stream: one symbol's whole view, orders and fills included
        assert (await alice.http.post(f"/api/accounts/{a_id}/orders", json={
            "symbol": "BTCUSDT", "side": "buy_open_long", "type": "limit", "size": "1", "price": "1000",
            "leverage": "5", "margin_mode": "cross"})).status_code == 201
        await wait_live(alice.http, a_id, lambda v: v["open_orders"])
        async with alice.http.stream("GET", f"/api/live/stream?account={a_id}&symbol={SYM.lower()}") as rs:
            kind, view = await Sse(rs).next()
            assert (kind, view["symbol"], view["open_orders"]) == ("account", SYM, [])  # BTCUSDT's left out
            assert [p["symbol"] for p in view["positions"]] == [f["symbol"] for f in view["fills"]] == [SYM]
            assert view["balances"] and view["plans"] == [] and "order_history" not in view
        r = await alice.http.get(f"/api/live/stream?symbol={SYM}")
        assert r.status_code == 422 and r.json()["error"]["field"] == "symbol"
        # a browser reconnecting sends the last id it saw: it gets the current state first
        headers = {"Last-Event-ID": "1"}
        async with alice.http.stream("GET", f"/api/live/stream?account={a_id}", headers=headers) as again:
            kind, now = await Sse(again).next()
            assert kind == "account" and now["positions"][0]["mark_price"] == "3123.45"
    finally:
        sandbox.admin.freeze_prices(False)


async def test_the_stream_needs_a_session(live_platform: Any) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=live_platform.url) as anon:
        r = await anon.get("/api/live/stream")
        assert r.status_code == 401


async def test_the_stream_ends_with_the_session(make_user: Any) -> None:
    user = await make_user()
    async with user.http.stream("GET", "/api/live/stream") as r:
        sse = Sse(r)
        kind, _ = await sse.next()
        assert kind == "totals"  # no account yet: only the sums
        assert (await user.http.post("/api/auth/signout")).status_code == 204
        try:
            await sse.until(lambda k, d: False, timeout=5)
        except AssertionError as exc:
            assert "ended" in str(exc)
        else:
            raise AssertionError("the stream outlived the session")


async def test_market_stream_carries_the_channels_asked_for(make_user: Any, sandbox: SandboxServer) -> None:
    user = await make_user()
    bad = await user.http.get("/api/live/market/bitmart/BTCUSDT?kline=2m")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "kline"
    bad = await user.http.get("/api/live/market/bitmart/NOPEUSDT")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "symbol"
    sandbox.admin.freeze_prices(True)
    try:
        url = "/api/live/market/bitmart/btcusdt?depth=true&kline=1m&funding=true"
        async with user.http.stream("GET", url) as r:
            assert r.status_code == 200
            sse = Sse(r)
            _, funding = await sse.until(lambda k, d: k == "funding")  # pushed on subscribe
            assert funding["symbol"] == "BTCUSDT" and funding["funding_time_ms"] > 0
            await asyncio.sleep(0.3)
            await asyncio.to_thread(sandbox.admin.set_price, "BTCUSDT", "96543.2")
            seen: dict[str, dict[str, Any]] = {}
            while len(seen) < 3:
                kind, data = await sse.until(lambda k, d: k in ("ticker", "depth", "candle"))
                seen[kind] = data
            assert seen["ticker"]["mark_price"] == "96543.2"
            assert seen["depth"]["bids"] and seen["depth"]["asks"]
            assert (seen["candle"]["interval"], seen["candle"]["mark"]) == ("1m", False)
    finally:
        sandbox.admin.freeze_prices(False)
