"""In Chromium, on a Binance account: after an open, a partial close, a funding settlement and the
final close, the portfolio's realised PnL, fees and funding are the exchange's income history
(REALIZED_PNL, COMMISSION, FUNDING_FEE), to the last digit, per day and per month; the fills
page lists the exchange's trades. Screenshots: test-artifacts/binance-portfolio/."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from playwright.async_api import expect

from tests.e2e.binance.conftest import connect_binance, market
from tests.e2e.helpers import Screenshots
from tests.fixtures.binance import BinanceSandbox
from tests.fixtures.platform import PlatformServer

pytestmark = pytest.mark.e2e
SOL = "SOLUSDT"
FLOWS = {"REALIZED_PNL": "realised_pnl", "COMMISSION": "fees", "FUNDING_FEE": "funding"}


async def test_portfolio_pnl_fees_and_funding_are_the_income_history(
    page: Any, bn_platform: PlatformServer, binance_sandbox: BinanceSandbox
) -> None:
    shot = Screenshots("binance-portfolio", "income")
    base, admin = bn_platform.url, binance_sandbox.server.admin
    desk = await connect_binance(page, bn_platform, binance_sandbox)
    await asyncio.to_thread(admin.set_price, SOL, "180")
    await market(page, base, desk, SOL, "buy_open_long", "30")
    await asyncio.to_thread(admin.set_price, SOL, "183.37")
    await market(page, base, desk, SOL, "sell_close_long", "12.3")
    await asyncio.to_thread(admin.settle_funding, SOL, "0.000137")
    await market(page, base, desk, SOL, "sell_close_long", "17.7")

    income = desk.client.ok("GET", "/fapi/v1/income", {"limit": 1000})
    theirs = {name: Decimal(0) for name in FLOWS.values()}
    for row in income:
        if row["incomeType"] in FLOWS:
            theirs[FLOWS[row["incomeType"]]] += Decimal(row["income"])
    assert theirs["realised_pnl"] > 0 and theirs["fees"] < 0 and theirs["funding"] < 0, theirs

    await page.goto(base + "/")
    await expect(page.get_by_role("heading", name="Portfolio")).to_be_visible()
    account = page.locator(f'#dashboard-accounts tr[data-account="{desk.account_id}"]')
    await expect(account).to_contain_text("Desk")
    assert "bitmart" not in (await account.inner_text()).lower()
    for period in ("day", "month"):
        await page.get_by_role("link", name=f"per {period}").click()
        today = page.locator("#pnl-history tbody tr[data-period]")
        await expect(today).to_have_count(1)
        shown = {}
        for field in FLOWS.values():
            cell = today.locator(f'[data-field="{field}"] [data-num]')
            shown[field] = Decimal(await cell.get_attribute("data-exact") or "x")
        assert shown == theirs, period
        net = await today.locator('[data-field="net"] [data-num]').get_attribute("data-exact")
        assert Decimal(net or "x") == sum(theirs.values())
        await shot(page, f"per-{period}")

    trades = desk.client.ok("GET", "/fapi/v1/userTrades", {"symbol": SOL})
    await page.goto(base + "/fills")
    rows = page.locator("#fills tbody tr[data-trade]")
    await expect(rows).to_have_count(len(trades))
    assert sorted([await r.get_attribute("data-trade") for r in await rows.all()]) == sorted(
        str(t["id"]) for t in trades)
    await shot(page, "fills")
