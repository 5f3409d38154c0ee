"""In Chromium: the exchange goes away under an open trade page. The page says the data is
disconnected (and dims it) instead of showing it as current, and so does the dashboard loaded
meanwhile (the mirror's last values, marked); once the exchange is back, the
mirror resyncs by itself, the page says stale until a new price arrives, then live again. Own sandbox and
platform, since the exchange is stopped and restarted (same state file, port and admin token)."""

from __future__ import annotations

import asyncio
import secrets
import tempfile
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.e2e.helpers import Screenshots, sign_up_in_browser
from tests.e2e.trading.conftest import PASSWORD
from tests.fixtures.platform import launch_platform
from tests.fixtures.sandbox import start_sandbox

pytestmark = pytest.mark.e2e
SYM = "ETHUSDT"


async def test_a_lost_exchange_shows_as_disconnected_then_live_again(page: Any) -> None:
    shot = Screenshots("live", "exchange-lost-and-back")
    state = str(Path(tempfile.mkdtemp(prefix="perpdesk-live-")) / "sandbox.sqlite")
    sandbox = start_sandbox(state)
    platform = launch_platform(sandbox, egress_ips="127.0.0.1", live_scan_interval_s=0.2,
                               live_reconcile_interval_s=3600, live_sse_heartbeat_s=1,
                               order_settle_interval_s=3600)
    try:
        base = platform.url
        _, headers = await sign_up_in_browser(page, base, PASSWORD)
        bm = sandbox.admin.create_user(futures_deposit={"USDT": "5000"})
        key = sandbox.admin.create_key(bm["email"], memo="memo-" + secrets.token_hex(3))
        r = await page.request.post(base + "/api/accounts", headers=headers, data={
            "api_key": key["api_key"], "secret": key["secret_key"], "passphrase": key["memo"],
            "label": "Live"})
        assert r.status == 201, await r.text()
        account_id = str((await r.json())["account"]["id"])
        sandbox.admin.freeze_prices(True)
        await asyncio.to_thread(sandbox.admin.set_price, SYM, "3000")
        r = await page.request.post(f"{base}/api/accounts/{account_id}/orders", headers=headers, data={
            "symbol": SYM, "side": "buy_open_long", "type": "market", "size": "10", "leverage": "5",
            "margin_mode": "cross"})
        assert r.status in (200, 201), await r.text()
        await page.goto(f"{base}/accounts/{account_id}/trade")
        freshness = page.locator("#live-freshness")
        mark = page.locator(f'#positions tr[data-symbol="{SYM}"] [data-col="mark"]')
        for _ in range(50):  # until the ticker is followed and a tick has come through
            await asyncio.to_thread(sandbox.admin.set_price, SYM, "3001")
            if await freshness.text_content() == "live":
                break
            await asyncio.sleep(0.1)
        await expect(freshness).to_have_text("live")
        await expect(mark).to_have_text("3,001.00")

        port, token = sandbox.port, sandbox.admin_token
        sandbox.stop()  # the exchange goes away
        await expect(freshness).to_contain_text("disconnected since", timeout=10000)
        await expect(page.locator('#account[data-live-state="disconnected"]')).to_have_count(1)
        await shot(page, "disconnected")
        # the dashboard, loaded now: the exchange answers nothing, so the mirror's last values,
        # said to be disconnected (not current), and dimmed
        served = await (await page.request.get(base + "/")).text()
        assert "(last known values; the exchange did not answer)" in served
        assert 'data-live-state="disconnected"' in served
        dash = await page.context.new_page()
        await dash.goto(base + "/")
        row = dash.locator(f'#dashboard-accounts tr[data-account="{account_id}"]')
        await expect(row.locator("[data-live-freshness]")).to_contain_text("disconnected since")
        await expect(row).to_have_attribute("data-live-state", "disconnected")
        await expect(row.locator('[data-field="equity"]')).not_to_have_text("—")
        await shot(dash, "dashboard-disconnected")
        await dash.close()

        sandbox = start_sandbox(state, port=port, admin_token=token)  # back, same state
        # resynced, but the price from before the outage is not taken as current: stale until a tick
        await expect(freshness).to_contain_text("No live mark price for ETHUSDT", timeout=30000)
        await asyncio.to_thread(sandbox.admin.freeze_prices, True)
        for _ in range(100):  # ticks, as an exchange sends them, until the market stream is back too
            await asyncio.to_thread(sandbox.admin.set_price, SYM, "3042")
            if await freshness.text_content() == "live":
                break
            await asyncio.sleep(0.2)
        await expect(freshness).to_have_text("live")
        await expect(mark).to_have_text("3,042.00", timeout=5000)
        await shot(page, "live-again")
    finally:
        platform.stop()
        sandbox.stop()
