"""The Trade page in headless Chromium: place a limit order from the ticket, see it, cancel it;
a bad ticket names the field and keeps what was typed; a market order opens a position that the
Close button closes. Screenshots: test-artifacts/trading/."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from playwright.async_api import expect

from tests.e2e.helpers import Screenshots, sign_up_in_browser
from tests.e2e.trading.conftest import PASSWORD
from tests.fixtures.platform import PlatformServer
from tests.fixtures.sandbox import SandboxServer

pytestmark = pytest.mark.e2e
ETH = "ETHUSDT"


async def sign_up_and_connect(page: Any, base: str, sandbox: SandboxServer) -> tuple[str, dict[str, Any]]:
    _, headers = await sign_up_in_browser(page, base, PASSWORD)
    bm = sandbox.admin.create_user(futures_deposit={"USDT": "5000"})
    key = sandbox.admin.create_key(bm["email"], memo="memo-" + secrets.token_hex(3))
    body = {
        "api_key": key["api_key"],
        "secret": key["secret_key"],
        "passphrase": key["memo"],
        "label": "Desk",
    }
    r = await page.request.post(base + "/api/accounts", data=body, headers=headers)
    assert r.status == 201, await r.text()
    return str((await r.json())["account"]["id"]), key


async def test_place_and_cancel_an_order_from_the_trade_page(
    page: Any, trading_platform: PlatformServer, sandbox: SandboxServer
) -> None:
    shot = Screenshots("trading", "place-and-cancel")
    base = trading_platform.url
    account_id, key = await sign_up_and_connect(page, base, sandbox)
    sandbox.admin.set_price(ETH, "3500")

    await page.goto(base + "/portfolio")
    row = page.locator(f'#portfolio tr[data-account="{account_id}"]')
    await expect(row).to_contain_text("5,000.00")
    await shot(page, "portfolio")
    await row.get_by_role("link", name="Trade Desk").click()
    await expect(page).to_have_url(re.compile(f"/accounts/{account_id}/trade$"))
    await expect(page.get_by_role("heading", name="Trade · Desk")).to_be_visible()
    await expect(page.locator('#balances [data-currency="USDT"][data-col="equity"]')).to_have_text("5,000.00")
    await expect(page.locator("#open-orders")).to_contain_text("No open order.")
    await shot(page, "trade-page")

    ticket = page.locator("#ticket")
    await ticket.get_by_label("Symbol").select_option(ETH)
    await expect(page.locator("#t-rules")).to_contain_text("price tick 0.01")
    await ticket.get_by_label("Order type").select_option("limit")
    await ticket.get_by_label("Price (USDT)").fill("3000.25")
    await ticket.get_by_label("Size (contracts)").fill("3")
    await ticket.get_by_label("Leverage").fill("5")
    await ticket.get_by_label("Margin mode").select_option("isolated")
    await ticket.get_by_label("Time in force").select_option("gtc")
    await shot(page, "ticket-filled")
    await ticket.get_by_role("button", name="Buy / Long").click()

    await expect(page.locator("#notice")).to_contain_text("Order placed.")
    order_row = page.locator("#open-orders tbody tr[data-order]")
    await expect(order_row).to_have_count(1)
    await expect(order_row.locator('[data-col="price"]')).to_have_text("3,000.25")
    await expect(order_row.locator('[data-col="size"]')).to_have_text("3")
    await expect(order_row).to_contain_text("Buy / Long")
    await expect(order_row).to_contain_text("Isolated")
    await expect(page.locator("#intents tbody tr").first.locator('[data-col="status"]')).to_have_text(
        "Placed"
    )
    await shot(page, "order-placed")

    # a bad ticket: the field is named, nothing typed is lost, nothing is sent
    await ticket.get_by_label("Price (USDT)").fill("3000.255")
    await ticket.get_by_label("Size (contracts)").fill("2")
    await ticket.get_by_role("button", name="Buy / Long").click()
    await expect(page.locator("#error")).to_contain_text("Price:")
    await expect(page.locator("#error")).to_contain_text("tick of 0.01")
    await expect(ticket.get_by_label("Price (USDT)")).to_have_value("3000.255")
    await expect(ticket.get_by_label("Price (USDT)")).to_have_attribute("aria-invalid", "true")
    await expect(ticket.get_by_label("Margin mode")).to_have_value("isolated")
    await expect(page.locator("#open-orders tbody tr[data-order]")).to_have_count(1)
    await shot(page, "bad-ticket")

    # amend the price in place
    open_row = page.locator("#open-orders tbody tr[data-order]")
    await open_row.get_by_label(re.compile("^New price")).fill("3010.5")
    await open_row.get_by_role("button", name=re.compile("^Amend")).click()
    await expect(page.locator("#notice")).to_contain_text("Order amended.")
    await expect(open_row.locator('[data-col="price"]')).to_have_text("3,010.50")
    await shot(page, "order-amended")

    await open_row.get_by_role("button", name=re.compile("^Cancel")).click()
    await expect(page.locator("#notice")).to_contain_text("Order cancelled.")
    await expect(page.locator("#open-orders")).to_contain_text("No open order.")
    await expect(page.locator('#order-history [data-col="state"]').first).to_have_text("cancelled")
    await shot(page, "order-cancelled")

    # market order → position with PnL after the price moves → Close
    await ticket.get_by_label("Order type").select_option("market")
    await expect(ticket.get_by_label("Price (USDT)")).to_be_disabled()
    await ticket.get_by_label("Size (contracts)").fill("2")
    await ticket.get_by_role("button", name="Sell / Short").click()
    await expect(page.locator("#notice")).to_contain_text("Order placed.")
    sandbox.admin.set_price(ETH, "3450")
    await page.reload()
    pos = page.locator(f'#positions tr[data-symbol="{ETH}"][data-side="short"]')
    await expect(pos.locator('[data-col="size"]')).to_have_text("2")
    await expect(pos.locator('[data-col="mark"]')).to_have_text("3,450.00")
    await expect(pos.locator('[data-col="pnl"] .pos')).to_be_visible()  # a short gains as the price falls
    await shot(page, "short-position")
    await pos.get_by_role("button", name=f"Close {ETH} short").click()
    await expect(page.locator("#notice")).to_contain_text("Close order placed")
    await expect(page.locator("#positions")).to_contain_text("No open position.")
    await shot(page, "position-closed")

    html = await page.content()
    assert key["secret_key"] not in html and key["memo"] not in html
