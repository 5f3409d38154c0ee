"""Every page of the platform works in Chromium under its Content-Security-Policy (scripts and
styles from /static only) without a single violation: the pages are visited and their scripts
exercised (the Connect window's Manual connect Save, the 2FA QR code, the Trade ticket)."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from playwright.async_api import expect

from tests.e2e.helpers import open_bitmart_window, sign_up_in_browser
from tests.fixtures.platform import PlatformServer
from tests.fixtures.sandbox import SandboxServer

pytestmark = pytest.mark.e2e

PASSWORD = "Csp-check-passphrase-77"

COLLECT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = e.sourceFile + ":" + e.lineNumber;
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + where);
});
"""


class Violations:
    def __init__(self, page: Any) -> None:
        self.page = page
        self.console: list[str] = []
        page.on("console", self._console)

    def _console(self, msg: Any) -> None:
        text = msg.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.console.append(text)

    async def visit(self, url: str, status: int = 200) -> None:
        r = await self.page.goto(url)
        assert r is not None and r.status == status, (url, r and r.status)
        csp = r.headers.get("content-security-policy", "")
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
        await self.check(url)

    async def check(self, where: str) -> None:
        found = await self.page.evaluate("window.__csp || []")
        assert found == [] and self.console == [], (where, found, self.console)


async def test_every_page_runs_under_the_csp(
    page: Any, trading_platform: PlatformServer, sandbox: SandboxServer
) -> None:
    base = trading_platform.url
    await page.context.add_init_script(COLLECT)
    v = Violations(page)
    for path, status in [
        ("/signin", 200),
        ("/signup", 200),
        ("/password/forgot", 200),
        ("/password/reset?token=nope", 400),
        ("/no-such-page", 404),
    ]:
        await v.visit(base + path, status)

    _, headers = await sign_up_in_browser(page, base, PASSWORD)
    bm = sandbox.admin.create_user(futures_deposit={"USDT": "700"})
    key = sandbox.admin.create_key(bm["email"], memo="memo-" + secrets.token_hex(3))
    for path in (
        "/",
        "/portfolio",
        "/fills",
        "/notifications",
        "/settings/notifications",
        "/settings/exchange-accounts/audit-log",
        "/profile",
    ):
        await v.visit(base + path)
    await page.get_by_role("button", name="Set up 2FA").click()
    await expect(page.get_by_test_id("totp-qr")).to_be_visible()  # a data: image
    await v.check("2fa enrolment")

    await v.visit(base + "/settings/exchange-accounts")
    window = await open_bitmart_window(page)
    await window.get_by_role("tab", name="Manual connect").click()
    await window.get_by_label("API Key").fill(key["api_key"])
    await window.get_by_label("Secret").fill(key["secret_key"])
    await window.get_by_label("Passphrase").fill(key["memo"])
    await window.get_by_role("button", name="Save", exact=True).click()
    await expect(window.get_by_role("table", name="Futures balance")).to_be_visible()
    await window.get_by_role("button", name="Add", exact=True).click()
    await expect(
        window.get_by_role("status").filter(has_text="API key successfully connected")
    ).to_be_visible()
    await v.check("manual connect")

    accounts = await (await page.request.get(base + "/api/accounts", headers=headers)).json()
    account_id = accounts["accounts"][0]["id"]
    await v.visit(base + f"/settings/exchange-accounts/{account_id}/edit")
    await v.visit(base + f"/accounts/{account_id}/trade")
    await page.locator("#ticket").get_by_label("Symbol").select_option("ETHUSDT")
    await expect(page.locator("#t-rules")).to_contain_text("price tick")
    await v.check("trade ticket")
    await v.visit(base + "/settings/exchange-accounts/fast-connect/callback?error=access_denied", 400)
