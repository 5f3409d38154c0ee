"""The Terminal's trading journeys on a Binance USDⓈ-M account, in headless Chromium, against the
sandbox's Binance dialect: limit, market with TP/SL at entry (edited, cancelled), a trailing stop
firing after scripted prices, close 50 % by limit then the rest by market. Every step is checked
against what the exchange itself answers (signed /fapi calls with the account's key), and the
fills' realised PnL and fees against its trades and income history to the last digit.
Screenshots: test-artifacts/binance-terminal/."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from playwright.async_api import expect

from tests.e2e.binance.conftest import BinanceDesk, connect_binance
from tests.e2e.helpers import Screenshots
from tests.fixtures.binance import BinanceSandbox
from tests.fixtures.platform import PlatformServer

pytestmark = pytest.mark.e2e
SOL = "SOLUSDT"
SIZE = "Size (SOL)"  # Binance sizes orders in the base asset, not in contracts


@pytest.fixture
def sol_at_180(binance_sandbox: BinanceSandbox) -> BinanceSandbox:
    binance_sandbox.server.admin.set_price(SOL, "180")
    return binance_sandbox


async def open_terminal(page: Any, platform: PlatformServer, sandbox: BinanceSandbox) -> BinanceDesk:
    desk = await connect_binance(page, platform, sandbox)
    await page.goto(f"{platform.url}/trade/{desk.account_id}/{SOL}")
    await page.wait_for_function("() => window.perpdeskTerminal && window.perpdeskTerminal.ready")
    return desk


async def ticket_order(page: Any, kind: str, size: str, side: str, **fields: str) -> None:
    ticket = page.locator("#ticket")
    await ticket.get_by_label("Order type").select_option(kind)
    for label, value in fields.items():
        await ticket.get_by_label(label, exact=True).fill(value)
    await ticket.get_by_label(SIZE).fill(size)
    await ticket.get_by_role("button", name=side).click()


def held(desk: BinanceDesk) -> dict[str, Decimal]:
    """The exchange's open positions: {positionSide: signed amount}."""
    rows = desk.client.ok("GET", "/fapi/v2/positionRisk", {"symbol": SOL})
    return {r["positionSide"]: Decimal(r["positionAmt"]) for r in rows if Decimal(r["positionAmt"])}


def algos(desk: BinanceDesk) -> list[tuple[str, Decimal]]:
    """The exchange's open algo orders: (orderType, trigger price), sorted."""
    rows = desk.client.ok("GET", "/fapi/v1/openAlgoOrders", {"symbol": SOL})
    return sorted((r["orderType"], Decimal(r["triggerPrice"])) for r in rows)


