"""The brief's "Connecting a Bitmart Futures API key (Fast Connect)", step by step, in Chromium."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.e2e.connect.bitmart_pages import sign_in
from tests.e2e.connect.conftest import ConnectEnv, Steps, platform_accounts, platform_sign_up

pytestmark = pytest.mark.e2e


async def open_connect_window(page, base: str, steps: Steps) -> None:  # type: ignore[no-untyped-def]
    # 1. Navigate to Settings > Exchange Account API keys.
    await page.goto(base + "/")
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings", exact=True).click()
    await expect(page.get_by_role("heading", name="Settings > Exchange Account API Keys")).to_be_visible()
    await steps(page, "settings-exchange-account-api-keys")
    # 2. Click + Connect Account from the top-right of the page.
    await page.get_by_role("button", name="+ Connect Account").click()
    chooser = page.get_by_role("dialog", name="Connect Account")
    await expect(chooser.get_by_role("group", name="Futures only")).to_be_visible()
    await expect(chooser.get_by_role("button", name="Bitmart Spot — not supported")).to_be_disabled()
    await expect(chooser).to_contain_text("BitMart Spot is not")
    await steps(page, "chooser")
    # 3. Click on Bitmart under Futures only.
    await chooser.get_by_role("group", name="Futures only").get_by_role("button", name="Bitmart").click()


async def test_fast_connect_brief_steps(watched, connect_env: ConnectEnv, steps: Steps) -> None:  # type: ignore[no-untyped-def]
    page, base = watched, connect_env.platform.url
    await platform_sign_up(page, base)
    bitmart_user = connect_env.bitmart_user()
    await open_connect_window(page, base, steps)

    # 4. Ensure Fast Connect is selected from the top of the next window.
    window = page.get_by_role("dialog", name="Connect Bitmart Futures")
    await expect(window.get_by_role("tab", name="Fast Connect")).to_have_attribute("aria-selected", "true")
    await steps(page, "fast-connect-tab")
    # 5. Click on the slider next to Enable Futures Account.
    switch = window.get_by_role("switch", name="Enable Futures Account")
    await expect(switch).not_to_be_checked()
    await switch.click()
    await expect(switch).to_be_checked()
    await steps(page, "enable-futures-account")
    # 6. Click Connect: a new browser tab opens at Bitmart.
    async with page.context.expect_page() as new_tab:
        await window.get_by_role("button", name="Connect").click()
    bitmart = await new_tab.value
    # 7-8. Sign in with email and password, then the Google Authenticator code.
    await expect(bitmart.get_by_label("Email")).to_be_visible()
    await steps(bitmart, "bitmart-sign-in")
    await sign_in(bitmart, bitmart_user)
    # 9. Disable Spot Trade, ensure Future-Trade is enabled.
    await expect(bitmart.get_by_role("heading", name="perpdesk requests access")).to_be_visible()
    await expect(bitmart.locator("body")).to_contain_text("127.0.0.2")  # our IP whitelist is applied
    await bitmart.get_by_label("Spot Trade").uncheck()
    await bitmart.get_by_label("Future-Trade").check()
    await steps(bitmart, "bitmart-permissions")
    # 10. Confirm.
    await bitmart.get_by_role("button", name="Confirm").click()
    # 11. A tab says the API key was created; it returns to perpdesk, which stores the key.
    await expect(bitmart.get_by_role("heading", name="API key created successfully")).to_be_visible()
    await steps(bitmart, "bitmart-key-created")
    await expect(bitmart.get_by_role("heading", name="API key connected successfully")).to_be_visible(
        timeout=15_000
    )
    await steps(bitmart, "callback")
    await bitmart.close()
    # 12. Back in perpdesk, the window says the API key was connected successfully (no reload).
    done = window.get_by_role("status").filter(has_text="API key connected successfully")
    await expect(done).to_be_visible()
    await steps(page, "connected-successfully")
    # 13. The account is in the list as "Fast Connect Futures", with Edit next to it.
    await window.get_by_role("button", name="Close").click()
    row = page.locator("#accounts-body tr", has_text="Fast Connect Futures")
    await expect(row).to_contain_text("Fast Connect")
    await expect(row).to_contain_text("Active")
    await expect(row).to_contain_text("10,000.00 USDT")  # as traders read it, exact for hover and copy
    await expect(row.locator('[data-num="money"]')).to_have_attribute("data-exact", "10000")
    await steps(page, "account-listed")
    accounts = await platform_accounts(page, base)
    assert [(a["label"], a["method"], a["status"]) for a in accounts] == [
        ("Fast Connect Futures", "fast_connect", "active")
    ]
    assert accounts[0]["permissions"] == ["future_trade", "read"]
    assert accounts[0]["ip_whitelist"] == ["127.0.0.1", "127.0.0.2"]
    # The label can be changed at any time with Edit.
    await row.get_by_role("link", name="Edit").click()
    await page.get_by_label("Account label").fill("BitMart scalping")
    await page.get_by_role("button", name="Save label").click()
    await expect(page.get_by_role("status")).to_contain_text("Label saved")
    await steps(page, "label-edited")
    await page.get_by_role("link", name="Settings > Exchange Account API Keys").click()
    await expect(page.locator("#accounts-body tr")).to_contain_text("BitMart scalping")
    await steps(page, "list-after-edit")

    # Disconnect revokes the key at BitMart.
    keys_before = connect_env.sandbox.admin.user(bitmart_user["email"])["keys"]
    assert len(keys_before) == 1
    await page.locator("#accounts-body tr").get_by_role("link", name="Edit").click()
    page.once("dialog", lambda d: d.accept())
    await page.get_by_role("button", name="Disconnect").click()
    await expect(page.get_by_role("heading", name="Settings > Exchange Account API Keys")).to_be_visible()
    await expect(page.locator("#no-accounts")).to_be_visible()
    assert connect_env.sandbox.admin.user(bitmart_user["email"])["keys"] == []
    await page.goto(base + "/settings/exchange-accounts/audit-log")
    for action in (
        "fast_connect.started",
        "account.connected",
        "account.renamed",
        "account.disconnected",
        "key.revoked",
    ):
        await expect(page.locator(f"tr[data-action='{action}']").first).to_be_visible()
    await steps(page, "audit-log")
