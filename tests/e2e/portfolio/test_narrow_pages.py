"""Every page at 390 x 844 (a phone): signed in, with a connected account holding a position, an
open order, fills and a notification, no page is wider than the screen (no sideways scroll).
Screenshots: test-artifacts/narrow/."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.e2e.helpers import Screenshots
from tests.e2e.portfolio.conftest import ETH, market, sign_up_and_connect
from tests.fixtures.platform import PlatformServer
from tests.fixtures.sandbox import SandboxServer

pytestmark = pytest.mark.e2e
WIDTH, HEIGHT = 390, 844


def pages(account_id: str) -> list[str]:
    return [
        "/", "/portfolio", "/fills", "/notifications", "/settings/notifications",
        "/settings/exchange-accounts", "/settings/exchange-accounts/audit-log",
        f"/settings/exchange-accounts/{account_id}/edit", f"/accounts/{account_id}/trade", "/profile",
    ]


async def widths(page: Any, base: str, paths: list[str], shot: Screenshots) -> dict[str, int]:
    out = {}
    for path in paths:
        r = await page.goto(base + path)
        assert r is not None and r.status == 200, (path, r and r.status)
        out[path] = await page.evaluate("document.documentElement.scrollWidth")
        await shot(page, path.strip("/").replace("/", "_") or "dashboard")
    return out


async def test_no_page_scrolls_sideways_at_390_px(
    browser: Any, portfolio_platform: PlatformServer, sandbox: SandboxServer
) -> None:
    shot = Screenshots("narrow", "390px")
    base = portfolio_platform.url
    context = await browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    try:
        page = await context.new_page()
        public = await widths(page, base, ["/signin", "/signup"], shot)
        account_id, headers = await sign_up_and_connect(page, base, sandbox)
        sandbox.admin.set_price(ETH, "3500")
        await market(page, base, headers, account_id, "buy", "2")
        limit = {"symbol": ETH, "side": "buy", "type": "limit", "price": "3000.25", "size": "1",
                 "leverage": "10", "margin_mode": "cross"}
        r = await page.request.post(f"{base}/api/accounts/{account_id}/orders", data=limit, headers=headers)
        assert r.status == 201, await r.text()
        r = await page.request.put(base + "/api/notifications/settings", headers=headers, data={
            "liquidation_pct": "10", "webhook_url": "https://example.com/hooks/a-rather-long-path/perpdesk"})
        assert r.status == 200, await r.text()
        for _ in range(60):  # the fill's notification (the watcher passes every second)
            if (await (await page.request.get(base + "/api/notifications")).json())["unread"]:
                break
            await asyncio.sleep(0.25)
        signed_in = await widths(page, base, pages(account_id), shot)
    finally:
        await context.close()
    too_wide = {p: w for p, w in {**public, **signed_in}.items() if w > WIDTH}
    assert not too_wide, too_wide