async def test_limit_then_market_with_tp_sl_edited_and_cancelled(
    page: Any, bn_platform: PlatformServer, sol_at_180: BinanceSandbox
) -> None:
    shot = Screenshots("binance-terminal", "limit-market-tpsl")
    desk = await open_terminal(page, bn_platform, sol_at_180)
    await expect(page.locator("#tk-last")).to_have_text("180.00")
    assert await page.evaluate("window.perpdeskTerminal.candleCount()") > 0

    await ticket_order(page, "limit", "2.5", "Buy / Long", **{"Price (USDT)": "150.25"})
    await expect(page.locator("#notice")).to_contain_text("Order placed.")
    await page.get_by_role("tab", name="Open orders").click()
    order = page.locator("#orders [data-order]")
    await expect(order).to_have_count(1)
    await expect(order.locator('[data-col="price"]')).to_have_text("Price150.25")
    (theirs,) = desk.client.ok("GET", "/fapi/v1/openOrders", {"symbol": SOL})
    assert (theirs["type"], theirs["side"], theirs["price"]) == ("LIMIT", "BUY", "150.25")
    assert Decimal(theirs["origQty"]) == Decimal("2.5")
    assert await order.get_attribute("data-order") == str(theirs["orderId"])
    await shot(page, "limit-placed")
    await order.get_by_role("button", name="Cancel").click()
    await expect(order).to_have_count(0)
    assert desk.client.ok("GET", "/fapi/v1/openOrders", {"symbol": SOL}) == []

    await page.get_by_role("tab", name="Positions").click()
    await ticket_order(page, "market", "10", "Buy / Long", **{"Take profit": "200", "Stop loss": "170"})
    await expect(page.locator("#notice")).to_contain_text("Order placed.")
    position = page.locator('[data-position="long"]')
    await expect(position.locator('[data-col="size"]')).to_contain_text("10")
    tp = position.locator('form.tpsl[data-kind="take_profit"]')
    sl = position.locator('form.tpsl[data-kind="stop_loss"]')
    await expect(tp.locator('[data-col="trigger"]')).to_have_text("Take profit 200.00")
    await expect(sl.locator('[data-col="trigger"]')).to_have_text("Stop loss 170.00")
    assert sum(held(desk).values()) == 10
    assert algos(desk) == [("STOP_MARKET", 170), ("TAKE_PROFIT_MARKET", 200)]
    await page.wait_for_function(
        "() => window.perpdeskTerminal.lines().some(t => t.startsWith('Take profit 200'))"
        " && window.perpdeskTerminal.lines().some(t => t.startsWith('Stop loss 170'))"
    )
    await shot(page, "tp-sl-at-entry")

    await sl.get_by_label("New stop loss").fill("172.5")
    await sl.get_by_role("button", name="Save stop loss").click()
    await expect(page.locator("#notice")).to_contain_text("TP/SL changed.")
    await expect(sl.locator('[data-col="trigger"]')).to_have_text("Stop loss 172.50")
    assert algos(desk) == [("STOP_MARKET", Decimal("172.5")), ("TAKE_PROFIT_MARKET", 200)]

    await tp.get_by_role("button", name="Cancel take profit").click()
    await expect(page.locator("#notice")).to_contain_text("Cancelled.")
    await expect(position.locator('form.tpsl[data-kind="take_profit"]')).to_have_count(0)
    assert algos(desk) == [("STOP_MARKET", Decimal("172.5"))]
    await shot(page, "tp-cancelled")
    await expect(page.locator("#fills [data-fill]")).to_have_count(1)
    words = (await page.locator("#terminal").inner_text()).lower()
    assert "bitmart" not in words and "contracts)" not in words  # nothing of the other exchange's


async def test_trailing_stop_fires_after_price_moves(
    page: Any, bn_platform: PlatformServer, sol_at_180: BinanceSandbox
) -> None:
    shot = Screenshots("binance-terminal", "trailing-stop")
    desk = await open_terminal(page, bn_platform, sol_at_180)
    lev = page.locator("#leverage-form")
    await lev.get_by_label("Leverage").fill("20")
    await lev.get_by_label("Margin mode").select_option("isolated")
    await lev.get_by_role("button", name="Set leverage").click()
    await expect(page.locator("#notice")).to_contain_text("Leverage and margin mode set.")
    (risk,) = desk.client.ok("GET", "/fapi/v2/positionRisk", {"symbol": SOL})[:1]
    assert (risk["leverage"], risk["marginType"]) == ("20", "isolated")
    await page.locator("#ticket").get_by_label("Leverage").fill("20")
    await page.locator("#ticket").get_by_label("Margin mode").select_option("isolated")
    await ticket_order(page, "market", "10", "Buy / Long")
    await expect(page.locator('[data-position="long"] [data-col="leverage"]')).to_contain_text("20x isolated")
    await ticket_order(page, "trail", "10", "Place trailing stop",
                      **{"Activation price (USDT)": "182", "Callback rate (%)": "1"})
    await expect(page.locator("#notice")).to_contain_text("Trailing stop placed.")
    trail = page.locator('#conditional [data-kind="trailing"]')
    await expect(trail.locator('[data-col="callback"]')).to_contain_text("1 %")
    (theirs,) = desk.client.ok("GET", "/fapi/v1/openAlgoOrders", {"symbol": SOL})
    assert (theirs["orderType"], theirs["side"]) == ("TRAILING_STOP_MARKET", "SELL")
    assert Decimal(theirs["quantity"]) == 10
    # Binance lists no activation price or callback rate (only its placement answer has them):
    # the terminal shows what was placed, never a 0.00 activation
    await expect(trail.locator('[data-col="trigger"]')).to_contain_text("182.00")
    assert "activatePrice" not in theirs
    await shot(page, "trail-placed")
    for price in ("183", "190", "188"):  # activates, runs to 190, falls 1.05 %: fires
        sol_at_180.server.admin.set_price(SOL, price)
    await expect(page.locator('[data-position="long"]')).to_have_count(0, timeout=10_000)
    await expect(trail).to_have_count(0)
    await expect(page.locator("#fills [data-fill]")).to_have_count(2, timeout=10_000)
    assert held(desk) == {} and algos(desk) == []
    await shot(page, "trail-fired")


