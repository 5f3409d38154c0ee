"""The brief's manual path at the exchange, in Chromium: Sign Up with Google Authenticator,
Sign In with 2FA, API Management (Memo, permissions, IP list, email + authenticator codes),
copy Access Key and Secret Key, API Whitelist Request until approved; the key then trades."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Iterator

import pyotp
import pytest
from bitmart.api_contract import APIContract
from playwright.async_api import BrowserContext, Page, expect

from tests.e2e.sandbox.conftest import Shots
from tests.fixtures.sandbox import SandboxServer, fresh_totp, start_sandbox

pytestmark = pytest.mark.e2e
PASSWORD = "correct-horse-42"


async def _open_menu_item(page: Page, name: str) -> None:
    await page.get_by_role("button", name="Profile").hover()
    await page.get_by_role("menuitem", name=name).click()


async def _sign_in(page: Page, base: str, email: str, totp: pyotp.TOTP, shot: Shots) -> None:
    await page.goto(base + "/sign-in")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign In").click()
    await expect(page.get_by_label("Google Authenticator code")).to_be_visible()
    await shot(page, "2fa")
    await page.get_by_label("Google Authenticator code").fill(fresh_totp(totp.secret))
    await page.get_by_role("button", name="Submit").click()


async def test_sign_up_to_working_key(
    sandbox: SandboxServer, browser_context: BrowserContext, shot: Shots
) -> None:
    base = sandbox.base_url
    email = f"trader-{secrets.token_hex(4)}@example.com"
    page = await browser_context.new_page()

    # Sign Up, enrol Google Authenticator with the key shown as text (and a QR code).
    await page.goto(base + "/sign-up")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign Up").click()
    await expect(page.locator(".qr svg")).to_be_visible()
    secret = (await page.get_by_test_id("totp-secret").inner_text()).strip()
    totp = pyotp.TOTP(secret)
    await shot(page, "enrol-authenticator")
    wrong = "000000" if totp.now() != "000000" else "111111"
    await page.get_by_label("Google Authenticator code").fill(wrong)
    await page.get_by_role("button", name="Confirm").click()
    await expect(page.get_by_role("alert")).to_contain_text("not correct")
    await page.get_by_label("Google Authenticator code").fill(fresh_totp(totp.secret))
    await page.get_by_role("button", name="Confirm").click()
    await expect(page.get_by_role("heading", name="API Management")).to_be_visible()

    # Sign out, then Sign In again with password and 2FA.
    await _open_menu_item(page, "Sign Out")
    await expect(page.get_by_role("navigation").get_by_role("link", name="Sign In")).to_be_visible()
    await _sign_in(page, base, email, totp, shot)

    # Profile menu (hover) > API Management; a bad IP list is refused with what is wrong.
    await _open_menu_item(page, "API Management")
    await expect(page.get_by_role("heading", name="API Management")).to_be_visible()
    await page.get_by_label("Memo").fill("perpdesk-manual")
    await page.get_by_label("Future-Trade").check()
    await page.get_by_label("IP whitelist").fill("127.0.0.1, 127.0.0.300")
    await page.get_by_role("button", name="Submit").click()
    await expect(page.get_by_role("alert")).to_contain_text("127.0.0.300")
    await expect(page.get_by_label("Memo")).to_have_value("perpdesk-manual")  # nothing typed was lost
    await page.get_by_label("IP whitelist").fill("127.0.0.1, 127.0.0.2\n127.0.0.3")
    await shot(page, "api-management-form")
    await page.get_by_role("button", name="Submit").click()

    # Security verification: Send the email code, read it from the outbox, add the TOTP code.
    await page.get_by_role("button", name="Send").click()
    await expect(page.get_by_role("status")).to_contain_text("sent")
    mails = [m for m in sandbox.admin.outbox(email) if "API key" in m["subject"]]
    code = re.search(r"\b(\d{6})\b", mails[-1]["body"]).group(1)  # type: ignore[union-attr]
    await page.get_by_label("Email verification code").fill(code)
    await page.get_by_label("Google Authenticator code").fill(fresh_totp(totp.secret))
    await shot(page, "verification")
    await page.get_by_role("button", name="Submit").click()

    # Result: copy Access Key and Secret Key with their buttons; read them back from the clipboard.
    await expect(page.get_by_role("heading", name="API key created")).to_be_visible()
    await shot(page, "key-created")
    await page.get_by_role("button", name="Copy Access Key").click()
    await expect(page.get_by_role("status")).to_contain_text("Copied")
    access_key = await page.evaluate("navigator.clipboard.readText()")
    await page.get_by_role("button", name="Copy Secret Key").click()
    await asyncio.sleep(0.2)
    secret_key = await page.evaluate("navigator.clipboard.readText()")
    assert re.fullmatch(r"[0-9a-f]{40}", access_key) and re.fullmatch(r"[0-9a-f]{64}", secret_key)

    # Shown once only: the list shows the key, never its secret.
    await page.goto(base + "/api-config")
    row = page.locator(f"tr[data-api-key='{access_key}']")
    await expect(row).to_contain_text("127.0.0.1, 127.0.0.2, 127.0.0.3")
    assert secret_key not in await page.content()

    # API Whitelist Request: submit, pending, approved by the admin.
    await _open_menu_item(page, "API Whitelist Request")
    await page.get_by_label("Bitmart CID or email").fill(email)
    await page.get_by_label("Where the confirmation should be sent").fill("@trader_on_telegram")
    await page.get_by_role("button", name="Submit").click()
    await expect(page.locator("#whitelist-state")).to_have_text("Pending")
    await shot(page, "whitelist-pending")
    sandbox.admin.whitelist(email)
    await page.reload()
    await expect(page.locator("#whitelist-state")).to_have_text("Approved")
    await shot(page, "whitelist-approved")

    # The copied key works with BitMart's official SDK.
    api = APIContract(access_key, secret_key, "perpdesk-manual", url=base)
    assert api.get_assets_detail()[0]["code"] == 1000


@pytest.fixture(scope="module")
def auto_sandbox() -> Iterator[SandboxServer]:
    server = start_sandbox(extra_args=["--auto-whitelist-after", "600"])
    yield server
    server.stop()


async def test_whitelist_auto_approval_and_email_fallback(
    auto_sandbox: SandboxServer, browser_context: BrowserContext, shot: Shots
) -> None:
    user = auto_sandbox.admin.create_user(password=PASSWORD, whitelisted=False, deposit={},
                                          futures_deposit={})
    page = await browser_context.new_page()
    await page.goto(auto_sandbox.base_url + "/sign-in")
    await page.get_by_label("Email").fill(user["email"])
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign In").click()
    # No authenticator at hand: Switch to Another Verification Method sends an email code.
    await page.get_by_role("button", name="Switch to Another Verification Method").click()
    await expect(page.get_by_label("Email verification code")).to_be_visible()
    mail = [m for m in auto_sandbox.admin.outbox(user["email"]) if "sign-in" in m["subject"]][-1]
    await page.get_by_label("Email verification code").fill(re.search(r"\d{6}", mail["body"]).group(0))  # type: ignore[union-attr]
    await shot(page, "email-code")
    await page.get_by_role("button", name="Submit").click()
    await expect(page.get_by_role("heading", name="API Management")).to_be_visible()
    await expect(page.locator("#whitelist-state")).to_have_text("Not requested")
    await page.goto(auto_sandbox.base_url + "/api-whitelist-request")
    await page.get_by_label("Bitmart CID or email").fill("someone-else@example.com")
    await page.get_by_label("Where the confirmation should be sent").fill(user["email"])
    await page.get_by_role("button", name="Submit").click()
    await expect(page.get_by_role("alert")).to_contain_text("does not match")
    await page.get_by_label("Bitmart CID or email").fill(user["uid"])
    await page.get_by_role("button", name="Submit").click()
    await expect(page.locator("#whitelist-state")).to_have_text("Pending")
    auto_sandbox.admin.advance_identity_clock(600)  # the sandbox's auto-approval delay
    await page.reload()
    await expect(page.locator("#whitelist-state")).to_have_text("Approved")
    await shot(page, "auto-approved")

    # Assets: Deposit test funds (spot), Transfer part of them to futures.
    await page.get_by_role("button", name="Profile").click()  # the menu also opens on click
    await page.get_by_role("menuitem", name="Assets").click()
    spot_usdt = page.locator("#spot-balances tr[data-currency='USDT'] .available")
    futures_usdt = page.locator("#futures-balances tr[data-currency='USDT'] .available")
    await page.get_by_label("Deposit amount").fill("abc")
    await page.get_by_role("button", name="Deposit").click()
    await expect(page.get_by_role("alert")).to_contain_text("Deposit amount: enter a number")
    await page.get_by_label("Deposit amount").fill("500")
    await page.get_by_role("button", name="Deposit").click()
    await expect(spot_usdt).to_have_text("500")
    await page.get_by_label("Direction").select_option("spot_to_contract")
    await page.get_by_label("Transfer amount (USDT)").fill("200")
    await page.get_by_role("button", name="Transfer").click()
    await expect(page.get_by_role("status")).to_contain_text("Transfer done")
    await expect(spot_usdt).to_have_text("300")
    assert (await futures_usdt.inner_text()).startswith("200")
    await page.get_by_label("Transfer amount (USDT)").fill("1000")
    await page.get_by_role("button", name="Transfer").click()
    await expect(page.get_by_role("alert")).to_be_visible()  # more than the spot balance: refused
    await expect(page.get_by_label("Transfer amount (USDT)")).to_have_value("1000")
    await shot(page, "assets")
