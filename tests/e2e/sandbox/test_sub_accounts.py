"""Sub-Accounts at the exchange, in Chromium: a main account creates a sub-account from the
profile menu, sees it listed, and the sub-account signs in with its own password and 2FA."""

from __future__ import annotations

import secrets

import pytest
from playwright.async_api import BrowserContext, expect

from tests.e2e.connect.bitmart_pages import sign_in
from tests.e2e.sandbox.conftest import Shots
from tests.fixtures.sandbox import DEFAULT_PASSWORD, SandboxServer, fresh_totp

pytestmark = pytest.mark.e2e


async def test_main_account_creates_a_sub_account(
    sandbox: SandboxServer, browser_context: BrowserContext, shot: Shots
) -> None:
    main = sandbox.admin.create_user()
    sub_email = f"desk-{secrets.token_hex(4)}@example.com"
    page = await browser_context.new_page()
    await page.goto(sandbox.base_url + "/sign-in")
    await sign_in(page, main)
    await expect(page.get_by_role("heading", name="API Management")).to_be_visible()
    await page.get_by_role("button", name="Profile").hover()
    await page.get_by_role("menuitem", name="Sub-Accounts").click()
    await expect(page.get_by_role("heading", name="Sub-Accounts")).to_be_visible()
    await expect(page.locator("#sub-accounts")).to_contain_text("No sub-accounts yet.")

    await page.get_by_label("Email (the sub-account's username)").fill(sub_email)
    await page.get_by_label("Password").fill("short")
    await page.get_by_role("button", name="Create").click()
    await expect(page.get_by_role("alert")).to_contain_text("Password")
    await expect(page.get_by_label("Email (the sub-account's username)")).to_have_value(sub_email)
    await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    await page.get_by_role("button", name="Create").click()
    await expect(page.get_by_role("status")).to_contain_text("Sub-account created")
    await expect(page.locator("#sub-accounts")).to_contain_text(sub_email)
    await shot(page, "sub-accounts")

    info = sandbox.admin.user(sub_email)
    assert info["parent_uid"] == main["uid"]

    # the sub-account signs in with its password and enrols its own authenticator
    await page.get_by_role("button", name="Profile").hover()
    await page.get_by_role("menuitem", name="Sign Out").click()
    await page.goto(sandbox.base_url + "/sign-in")
    await page.get_by_label("Email").fill(sub_email)
    await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    await page.get_by_role("button", name="Sign In").click()
    await expect(page.get_by_role("heading", name="Enable Google Authenticator")).to_be_visible()
    secret = (await page.get_by_test_id("totp-secret").inner_text()).strip()
    await page.get_by_label("Google Authenticator code").fill(fresh_totp(secret))
    await page.get_by_role("button", name="Confirm").click()
    await expect(page.get_by_role("heading", name="API Management")).to_be_visible()
    await page.goto(sandbox.base_url + "/sub-accounts")
    await expect(page.locator("main")).to_contain_text("This account is a sub-account")
