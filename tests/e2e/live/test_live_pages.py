"""In Chromium: with the trade page and the portfolio page open, a price set at the exchange shows
as the new mark and uPnL within a second, without a reload. Screenshots: test-artifacts/live/."""

from __future__ import annotations

import asyncio
import secrets
from decimal import Decimal
from typing import Any

import pytest
from playwright.async_api import expect

from perpdesk.core.money import fmt
from tests.e2e.helpers import Screenshots, sign_up_in_browser
from tests.e2e.trading.conftest import PASSWORD
from tests.fixtures.platform import PlatformServer
from tests.fixtures.sandbox import SandboxServer

pytestmark = pytest.mark.e2e
SYM = "ETHUSDT"


async def _live(page: Any, base: str, account_id: str, mark: str, sandbox: SandboxServer) -> dict[str, Any]:
    for _ in range(150):  # ticking until the market stream follows the symbol
        await asyncio.to_thread(sandbox.admin.set_price, SYM, mark)
        r = await page.request.get(f"{base}/api/accounts/{account_id}/live")
        if r.status == 200:
            view = await r.json()
            if view["freshness"]["fresh"] and [p["mark_price"] for p in view["positions"]] == [mark]:
                return dict(view)
        await asyncio.sleep(0.1)
    raise AssertionError("the mirror did not become fresh")


async def test_trade_and_portfolio_pages_follow_the_mark_without_reload(
    page: Any, live_platform: PlatformServer, sandbox: SandboxServer
) -> None:
    shot = Screenshots("live", "mark-and-upnl")
    base = live_platform.url
    _, headers = await sign_up_in_browser(page, base, PASSWORD)
    bm = sandbox.admin.create_user(futures_deposit={"USDT": "5000"})
    key = sandbox.admin.create_key(bm["email"], memo="memo-" + secrets.token_hex(3))
    r = await page.request.post(base + "/api/accounts", headers=headers, data={
        "api_key": key["api_key"], "secret": key["secret_key"], "passphrase": key["memo"], "label": "Live"})
    assert r.status == 201, await r.text()
    account_id = str((await r.json())["account"]["id"])
    sandbox.admin.freeze_prices(True)
    try:
        await asyncio.to_thread(sandbox.admin.set_price, SYM, "3000")
        r = await page.request.post(f"{base}/api/accounts/{account_id}/orders", headers=headers, data={
            "symbol": SYM, "side": "buy_open_long", "type": "market", "size": "10", "leverage": "5",
            "margin_mode": "cross"})
        assert r.status in (200, 201), await r.text()
        view = await _live(page, base, account_id, "3001", sandbox)
        held = view["positions"][0]
        entry, cs = Decimal(held["entry_price"]), Decimal(held["contract_size"])

        await page.goto(f"{base}/accounts/{account_id}/trade")
        row = page.locator(f'#positions tr[data-symbol="{SYM}"][data-side="long"]')
        await expect(row.locator('[data-col="mark"]')).to_have_text("3001")
        await expect(page.locator("#live-freshness")).to_have_text("live")
        portfolio = await page.context.new_page()
        await portfolio.goto(f"{base}/portfolio")
        acct = portfolio.locator(f'#portfolio tr[data-account="{account_id}"]')
        await expect(acct.locator("[data-live-freshness]")).to_have_text("live")
        await shot(page, "trade-before")

        await asyncio.to_thread(sandbox.admin.set_price, SYM, "3050")
        upnl = fmt((Decimal(3050) - entry) * 10 * cs)
        await expect(row.locator('[data-col="mark"]')).to_have_text("3050", timeout=1000)
        await expect(row.locator('[data-col="pnl"] > span:first-child')).to_have_text(upnl, timeout=1000)
        await expect(row.locator('[data-col="pnl"] > span:first-child')).to_have_class("pos")
        await expect(acct.locator('[data-live="account_pnl"]')).to_have_text(upnl, timeout=1000)
        await shot(page, "trade-after")
        await shot(portfolio, "portfolio-after")
        await portfolio.close()
    finally:
        sandbox.admin.freeze_prices(False)


async def test_a_dropped_stream_says_live_updates_are_paused(
    page: Any, live_platform: PlatformServer, sandbox: SandboxServer
) -> None:
    base = live_platform.url
    await sign_up_in_browser(page, base, PASSWORD)
    await page.route("**/api/live/stream*", lambda route: route.abort())  # the stream cannot connect
    await page.goto(f"{base}/portfolio")
    banner = page.locator("#live-banner")
    await expect(banner).to_be_visible()
    await expect(banner).to_contain_text("Live updates paused, reconnecting")
    await page.unroute("**/api/live/stream*")
    await expect(banner).to_be_hidden(timeout=5000)  # EventSource retries (2 s) and the banner goes
