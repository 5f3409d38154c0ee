"""A Binance trailing stop's terms across a restart of the real platform (`perpdesk serve` in a
subprocess, its SQLite database and master key kept): the process that placed it is gone, Binance
lists it without activatePrice and callbackRate, and the new process's terminal list and live
mirror still show the activation price and callback rate placed, from the stored intent."""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fixtures.binance import BinanceSandbox
from tests.fixtures.platform import PlatformServer, launch_platform

SOL = "SOLUSDT"
ACTIVATION, CALLBACK = "186.37", "1.37"
PASSWORD = "Trailing-Passw0rd-7"


def _platform(sandbox: BinanceSandbox, **overrides: Any) -> PlatformServer:
    return launch_platform(sandbox.server, **{
        "egress_ips": "127.0.0.1", "binance_api_url": sandbox.url,
        "binance_web_url": sandbox.server.base_url, "binance_ws_url": sandbox.url.replace("http://", "ws://"),
        "order_settle_interval_s": 3600, "live_scan_interval_s": 0.2, **overrides})


@pytest.fixture
def servers() -> Iterator[list[PlatformServer]]:
    started: list[PlatformServer] = []
    yield started
    for s in started:
        s.stop()
    for s in started[:1]:
        shutil.rmtree(s.data_dir, ignore_errors=True)


def _signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    token = client.get("/api/auth/csrf").json()["csrf_token"]
    r = client.post("/api/auth/signup", json={"email": f"trail-{secrets.token_hex(4)}@example.com",
                                              "password": PASSWORD}, headers={"X-CSRF-Token": token})
    assert r.status_code == 201, r.text
    client.headers["X-CSRF-Token"] = client.get("/api/auth/csrf").json()["csrf_token"]
    return client


Terms = list[tuple[str, str, str | None]]  # order id, activation price, callback rate: as the JSON


def _trailing(orders: list[dict[str, Any]]) -> Terms:
    return [(o["order_id"], o["trigger_price"], o["callback_rate"]) for o in orders
            if o["kind"] == "trailing"]


def _live_trailing(http: httpx.Client, account_id: str, timeout: float = 20) -> Terms:
    deadline = time.monotonic() + timeout
    while True:
        r = http.get(f"/api/accounts/{account_id}/live")
        if r.status_code == 200:  # fresh or not (the sandbox's prices are frozen: no live mark)
            found = _trailing(r.json().get("plans") or [])
            if found:
                return found
        assert time.monotonic() < deadline, f"no live view with the trailing stop: {r.text}"
        time.sleep(0.2)


def test_a_restarted_platform_shows_the_trailing_stop_terms_placed(
    binance_sandbox: BinanceSandbox, servers: list[PlatformServer],
) -> None:
    binance_sandbox.server.admin.set_price(SOL, "180")
    first = _platform(binance_sandbox)
    servers.append(first)
    http = _signed_in(first.url)
    key = binance_sandbox.client("10000")
    r = http.post("/api/accounts", json={"exchange": "binance", "api_key": key.api_key,
                                         "secret": key.secret, "label": "Trail"})
    assert r.status_code == 201, r.text
    account_id = r.json()["account"]["id"]
    base = f"/api/accounts/{account_id}"
    r = http.post(base + "/orders", json={"symbol": SOL, "side": "buy", "type": "market", "size": "5",
                                          "leverage": "5", "margin_mode": "cross"})
    assert r.status_code == 201, r.text
    r = http.post(base + "/trail-orders", json={
        "symbol": SOL, "side": "sell_close_long", "size": "5", "activation_price": ACTIVATION,
        "callback_rate": CALLBACK, "leverage": "5", "margin_mode": "cross"})
    assert r.status_code == 201, r.text
    (order_id,) = [o["order_id"] for o in r.json()["orders"]]
    (theirs,) = key.ok("GET", "/fapi/v1/openAlgoOrders", {"symbol": SOL})
    assert str(theirs["algoId"]) == order_id
    assert "activatePrice" not in theirs and "callbackRate" not in theirs
    placed = [(order_id, ACTIVATION, CALLBACK)]
    assert _trailing(http.get(base + "/conditional-orders").json()["orders"]) == placed
    http.close()

    first.stop()  # the same database and key, a new process that placed nothing
    second = _platform(binance_sandbox, port=first.port, data_dir=first.data_dir,
                       database_url=first.database_url, master_key_file=first.master_key_file)
    servers.append(second)
    again = httpx.Client(base_url=second.url, timeout=30, cookies=http.cookies,
                         headers={"X-CSRF-Token": http.headers["X-CSRF-Token"]})
    with again:
        r = again.get(base + "/conditional-orders", params={"symbol": SOL})
        assert r.status_code == 200, r.text
        assert _trailing(r.json()["orders"]) == placed
        assert _live_trailing(again, account_id) == placed  # the new process's mirror
