"""The Trade page on a Binance account, in Chromium: the ticket sizes in the base asset (Binance's
quantity), a limit order placed, amended and cancelled, a market short closed by its Close button;
each step checked against what the exchange lists. Screenshots: test-artifacts/binance-trading/."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from playwright.async_api import expect

from tests.e2e.binance.conftest import connect_binance, platform_of
from tests.e2e.helpers import Screenshots
from tests.fixtures.binance import BinanceSandbox
from tests.fixtures.platform import PlatformServer

pytestmark = pytest.mark.e2e
ETH = "ETHUSDT"


@pytest.fixture(scope="module")
def bn_platform(binance_sandbox: BinanceSandbox) -> Iterator[PlatformServer]:
    """Its own platform, with the IP's request weight counted from zero: the earlier journeys spend
    127.0.0.1's Binance weight, and `roomy_limits` raises only the sandbox's limit, so the shared
    platform, which follows the exchange's used-weight header against Binance's 2400, held this
    journey's writes back until the minute turned (past the page's 15 s)."""
    binance_sandbox.server.admin.rate_limits(reset=True)
    yield from platform_of(binance_sandbox)


async def test_place_amend_cancel_and_close_from_the_trade_page(
    page: Any, bn_platform: PlatformServer, binance_sandbox: BinanceSandbox
) -> None:
    shot = Screenshots("binance-trading", "trade-page")
    base = bn_platform.url
    desk = await connect_binance(page, bn_platform, binance_sandbox)
    await asyncio.to_thread(binance_sandbox.server.admin.set_price, ETH, "3500")

    await page.goto(f"{base}/accounts/{desk.account_id}/trade")
    await expect(page.get_by_role("heading", name="Trade · Desk")).to_be_visible()
    await expect(page.locator('#balances [data-currency="USDT"][data-col="equity"]')).to_have_text("5,000.00")
    ticket = page.locator("#ticket")
    await ticket.get_by_label("Symbol").select_option(ETH)
    await expect(ticket.get_by_label("Size (ETH)")).to_be_visible()  # Binance's quantity, not contracts
    await expect(page.locator("#t-rules")).to_have_text(re.compile(r"^price tick 0\.01 · size step 0\.01 "))
    assert "contracts" not in (await page.locator("main").inner_text()).lower()
    await ticket.get_by_label("Order type").select_option("limit")
    await ticket.get_by_label("Price (USDT)").fill("3000.25")
    await ticket.get_by_label("Size (ETH)").fill("0.3")
    await ticket.get_by_label("Leverage").fill("5")
    await ticket.get_by_label("Margin mode").select_option("isolated")
    await ticket.get_by_role("button", name="Buy / Long").click()
    await expect(page.locator("#notice")).to_contain_text("Order placed.")
    order_row = page.locator("#open-orders tbody tr[data-order]")
    await expect(order_row).to_have_count(1)
    await expect(order_row.locator('[data-col="price"]')).to_have_text("3,000.25")
    await expect(order_row.locator('[data-col="size"]')).to_have_text("0.30")  # at the size step
    (theirs,) = desk.client.ok("GET", "/fapi/v1/openOrders", {"symbol": ETH})
    # Binance's margin type is the symbol's, not the order's: the ticket set it there
    risk = desk.client.ok("GET", "/fapi/v2/positionRisk", {"symbol": ETH})
    assert {(r["marginType"], r["leverage"]) for r in risk} == {("isolated", "5")}
    assert (theirs["price"], Decimal(theirs["origQty"]), theirs["side"]) == ("3000.25", Decimal("0.3"), "BUY")
    await shot(page, "order-placed")

    await order_row.get_by_label(re.compile("^New price")).fill("3010.5")
    await order_row.get_by_role("button", name=re.compile("^Amend")).click()
    await expect(page.locator("#notice")).to_contain_text("Order amended.")
    await expect(order_row.locator('[data-col="price"]')).to_have_text("3,010.50")
    (theirs,) = desk.client.ok("GET", "/fapi/v1/openOrders", {"symbol": ETH})
    assert Decimal(theirs["price"]) == Decimal("3010.5")
    await order_row.get_by_role("button", name=re.compile("^Cancel")).click()
    await expect(page.locator("#notice")).to_contain_text("Order cancelled.")
    await expect(page.locator("#open-orders")).to_contain_text("No open order.")
    assert desk.client.ok("GET", "/fapi/v1/openOrders", {"symbol": ETH}) == []

    await ticket.get_by_label("Order type").select_option("market")
    await ticket.get_by_label("Size (ETH)").fill("0.2")
    await ticket.get_by_role("button", name="Sell / Short").click()
    await expect(page.locator("#notice")).to_contain_text("Order placed.")
    pos = page.locator(f'#positions tr[data-symbol="{ETH}"][data-side="short"]')
    await expect(pos.locator('[data-col="size"]')).to_have_text("0.20")
    risk = desk.client.ok("GET", "/fapi/v2/positionRisk", {"symbol": ETH})
    assert [Decimal(r["positionAmt"]) for r in risk if Decimal(r["positionAmt"])] == [Decimal("-0.2")]
    await shot(page, "short-position")
    await pos.get_by_role("button", name=f"Close {ETH} short").click()
    await expect(page.locator("#notice")).to_contain_text("Close order placed")
    await expect(page.locator("#positions")).to_contain_text("No open position.")
    risk = desk.client.ok("GET", "/fapi/v2/positionRisk", {"symbol": ETH})
    assert all(Decimal(r["positionAmt"]) == 0 for r in risk)
    await shot(page, "position-closed")
    assert desk.client.secret not in await page.content()
