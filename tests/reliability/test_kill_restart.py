"""Suite 2: kill -9 of the platform process in the middle of a submit, a cancel (on each exchange)
and a manual Add; after a restart on the same database nothing is half-stored and every order
settles by itself.

The platform runs as a real subprocess (`perpdesk serve`) against a sandbox whose timestamp window
is scaled down (WINDOW_S); the exchange is slowed with latency faults so the kill lands while the
request is at the exchange. (Fast Connect redemption: tests/reliability/test_kill_fast_connect.py.)
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.trading.conftest import ApiUser, api_user
from tests.fixtures.binance import BinanceSandbox
from tests.fixtures.platform import PlatformServer, launch_platform
from tests.fixtures.procs import spawn_logged, wait_healthy
from tests.fixtures.sandbox import SandboxServer
from tests.reliability.orders_workload import MARGIN_S, WINDOW_S

ETH = "ETHUSDT"
# each exchange's submit and cancel: (path, method) as a fault names them
WRITES: dict[str, dict[str, tuple[str, str | None]]] = {
    "bitmart": {
        "submit": ("/contract/private/submit-order", None),
        "cancel": ("/contract/private/cancel-order", None),
    },
    "binance": {"submit": ("/fapi/v1/order", "POST"), "cancel": ("/fapi/v1/order", "DELETE")},
}
SIZE = {"bitmart": "1", "binance": "0.1"}  # BitMart: contracts; Binance: ETH


@pytest.fixture(scope="module")
def killable(reliability_exchanges: BinanceSandbox) -> Iterator[PlatformServer]:
    server = launch_platform(
        reliability_exchanges.server,
        binance_api_url=reliability_exchanges.url,
        binance_web_url=reliability_exchanges.url,
        binance_ws_url=reliability_exchanges.url.replace("http://", "ws://"),
        egress_ips="127.0.0.1",
        exchange_window_s=WINDOW_S,
        order_settle_margin_s=MARGIN_S,
        order_settle_interval_s=0.5,
        exchange_timeout_s=5,
    )
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.data_dir, ignore_errors=True)


async def at_the_exchange(sandbox: SandboxServer, fault_id: int, timeout: float = 30.0) -> None:
    """Until the request the one-shot fault waits for has reached the exchange (the fault is used
    up, so the request is being held there)."""
    deadline = time.monotonic() + timeout
    while any(f["id"] == fault_id for f in sandbox.admin.client.call("GET", "/faults")["faults"]):
        assert time.monotonic() < deadline, "the request never reached the exchange"
        await asyncio.sleep(0.05)


def kill_and_restart(server: PlatformServer) -> None:
    """SIGKILL (no shutdown of any kind), then `perpdesk serve` again on the same data."""
    server.process.kill()
    server.process.wait(10)
    server.log_path = server.data_dir / f"platform-{time.monotonic_ns()}.log"
    server.process = spawn_logged(["python", "-m", "perpdesk", "serve"], server.log_path, server.env)
    wait_healthy(server.process, server.url + "/api/health", server.log_path, name="platform", timeout=120)


async def connect_binance(user: ApiUser, sandbox: BinanceSandbox) -> str:
    """A fresh Binance (sandbox) user whose key is connected to this platform user."""
    key = sandbox.client()
    body = {"exchange": "binance", "api_key": key.api_key, "secret": key.secret, "label": "B"}
    r = await user.http.post("/api/accounts", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["account"]["id"])


@pytest.fixture(params=["bitmart", "binance"])
async def trader(
    request: pytest.FixtureRequest, killable: PlatformServer, reliability_exchanges: BinanceSandbox
) -> AsyncIterator[tuple[ApiUser, str, str]]:
    """(platform user, account id, exchange) with a connected account of that exchange."""
    sandbox = reliability_exchanges.server
    user = await api_user(killable)
    if request.param == "binance":
        account_id = await connect_binance(user, reliability_exchanges)
    else:
        account_id, _ = await user.connect(sandbox)
    sandbox.admin.set_price(ETH, "3500")
    try:
        yield user, account_id, request.param
    finally:
        sandbox.admin.clear_faults()
        await user.http.aclose()


async def _wait_intents_final(
    http: httpx.AsyncClient, base: str, timeout: float = 20.0
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        intents = (await http.get(base + "/orders", params={"state": "intents"})).json()["intents"]
        if all(i["status"] not in ("pending", "unknown") for i in intents) or time.monotonic() > deadline:
            return list(intents)
        await asyncio.sleep(0.3)


def _half_stored(server: PlatformServer) -> list[str]:
    """Rows that only make sense with their partner: an account and its sealed credentials, and
    order intents still pending with no process sending them."""
    path = server.database_url.split("///", 1)[1]
    with sqlite3.connect(path) as db:
        sealed = {r[0] for r in db.execute("SELECT ref FROM sealed_secrets WHERE purpose = 'credentials'")}
        accounts = {r[0] for r in db.execute("SELECT id FROM exchange_accounts")}
    problems = []
    if sealed - accounts:
        problems.append(f"{len(sealed - accounts)} sealed credentials without an account")
    if accounts - sealed:
        problems.append(f"{len(accounts - sealed)} accounts without their sealed credentials")
    return problems


@pytest.mark.parametrize(("latency_ms", "expected"), [(1200, "placed"), (3000, "not_placed")])
async def test_kill_during_submit_then_the_order_settles_after_restart(
    killable: PlatformServer,
    reliability_sandbox: SandboxServer,
    trader: tuple[ApiUser, str, str],
    latency_ms: int,
    expected: str,
) -> None:
    """1200 ms: the exchange executes it after the kill. 3000 ms: it arrives after the window and
    is refused. Either way the restarted platform finds out by itself, and says so."""
    user, account_id, exchange = trader
    base = f"/api/accounts/{account_id}"
    path, method = WRITES[exchange]["submit"]
    fault = reliability_sandbox.admin.fault("latency", path, method=method, latency_ms=latency_ms, times=1)
    ticket = {"symbol": ETH, "side": "buy", "type": "limit", "price": "3000", "size": SIZE[exchange]}
    sending = asyncio.create_task(user.http.post(base + "/orders", json=ticket))
    await at_the_exchange(reliability_sandbox, fault["id"])
    kill_and_restart(killable)
    with pytest.raises(httpx.HTTPError):
        await sending
    http = user.http  # the same signed-in session: sessions are server-side, in the database
    (intent,) = await _wait_intents_final(http, base)
    assert intent["status"] == expected, (intent, killable.log_tail(3000))
    orders = (await http.get(base + "/orders")).json()["orders"]
    assert [o["client_order_id"] for o in orders] == (
        [intent["client_order_id"]] if expected == "placed" else []
    )
    assert _half_stored(killable) == []


async def test_kill_during_cancel_leaves_the_exchange_as_the_truth(
    killable: PlatformServer, reliability_sandbox: SandboxServer, trader: tuple[ApiUser, str, str]
) -> None:
    user, account_id, exchange = trader
    base = f"/api/accounts/{account_id}"
    r = await user.http.post(
        base + "/orders", json={"symbol": ETH, "side": "buy", "price": "3001", "size": SIZE[exchange]}
    )
    assert r.status_code == 201, r.text
    order = r.json()["order"]
    path, method = WRITES[exchange]["cancel"]
    fault = reliability_sandbox.admin.fault("latency", path, method=method, latency_ms=1200, times=1)
    cancelling = asyncio.create_task(
        user.http.delete(base + f"/orders/{order['order_id']}", params={"symbol": ETH})
    )
    await at_the_exchange(reliability_sandbox, fault["id"])
    kill_and_restart(killable)
    with pytest.raises(httpx.HTTPError):
        await cancelling
    await asyncio.sleep(1.0)  # the delayed cancel acts at the exchange
    (intent,) = await _wait_intents_final(user.http, base)
    assert intent["status"] == "placed"  # the order was placed: that record stays true
    assert (await user.http.get(base + "/orders")).json()["orders"] == []  # cancelled, as shown
    history = (await user.http.get(base + "/orders", params={"state": "history"})).json()["orders"]
    assert [(o["client_order_id"], o["state"]) for o in history] == [(order["client_order_id"], "cancelled")]
    assert _half_stored(killable) == []


async def test_kill_during_manual_add_stores_all_or_nothing(
    killable: PlatformServer, reliability_sandbox: SandboxServer
) -> None:
    user = await api_user(killable)
    try:
        bm = reliability_sandbox.admin.create_user(futures_deposit={"USDT": "100"})
        key = reliability_sandbox.admin.create_key(bm["email"], memo="memo-kill")
        reliability_sandbox.admin.fault("latency", "/uapi-key/v1/account/info", latency_ms=3000, times=1)
        adding = asyncio.create_task(
            user.http.post(
                "/api/accounts",
                json={
                    "api_key": key["api_key"],
                    "secret": key["secret_key"],
                    "passphrase": key["memo"],
                    "label": "K",
                },
            )
        )
        await asyncio.sleep(0.8)  # the key is being inspected
        kill_and_restart(killable)
        with pytest.raises(httpx.HTTPError):
            await adding
        accounts = (await user.http.get("/api/accounts")).json()["accounts"]
        assert accounts == []  # nothing half-added: the Add can simply be done again
        assert _half_stored(killable) == []
        r = await user.http.post(
            "/api/accounts",
            json={
                "api_key": key["api_key"],
                "secret": key["secret_key"],
                "passphrase": key["memo"],
                "label": "K",
            },
        )
        assert r.status_code == 201, r.text
    finally:
        reliability_sandbox.admin.clear_faults()
        await user.http.aclose()
