"""In Chromium, on a Binance account: with the terminal and the portfolio open, a mark price set
at the exchange (the sandbox's Binance dialect pushes it on its market stream) shows as the new
mark and uPnL within a second, without a reload and without the page reading the account again.
Screenshots: test-artifacts/binance-live/."""

from __future__ import annotations

import asyncio
import re
import time
from decimal import Decimal
from typing import Any

import pytest
from playwright.async_api import expect

from perpdesk.core.money import fmt
from tests.e2e.binance.conftest import connect_binance, live_at, market
from tests.e2e.helpers import Screenshots
from tests.fixtures.binance import BinanceSandbox
from tests.fixtures.platform import PlatformServer

pytestmark = pytest.mark.e2e
SOL = "SOLUSDT"


async def test_terminal_and_portfolio_follow_the_mark_without_reload(
    page: Any, bn_platform: PlatformServer, binance_sandbox: BinanceSandbox
) -> None:
    shot = Screenshots("binance-live", "mark-and-upnl")
    base = bn_platform.url
    desk = await connect_binance(page, bn_platform, binance_sandbox)
    await asyncio.to_thread(binance_sandbox.server.admin.set_price, SOL, "180")
    await market(page, base, desk, SOL, "buy_open_long", "10")
    held = (await live_at(page, base, desk, binance_sandbox, SOL, "181"))["positions"][0]
    entry, cs = Decimal(held["entry_price"]), Decimal(held["contract_size"])
    (theirs,) = [r for r in desk.client.ok("GET", "/fapi/v2/positionRisk", {"symbol": SOL})
                 if Decimal(r["positionAmt"])]
    assert (Decimal(theirs["positionAmt"]), Decimal(theirs["entryPrice"])) == (10 * cs, entry)

    reads: list[str] = []  # the page's own reads of account state (none while live)
    page.on("request", lambda req: reads.append(req.url) if re.search(
        r"/(positions|orders|conditional-orders|fills|balances|live|position-mode)(\?|$)", req.url) else None)
    await page.goto(f"{base}/trade/{desk.account_id}/{SOL}")
    await page.wait_for_function("() => window.perpdeskTerminal && window.perpdeskTerminal.ready")
    position = page.locator('[data-position="long"]')
    await expect(page.locator("#tk-mark")).to_have_text("181.00")
    await expect(position.locator('[data-col="mark"]')).to_have_text("Mark181.00")
    portfolio = await page.context.new_page()
    await portfolio.goto(f"{base}/portfolio")
    acct = portfolio.locator(f'#portfolio tr[data-account="{desk.account_id}"]')
    await expect(acct.locator("[data-live-freshness]")).to_have_text("live")
    await shot(page, "before")

    upnl = fmt((Decimal("183.37") - entry) * 10 * cs)
    started = time.monotonic()
    await asyncio.to_thread(binance_sandbox.server.admin.set_price, SOL, "183.37")
    await expect(page.locator("#tk-mark")).to_have_text("183.37", timeout=1000)
    await expect(position.locator('[data-col="mark"]')).to_have_text("Mark183.37", timeout=1000)
    await expect(position.locator('[data-col="upnl"] [data-exact]')).to_have_attribute("data-exact", upnl,
                                                                                     timeout=1000)
    took = time.monotonic() - started
    assert took < 1.0, took
    await expect(position.locator('[data-col="upnl"]')).to_have_class("pos")
    await expect(acct.locator('[data-live="account_pnl"] [data-num]')).to_have_attribute("data-exact", upnl,
                                                                                        timeout=1000)
    (theirs,) = [r for r in desk.client.ok("GET", "/fapi/v2/positionRisk", {"symbol": SOL})
                 if Decimal(r["positionAmt"])]
    assert Decimal(theirs["markPrice"]) == Decimal("183.37")
    assert Decimal(theirs["unRealizedProfit"]) == Decimal(upnl)
    await shot(page, "after")
    await shot(portfolio, "portfolio-after")
    await portfolio.close()
    assert reads == [], reads
