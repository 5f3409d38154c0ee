"""One order per intention, tickets that start from the truth and Close 100 %, in headless
Chromium against the real platform and sandbox (the exchange's answers slowed by a fault confined
to the test's own key). Screenshots: test-artifacts/trading/."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from playwright.async_api import expect

from tests.e2e.helpers import Screenshots
from tests.e2e.trading.test_terminal_page import open_terminal, ticket_order
from tests.e2e.trading.test_trading_page import sign_up_and_connect
from tests.fixtures.platform import PlatformServer
from tests.fixtures.sandbox import SandboxServer

pytestmark = pytest.mark.e2e
ETH = "ETHUSDT"
SUBMIT = "/contract/private/submit-order"
# Recorded in the page (a form's request is out: Playwright cannot read the page until it loads):
# each submit of the ticket with the state it leaves the ticket in; after the first, a second click
# and Enter in a field, which must send nothing more.
RECORD_SUBMITS = """
window.addEventListener("submit", (ev) => {
  const t = ev.target;
  if (t.id !== "ticket") return;
  const log = JSON.parse(sessionStorage.getItem("ticketLog") || "[]");
  const b = (v) => t.querySelector(`button[value="${v}"]`);
  log.push({ prevented: ev.defaultPrevented, buy: [b("buy").textContent, b("buy").disabled],
             sell: b("sell").disabled, status: !document.getElementById("t-sending").hidden });
  sessionStorage.setItem("ticketLog", JSON.stringify(log));
  if (log.length === 1) setTimeout(() => { b("buy").click(); t.requestSubmit(); }, 50);
});
"""


async def api(page: Any, base: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """The platform's JSON API as the signed-in page (its session cookie and CSRF token)."""
    csrf = await page.evaluate("document.querySelector('meta[name=\"csrf-token\"]').content")
    r = await page.request.fetch(base + path, method=method, data=body, headers={"X-CSRF-Token": csrf})
    return r.status, await r.json()


async def test_trade_page_ticket_is_disabled_while_sending_and_a_second_click_sends_nothing(
    page: Any, trading_platform: PlatformServer, sandbox: SandboxServer
) -> None:
    shot = Screenshots("trading", "one-ticket")
    base = trading_platform.url
    account_id, key = await sign_up_and_connect(page, base, sandbox)
    sandbox.admin.set_price(ETH, "3500")
    await page.add_init_script(RECORD_SUBMITS)
    await page.goto(f"{base}/accounts/{account_id}/trade")
    ticket = page.locator("#ticket")
    await ticket.get_by_label("Symbol").select_option(ETH)
    await ticket.get_by_label("Price (USDT)").fill("3000")
    await ticket.get_by_label("Size (contracts)").fill("1")
    sandbox.admin.fault("latency", SUBMIT, latency_ms=2500, times=1, api_key=key["api_key"])
    buy = ticket.get_by_role("button", name="Buy / Long")
    await buy.click()
    await expect(page.locator("#notice")).to_contain_text("Order placed.")
    sent = await page.evaluate("JSON.parse(sessionStorage.getItem('ticketLog'))")
    assert sent == [
        {"prevented": False, "buy": ["Sending…", True], "sell": True, "status": True},  # the click
        {"prevented": True, "buy": ["Sending…", True], "sell": True, "status": True},  # Enter: nothing
    ], sent
    _, intents = await api(page, base, "GET", f"/api/accounts/{account_id}/orders?state=intents")
    assert [(i["price"], i["status"]) for i in intents["intents"]] == [("3000", "placed")]

    # the same ticket while one is being sent from elsewhere: refused, naming it; Send another
    sandbox.admin.fault("latency", SUBMIT, latency_ms=2500, times=1, api_key=key["api_key"])
    body = {"symbol": ETH, "side": "buy", "type": "limit", "price": "3001", "size": "1"}
    elsewhere = asyncio.create_task(api(page, base, "POST", f"/api/accounts/{account_id}/orders", body))
    await asyncio.sleep(0.5)  # the API request is at the exchange
    await ticket.get_by_label("Price (USDT)").fill("3001")
    await ticket.get_by_label("Size (contracts)").fill("1")
    await ticket.get_by_role("button", name="Buy / Long").click()
    await expect(page.locator("#error")).to_contain_text("is being sent since")
    await shot(page, "duplicate-refused")
    assert (await elsewhere)[0] == 201
    await page.get_by_role("button", name="Send another").click()
    await expect(page.locator("#notice")).to_contain_text("Order placed.")
    _, orders = await api(page, base, "GET", f"/api/accounts/{account_id}/orders?state=open&symbol={ETH}")
    assert sorted(o["price"] for o in orders["orders"]) == ["3000", "3001", "3001"]


