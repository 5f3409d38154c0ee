"""One real platform (subprocess) for the Binance journeys in Chromium, wired to the session's
sandbox serving the Binance USDⓈ-M dialect (`binance_sandbox`, prices frozen): live mirrors on
(market and user data streams at the sandbox's Binance port), notifications every second.

`connect_binance(page, platform, sandbox)` signs a new platform user up in the page's browser
and connects a new sandbox user's Binance key through the platform's JSON API; the journeys then
check what the pages show against the exchange's own answers (`BinanceClient`, hand-signed)."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.helpers import sign_up_in_browser
from tests.fixtures.binance import BinanceClient, BinanceSandbox
from tests.fixtures.platform import PlatformServer, launch_platform

PASSWORD = "Trader-Passw0rd-42"


def launch_binance_platform(sandbox: BinanceSandbox, **overrides: Any) -> PlatformServer:
    settings: dict[str, Any] = {
        "egress_ips": "127.0.0.1",
        "binance_api_url": sandbox.url,
        "binance_web_url": sandbox.server.base_url,
        "binance_ws_url": sandbox.url.replace("http://", "ws://"),
        "order_settle_interval_s": 3600,
        "live_scan_interval_s": 0.2,
        "live_sse_heartbeat_s": 1,
        "live_watched_plans_s": 1,
        "notification_check_interval_s": 1,
        "timeout": 120,
    }
    return launch_platform(sandbox.server, **{**settings, **overrides})


@pytest.fixture(scope="package")
def bn_platform(binance_sandbox: BinanceSandbox) -> Iterator[PlatformServer]:
    """One platform for every journey here (each signs up its own user): started once. Its
    mirrors reconcile at the default pace: every account a journey leaves connected keeps using
    the sandbox's request weight (see `roomy_limits`)."""
    yield from platform_of(binance_sandbox)


def platform_of(binance_sandbox: BinanceSandbox) -> Iterator[PlatformServer]:
    """A platform on the Binance sandbox for a fixture's life, its data removed after."""
    server = launch_binance_platform(binance_sandbox)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.data_dir, ignore_errors=True)


@pytest.fixture(scope="package", autouse=True)
def roomy_limits(binance_sandbox: BinanceSandbox) -> Iterator[None]:
    """Binance's 2400 request weight per minute per IP, shared here by every journey's mirrors
    and the tests' own signed checks (all from 127.0.0.1), ran out in a whole run (429): the
    sandbox's limits are scaled ×10 while these journeys run, then put back and reset."""
    admin = binance_sandbox.server.admin
    before = admin.rate_limits()["factor"]
    admin.rate_limits(factor=before * 10)
    try:
        yield
    finally:
        admin.rate_limits(factor=before, reset=True)


@dataclass
class BinanceDesk:
    """A signed-in platform user (in the page's browser context) with one Binance account."""

    account_id: str
    client: BinanceClient  # the same key, signing straight to the exchange: its own answers
    headers: dict[str, str]  # the CSRF header for the platform's JSON API from that context


async def connect_binance(
    page: Any, platform: PlatformServer, sandbox: BinanceSandbox, usdt: str = "5000", label: str = "Desk"
) -> BinanceDesk:
    _, headers = await sign_up_in_browser(page, platform.url, PASSWORD)
    client = sandbox.client(usdt)
    body = {"exchange": "binance", "api_key": client.api_key, "secret": client.secret, "label": label}
    r = await page.request.post(platform.url + "/api/accounts", data=body, headers=headers)
    assert r.status == 201, await r.text()
    account = (await r.json())["account"]
    assert account["exchange"] == "binance", account
    return BinanceDesk(str(account["id"]), client, headers)


async def market(page: Any, base: str, desk: BinanceDesk, symbol: str, side: str, size: str) -> None:
    """A market order through the platform's JSON API (the page's session), placed."""
    order = {"symbol": symbol, "side": side, "type": "market", "size": size, "leverage": "10",
             "margin_mode": "cross"}
    r = await page.request.post(f"{base}/api/accounts/{desk.account_id}/orders", data=order,
                                headers=desk.headers)
    assert r.status == 201, await r.text()
    assert (await r.json())["order"]["status"] == "placed"


async def live_at(page: Any, base: str, desk: BinanceDesk, sandbox: BinanceSandbox, symbol: str,
                  mark: str, timeout: float = 15) -> dict[str, Any]:
    """Set `mark` again and again (as an exchange ticks) until the account's live view is fresh
    at it: the first ticks may come before the market stream has subscribed to the symbol."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await asyncio.to_thread(sandbox.server.admin.set_price, symbol, mark)
        r = await page.request.get(f"{base}/api/accounts/{desk.account_id}/live")
        if r.status == 200:
            view = await r.json()
            if view["freshness"]["fresh"] and [p["mark_price"] for p in view["positions"]] == [mark]:
                return dict(view)
        await asyncio.sleep(0.1)
    raise AssertionError(f"the mirror of {desk.account_id} did not follow {symbol} at {mark}")
