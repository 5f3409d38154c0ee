"""Every Key audit and Whitelisting failure through the page: the message the user sees, and that
nothing was stored (the platform's database is read directly)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from tests.e2e.connect.bitmart_pages import sign_in
from tests.e2e.connect.conftest import ConnectEnv, Steps, platform_accounts, platform_sign_up
from tests.e2e.helpers import open_bitmart_window, start_fast_connect

pytestmark = pytest.mark.e2e


async def open_manual(page: Any, base: str) -> Any:
    window = await open_bitmart_window(page, base)
    await window.get_by_role("tab", name="Manual connect").click()
    return window


async def fill_and_save(window: Any, api_key: str, secret: str, passphrase: str) -> None:
    await window.get_by_label("API key").fill(api_key)
    await window.get_by_label("Secret").fill(secret)
    await window.get_by_label("Passphrase").fill(passphrase)
    await window.get_by_role("button", name="Save", exact=True).click()


CASES = {
    # case: (title the user sees, words of the next step)
    "wrong_key": ("BitMart does not know this API key", "copy button next to it"),
    "wrong_secret": ("The Secret or the Passphrase is wrong", "cannot tell us which"),
    "wrong_passphrase": ("The Secret or the Passphrase is wrong", "exactly the Memo"),
    "ip_not_allowed": ("The key does not allow perpdesk's IP addresses", "127.0.0.1, 127.0.0.2"),
    "no_future_trade": ("The key lacks the Future-Trade permission", "enable Future-Trade"),
    "exchange_unavailable": ("BitMart did not answer", "Nothing was saved"),
    "duplicate_key": ("This API key is already connected", "create a new key"),
    "duplicate_account": ("This exchange account is already connected", "replace its credentials"),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_manual_key_audit_failure(watched, connect_env: ConnectEnv, steps: Steps, case: str) -> None:  # type: ignore[no-untyped-def]
    page, base, admin = watched, connect_env.platform.url, connect_env.sandbox.admin
    await platform_sign_up(page, base)
    user = connect_env.bitmart_user()
    perms = ("spot_trade",) if case == "no_future_trade" else ("future_trade",)
    ip = ("127.0.0.9",) if case == "ip_not_allowed" else ("127.0.0.1", "127.0.0.2")
    key = connect_env.bitmart_key(user["email"], permissions=perms, ip=ip)
    api_key, secret, memo = key["api_key"], key["secret_key"], key["memo"]
    if case in ("duplicate_key", "duplicate_account"):
        # Someone else (another perpdesk user) connected this key / this BitMart account already.
        other = await (await page.context.browser.new_context()).new_page()
        await platform_sign_up(other, base)
        tok = (await (await other.request.get(base + "/api/auth/csrf")).json())["csrf_token"]
        r = await other.request.post(
            base + "/api/accounts",
            headers={"X-CSRF-Token": tok},
            data={"api_key": api_key, "secret": secret, "passphrase": memo},
        )
        assert r.status == 201, await r.text()
        await other.context.close()
        if case == "duplicate_account":
            key = connect_env.bitmart_key(user["email"])
            api_key, secret, memo = key["api_key"], key["secret_key"], key["memo"]
    if case == "wrong_key":
        api_key = "0" * len(api_key)
    if case == "wrong_secret":
        secret = "f" * len(secret)
    if case == "wrong_passphrase":
        memo = "not-the-memo"
    before = connect_env.db_counts()

    window = await open_manual(page, base)
    if case == "exchange_unavailable":
        admin.fault("http_error", "*", status=503)
    try:
        await fill_and_save(window, api_key, secret, memo)
        alert = window.locator("#manual-msg").get_by_role("alert")
        title, next_words = CASES[case]
        await expect(alert).to_contain_text(title)
        await expect(alert).to_contain_text(next_words)
    finally:
        if case == "exchange_unavailable":
            admin.clear_faults()
    await expect(window.get_by_role("button", name="Add", exact=True)).to_be_hidden()
    # what was typed is kept so the user can fix one field
    await expect(window.get_by_label("Passphrase")).to_have_value(memo)
    await steps(page, case)
    assert await platform_accounts(page, base) == []
    assert connect_env.db_counts() == before


async def test_bad_input_names_the_field_and_keeps_the_rest(
    watched, connect_env: ConnectEnv, steps: Steps
) -> None:  # type: ignore[no-untyped-def]
    page, base = watched, connect_env.platform.url
    await platform_sign_up(page, base)
    window = await open_manual(page, base)
    await fill_and_save(window, "", "some-secret-value", "some-memo")
    await expect(window.get_by_role("alert")).to_contain_text("Check the API key field")
    await expect(window.get_by_role("alert")).to_contain_text("the API key is empty")
    await expect(window.get_by_label("API key")).to_have_attribute("aria-invalid", "true")
    await expect(window.get_by_label("Secret")).to_have_value("some-secret-value")
    await steps(page, "empty-api-key")


async def test_withdraw_needs_acceptance_then_warns(watched, connect_env: ConnectEnv, steps: Steps) -> None:  # type: ignore[no-untyped-def]
    page, base = watched, connect_env.platform.url
    await platform_sign_up(page, base)
    user = connect_env.bitmart_user()
    key = connect_env.bitmart_key(
        user["email"], permissions=("future_trade", "spot_trade", "withdraw"), ip=("127.0.0.1",)
    )
    window = await open_manual(page, base)
    await fill_and_save(window, key["api_key"], key["secret_key"], key["memo"])
    msg = window.locator("#manual-msg")
    # refused by default: perpdesk never withdraws
    await expect(msg.locator("[data-code=withdraw_refused]")).to_contain_text("disable Withdraw")
    await expect(window.get_by_role("button", name="Add", exact=True)).to_be_hidden()
    await steps(page, "withdraw-refused")
    await window.get_by_label("I accept that this key can withdraw funds").check()
    await window.get_by_role("button", name="Save", exact=True).click()
    await expect(msg.locator("[data-code=spot_trade_enabled]")).to_contain_text("disable Spot-Trade")
    await expect(msg.locator("[data-code=withdraw_enabled]")).to_contain_text("disable Withdraw")
    await expect(msg.locator("[data-code=ip_whitelist_incomplete]")).to_contain_text("127.0.0.2")
    await steps(page, "warnings")
    await window.get_by_role("button", name="Add", exact=True).click()
    await expect(
        window.get_by_role("status").filter(has_text="API key successfully connected")
    ).to_be_visible()
    accounts = await platform_accounts(page, base)
    assert accounts[0]["warnings"] == ["spot_trade_enabled", "withdraw_enabled", "ip_whitelist_incomplete"]
    assert accounts[0]["withdraw_allowed"] is True
    r = await page.request.get(base + "/api/accounts/audit-log")
    actions = [(e["action"], e["account_id"]) for e in (await r.json())["entries"]]
    assert ("account.withdraw_accepted", accounts[0]["id"]) in actions


async def test_not_whitelisted_then_awaiting_then_active(
    watched, connect_env: ConnectEnv, steps: Steps
) -> None:  # type: ignore[no-untyped-def]
    page, base, admin = watched, connect_env.platform.url, connect_env.sandbox.admin
    await platform_sign_up(page, base)
    user = connect_env.bitmart_user(whitelisted=False)
    key = connect_env.bitmart_key(user["email"])
    before = connect_env.db_counts()
    window = await open_manual(page, base)
    await fill_and_save(window, key["api_key"], key["secret_key"], key["memo"])
    msg = window.locator("#manual-msg")
    await expect(msg).to_contain_text("not whitelisted for futures API trading yet")
    await expect(msg).to_contain_text("API Whitelist Request")
    await expect(msg).to_contain_text(
        "Bitmart CID or the account's email address".replace("Bitmart", "BitMart")
    )
    await expect(msg.locator(".cid")).to_have_text(
        f"Your BitMart CID (for the API Whitelist Request): {user['uid']}"
    )
    await expect(window.get_by_role("button", name="Add", exact=True)).to_be_hidden()
    await steps(page, "not-whitelisted")
    assert connect_env.db_counts() == before  # nothing stored until the user chooses to
    assert await platform_accounts(page, base) == []

    await window.get_by_role("button", name="Save as awaiting whitelisting").click()
    await expect(
        window.get_by_role("status").filter(has_text="API key successfully connected")
    ).to_contain_text("awaiting whitelisting")
    await window.get_by_role("button", name="Close").click()
    row = page.locator("#accounts-body tr")
    await expect(row).to_contain_text("Awaiting whitelisting")
    await steps(page, "awaiting-whitelisting")
    # BitMart whitelists the account; perpdesk's background re-check turns it active, with a notice.
    admin.whitelist(user["email"])
    await expect(row).to_contain_text("Active", timeout=15_000)
    await expect(page.locator("#notices")).to_contain_text("whitelisted the account for futures API trading")
    await steps(page, "whitelisted-active")
    await page.get_by_role("button", name="Dismiss notice").click()
    await expect(page.locator("#notices .notice")).to_have_count(0)
    await page.reload()
    await expect(page.locator("#notices .notice")).to_have_count(0)


async def _fast_connect_until_consent(
    page: Any, connect_env: ConnectEnv, user: dict[str, Any]
) -> tuple[Any, Any]:
    window = await open_bitmart_window(page, connect_env.platform.url)
    bitmart = await start_fast_connect(page, window)
    await sign_in(bitmart, user)
    await expect(bitmart.get_by_role("button", name="Confirm")).to_be_visible()
    return window, bitmart


async def test_fast_connect_denied(watched, connect_env: ConnectEnv, steps: Steps) -> None:  # type: ignore[no-untyped-def]
    page = watched
    await platform_sign_up(page, connect_env.platform.url)
    user = connect_env.bitmart_user()
    before = connect_env.db_counts()
    window, bitmart = await _fast_connect_until_consent(page, connect_env, user)
    await bitmart.get_by_role("button", name="Cancel").click()
    await expect(bitmart.get_by_role("heading", name="Fast Connect was cancelled")).to_be_visible()
    await bitmart.close()
    await expect(window.get_by_role("alert")).to_contain_text("Fast Connect was cancelled")
    await expect(window.get_by_role("alert")).to_contain_text("press Confirm")
    await steps(page, "denied")
    assert await platform_accounts(page, connect_env.platform.url) == []
    after = connect_env.db_counts()
    assert (after["exchange_accounts"], after["sealed_secrets"]) == (
        before["exchange_accounts"],
        before["sealed_secrets"],
    )


async def test_fast_connect_without_future_trade_is_revoked(
    watched, connect_env: ConnectEnv, steps: Steps
) -> None:  # type: ignore[no-untyped-def]
    page = watched
    await platform_sign_up(page, connect_env.platform.url)
    user = connect_env.bitmart_user()
    before = connect_env.db_counts()
    window, bitmart = await _fast_connect_until_consent(page, connect_env, user)
    await bitmart.get_by_label("Future-Trade").uncheck()
    await bitmart.get_by_role("button", name="Confirm").click()
    await expect(
        bitmart.get_by_role("heading", name="The key lacks the Future-Trade permission")
    ).to_be_visible(timeout=15_000)
    await bitmart.close()
    await expect(window.get_by_role("alert")).to_contain_text("The key lacks the Future-Trade permission")
    await steps(page, "wrong-permissions")
    assert await platform_accounts(page, connect_env.platform.url) == []
    after = connect_env.db_counts()
    assert (after["exchange_accounts"], after["sealed_secrets"]) == (
        before["exchange_accounts"],
        before["sealed_secrets"],
    )
    assert connect_env.sandbox.admin.user(user["email"])["keys"] == []  # the key was revoked at BitMart


async def test_fast_connect_not_whitelisted_is_saved_awaiting(
    watched, connect_env: ConnectEnv, steps: Steps
) -> None:  # type: ignore[no-untyped-def]
    page = watched
    await platform_sign_up(page, connect_env.platform.url)
    user = connect_env.bitmart_user(whitelisted=False)
    window, bitmart = await _fast_connect_until_consent(page, connect_env, user)
    await bitmart.get_by_role("button", name="Confirm").click()
    await expect(bitmart.get_by_role("heading", name="awaiting whitelisting")).to_be_visible(timeout=15_000)
    await bitmart.close()
    status = window.get_by_role("status").filter(has_text="API key connected successfully")
    await expect(status).to_contain_text("API Whitelist Request")
    await steps(page, "fast-connect-awaiting")
    accounts = await platform_accounts(page, connect_env.platform.url)
    assert [(a["label"], a["status"]) for a in accounts] == [("Fast Connect Futures", "awaiting_whitelist")]


async def test_fast_connect_timeout(
    watched, connect_env: ConnectEnv, short_grant_platform, steps: Steps
) -> None:  # type: ignore[no-untyped-def]
    """Grants live 3 s on this platform: the waiting window says it timed out; nothing is stored."""
    page, base = watched, short_grant_platform.url
    await platform_sign_up(page, base)
    window = await open_bitmart_window(page, base)
    bitmart = await start_fast_connect(page, window)
    await expect(bitmart.get_by_label("Email")).to_be_visible()  # the user walks away here
    alert = window.get_by_role("alert")
    await expect(alert).to_contain_text("Fast Connect timed out", timeout=15_000)
    await expect(alert).to_contain_text("within 10 minutes")
    await steps(page, "timed-out")
    assert await platform_accounts(page, base) == []
    counts = connect_env.db_counts(short_grant_platform)
    assert (counts["exchange_accounts"], counts["sealed_secrets"]) == (0, 0)


async def test_edit_page_replace_credentials_and_check(
    watched, connect_env: ConnectEnv, steps: Steps
) -> None:  # type: ignore[no-untyped-def]
    page, base = watched, connect_env.platform.url
    await platform_sign_up(page, base)
    user = connect_env.bitmart_user()
    key = connect_env.bitmart_key(user["email"])
    tok = (await (await page.request.get(base + "/api/auth/csrf")).json())["csrf_token"]
    r = await page.request.post(
        base + "/api/accounts",
        headers={"X-CSRF-Token": tok},
        data={"api_key": key["api_key"], "secret": key["secret_key"], "passphrase": key["memo"]},
    )
    assert r.status == 201
    await page.goto(base + "/settings/exchange-accounts")
    await page.locator("#accounts-body tr").get_by_role("link", name="Edit").click()
    new = connect_env.bitmart_key(user["email"])
    await page.get_by_label("API key").fill(new["api_key"])
    await page.get_by_label("Secret").fill(new["secret_key"])
    await page.get_by_label("Passphrase").fill("not-the-memo")
    await page.get_by_role("button", name="Replace credentials").click()
    await expect(page.get_by_role("alert")).to_contain_text("The Secret or the Passphrase is wrong")
    await steps(page, "replace-refused")
    assert (await platform_accounts(page, base))[0]["api_key"].endswith(key["api_key"][-4:])  # old key kept
    await page.get_by_label("Passphrase").fill(new["memo"])
    await page.get_by_role("button", name="Replace credentials").click()
    await expect(page.get_by_role("status")).to_contain_text("Credentials replaced")
    assert (await platform_accounts(page, base))[0]["api_key"].endswith(new["api_key"][-4:])
    await page.get_by_role("button", name="Check now").click()
    await expect(page.get_by_role("status")).to_contain_text("The key works")
    await steps(page, "replaced-and-checked")
