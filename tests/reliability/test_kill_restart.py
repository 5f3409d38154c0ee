"""Suite 2: kill -9 of the platform process in the middle of a submit, a cancel and a manual Add;
after a restart on the same database nothing is half-stored and every order settles by itself.

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
from tests.fixtures.platform import PlatformServer, launch_platform
from tests.fixtures.procs import spawn_logged, wait_healthy
from tests.fixtures.sandbox import SandboxServer
from tests.reliability.orders_workload import MARGIN_S, WINDOW_S

ETH = "ETHUSDT"
SUBMIT = "/contract/private/submit-order"
CANCEL = "/contract/private/cancel-order"


@pytest.fixture(scope="module")
def killable(reliability_sandbox: SandboxServer) -> Iterator[PlatformServer]:
    server = launch_platform(
        reliability_sandbox,
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


def kill_and_restart(server: PlatformServer) -> None:
    """SIGKILL (no shutdown of any kind), then `perpdesk serve` again on the same data."""
    server.process.kill()
    server.process.wait(10)
    server.log_path = server.data_dir / f"platform-{time.monotonic_ns()}.log"
    server.process = spawn_logged(["python", "-m", "perpdesk", "serve"], server.log_path, server.env)
    wait_healthy(server.process, server.url + "/api/health", server.log_path, name="platform", timeout=120)


@pytest.fixture
async def trader(
    killable: PlatformServer, reliability_sandbox: SandboxServer
) -> AsyncIterator[tuple[ApiUser, str]]:
    user = await api_user(killable)
    account_id, _ = await user.connect(reliability_sandbox)
    reliability_sandbox.admin.set_price(ETH, "3500")
    try:
        yield user, account_id
    finally:
        reliability_sandbox.admin.clear_faults()
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
    trader: tuple[ApiUser, str],
    latency_ms: int,
    expected: str,
) -> None:
    """1200 ms: the exchange executes it after the kill. 3000 ms: it arrives after the window and
    is refused. Either way the restarted platform finds out by itself, and says so."""
    user, account_id = trader
    base = f"/api/accounts/{account_id}"
    reliability_sandbox.admin.fault("latency", SUBMIT, latency_ms=latency_ms, times=1)
    ticket = {"symbol": ETH, "side": "buy", "type": "limit", "price": "3000", "size": "1"}
    sending = asyncio.create_task(user.http.post(base + "/orders", json=ticket))
    await asyncio.sleep(0.6)  # the request is at the exchange now
    kill_and_restart(killable)
    with pytest.raises(httpx.HTTPError):
        await sending
    http = user.http  # the same signed-in session: sessions are server-side, in the database
    (intent,) = await _wait_intents_final(http, base)
    if intent["status"] != expected:
        open("/tmp/killtest.log", "w").write(killable.log_tail(200000))
    assert intent["status"] == expected, intent
    orders = (await http.get(base + "/orders")).json()["orders"]
    assert [o["client_order_id"] for o in orders] == (
        [intent["client_order_id"]] if expected == "placed" else []
    )
    assert _half_stored(killable) == []


async def test_kill_during_cancel_leaves_the_exchange_as_the_truth(
    killable: PlatformServer, reliability_sandbox: SandboxServer, trader: tuple[ApiUser, str]
) -> None:
    user, account_id = trader
    base = f"/api/accounts/{account_id}"
    r = await user.http.post(
        base + "/orders", json={"symbol": ETH, "side": "buy", "price": "3001", "size": "1"}
    )
    assert r.status_code == 201, r.text
    order = r.json()["order"]
    reliability_sandbox.admin.fault("latency", CANCEL, latency_ms=1200, times=1)
    cancelling = asyncio.create_task(
        user.http.delete(base + f"/orders/{order['order_id']}", params={"symbol": ETH})
    )
    await asyncio.sleep(0.6)
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
