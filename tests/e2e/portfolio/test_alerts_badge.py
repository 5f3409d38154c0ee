"""In Chromium: the nav's Alerts badge counts a new notification without a reload (on a page
without the live account stream: the badge has a small stream of its own), and goes when the
notifications are read elsewhere; Settings > Notifications' "Send test" tells the outcome."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from tests.e2e.helpers import Screenshots, csrf_headers
from tests.e2e.trading.test_trading_page import sign_up_and_connect
from tests.fixtures.platform import PlatformServer
from tests.fixtures.sandbox import SandboxServer

pytestmark = pytest.mark.e2e


async def test_the_alerts_badge_counts_a_new_notification_without_reload(
    page: Any, portfolio_platform: PlatformServer, sandbox: SandboxServer
) -> None:
    shot = Screenshots("portfolio", "alerts-badge")
    base = portfolio_platform.url
    account_id, _key = await sign_up_and_connect(page, base, sandbox)
    await page.goto(f"{base}/settings/notifications")
    badge = page.get_by_test_id("bell").locator(".badge")
    await expect(badge).to_have_count(0)
    await page.evaluate("() => { window.notReloaded = true; }")

    headers = await csrf_headers(page, base)
    r = await page.request.post(f"{base}/api/accounts/{account_id}/orders", headers=headers,
                                data={"symbol": "ETHUSDT", "side": "buy_open_long", "type": "market",
                                      "size": "1", "leverage": "5", "margin_mode": "cross"})
    assert r.status in (200, 201), await r.text()
    await expect(badge).to_have_text("1", timeout=10_000)  # the fill's notification
    await expect(page.get_by_test_id("bell")).to_have_attribute("aria-label", "Notifications, 1 unread")
    assert await page.evaluate("() => window.notReloaded === true")
    await shot(page, "one-unread")

    r = await page.request.post(f"{base}/api/notifications/read", headers=headers, data={})
    assert r.status == 200 and (await r.json())["marked"] == 1
    await expect(badge).to_have_count(0, timeout=5000)
    assert await page.evaluate("() => window.notReloaded === true")


async def test_send_test_tells_why_the_webhook_was_not_reached(
    page: Any, portfolio_platform: PlatformServer, sandbox: SandboxServer
) -> None:
    base = portfolio_platform.url
    await sign_up_and_connect(page, base, sandbox)
    await page.goto(f"{base}/settings/notifications")
    await expect(page.get_by_role("button", name="Send test")).to_have_count(0)  # nothing saved yet
    await page.get_by_label("Webhook URL (optional)").fill("https://perpdesk-test.invalid/hook")
    await page.get_by_role("button", name="Save").click()
    await page.get_by_role("button", name="Send test").click()
    outcome = page.get_by_test_id("webhook-test-outcome")
    await expect(outcome).to_have_text("Test not delivered: could not connect (the host does not resolve, "
                                       "or refused the connection).")
    await expect(page.locator("#deliveries tbody tr")).to_have_count(1)
    await expect(page.locator("#deliveries tbody tr").first).to_contain_text("gave up")

    headers = await csrf_headers(page, base)
    r = await page.request.post(f"{base}/api/notifications/webhook/test", headers=headers)
    assert r.status == 200
    body = await r.json()
    assert (body["delivered"], body["status"], body["error"]) == (False, None, "ConnectError")
