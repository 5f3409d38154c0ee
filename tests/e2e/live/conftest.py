"""A platform with live mirrors wired to the real sandbox (reconciliation off, so the request
counts the tests compare are the pages' own), and a user with a connected account over the API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.trading.conftest import api_users
from tests.fixtures.platform import PlatformServer, launch_platform
from tests.fixtures.sandbox import SandboxServer


@pytest.fixture(scope="module")
def live_platform(sandbox: SandboxServer) -> Iterator[PlatformServer]:
    platform = launch_platform(sandbox, egress_ips="127.0.0.1", order_settle_interval_s=3600,
                               live_reconcile_interval_s=3600, live_scan_interval_s=0.2,
                               live_sse_heartbeat_s=1, live_watched_plans_s=1, timeout=120)
    try:
        yield platform
    finally:
        platform.stop()


@pytest.fixture
async def make_user(live_platform: PlatformServer) -> AsyncIterator[Any]:
    async with api_users(live_platform) as make:
        yield make


async def wait_live(http: httpx.AsyncClient, account_id: str, cond: Any = None, timeout: float = 10,
                    fresh: bool = True) -> Any:
    """The account's live view once fresh (unless fresh=False) and `cond(view)` holds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        r = await http.get(f"/api/accounts/{account_id}/live")
        if r.status_code == 200:
            last = r.json()
            if (last["freshness"]["fresh"] or not fresh) and (cond is None or cond(last)):
                return last
        await asyncio.sleep(0.05)
    raise AssertionError(f"the mirror of {account_id} did not get there: {last}")


async def tick_until_live(sandbox: Any, http: httpx.AsyncClient, account_id: str, symbol: str, price: str,
                          timeout: float = 15) -> Any:
    """Set `price` again and again (as an exchange ticks) until the mirror is fresh at that mark:
    the first ticks may come before the market stream has subscribed to the symbol."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await asyncio.to_thread(sandbox.admin.set_price, symbol, price)
        r = await http.get(f"/api/accounts/{account_id}/live")
        if r.status_code == 200:
            view = r.json()
            if view["freshness"]["fresh"] and [p["mark_price"] for p in view["positions"]] == [price]:
                return view
        await asyncio.sleep(0.1)
    raise AssertionError(f"the mirror of {account_id} did not follow {symbol} at {price}")