async def test_terminal_starts_from_the_position_asks_before_a_leverage_change_and_closes_100(
    page: Any, trading_platform: PlatformServer, frozen: SandboxServer
) -> None:
    shot = Screenshots("terminal", "one-ticket")
    base = trading_platform.url
    account_id, key = await open_terminal(page, base, frozen)
    await page.locator("#o-leverage").fill("20")
    await page.locator("#o-margin").select_option("isolated")
    await ticket_order(page, "market", "10", "Buy / Long")
    await expect(page.locator("#notice")).to_contain_text("Order placed.")
    position = page.locator('[data-position="long"]')
    await expect(position.locator('[data-col="leverage"]')).to_contain_text("20x isolated")

    # a reload: the ticket starts from the position (the exchange's 20x isolated), not 10x cross
    await page.reload()
    await page.wait_for_function("() => window.perpdeskTerminal && window.perpdeskTerminal.ready")
    await expect(page.locator("#o-leverage")).to_have_value("20")
    await expect(page.locator("#o-margin")).to_have_value("isolated")
    await expect(page.locator("#l-leverage")).to_have_value("20")
    # so does the Trade page's ticket, in that symbol
    await page.goto(f"{base}/accounts/{account_id}/trade?symbol=SOLUSDT")
    await expect(page.locator("#t-leverage")).to_have_value("20")
    await expect(page.locator("#t-margin")).to_have_value("isolated")
    await page.goto(f"{base}/trade/{account_id}/SOLUSDT")
    await page.wait_for_function("() => window.perpdeskTerminal && window.perpdeskTerminal.ready")

    # 10x would change the live position's leverage: the page says so and asks first
    await page.locator("#o-leverage").fill("10")
    await ticket_order(page, "limit", "1", "Buy / Long", **{"Price (USDT)": "150"})
    await expect(page.locator("#notice")).to_contain_text("from 20x to 10x")
    await shot(page, "leverage-asked")
    _, orders = await api(page, base, "GET", f"/api/accounts/{account_id}/orders?state=open")
    assert orders["orders"] == []  # nothing was sent
    started = time.monotonic()
    await page.get_by_role("button", name="Change leverage and send").click()
    await expect(page.locator("#notice")).to_contain_text("Order placed.")
    # the terminal shows the exchange's leverage (re-read into the mirror) within a second
    await expect(position.locator('[data-col="leverage"]')).to_contain_text("10x isolated", timeout=1500)
    print(f"leverage shown {time.monotonic() - started:.2f} s after the confirm click")

    # the ticket is disabled and says so while it is sent
    frozen.admin.fault("latency", SUBMIT, latency_ms=1500, times=1, api_key=key["api_key"])
    await ticket_order(page, "limit", "1", "Buy / Long", **{"Price (USDT)": "151"})
    await expect(page.locator("#ticket").get_by_role("button", name="Sending…")).to_be_disabled()
    await expect(page.locator("#ticket").get_by_role("button", name="Sell / Short")).to_be_disabled()
    await expect(page.locator("#notice")).to_contain_text("Sending…")
    await shot(page, "sending")
    await expect(page.locator("#notice")).to_contain_text("Order placed.")
    await expect(page.locator("#ticket").get_by_role("button", name="Buy / Long")).to_be_enabled()

    # Close 100 % while a close limit order rests on the position: cancelled first, then closed
    close_body = {"symbol": "SOLUSDT", "side": "sell_close_long", "type": "limit", "price": "250",
                  "size": "4"}
    status, _ = await api(page, base, "POST", f"/api/accounts/{account_id}/orders", close_body)
    assert status == 201
    await expect(page.locator("#orders [data-order]")).to_have_count(3)
    close = position.locator("form.close-pct")
    await close.get_by_label("Close %").fill("100")
    await close.get_by_role("button", name="Close").click()
    await expect(page.locator("#notice")).to_contain_text("Close order placed.")
    await expect(page.locator('[data-position="long"]')).to_have_count(0, timeout=10_000)
    _, left = await api(page, base, "GET", f"/api/accounts/{account_id}/orders?state=open")
    assert sorted(o["side"] for o in left["orders"]) == ["buy_open_long", "buy_open_long"]
    await shot(page, "closed-100")
