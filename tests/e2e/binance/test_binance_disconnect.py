"""In Chromium: a connected Binance account, its key in use by the platform (the live mirror
reconciles every 2 s on this module's own platform; requests counted per key at the sandbox);
Edit → Disconnect: the account leaves the list and the platform never uses the key again.
Screenshots: test-artifacts/binance-disconnect/."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.async_api import expect

from tests.e2e.binance.conftest import connect_binance, launch_binance_platform
from tests.e2e.helpers import Screenshots
from tests.fixtures.binance import BinanceSandbox
from tests.fixtures.platform import PlatformServer

pytestmark = pytest.mark.e2e
QUIET_S = 4.0  # two reconcile periods, 20 supervisor scans: a key still held is used in it


@pytest.fixture(scope="module")
def reconciling(binance_sandbox: BinanceSandbox) -> Iterator[PlatformServer]:
    """Its own platform: a mirror reconciling every 2 s uses the key visibly (on the shared
    platform that pace, over every journey's accounts, would spend the IP's request weight)."""
    server = launch_binance_platform(binance_sandbox, live_reconcile_interval_s=2)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.data_dir, ignore_errors=True)


async def used(sandbox: BinanceSandbox, api_key: str) -> int:
    return int((await asyncio.to_thread(sandbox.server.admin.requests, api_key))["api_key"])


async def test_disconnect_removes_the_account_and_stops_using_its_key(
    page: Any, reconciling: PlatformServer, binance_sandbox: BinanceSandbox
) -> None:
    shot = Screenshots("binance-disconnect", "disconnect")
    base = reconciling.url
    desk = await connect_binance(page, reconciling, binance_sandbox, label="Binance desk")
    key = desk.client.api_key
    start, deadline = await used(binance_sandbox, key), time.monotonic() + 15
    while await used(binance_sandbox, key) == start:  # the mirror takes the account up
        assert time.monotonic() < deadline, "the platform never used the connected key"
        await asyncio.sleep(0.2)

    await page.goto(base + "/settings/exchange-accounts")
    row = page.locator("#accounts-body tr", has_text="Binance desk")
    await expect(row).to_contain_text("Binance")
    await expect(row).to_contain_text("Active")
    await shot(page, "listed")
    await row.get_by_role("link", name="Edit").click()
    await expect(page.get_by_text("Binance · Futures")).to_be_visible()
    page.once("dialog", lambda d: asyncio.ensure_future(d.accept()))
    await page.get_by_role("button", name="Disconnect").click()
    await expect(page).to_have_url(base + "/settings/exchange-accounts")
    await expect(page.locator("#no-accounts")).to_be_visible()
    await expect(page.locator("#accounts-body tr", has_text="Binance desk")).to_have_count(0)
    r = await page.request.get(base + "/api/accounts")
    assert (await r.json())["accounts"] == []
    await shot(page, "disconnected")

    # what was in flight at the click may still land; then the key is never used again
    last, settled = await used(binance_sandbox, key), time.monotonic()
    while time.monotonic() - settled < QUIET_S:
        await asyncio.sleep(0.25)
        now = await used(binance_sandbox, key)
        if now != last:
            assert time.monotonic() - settled < 1.0, "the key was used again after the disconnect"
            last, settled = now, time.monotonic()
    r = await page.request.get(f"{base}/api/accounts/{desk.account_id}/live")
    assert r.status == 404
