"""In Chromium: with the trade, portfolio or terminal page open, a price set at the exchange shows
as the new mark and uPnL within a second, without a reload; orders and positions made at the
exchange by another client (the official SDK) appear on the open terminal and go when they go.
Screenshots: test-artifacts/live/."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from bitmart.api_contract import APIContract
from playwright.async_api import expect

from perpdesk.core.money import fmt
from tests.e2e.helpers import Screenshots, csrf_headers, sign_up_in_browser
from tests.e2e.trading.conftest import PASSWORD
from tests.e2e.trading.test_trading_page import sign_up_and_connect
from tests.fixtures.platform import PlatformServer
from tests.fixtures.sandbox import SandboxServer, prices_frozen

pytestmark = pytest.mark.e2e
SYM = "ETHUSDT"


@pytest.fixture
def frozen(sandbox: SandboxServer) -> Iterator[SandboxServer]:
    with prices_frozen(sandbox, SYM, "3000"):
        yield sandbox


async def _live(page: Any, base: str, account_id: str, mark: str, sandbox: SandboxServer) -> dict[str, Any]:
    for _ in range(150):  # ticking until the market stream follows the symbol
        await asyncio.to_thread(sandbox.admin.set_price, SYM, mark)
        r = await page.request.get(f"{base}/api/accounts/{account_id}/live")
        if r.status == 200:
            view = await r.json()
            if view["freshness"]["fresh"] and [p["mark_price"] for p in view["positions"]] == [mark]:
                return dict(view)
        await asyncio.sleep(0.1)
    raise AssertionError("the mirror did not become fresh")


async def _long_at_3001(page: Any, base: str, sandbox: SandboxServer) -> tuple[str, Decimal, Decimal]:
    """A connected account holding 10 ETHUSDT long, its mirror fresh at mark 3001: the account,
    the entry price and the contract size."""
    account_id, _ = await sign_up_and_connect(page, base, sandbox)
    headers = await csrf_headers(page, base)
    r = await page.request.post(f"{base}/api/accounts/{account_id}/orders", headers=headers,
                                data={"symbol": SYM, "side": "buy_open_long", "type": "market", "size": "10",
                                      "leverage": "5", "margin_mode": "cross"})
    assert r.status in (200, 201), await r.text()
    held = (await _live(page, base, account_id, "3001", sandbox))["positions"][0]
    return account_id, Decimal(held["entry_price"]), Decimal(held["contract_size"])


async def test_trade_and_portfolio_pages_follow_the_mark_without_reload(
    page: Any, live_platform: PlatformServer, frozen: SandboxServer
) -> None:
    shot = Screenshots("live", "mark-and-upnl")
    base = live_platform.url
    account_id, entry, cs = await _long_at_3001(page, base, frozen)

    await page.goto(f"{base}/accounts/{account_id}/trade")
    row = page.locator(f'#positions tr[data-symbol="{SYM}"][data-side="long"]')
    await expect(row.locator('[data-col="mark"]')).to_have_text("3,001.00")
    await expect(page.locator("#live-freshness")).to_have_text("live")
    portfolio = await page.context.new_page()
    await portfolio.goto(f"{base}/portfolio")
    acct = portfolio.locator(f'#portfolio tr[data-account="{account_id}"]')
    await expect(acct.locator("[data-live-freshness]")).to_have_text("live")
    await shot(page, "trade-before")

    await asyncio.to_thread(frozen.admin.set_price, SYM, "3050")
    upnl = fmt((Decimal(3050) - entry) * 10 * cs)
    await expect(row.locator('[data-col="mark"]')).to_have_text("3,050.00", timeout=1000)
    await expect(row.locator('[data-col="mark"] [data-num]')).to_have_attribute("data-exact", "3050")
    await expect(row.locator('[data-col="pnl"] > span:first-child')).to_have_attribute("data-exact", upnl,
                                                                                      timeout=1000)
    await expect(row.locator('[data-col="pnl"] > span:first-child')).to_have_class(re.compile(r"\bpos\b"))
    await expect(acct.locator('[data-live="account_pnl"] [data-num]')).to_have_attribute("data-exact", upnl,
                                                                                        timeout=1000)
    await shot(page, "trade-after")
    await shot(portfolio, "portfolio-after")
    await portfolio.close()


async def test_terminal_follows_the_mark_without_reload(
    page: Any, live_platform: PlatformServer, frozen: SandboxServer
) -> None:
    shot = Screenshots("live", "terminal-mark-and-upnl")
    base = live_platform.url
    account_id, entry, cs = await _long_at_3001(page, base, frozen)
    reads = []  # the page's own reads of account state (none while live)
    page.on("request", lambda req: reads.append(req.url) if re.search(
        r"/(positions|orders|conditional-orders|fills|balances|live|position-mode)(\?|$)", req.url) else None)
    await page.goto(f"{base}/trade/{account_id}/{SYM}")
    await page.wait_for_function("() => window.perpdeskTerminal && window.perpdeskTerminal.ready")
    position = page.locator('[data-position="long"]')
    await expect(page.locator("#tk-mark")).to_have_text("3,001.00")  # at the tick
    await expect(position.locator('[data-col="mark"]')).to_have_text("Mark3,001.00")
    await shot(page, "before")

    upnl = fmt((Decimal(3050) - entry) * 10 * cs)
    started = time.monotonic()
    await asyncio.to_thread(frozen.admin.set_price, SYM, "3050")
    await expect(page.locator("#tk-mark")).to_have_text("3,050.00", timeout=1000)
    await expect(position.locator('[data-col="mark"]')).to_have_text("Mark3,050.00", timeout=1000)
    await expect(position.locator('[data-col="upnl"] [data-exact]')).to_have_attribute("data-exact", upnl,
                                                                                     timeout=1000)
    took = time.monotonic() - started
    assert took < 1.0, took
    await expect(position.locator('[data-col="upnl"]')).to_have_class("pos")
    await shot(page, "after")
    assert reads == [], reads


async def test_orders_and_positions_made_elsewhere_appear_on_the_open_terminal(
    page: Any, live_platform: PlatformServer, frozen: SandboxServer
) -> None:
    """Placed with BitMart's official SDK straight at the exchange, not through perpdesk."""
    shot = Screenshots("live", "terminal-rows-from-elsewhere")
    base = live_platform.url
    account_id, key = await sign_up_and_connect(page, base, frozen)
    sdk = APIContract(key["api_key"], key["secret_key"], key["memo"], url=frozen.base_url)
    await page.goto(f"{base}/trade/{account_id}/{SYM}")
    await page.wait_for_function("() => window.perpdeskTerminal && window.perpdeskTerminal.ready")
    await expect(page.locator("#orders")).to_contain_text("No open order.")
    await page.get_by_role("tab", name=re.compile("^Open orders")).click()

    async def at_exchange(call: Any, **params: Any) -> dict[str, Any]:
        answer, _ = await asyncio.to_thread(call, contract_symbol=SYM, **params)
        assert answer["code"] == 1000, answer
        return dict(answer["data"])

    started = time.monotonic()
    placed = await at_exchange(sdk.post_submit_order, type="limit", side=1, leverage="5", open_type="cross",
                               price="2500", size=4)
    order = page.locator(f'#orders [data-order="{placed["order_id"]}"]')
    await expect(order).to_be_visible(timeout=1000)
    assert time.monotonic() - started < 1.0
    await expect(order.locator('[data-col="price"]')).to_have_text("Price2,500.00")
    await shot(page, "order-from-sdk")
    await at_exchange(sdk.post_cancel_order, order_id=placed["order_id"])
    await expect(order).to_have_count(0, timeout=1000)

    started = time.monotonic()
    await at_exchange(sdk.post_submit_order, type="market", side=1, leverage="5", open_type="cross", size=6)
    position = page.locator('[data-position="long"]')
    await expect(position.locator('[data-col="size"]')).to_have_text("Size6", timeout=1000)
    assert time.monotonic() - started < 1.0
    await expect(page.locator("#fills [data-fill]")).to_have_count(1, timeout=2000)
    await shot(page, "position-from-sdk")

    # BitMart pushes a trigger order only once it fires: the mirror re-reads them while a page is
    # open (PERPDESK_LIVE_WATCHED_PLANS_S, 1 s here)
    plan = await at_exchange(sdk.post_submit_plan_order, type="limit", side=4, leverage="5",
                             open_type="cross", mode=1, size=2, trigger_price="3200",
                             executive_price="3199", price_way=1, price_type=1)
    row = page.locator(f'#conditional [data-conditional="{plan["order_id"]}"]')
    await expect(row.locator('[data-col="trigger"]')).to_have_text("Trigger3,200.00", timeout=3000)
    await shot(page, "plan-from-sdk")
    await at_exchange(sdk.post_cancel_plan_order, order_id=plan["order_id"])
    await expect(row).to_have_count(0, timeout=3000)

    await at_exchange(sdk.post_submit_order, type="market", side=3, leverage="5", open_type="cross", size=6)
    await expect(position).to_have_count(0, timeout=1000)
    await expect(page.locator("#fills [data-fill]")).to_have_count(2, timeout=2000)
    await shot(page, "closed-from-sdk")


async def test_a_dropped_stream_says_live_updates_are_paused(
    page: Any, live_platform: PlatformServer, sandbox: SandboxServer
) -> None:
    base = live_platform.url
    await sign_up_in_browser(page, base, PASSWORD)
    await page.route("**/api/live/stream*", lambda route: route.abort())  # the stream cannot connect
    await page.goto(f"{base}/portfolio")
    banner = page.locator("#live-banner")
    await expect(banner).to_be_visible()
    await expect(banner).to_contain_text("Live updates paused, reconnecting")
    await page.unroute("**/api/live/stream*")
    await expect(banner).to_be_hidden(timeout=5000)  # EventSource retries (2 s) and the banner goes
