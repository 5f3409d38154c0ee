"""The Terminal as one screen, in headless Chromium against the real platform and sandbox: at
1440×900 it fits without scrolling with the chart taking at least half the workspace, and a far
liquidation line leaves the candles readable; at 390×844 it stacks (chart full width, ticket next,
tabs usable); an open order is amended from the open-orders tab and by dragging its chart line
(checked at the exchange with BitMart's SDK), a bad amend is shown at its field; the contract
search; the shortcuts list and Shift+C / B.
Screenshots: test-artifacts/<test name>/."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal
from typing import Any

import pytest
from bitmart.api_contract import APIContract
from playwright.async_api import expect

from tests.e2e.trading.test_terminal_page import SOL, open_terminal, ticket_order
from tests.fixtures.platform import PlatformServer
from tests.fixtures.sandbox import SandboxServer

pytestmark = pytest.mark.e2e


def box_area(b: dict[str, float]) -> float:
    return b["width"] * b["height"]


async def open_orders_at_exchange(key: dict[str, Any], sandbox: SandboxServer) -> list[dict[str, Any]]:
    sdk = APIContract(key["api_key"], key["secret_key"], key["memo"], url=sandbox.base_url)
    answer, _ = await asyncio.to_thread(sdk.get_open_order, contract_symbol=SOL)
    assert answer["code"] == 1000, answer
    return list(answer["data"])


async def test_one_screen_at_1440_and_a_far_liquidation_line_keeps_the_candles_readable(
    page: Any, trading_platform: PlatformServer, frozen: SandboxServer, shot: Any
) -> None:
    await page.set_viewport_size({"width": 1440, "height": 900})
    for price in ("176", "184", "180"):  # candles with a range of their own
        frozen.admin.set_price(SOL, price)
    await open_terminal(page, trading_platform.url, frozen)
    ticket = page.locator("#ticket")
    await ticket.get_by_label("Leverage").fill("2")
    await ticket.get_by_label("Margin mode").select_option("isolated")
    await ticket_order(page, "market", "3", "Buy / Long")
    liquidation = page.locator('[data-position="long"] [data-col="liquidation"] [data-exact]')
    await expect(liquidation).to_have_count(1)
    liq = Decimal(await liquidation.get_attribute("data-exact") or "0")
    assert 0 < liq < 120, liq  # at 2x, far below the candles around 180
    await page.wait_for_function("() => window.perpdeskTerminal.lines().includes('Liquidation long')")
    await shot(page, "1440x900")

    sizes = await page.evaluate(
        "() => ({h: document.documentElement.scrollHeight, w: document.documentElement.scrollWidth,"
        " vh: innerHeight, vw: innerWidth})")
    assert sizes["h"] <= sizes["vh"] and sizes["w"] <= sizes["vw"], sizes
    chart = await page.locator(".term-chart").bounding_box()
    grid = await page.locator("#terminal").bounding_box()
    head = await page.locator(".term-head").bounding_box()
    book = await page.locator(".term-book").bounding_box()
    ticket_box = await page.locator(".term-ticket").bounding_box()
    tabs = await page.locator(".term-tabs").bounding_box()
    assert chart and grid and head and book and ticket_box and tabs
    workspace = grid["width"] * (grid["height"] - head["height"])  # below the head line
    assert box_area(chart) >= 0.5 * workspace, (chart, grid, head)
    # book and ticket beside the chart, the tabs below it
    assert chart["x"] + chart["width"] <= book["x"] < ticket_box["x"], (chart, book, ticket_box)
    assert tabs["y"] >= chart["y"] + chart["height"] and abs(tabs["x"] - chart["x"]) < 1, (chart, tabs)
    canvas = await page.locator("#chart").bounding_box()
    assert canvas and canvas["height"] >= 400, canvas

    # only the candles scale the chart: the liquidation price is off it, the candles fill it
    rng = await page.evaluate("window.perpdeskTerminal.priceRange()")
    candles = await page.evaluate("window.perpdeskTerminal.candleRange()")
    assert rng["bottom"] > float(liq), (rng, liq)
    spread = candles["high"] - candles["low"]
    assert rng["top"] - rng["bottom"] <= 1.5 * spread + 0.05, (rng, candles)
    below = page.locator('#chart [data-offscale="below"]')  # named at the edge instead
    await expect(below).to_contain_text("Liquidation long " + await liquidation.inner_text())
    await expect(page.locator('#chart [data-offscale="above"]')).to_be_hidden()

    # the handle between the chart and the tabs resizes the chart, and the page still fits
    handle = await page.locator("#tabs-resize").bounding_box()
    assert handle
    x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    await page.mouse.move(x, y)
    await page.mouse.down()
    await page.mouse.move(x, y + 80, steps=4)
    await page.mouse.up()
    taller = canvas["height"] + 60
    await page.wait_for_function(f"() => document.getElementById('chart').clientHeight > {taller}")
    assert await page.evaluate("document.documentElement.scrollHeight <= innerHeight")
    # money and prices as traders read them; the exact value kept
    equity = page.locator("#tk-equity")
    await expect(equity).to_have_text(re.compile(r"^\d{1,3}(,\d{3})*\.\d{2}$"))
    assert Decimal(await equity.get_attribute("data-exact") or "x") > 0
    await expect(page.locator("#tk-last")).to_have_text("180.00")
    await shot(page, "1440x900-chart-taller")

    # the chart follows the window
    wide = await page.evaluate("document.querySelector('#chart canvas').getBoundingClientRect().width")
    await page.set_viewport_size({"width": 1280, "height": 800})
    await page.wait_for_function(
        f"() => document.querySelector('#chart canvas').getBoundingClientRect().width < {wide - 100}")
    assert await page.evaluate("document.documentElement.scrollHeight <= innerHeight")


async def test_stacked_on_a_phone(
    page: Any, trading_platform: PlatformServer, frozen: SandboxServer, shot: Any
) -> None:
    await page.set_viewport_size({"width": 390, "height": 844})
    await open_terminal(page, trading_platform.url, frozen)
    await ticket_order(page, "limit", "2", "Buy / Long", **{"Price (USDT)": "150"})
    await expect(page.locator("#notice")).to_contain_text("Order placed.")
    chart = await page.locator("#chart").bounding_box()
    ticket = await page.locator(".term-ticket").bounding_box()
    tabs = await page.locator(".term-tabs").bounding_box()
    assert chart and ticket and tabs
    assert chart["width"] >= 340 and chart["height"] >= 250, chart
    assert chart["y"] + chart["height"] <= ticket["y"] < tabs["y"], (chart, ticket, tabs)
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await page.get_by_role("tab", name=re.compile("^Open orders")).click()
    order = page.locator("#orders [data-order]")
    await expect(order).to_be_visible()
    await expect(order.get_by_role("button", name="Amend")).to_be_visible()
    await shot(page, "390x844")


async def test_amend_from_the_open_orders_tab_and_by_dragging_the_line(
    page: Any, trading_platform: PlatformServer, frozen: SandboxServer, shot: Any
) -> None:
    await page.set_viewport_size({"width": 1440, "height": 900})
    for price in ("176", "184", "180"):  # the order's price within the candles' range
        frozen.admin.set_price(SOL, price)
    _, key = await open_terminal(page, trading_platform.url, frozen)
    await ticket_order(page, "limit", "2", "Buy / Long", **{"Price (USDT)": "178"})
    await page.get_by_role("tab", name=re.compile("^Open orders")).click()
    row = page.locator("#orders [data-order]")
    await expect(row).to_have_count(1)
    order_id = await row.get_attribute("data-order")
    form = row.locator("form.amend")

    # a bad price: said at the field, the value not echoed, nothing sent to the exchange
    await form.get_by_label("New price").fill("1,78x")
    await form.get_by_role("button", name="Amend").click()
    error = form.locator('.field-error[data-field="price"]')
    await expect(error).to_be_visible()
    await expect(form.get_by_label("New price")).to_have_attribute("aria-invalid", "true")
    assert "1,78x" not in (await error.inner_text())
    await shot(page, "amend-refused")
    [at_exchange] = await open_orders_at_exchange(key, frozen)
    assert Decimal(at_exchange["price"]) == Decimal("178")

    await form.get_by_label("New price").fill("177.5")
    await form.get_by_label("New size").fill("3")
    await form.get_by_role("button", name="Amend").click()
    await expect(page.locator("#notice")).to_contain_text("Order amended.")
    await expect(row.locator('[data-col="price"]')).to_have_text("Price177.50")
    await expect(row.locator('[data-col="size"]')).to_have_text("Size3")
    [at_exchange] = await open_orders_at_exchange(key, frozen)
    assert (Decimal(at_exchange["price"]), Decimal(at_exchange["size"])) == (Decimal("177.5"), 3)

    # drag its line on the chart up: asked first, then amended to the tick it was dropped on
    await page.wait_for_function(f"() => window.perpdeskTerminal.lineY('{order_id}') !== null")
    y = await page.evaluate(f"window.perpdeskTerminal.lineY('{order_id}')")
    box = await page.locator("#chart").bounding_box()
    assert box and 20 < y < box["height"] - 20, (y, box)
    x0, y0 = box["x"] + box["width"] / 2, box["y"] + y
    await page.mouse.move(x0, y0)
    await page.mouse.down()
    await page.mouse.move(x0, y0 - 40, steps=5)
    await page.mouse.up()
    dialog = page.locator("#t-confirm")
    await expect(dialog).to_be_visible()
    text = await page.locator("#t-confirm-text").inner_text()
    to = re.search(r"to ([\d,.]+) USDT", text)
    assert to and "from 177.50" in text, text
    target = Decimal(to.group(1).replace(",", ""))
    assert target > Decimal("177.5") and target == target.quantize(Decimal("0.01")), target
    await shot(page, "drag-confirm")
    await dialog.get_by_role("button", name="Move order").click()
    await expect(row.locator('[data-col="price"] [data-exact]')).to_have_attribute("data-exact", str(target))
    [at_exchange] = await open_orders_at_exchange(key, frozen)
    assert Decimal(at_exchange["price"]) == target

    # dragged and kept as is: nothing changes at the exchange
    y = await page.evaluate(f"window.perpdeskTerminal.lineY('{order_id}')")
    await page.mouse.move(x0, box["y"] + y)
    await page.mouse.down()
    await page.mouse.move(x0, box["y"] + y + 30, steps=3)
    await page.mouse.up()
    await dialog.get_by_role("button", name="Keep as is").click()
    await expect(dialog).to_be_hidden()
    [at_exchange] = await open_orders_at_exchange(key, frozen)
    assert Decimal(at_exchange["price"]) == target


async def test_contract_search(
    page: Any, trading_platform: PlatformServer, frozen: SandboxServer, shot: Any
) -> None:
    account_id, _ = await open_terminal(page, trading_platform.url, frozen)
    listed = await page.request.get(f"{trading_platform.url}/api/accounts/{account_id}/instruments")
    symbols = {i["symbol"] for i in (await listed.json())["instruments"]}
    options = page.locator("#t-symbol-list [role=option]")
    await expect(options).to_have_count(len(symbols))  # every contract the exchange lists

    search = page.get_by_role("combobox", name="Contract")
    await search.click()
    await search.press_sequentially("et")
    await expect(page.locator("#sym-ETHUSDT")).to_be_visible()
    await expect(page.locator("#sym-SOLUSDT")).to_be_hidden()
    for name in await page.locator("#t-symbol-list [role=option]:visible").all_inner_texts():
        assert "ET" in name.split()[0], name
    await shot(page, "search-et")
    for _ in range(len(symbols)):  # arrow keys down to it, wherever it ranks among the matches
        if await search.get_attribute("aria-activedescendant") == "sym-ETHUSDT":
            break
        await search.press("ArrowDown")
    await search.press("Enter")
    await page.wait_for_url(re.compile(f"/trade/{account_id}/ETHUSDT$"))
    await page.wait_for_function("() => window.perpdeskTerminal && window.perpdeskTerminal.ready")
    await expect(page.get_by_role("combobox", name="Contract")).to_have_value("ETHUSDT")


async def test_shortcuts_list_cancel_all_and_buy(
    page: Any, trading_platform: PlatformServer, frozen: SandboxServer, shot: Any
) -> None:
    _, key = await open_terminal(page, trading_platform.url, frozen)
    await ticket_order(page, "limit", "2", "Buy / Long", **{"Price (USDT)": "150"})
    await expect(page.locator("#notice")).to_contain_text("Order placed.")
    assert len(await open_orders_at_exchange(key, frozen)) == 1

    await page.locator("body").click(position={"x": 5, "y": 200})
    await page.keyboard.press("?")
    shortcuts = page.get_by_role("dialog", name="Keyboard shortcuts")
    await expect(shortcuts).to_be_visible()
    await expect(shortcuts).to_contain_text("Cancel all open and trigger orders")
    await shot(page, "shortcuts")
    await page.keyboard.press("Escape")
    await expect(shortcuts).to_be_hidden()

    await page.keyboard.press("Shift+C")
    confirm = page.locator("#t-confirm")
    await expect(confirm).to_contain_text("Cancel all open and trigger orders of SOLUSDT?")
    await confirm.get_by_role("button", name="Cancel all orders").click()
    await expect(page.locator("#notice")).to_contain_text("cancelled")
    assert await open_orders_at_exchange(key, frozen) == []

    # B buys with the ticket as filled in; typed into a field, it is only a letter
    await page.locator("#ticket").get_by_label("Order type").select_option("market")
    size = page.locator("#ticket").get_by_label("Size (contracts)")
    await size.fill("")
    await size.press("b")
    await expect(size).to_have_value("b")
    await size.fill("1")
    await page.locator("body").click(position={"x": 5, "y": 200})
    await page.keyboard.press("b")
    await expect(page.locator('[data-position="long"] [data-col="size"]')).to_have_text("Size1")
