"""In Chromium: the portfolio's positions table lists every account's positions and follows the
live mark over the stream: a price set at the exchange changes the row's mark and uPnL (exact
values in data-exact, shown as traders read them), the total uPnL with them; a position opened
after the page loaded gets its row without a reload. Screenshots: test-artifacts/portfolio/."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from playwright.async_api import expect

from perpdesk.core.money import fmt
from tests.e2e.helpers import Screenshots, csrf_headers
from tests.e2e.trading.test_trading_page import sign_up_and_connect
from tests.fixtures.platform import PlatformServer
from tests.fixtures.sandbox import SandboxServer, prices_frozen

pytestmark = pytest.mark.e2e
ETH, BTC = "ETHUSDT", "BTCUSDT"


@pytest.fixture
def frozen(sandbox: SandboxServer) -> Iterator[SandboxServer]:
    with prices_frozen(sandbox, ETH, "3000"):
        sandbox.admin.set_price(BTC, "95000")
        yield sandbox


async def connect_another(page: Any, base: str, sandbox: SandboxServer, headers: dict[str, str]) -> str:
    bm = sandbox.admin.create_user(futures_deposit={"USDT": "5000"})
    key = sandbox.admin.create_key(bm["email"], memo="memo-" + secrets.token_hex(3))
    r = await page.request.post(base + "/api/accounts", headers=headers, data={
        "api_key": key["api_key"], "secret": key["secret_key"], "passphrase": key["memo"], "label": "Hedge"})
    assert r.status == 201, await r.text()
    return str((await r.json())["account"]["id"])


async def market(page: Any, base: str, headers: dict[str, str], account_id: str, symbol: str, side: str,
                 size: str) -> None:
    order = {"symbol": symbol, "side": side, "type": "market", "size": size, "leverage": "5",
             "margin_mode": "cross"}
    r = await page.request.post(f"{base}/api/accounts/{account_id}/orders", headers=headers, data=order)
    assert r.status in (200, 201), await r.text()


async def live_position(page: Any, base: str, account_id: str, symbol: str, mark: str,
                        sandbox: SandboxServer) -> dict[str, Any]:
    for _ in range(150):  # ticking until the market stream follows the symbol
        await asyncio.to_thread(sandbox.admin.set_price, symbol, mark)
        r = await page.request.get(f"{base}/api/accounts/{account_id}/live")
        if r.status == 200:
            view = await r.json()
            held = [p for p in view["positions"] if p["symbol"] == symbol and p["mark_price"] == mark]
            if view["freshness"]["fresh"] and held:
                return dict(held[0])
        await asyncio.sleep(0.1)
    raise AssertionError("the mirror did not follow the mark")


async def test_the_positions_table_follows_the_mark_across_accounts(
    page: Any, portfolio_platform: PlatformServer, frozen: SandboxServer
) -> None:
    shot = Screenshots("portfolio", "positions-table")
    base = portfolio_platform.url
    desk, _key = await sign_up_and_connect(page, base, frozen)
    headers = await csrf_headers(page, base)
    hedge = await connect_another(page, base, frozen, headers)
    await market(page, base, headers, desk, ETH, "buy_open_long", "10")
    eth = await live_position(page, base, desk, ETH, "3001", frozen)

    await page.goto(f"{base}/")
    table = page.locator("#all-positions")
    eth_row = table.locator(f'tr[data-position-account="{desk}"][data-symbol="{ETH}"][data-side="long"]')
    await expect(eth_row.locator('[data-col="mark"]')).to_have_text("3,001.00")
    await expect(eth_row.locator('[data-col="account"]')).to_have_text("Desk")
    await expect(table.locator("tbody tr")).to_have_count(1)

    await market(page, base, headers, hedge, BTC, "sell_open_short", "20")  # after the page loaded
    btc_row = table.locator(f'tr[data-position-account="{hedge}"][data-symbol="{BTC}"][data-side="short"]')
    await expect(btc_row.locator('[data-col="account"]')).to_have_text("Hedge", timeout=5000)
    btc = await live_position(page, base, hedge, BTC, "95000", frozen)
    await expect(btc_row.locator('[data-col="mark"]')).to_have_text("95,000.0")

    entry, cs = Decimal(eth["entry_price"]), Decimal(eth["contract_size"])
    await asyncio.to_thread(frozen.admin.set_price, ETH, "3057.43")
    upnl = (Decimal("3057.43") - entry) * 10 * cs
    await expect(eth_row.locator('[data-col="mark"]')).to_have_text("3,057.43", timeout=2000)
    pnl = eth_row.locator('[data-col="pnl"] [data-num]')
    await expect(pnl).to_have_attribute("data-exact", fmt(upnl), timeout=2000)
    await expect(pnl).to_have_text(f"{upnl.quantize(Decimal('0.01')):,}")
    await expect(pnl).to_have_class("num pos")
    btc_upnl = (Decimal(btc["entry_price"]) - Decimal(95000)) * 20 * Decimal(btc["contract_size"])
    btc_pnl = btc_row.locator('[data-col="pnl"] [data-num]')
    await expect(btc_pnl).to_have_attribute("data-exact", fmt(btc_upnl))
    total = page.locator("#all-positions-upnl [data-num]")
    await expect(total).to_have_attribute("data-exact", fmt(upnl + btc_upnl), timeout=2000)
    await shot(page, "after-move")
