"""The dashboard is the portfolio once an account is connected; the fills page exports the fills
as CSV (the download's content checked); a fill and a take profit firing show up as
notifications. Chromium."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect

from tests.e2e.helpers import Screenshots, sign_up_in_browser
from tests.e2e.portfolio.conftest import ETH, PASSWORD, market, sign_up_and_connect
from tests.fixtures.platform import PlatformServer
from tests.fixtures.sandbox import SandboxServer

pytestmark = pytest.mark.e2e


async def test_dashboard_is_the_portfolio_after_connecting(
    page: Any, portfolio_platform: PlatformServer, sandbox: SandboxServer
) -> None:
    shot = Screenshots("portfolio", "dashboard")
    base = portfolio_platform.url
    await sign_up_in_browser(page, base, PASSWORD)
    await page.goto(base + "/")
    await expect(page.get_by_text("Connect a Futures account (Binance or Bitmart)")).to_be_visible()
    account_id, headers = await sign_up_and_connect(page, base, sandbox, usdt="5000")  # a new user
    sandbox.admin.set_price(ETH, "3500")
    await market(page, base, headers, account_id, "buy", "2")
    sandbox.admin.set_price(ETH, "3600")
    await market(page, base, headers, account_id, "sell_close_long", "2")

    await page.goto(base + "/")
    await expect(page.get_by_role("heading", name="Portfolio")).to_be_visible()
    await expect(page.get_by_text("Connect a Futures account (Binance or Bitmart)")).to_have_count(0)
    row = page.locator(f'#dashboard-accounts tr[data-account="{account_id}"]')
    await expect(row).to_contain_text("Desk")
    # the live mirror's equity: the realised profit lands with its balance read right after the
    # fill (the exchange's asset push carries no equity); the page follows it over SSE
    total = page.locator('[data-total="equity"] [data-num]')
    await expect(total).not_to_have_attribute("data-exact", "5000")
    equity = Decimal(await total.get_attribute("data-exact"))
    shown = await total.inner_text()
    assert shown == f"{equity.quantize(Decimal('0.01')):,}"  # as traders read it; exact on hover
    await expect(total).to_have_attribute("title", str(equity))
    await expect(row.locator('[data-field="equity"] [data-num]')).to_have_attribute("data-exact", str(equity))
    await expect(row.locator('[data-field="equity"]')).to_have_text(shown)
    assert equity > 5000
    today = page.locator("#pnl-history tbody tr[data-period]")
    await expect(today).to_have_count(1)
    body = await (await page.request.get(base + "/api/portfolio/pnl")).json()
    for field in ("realised_pnl", "fees"):
        exact = await today.locator(f'[data-field="{field}"] [data-num]').get_attribute("data-exact")
        assert exact == body["rows"][0][field]
    await shot(page, "dashboard")
    await page.get_by_role("link", name="per month").click()
    await expect(page.locator("#pnl-history tbody tr[data-period]")).to_have_count(1)

    for _ in range(100):  # the next snapshot pass (every 10 s here) draws the equity chart
        if (await (await page.request.get(base + "/api/portfolio/equity")).json())["points"]:
            break
        await asyncio.sleep(0.2)
    await page.reload()
    await expect(page.locator("#equity-chart svg path.line-equity")).to_have_attribute("d", re.compile("^M"))
    await expect(page.locator("#equity-chart svg text.y-label").first).to_be_visible()  # labelled axes
    await expect(page.locator('#equity-chart nav a[aria-current="page"]')).to_have_text("24h")
    await shot(page, "chart")

    # a trader in Japan reads the times in their own zone, named under the chart
    japan = await page.context.browser.new_context(timezone_id="Asia/Tokyo",
                                                   storage_state=await page.context.storage_state())
    try:
        there = await japan.new_page()
        await there.goto(base + "/?equity=24h")
        await expect(there.locator("[data-chart-zone]")).to_have_text(
            "Times in your time zone (Asia/Tokyo, UTC+09:00).")
        label = there.locator("#equity-chart svg text.x-label").first
        utc_ms = int(await label.get_attribute("data-utc-ms") or "0")
        local = datetime.fromtimestamp(utc_ms / 1000, ZoneInfo("Asia/Tokyo")).strftime("%H:%M")
        await expect(label).to_have_text(local)
        await there.get_by_role("link", name="7d").click()
        await expect(there.locator('#equity-chart nav a[aria-current="page"]')).to_have_text("7d")
        line = there.locator("#equity-chart svg path.line-equity")
        await expect(line).to_have_attribute("d", re.compile("^M"))
    finally:
        await japan.close()


async def test_csv_export_downloads_the_fills(
    page: Any, portfolio_platform: PlatformServer, sandbox: SandboxServer, tmp_path: Path
) -> None:
    base = portfolio_platform.url
    account_id, headers = await sign_up_and_connect(page, base, sandbox)
    sandbox.admin.set_price(ETH, "3500")
    await market(page, base, headers, account_id, "buy", "3")
    await market(page, base, headers, account_id, "sell_close_long", "1")
    await page.goto(base + "/fills")
    await expect(page.locator("#fills tbody tr[data-trade]")).to_have_count(2)
    await page.get_by_label("Side").select_option("sell")
    await page.get_by_role("button", name="Show").click()
    await expect(page.locator("#fills tbody tr[data-trade]")).to_have_count(1)
    await page.get_by_label("Side").select_option("")
    await page.get_by_role("button", name="Show").click()
    async with page.expect_download() as info:
        await page.get_by_test_id("export-csv").click()
    download = await info.value
    path = tmp_path / "fills.csv"
    await download.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    api = (await (await page.request.get(base + "/api/fills")).json())["fills"]
    assert [(r["side"], r["size"], r["price"], r["fee"]) for r in rows] == [
        (f["side"], f["size"], f["price"], f["fee"]) for f in api
    ]
    assert [r["side"] for r in rows] == ["sell_close_long", "buy_open_long"]
    assert {r["account"] for r in rows} == {"Desk"} and rows[1]["size"] == "3"


async def test_a_fill_and_a_take_profit_appear_as_notifications(
    page: Any, portfolio_platform: PlatformServer, sandbox: SandboxServer
) -> None:
    """From the live mirror's events: the fill, then the take profit firing, told apart."""
    shot = Screenshots("portfolio", "notification")
    base = portfolio_platform.url
    account_id, headers = await sign_up_and_connect(page, base, sandbox)
    sandbox.admin.set_price(ETH, "3500")
    await market(page, base, headers, account_id, "buy", "1")
    r = await page.request.post(f"{base}/api/accounts/{account_id}/tp-sl", headers=headers, data={
        "symbol": ETH, "side": "long", "take_profit": "3600", "stop_loss": "3000"})
    assert r.status == 200, await r.text()

    async def kinds() -> list[str]:
        body = await (await page.request.get(base + "/api/notifications")).json()
        return sorted(n["kind"] for n in body["notifications"])
    for _ in range(80):  # the price reaches the take profit (again, until the mirror has read it)
        await asyncio.to_thread(sandbox.admin.set_price, ETH, "3600")
        if await kinds() == ["fill", "fill", "take_profit"]:  # the entry, the TP's close, the TP
            break
        await asyncio.sleep(0.25)
    assert await kinds() == ["fill", "fill", "take_profit"]
    await page.goto(base + "/")
    await expect(page.get_by_test_id("bell").locator(".badge")).to_have_text("3")
    await page.get_by_test_id("bell").click()
    item = page.locator('#notifications li[data-kind="fill"]', has_text="Desk: buy open long 1 ETHUSDT")
    await expect(item).to_contain_text("unread")
    tp = page.locator('#notifications li[data-kind="take_profit"]')
    await expect(tp).to_contain_text("Desk: Take profit triggered on ETHUSDT long at 3,600.00")
    await expect(tp).to_contain_text("sell close long 1 at market")
    await shot(page, "notifications")
    await page.get_by_role("button", name="Mark all read").click()
    await expect(page.locator("#notifications li.unread")).to_have_count(0)


async def test_settings_form_refuses_a_webhook_to_this_machine_on_the_field(
    page: Any, portfolio_platform: PlatformServer
) -> None:
    base = portfolio_platform.url
    await sign_up_in_browser(page, base, PASSWORD)
    await page.goto(base + "/settings/notifications")
    await page.get_by_label("Notify me when a position is nearer").fill("8")
    await page.get_by_label("Webhook URL (optional)").fill("http://169.254.169.254/latest/meta-data/")
    await page.get_by_role("button", name="Save").click()
    field = page.get_by_label("Webhook URL (optional)")
    await expect(field).to_have_attribute("aria-invalid", "true")
    error = page.locator("#webhook_url-error")
    await expect(error).to_contain_text("link-local address")
    await expect(error).to_contain_text("PERPDESK_WEBHOOK_ALLOW_PRIVATE")
    await expect(field).to_have_value("http://169.254.169.254/latest/meta-data/")  # kept to fix
    got = await (await page.request.get(base + "/api/notifications/settings")).json()
    assert got["webhook_url"] is None and got["liquidation_pct"] is None  # nothing saved
