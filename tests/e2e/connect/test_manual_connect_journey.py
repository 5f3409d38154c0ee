"""The brief's "Connecting a Bitmart Futures API Key (Manual Connection)", step by step, in Chromium:
one tab at BitMart (the sandbox), one at perpdesk, the clipboard carrying IPs and keys between them."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.e2e.connect.bitmart_pages import open_api_management, sign_in, verify_and_submit
from tests.e2e.connect.conftest import ConnectEnv, Steps, platform_accounts, platform_sign_up
from tests.e2e.helpers import open_bitmart_window

pytestmark = pytest.mark.e2e


async def paste_into(page, locator) -> None:  # type: ignore[no-untyped-def]
    """Click into a field and paste with the keyboard, as a user does."""
    await locator.click()
    await locator.fill("")
    await page.keyboard.press("Control+V")


async def test_manual_connection_brief_steps(watched, connect_env: ConnectEnv, steps: Steps) -> None:  # type: ignore[no-untyped-def]
    perpdesk, base, sandbox = watched, connect_env.platform.url, connect_env.sandbox
    await platform_sign_up(perpdesk, base)
    user = connect_env.bitmart_user(futures_deposit={"USDT": "2500.75"})
    memo = "perpdesk-manual"
    connect_env.secrets.add(memo)

    # 1-4. Log into Bitmart (Sign In, email and password, 2FA), profile icon > API Management.
    bitmart = await perpdesk.context.new_page()
    await bitmart.goto(sandbox.base_url + "/sign-in")
    await sign_in(bitmart, user)
    await open_api_management(bitmart)
    await steps(bitmart, "bitmart-api-management")
    # 5. Enter a Memo for the API key (perpdesk's Passphrase). 6. Enable Future-Trade.
    await bitmart.get_by_label("Memo").fill(memo)
    await bitmart.get_by_label("Future-Trade").check()

    # 7-10. In perpdesk: Settings > Exchange Account API Keys, + Connect Account, Bitmart, Manual connect.
    await perpdesk.bring_to_front()
    await perpdesk.goto(base + "/")
    await (
        perpdesk.get_by_role("navigation", name="Main")
        .get_by_role("link", name="Settings", exact=True)
        .click()
    )
    window = await open_bitmart_window(perpdesk)
    await window.get_by_role("tab", name="Manual connect").click()
    await expect(window.get_by_role("tab", name="Manual connect")).to_have_attribute("aria-selected", "true")
    await expect(window.get_by_label("Passphrase")).to_be_visible()
    await expect(window.locator("#passphrase-hint")).to_contain_text("Memo")
    await steps(perpdesk, "manual-connect-tab")
    # 11. Scroll to the bottom of the window and click the copy button to copy the IP list.
    await window.get_by_role("button", name="copy IP addresses").click()
    await expect(window.locator("#copy-done")).to_have_text("Copied.")
    assert await perpdesk.evaluate("navigator.clipboard.readText()") == "127.0.0.1,127.0.0.2"
    await steps(perpdesk, "ips-copied")

    # 12. Back at Bitmart, paste the list into the IP field. 13. Submit.
    await bitmart.bring_to_front()
    await paste_into(bitmart, bitmart.get_by_label("IP whitelist"))
    await expect(bitmart.get_by_label("IP whitelist")).to_have_value("127.0.0.1,127.0.0.2")
    await steps(bitmart, "bitmart-ips-pasted")
    await bitmart.get_by_role("button", name="Submit").click()
    # 14-15. Email verification code (Send) and Google Authenticator code, Submit.
    await verify_and_submit(bitmart, sandbox, user)
    await expect(bitmart.get_by_role("heading", name="API key created")).to_be_visible()
    await steps(bitmart, "bitmart-key-created")

    # 16.1 Copy the Access Key at Bitmart, paste it into perpdesk's API key field.
    await bitmart.get_by_role("button", name="Copy Access Key").click()
    await expect(bitmart.get_by_role("status")).to_contain_text("Copied")
    await perpdesk.bring_to_front()
    await paste_into(perpdesk, window.get_by_label("API key"))
    # 16.2 Copy the Secret Key, paste it into the Secret field.
    await bitmart.bring_to_front()
    await bitmart.get_by_role("button", name="Copy Secret Key").click()
    secret_key = await bitmart.evaluate("navigator.clipboard.readText()")
    assert len(secret_key) == 64
    connect_env.secrets.add(secret_key)
    await perpdesk.bring_to_front()
    await paste_into(perpdesk, window.get_by_label("Secret"))
    # 16.3 Enter the Memo into the Passphrase field.
    await window.get_by_label("Passphrase").fill(memo)
    await steps(perpdesk, "fields-filled")

    # 17. Save: the account's balance is shown.
    await window.get_by_role("button", name="Save", exact=True).click()
    balance = window.get_by_role("table", name="Futures balance")
    await expect(balance).to_be_visible()
    await expect(balance.locator("tbody tr")).to_have_text(["USDT2500.752500.750"])
    assert await platform_accounts(perpdesk, base) == []  # nothing stored before Add
    await steps(perpdesk, "balance-shown")
    # 18. Add. 19. A message says the API key was successfully connected.
    await window.get_by_role("button", name="Add", exact=True).click()
    await expect(
        window.get_by_role("status").filter(has_text="API key successfully connected")
    ).to_be_visible()
    await steps(perpdesk, "successfully-connected")
    # 20. The account is in the list of connected Trading Accounts, with Edit next to it.
    await window.get_by_role("button", name="Close").click()
    row = perpdesk.locator("#accounts-body tr", has_text="Bitmart Futures")
    await expect(row).to_contain_text("Manual")
    await expect(row).to_contain_text("Active")
    await expect(row).to_contain_text("2,500.75 USDT")  # as traders read it, exact for hover and copy
    await expect(row.locator('[data-num="money"]')).to_have_attribute("data-exact", "2500.75")
    await steps(perpdesk, "account-listed")
    await row.get_by_role("link", name="Edit").click()
    await perpdesk.get_by_label("Account label").fill("Manual main")
    await perpdesk.get_by_role("button", name="Save label").click()
    await expect(perpdesk.get_by_role("status")).to_contain_text("Label saved")
    await perpdesk.goto(base + "/settings/exchange-accounts")
    await expect(perpdesk.locator("#accounts-body tr")).to_contain_text("Manual main")
    await steps(perpdesk, "label-edited")
    accounts = await platform_accounts(perpdesk, base)
    assert [(a["label"], a["method"], a["status"], a["ip_whitelist"]) for a in accounts] == [
        ("Manual main", "manual", "active", ["127.0.0.1", "127.0.0.2"])
    ]
