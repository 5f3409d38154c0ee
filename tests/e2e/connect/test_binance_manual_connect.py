"""The Manual Connection journey's Binance twin, in Chromium: one tab at Binance's API Management
page (the sandbox), one at perpdesk, the clipboard carrying IPs and keys between them; then every
bad key's reason and fix on the page, and disconnect. Binance keys have no passphrase."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from playwright.async_api import expect

from tests.e2e.connect.bitmart_pages import fresh_code, sign_in
from tests.e2e.connect.conftest import EGRESS_IPS, Steps, platform_accounts, platform_sign_up
from tests.fixtures.binance import BinanceSandbox
from tests.fixtures.platform import PlatformServer, launch_platform

pytestmark = pytest.mark.e2e

API_PAGE = "/binance/api-management"


@pytest.fixture(scope="module")
def binance_platform(binance_sandbox: BinanceSandbox) -> Iterator[PlatformServer]:
    server = launch_platform(
        binance_sandbox.server,
        egress_ips=EGRESS_IPS,
        binance_api_url=binance_sandbox.url,
        binance_web_url=binance_sandbox.server.base_url,
        binance_ws_url=binance_sandbox.url.replace("http://", "ws://"),
    )
    try:
        yield server
    finally:
        server.stop()


Bodies = Callable[[], Awaitable[list[bytes]]]


@pytest.fixture
def seen(page: Any, binance_platform: PlatformServer) -> Bodies:
    """Every body the platform has sent the browser so far (to check for the secrets a test made)."""
    responses: list[Any] = []
    page.context.on("response", lambda r: responses.append(r))

    async def bodies() -> list[bytes]:
        out: list[bytes] = []
        for r in responses:
            if not r.url.startswith(binance_platform.url) or "/static/" in r.url:
                continue
            try:
                out.append(await asyncio.wait_for(r.body(), 5))
            except Exception:  # redirects and aborted loads have no body
                continue
        return out

    return bodies


async def open_binance_window(page: Any, base: str) -> Any:
    """+ Connect Account, Binance under Futures only: the Connect Binance Futures window."""
    await page.goto(base + "/settings/exchange-accounts")
    await page.get_by_role("button", name="+ Connect Account").click()
    futures = page.get_by_role("group", name="Futures only")
    await expect(futures.get_by_role("button")).to_have_text(["Binance", "Bitmart"])
    await futures.get_by_role("button", name="Binance").click()
    return page.get_by_role("dialog", name="Connect Binance Futures")


async def paste_into(page: Any, locator: Any) -> None:
    await locator.click()
    await locator.fill("")
    await page.keyboard.press("Control+V")


async def save_and_expect(window: Any, title: str, fix: str) -> None:
    await window.get_by_role("button", name="Save", exact=True).click()
    alert = window.get_by_role("alert")
    await expect(alert).to_contain_text(title)
    await expect(alert).to_contain_text(fix)
    await expect(alert).not_to_contain_text("BitMart")


async def test_manual_connection_of_a_binance_key(  # type: ignore[no-untyped-def]
    page, seen: Bodies, binance_platform: PlatformServer, binance_sandbox: BinanceSandbox, steps: Steps
) -> None:
    perpdesk, base, sandbox = page, binance_platform.url, binance_sandbox.server
    await platform_sign_up(perpdesk, base)
    user = sandbox.admin.create_user(futures_deposit={"USDT": "2500.75"})

    # At Binance (the sandbox): sign in, API Management, Create API with a label and the 2FA code.
    binance = await perpdesk.context.new_page()
    await binance.goto(sandbox.base_url + "/sign-in")
    await sign_in(binance, user)
    await binance.goto(sandbox.base_url + API_PAGE)
    await binance.get_by_label("Label API key to proceed").fill("perpdesk")
    await binance.get_by_label("Google Authenticator code").fill(await fresh_code(user["totp_secret"]))
    await binance.get_by_role("button", name="Create API").click()
    await expect(binance.get_by_role("heading", name="API key created")).to_be_visible()
    await steps(binance, "binance-key-created")

    # In perpdesk: + Connect Account, Binance under Futures only: Manual connect, no Passphrase.
    await perpdesk.bring_to_front()
    window = await open_binance_window(perpdesk, base)
    await expect(window.get_by_role("tab", name="Manual connect")).to_have_attribute("aria-selected", "true")
    await expect(window.get_by_role("tab", name="Fast Connect")).to_be_hidden()
    await expect(window.get_by_label("Passphrase")).to_be_hidden()
    await expect(window.locator("#key-page")).to_have_text("Binance's API Management page")
    await expect(window.locator("#key-needs li")).to_contain_text(["Enable Futures ticked"])
    await expect(window.get_by_label("Label")).to_have_attribute("placeholder", "Binance Futures")

    # The API Key and the Secret Key, copied at Binance, pasted into perpdesk.
    await binance.bring_to_front()
    await binance.get_by_role("button", name="Copy API Key").click()
    api_key = await binance.evaluate("navigator.clipboard.readText()")
    await perpdesk.bring_to_front()
    await paste_into(perpdesk, window.get_by_label("API key"))
    await binance.bring_to_front()
    await binance.get_by_role("button", name="Copy Secret Key").click()
    secret_key = await binance.evaluate("navigator.clipboard.readText()")
    assert len(secret_key) == 64
    await perpdesk.bring_to_front()
    await paste_into(perpdesk, window.get_by_label("Secret"))

    # A new Binance key can only read: Save names Enable Futures and where to tick it.
    await save_and_expect(window, "The key lacks the Enable Futures permission", "click Edit restrictions")
    assert await platform_accounts(perpdesk, base) == []
    await steps(perpdesk, "enable-futures-missing")

    # Copy perpdesk's IP list; at Binance, Edit restrictions: Enable Futures, trusted IPs only.
    await window.get_by_role("button", name="copy IP addresses").click()
    await expect(window.locator("#copy-done")).to_have_text("Copied.")
    await binance.bring_to_front()
    await binance.get_by_role("link", name="Edit restrictions").click()
    await binance.get_by_label("Enable Futures").check()
    await binance.get_by_label("Restrict access to trusted IPs only (Recommended)").check()
    await paste_into(binance, binance.get_by_role("textbox", name="Trusted IPs"))
    await expect(binance.get_by_role("textbox", name="Trusted IPs")).to_have_value(EGRESS_IPS)
    await binance.get_by_label("Google Authenticator code").fill(await fresh_code(user["totp_secret"]))
    await binance.get_by_role("button", name="Save").click()
    await expect(binance.get_by_role("status")).to_contain_text("saved")
    await steps(binance, "binance-restrictions-saved")

    # Save shows the balance; Add; the account is listed with Edit.
    await perpdesk.bring_to_front()
    await window.get_by_role("button", name="Save", exact=True).click()
    balance = window.get_by_role("table", name="Futures balance")
    await expect(balance).to_be_visible()
    await expect(balance.locator("tbody tr").first).to_contain_text("USDT2500.75")
    await steps(perpdesk, "balance-shown")
    await window.get_by_role("button", name="Add", exact=True).click()
    done = window.get_by_role("status").filter(has_text="API key successfully connected")
    await expect(done).to_be_visible()
    await window.get_by_role("button", name="Close").click()
    row = perpdesk.locator("#accounts-body tr", has_text="Binance Futures")
    await expect(row).to_contain_text("Binance")
    await expect(row).to_contain_text("Manual")
    await expect(row).to_contain_text("Active")
    await expect(row).to_contain_text("2,500.75 USDT")
    await steps(perpdesk, "account-listed")

    # Edit: Binance's words, no Passphrase field; rename, then disconnect.
    await row.get_by_role("link", name="Edit").click()
    await expect(perpdesk.get_by_text("Binance · Futures")).to_be_visible()
    await expect(perpdesk.get_by_label("Passphrase")).to_have_count(0)
    await perpdesk.get_by_label("Account label").fill("Binance main")
    await perpdesk.get_by_role("button", name="Save label").click()
    await expect(perpdesk.get_by_role("status")).to_contain_text("Label saved")
    accounts = await platform_accounts(perpdesk, base)
    assert [(a["label"], a["exchange"], a["method"], a["status"]) for a in accounts] == [
        ("Binance main", "binance", "manual", "active")
    ]
    perpdesk.once("dialog", lambda d: asyncio.ensure_future(d.accept()))
    await perpdesk.get_by_role("button", name="Disconnect").click()
    await expect(perpdesk).to_have_url(base + "/settings/exchange-accounts")
    await expect(perpdesk.locator("#no-accounts")).to_be_visible()
    assert await platform_accounts(perpdesk, base) == []
    await steps(perpdesk, "disconnected")
    assert not any(secret_key.encode() in body for body in await seen())
    assert api_key  # the key itself is shown masked only in the list


# (what the sandbox key has, or how the form is filled wrong) → (title, words of the fix)
BAD_KEYS: dict[str, tuple[dict[str, Any], str, str]] = {
    "futures_off": (
        {"permissions": ()}, "The key lacks the Enable Futures permission",
        "click Edit restrictions on the key and tick Enable Futures",
    ),
    "withdrawals_on": (
        {"permissions": ("future_trade", "withdraw")}, "This key can withdraw funds",
        "untick Enable Withdrawals",
    ),
    "no_ip_restriction": (
        {"ip": None}, "The key is not restricted to perpdesk's IP addresses",
        "Restrict access to trusted IPs only (Recommended)",
    ),
    "ip_without_platform": (
        {"ip": ("203.0.113.7",)}, "The key does not allow perpdesk's IP addresses", "127.0.0.1, 127.0.0.2",
    ),
    "wrong_secret": ({}, "The Secret is wrong", "Paste the Secret Key again"),
    "unknown_key": ({}, "Binance does not know this API key", "Copy the API Key again"),
}


async def test_every_bad_binance_key_shows_its_reason(  # type: ignore[no-untyped-def]
    page, seen: Bodies, binance_platform: PlatformServer, binance_sandbox: BinanceSandbox, steps: Steps
) -> None:
    base = binance_platform.url
    await platform_sign_up(page, base)
    window = await open_binance_window(page, base)
    made: list[str] = []
    for case, (key_kw, title, fix) in BAD_KEYS.items():
        client = binance_sandbox.client(**{"ip": tuple(EGRESS_IPS.split(",")), **key_kw})
        made.append(client.secret)
        api_key, secret = client.api_key, client.secret
        if case == "wrong_secret":
            secret = secrets.token_hex(32)
        if case == "unknown_key":
            api_key = secrets.token_urlsafe(48)[:64]
        await window.get_by_label("API key").fill(api_key)
        await window.get_by_label("Secret").fill(secret)
        await save_and_expect(window, title, fix)
        await expect(window.get_by_role("button", name="Add", exact=True)).to_be_hidden()
        await steps(page, case)
    assert await platform_accounts(page, base) == []
    for body in await seen():
        assert not any(s.encode() in body for s in made)
