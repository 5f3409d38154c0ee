"""Binance's API Management at the sandbox, in Chromium: create a key (label, authenticator code),
copy it once, Edit restrictions; the key then answers on the Binance REST dialect as set there
(futures off: -2015; trusted IPs: refused from another address; on: trades)."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import BrowserContext, expect

from tests.e2e.connect.bitmart_pages import fresh_code, sign_in
from tests.e2e.sandbox.conftest import Shots
from tests.fixtures.binance import BinanceClient, BinanceSandbox

pytestmark = pytest.mark.e2e
ORDER = {"symbol": "BTCUSDT", "side": "BUY", "positionSide": "LONG", "type": "LIMIT",
         "timeInForce": "GTC", "quantity": "0.010", "price": "20000.0"}


async def test_binance_key_made_on_its_page_works_as_set(
    binance_sandbox: BinanceSandbox, browser_context: BrowserContext, shot: Shots
) -> None:
    server = binance_sandbox.server
    user = server.admin.create_user()
    page = await browser_context.new_page()
    base = server.base_url + "/binance/api-management"
    await page.goto(server.base_url + "/sign-in")
    await sign_in(page, user)
    await page.get_by_role("button", name="Profile").hover()
    await page.get_by_role("menuitem", name="Binance API Keys").click()
    await expect(page.get_by_role("heading", name="Binance API Management")).to_be_visible()

    # Create API: the label is required, named in the error, and the code is not spent on it.
    await page.get_by_role("button", name="Create API").click()
    await expect(page.get_by_role("alert")).to_contain_text("Label: required")
    await page.get_by_label("Label API key to proceed").fill("perpdesk-binance")
    await page.get_by_label("Google Authenticator code").fill(await fresh_code(user["totp_secret"]))
    await page.get_by_role("button", name="Create API").click()
    await expect(page.get_by_role("heading", name="API key created")).to_be_visible()
    api_key = await page.get_by_label("API Key", exact=True).input_value()
    secret = await page.get_by_label("Secret Key", exact=True).input_value()
    assert len(api_key) == 64 and len(secret) == 64
    await shot(page, "key-created")

    # Shown once: the list has the key, never its secret; the BitMart page does not list it.
    await page.goto(base)
    row = page.locator(f"tr[data-api-key='{api_key}']")
    await expect(row).to_contain_text("Unrestricted (Less Secure)")
    assert secret not in await page.content()
    await page.goto(server.base_url + "/api-config")
    await expect(page.locator(f"tr[data-api-key='{api_key}']")).to_have_count(0)

    # Enable Reading only: reading works, trading gets Binance's refusal.
    client = BinanceClient(binance_sandbox.url, api_key, secret)
    restrictions = client.ok("GET", "/sapi/v1/account/apiRestrictions")
    assert (restrictions["enableFutures"], restrictions["ipRestrict"]) == (False, False)
    refused = client.signed("POST", "/fapi/v1/order", ORDER)
    assert (refused.status_code, refused.json()["code"]) == (401, -2015)

    # Edit restrictions: withdrawals need trusted IPs (said, nothing typed is lost).
    await page.goto(base)
    await page.get_by_role("link", name="Edit restrictions of perpdesk-binance").click()
    await expect(page.get_by_role("heading", name="Edit restrictions: perpdesk-binance")).to_be_visible()
    await page.get_by_label("Enable Futures").check()
    await page.get_by_label("Enable Withdrawals").check()
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("alert")).to_contain_text("Enable Withdrawals: only for keys restricted")
    await expect(page.get_by_label("Enable Futures")).to_be_checked()
    await page.get_by_label("Restrict access to trusted IPs only (Recommended)").check()
    await page.get_by_label("Trusted IPs", exact=True).fill("127.0.0.2")
    await page.get_by_label("Google Authenticator code").fill(await fresh_code(user["totp_secret"]))
    await shot(page, "edit-restrictions")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_contain_text("saved")
    await expect(row).to_contain_text("Enable Futures, Enable Withdrawals")
    await expect(row).to_contain_text("Trusted IPs only: 127.0.0.2")

    # From 127.0.0.1 the key is refused; from the trusted 127.0.0.2 it reads and trades.
    refused = client.signed("GET", "/sapi/v1/account/apiRestrictions")
    assert (refused.status_code, refused.json()["code"]) == (401, -2015)
    trusted = BinanceClient(binance_sandbox.url, api_key, secret, http=httpx.Client(
        timeout=10, transport=httpx.HTTPTransport(local_address="127.0.0.2")))
    restrictions = trusted.ok("GET", "/sapi/v1/account/apiRestrictions")
    assert restrictions["enableFutures"] and restrictions["enableWithdrawals"] and restrictions["ipRestrict"]
    assert trusted.ok("POST", "/fapi/v1/order", ORDER)["status"] == "NEW"

    # Delete: the key is gone, on the page and at the REST API.
    await page.get_by_role("button", name="Delete key perpdesk-binance").click()
    await expect(page.get_by_text("No API keys yet.")).to_be_visible()
    gone = trusted.signed("GET", "/sapi/v1/account/apiRestrictions")
    assert (gone.status_code, gone.json()["code"]) == (401, -2015)
