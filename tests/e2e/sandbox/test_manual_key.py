"""The brief's manual path at the exchange, in Chromium: Sign Up with Google Authenticator,
Sign In with 2FA, API Management (Memo, permissions, IP list, email + authenticator codes),
copy Access Key and Secret Key, API Whitelist Request until approved; the key then trades."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator

import pyotp
import pytest
from bitmart.api_contract import APIContract
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.sandbox.conftest import Shots
from tests.fixtures.sandbox import SandboxServer, start_sandbox

pytestmark = pytest.mark.e2e
PASSWORD = "correct-horse-42"


def _open_menu_item(page: Page, name: str) -> None:
    page.get_by_role("button", name="Profile").hover()
    page.get_by_role("menuitem", name=name).click()


def _sign_in(page: Page, base: str, email: str, totp: pyotp.TOTP, shot: Shots) -> None:
    page.goto(base + "/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_label("Google Authenticator code")).to_be_visible()
    shot(page, "2fa")
    page.get_by_label("Google Authenticator code").fill(totp.now())
    page.get_by_role("button", name="Submit").click()


def test_sign_up_to_working_key(sandbox: SandboxServer, context: BrowserContext, shot: Shots) -> None:
    base = sandbox.base_url
    email = f"trader-{secrets.token_hex(4)}@example.com"
    page = context.new_page()

    # Sign Up, enrol Google Authenticator with the key shown as text (and a QR code).
    page.goto(base + "/sign-up")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    totp = pyotp.TOTP(secret)
    shot(page, "enrol-authenticator")
    page.get_by_label("Google Authenticator code").fill("000000" if totp.now() != "000000" else "111111")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert")).to_contain_text("not correct")
    page.get_by_label("Google Authenticator code").fill(totp.now())
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="API Management")).to_be_visible()

    # Sign out, then Sign In again with password and 2FA.
    _open_menu_item(page, "Sign Out")
    expect(page.get_by_role("navigation").get_by_role("link", name="Sign In")).to_be_visible()
    _sign_in(page, base, email, totp, shot)

    # Profile menu (hover) > API Management; a bad IP list is refused with what is wrong.
    _open_menu_item(page, "API Management")
    expect(page.get_by_role("heading", name="API Management")).to_be_visible()
    page.get_by_label("Memo").fill("perpdesk-manual")
    page.get_by_label("Future-Trade").check()
    page.get_by_label("IP whitelist").fill("127.0.0.1, 127.0.0.300")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("alert")).to_contain_text("127.0.0.300")
    expect(page.get_by_label("Memo")).to_have_value("perpdesk-manual")  # nothing typed was lost
    page.get_by_label("IP whitelist").fill("127.0.0.1, 127.0.0.2\n127.0.0.3")
    shot(page, "api-management-form")
    page.get_by_role("button", name="Submit").click()

    # Security verification: Send the email code, read it from the outbox, add the TOTP code.
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("sent")
    mails = [m for m in sandbox.admin.outbox(email) if "API key" in m["subject"]]
    code = re.search(r"\b(\d{6})\b", mails[-1]["body"]).group(1)  # type: ignore[union-attr]
    page.get_by_label("Email verification code").fill(code)
    page.get_by_label("Google Authenticator code").fill(totp.now())
    shot(page, "verification")
    page.get_by_role("button", name="Submit").click()

    # Result: copy Access Key and Secret Key with their buttons; read them back from the clipboard.
    expect(page.get_by_role("heading", name="API key created")).to_be_visible()
    shot(page, "key-created")
    page.get_by_role("button", name="Copy Access Key").click()
    expect(page.get_by_role("status")).to_contain_text("Copied")
    access_key = page.evaluate("navigator.clipboard.readText()")
    page.get_by_role("button", name="Copy Secret Key").click()
    time.sleep(0.2)
    secret_key = page.evaluate("navigator.clipboard.readText()")
    assert re.fullmatch(r"[0-9a-f]{40}", access_key) and re.fullmatch(r"[0-9a-f]{64}", secret_key)

    # Shown once only: the list shows the key, never its secret.
    page.goto(base + "/api-config")
    row = page.locator(f"tr[data-api-key='{access_key}']")
    expect(row).to_contain_text("127.0.0.1, 127.0.0.2, 127.0.0.3")
    assert secret_key not in page.content()

    # API Whitelist Request: submit, pending, approved by the admin.
    _open_menu_item(page, "API Whitelist Request")
    page.get_by_label("Bitmart CID or email").fill(email)
    page.get_by_label("Where the confirmation should be sent").fill("@trader_on_telegram")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#whitelist-state")).to_have_text("Pending")
    shot(page, "whitelist-pending")
    sandbox.admin.whitelist(email)
    page.reload()
    expect(page.locator("#whitelist-state")).to_have_text("Approved")
    shot(page, "whitelist-approved")

    # The copied key works with BitMart's official SDK.
    api = APIContract(access_key, secret_key, "perpdesk-manual", url=base)
    assert api.get_assets_detail()[0]["code"] == 1000


@pytest.fixture(scope="module")
def auto_sandbox() -> Iterator[SandboxServer]:
    server = start_sandbox(extra_args=["--auto-whitelist-after", "1"])
    yield server
    server.stop()


def test_whitelist_auto_approval_and_email_fallback(auto_sandbox: SandboxServer, context: BrowserContext,
                                                    shot: Shots) -> None:
    user = auto_sandbox.admin.create_user(password=PASSWORD, whitelisted=False, deposit={},
                                          futures_deposit={})
    page = context.new_page()
    page.goto(auto_sandbox.base_url + "/sign-in")
    page.get_by_label("Email").fill(user["email"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    # No authenticator at hand: Switch to Another Verification Method sends an email code.
    page.get_by_role("button", name="Switch to Another Verification Method").click()
    expect(page.get_by_label("Email verification code")).to_be_visible()
    mail = [m for m in auto_sandbox.admin.outbox(user["email"]) if "sign-in" in m["subject"]][-1]
    page.get_by_label("Email verification code").fill(re.search(r"\d{6}", mail["body"]).group(0))  # type: ignore[union-attr]
    shot(page, "email-code")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="API Management")).to_be_visible()
    expect(page.locator("#whitelist-state")).to_have_text("Not requested")
    page.goto(auto_sandbox.base_url + "/api-whitelist-request")
    page.get_by_label("Bitmart CID or email").fill("someone-else@example.com")
    page.get_by_label("Where the confirmation should be sent").fill(user["email"])
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("alert")).to_contain_text("does not match")
    page.get_by_label("Bitmart CID or email").fill(user["uid"])
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#whitelist-state")).to_have_text("Pending")
    time.sleep(1.2)
    page.reload()
    expect(page.locator("#whitelist-state")).to_have_text("Approved")
    shot(page, "auto-approved")

    # Assets: Deposit test funds (spot), Transfer part of them to futures.
    page.get_by_role("button", name="Profile").click()  # the menu also opens on click
    page.get_by_role("menuitem", name="Assets").click()
    spot_usdt = page.locator("#spot-balances tr[data-currency='USDT'] .available")
    futures_usdt = page.locator("#futures-balances tr[data-currency='USDT'] .available")
    page.get_by_label("Deposit amount").fill("abc")
    page.get_by_role("button", name="Deposit").click()
    expect(page.get_by_role("alert")).to_contain_text("Deposit amount: enter a number")
    page.get_by_label("Deposit amount").fill("500")
    page.get_by_role("button", name="Deposit").click()
    expect(spot_usdt).to_have_text("500")
    page.get_by_label("Direction").select_option("spot_to_contract")
    page.get_by_label("Transfer amount (USDT)").fill("200")
    page.get_by_role("button", name="Transfer").click()
    expect(page.get_by_role("status")).to_contain_text("Transfer done")
    expect(spot_usdt).to_have_text("300")
    assert futures_usdt.inner_text().startswith("200")
    page.get_by_label("Transfer amount (USDT)").fill("1000")
    page.get_by_role("button", name="Transfer").click()
    expect(page.get_by_role("alert")).to_be_visible()  # more than the spot balance: refused
    expect(page.get_by_label("Transfer amount (USDT)")).to_have_value("1000")
    shot(page, "assets")
