"""TP/SL and leverage forms are sent once: disabled while sending, saying "Sending…", a second
submit sends nothing; on the Trade page and the Terminal, in headless Chromium against the real
platform and sandbox (the exchange's answers slowed by a fault confined to the test's own key)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from tests.e2e.helpers import Screenshots
from tests.e2e.trading.test_one_ticket_pages import api
from tests.e2e.trading.test_terminal_page import open_terminal, ticket_order
from tests.e2e.trading.test_trading_page import sign_up_and_connect
from tests.fixtures.platform import PlatformServer
from tests.fixtures.sandbox import SandboxServer

pytestmark = pytest.mark.e2e
ETH = "ETHUSDT"
TP_SL = "/contract/private/submit-tp-sl-order"
LEVERAGE = "/contract/private/submit-leverage"
# Recorded in the page (a form's request is out: Playwright cannot read the page until it loads):
# each submit of the TP/SL form with the state it leaves the form in; after the first, a second
# submit, which must send nothing more.
RECORD_SUBMITS = """
window.addEventListener("submit", (ev) => {
  const f = ev.target;
  if (f.id !== "tpsl-form") return;
  const log = JSON.parse(sessionStorage.getItem("tpslLog") || "[]");
  const b = f.querySelector('button[type="submit"]');
  log.push({ prevented: ev.defaultPrevented, button: [b.textContent, b.disabled] });
  sessionStorage.setItem("tpslLog", JSON.stringify(log));
  if (log.length === 1) setTimeout(() => f.requestSubmit(), 50);
});
"""


async def take_profits(page: Any, base: str, account_id: str, symbol: str) -> list[str]:
    path = f"/api/accounts/{account_id}/conditional-orders?symbol={symbol}"
    _, waiting = await api(page, base, "GET", path)
    return [o["trigger_price"] for o in waiting["orders"] if o["kind"] == "take_profit"]


async def test_trade_page_tp_sl_form_is_sent_once(
    page: Any, trading_platform: PlatformServer, sandbox: SandboxServer
) -> None:
    shot = Screenshots("trading", "tp-sl-once")
    base = trading_platform.url
    account_id, key = await sign_up_and_connect(page, base, sandbox)
    sandbox.admin.set_price(ETH, "3500")
    await page.goto(f"{base}/accounts/{account_id}/trade")
    body = {"symbol": ETH, "side": "buy", "type": "market", "size": "1"}
    assert (await api(page, base, "POST", f"/api/accounts/{account_id}/orders", body))[0] == 201
    await page.add_init_script(RECORD_SUBMITS)
    await page.reload()
    await page.get_by_text("Take-profit / stop-loss for a position").click()
    form = page.locator("#tpsl-form")
    await form.get_by_label("Position").select_option(ETH)
    await form.get_by_label("Take-profit price").fill("3900")
    sandbox.admin.fault("latency", TP_SL, latency_ms=2500, times=1, api_key=key["api_key"])
    await form.get_by_role("button", name="Set TP/SL").click()
    await expect(page.locator("#notice")).to_contain_text("Take-profit / stop-loss set")
    await shot(page, "set")
    sent = await page.evaluate("JSON.parse(sessionStorage.getItem('tpslLog'))")
    assert sent == [
        {"prevented": False, "button": ["Sending…", True]},  # the click
        {"prevented": True, "button": ["Sending…", True]},  # a second submit: nothing
    ], sent
    assert await take_profits(page, base, account_id, ETH) == ["3900"]


async def test_terminal_tp_sl_and_leverage_forms_are_sent_once(
    page: Any, trading_platform: PlatformServer, frozen: SandboxServer
) -> None:
    shot = Screenshots("terminal", "forms-once")
    base = trading_platform.url
    account_id, key = await open_terminal(page, base, frozen)
    await ticket_order(page, "market", "10", "Buy / Long")
    await expect(page.locator("#notice")).to_contain_text("Order placed.")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url.rsplit("/", 1)[1]) if r.method == "POST" else None)

    set_tpsl = page.locator('[data-position="long"] form.set-tpsl')
    await set_tpsl.get_by_label("Take profit").fill("250")
    frozen.admin.fault("latency", TP_SL, latency_ms=1500, times=1, api_key=key["api_key"])
    await set_tpsl.get_by_role("button", name="Set TP/SL").click()
    await expect(set_tpsl.get_by_role("button", name="Sending…")).to_be_disabled()
    await expect(page.locator("#notice")).to_contain_text("Sending…")
    await shot(page, "tp-sl-sending")
    await page.evaluate("document.querySelector('[data-position=\"long\"] form.set-tpsl').requestSubmit()")
    await expect(page.locator("#notice")).to_contain_text("TP/SL set.")
    assert posts.count("tp-sl") == 1, posts
    assert await take_profits(page, base, account_id, "SOLUSDT") == ["250"]

    lev = page.locator("#leverage-form")
    await lev.get_by_label("Leverage").fill("12")
    frozen.admin.fault("latency", LEVERAGE, latency_ms=1500, times=1, api_key=key["api_key"])
    await lev.get_by_role("button", name="Set leverage").click()
    await expect(lev.get_by_role("button", name="Sending…")).to_be_disabled()
    await page.evaluate("document.getElementById('leverage-form').requestSubmit()")
    await expect(page.locator("#notice")).to_contain_text("Leverage and margin mode set.")
    await expect(lev.get_by_role("button", name="Set leverage")).to_be_enabled()
    assert posts.count("leverage") == 1, posts