async def test_close_half_by_limit_then_the_rest_by_market(
    page: Any, bn_platform: PlatformServer, sol_at_180: BinanceSandbox
) -> None:
    shot = Screenshots("binance-terminal", "close-percent")
    desk = await open_terminal(page, bn_platform, sol_at_180)
    await ticket_order(page, "market", "10", "Buy / Long")
    position = page.locator('[data-position="long"]')
    await expect(position.locator('[data-col="size"]')).to_contain_text("10")
    sol_at_180.server.admin.set_price(SOL, "183.37")  # a profit to realise, to the last digit

    close = position.locator("form.close-pct")
    await close.get_by_label("Close %").fill("50")
    await close.get_by_label("Close by").select_option("limit")
    await close.get_by_label("Limit price").fill("182")  # below the bid: fills at once
    await close.get_by_role("button", name="Close").click()
    await expect(page.locator("#notice")).to_contain_text("Close order placed.")
    await expect(position.locator('[data-col="size"]')).to_contain_text("5", timeout=10_000)
    assert sum(held(desk).values()) == 5
    await shot(page, "half-closed")
    await close.get_by_label("Close %").fill("100")
    await close.get_by_label("Close by").select_option("market")
    await close.get_by_role("button", name="Close").click()
    await expect(page.locator('[data-position="long"]')).to_have_count(0, timeout=10_000)
    await expect(page.locator("#fills [data-fill]")).to_have_count(3, timeout=10_000)
    assert held(desk) == {}
    await shot(page, "closed")
    await pnl_and_fees_are_the_exchanges(page, bn_platform.url, desk)


async def pnl_and_fees_are_the_exchanges(page: Any, base: str, desk: BinanceDesk) -> None:
    """Each fill's realised PnL and fee as the terminal shows them are the exchange's trade's
    (`userTrades`: a fee is paid, the exchange's commission is positive), and the PnL history's
    sums are its income history's REALIZED_PNL and COMMISSION."""
    trades = desk.client.ok("GET", "/fapi/v1/userTrades", {"symbol": SOL})
    theirs = {str(t["id"]): (Decimal(t["realizedPnl"]), Decimal(t["commission"])) for t in trades}

    async def figure(row: Any, col: str) -> Decimal:  # the exact value behind the shown one
        exact = await row.locator(f'[data-col="{col}"] [data-exact]').get_attribute("data-exact")
        return Decimal(exact or "x")

    shown = {}
    for row in await page.locator("#fills [data-fill]").all():
        shown[await row.get_attribute("data-fill")] = (await figure(row, "pnl"), await figure(row, "fee"))
    assert shown == theirs
    closes = [pnl for pnl, _ in theirs.values() if pnl]
    assert len(closes) == 2 and all(p > 0 for p in closes), theirs

    income = desk.client.ok("GET", "/fapi/v1/income", {"symbol": SOL, "limit": 1000})

    def flow(kind: str) -> Decimal:
        return sum((Decimal(i["income"]) for i in income if i["incomeType"] == kind), Decimal(0))

    query = {"period": "day", "account_id": desk.account_id}
    r = await page.request.get(f"{base}/api/portfolio/pnl", params=query)
    assert r.status == 200, await r.text()
    total = (await r.json())["total"]
    assert Decimal(total["realised_pnl"]) == flow("REALIZED_PNL") == sum(closes)
    assert Decimal(total["fees"]) == flow("COMMISSION") == -sum(fee for _, fee in theirs.values()) != 0
