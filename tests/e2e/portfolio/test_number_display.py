"""In Chromium: numfmt.js (live values) shows every number exactly as the server's template filters
(numbers_display.py) do, on values where floats or careless rounding go wrong (half to even,
negative zero, beyond float precision, tiny), and a copy of a formatted figure on a page copies
the exact value."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import expect

from perpdesk.web import numbers_display
from tests.e2e.portfolio.conftest import sign_up_and_connect
from tests.fixtures.platform import PlatformServer
from tests.fixtures.sandbox import SandboxServer

pytestmark = pytest.mark.e2e

MONEY = [  # (value, currency)
    ("0.125", "USDT"), ("0.135", "USDT"), ("2.675", "USDT"), ("-0.004", "USDT"), ("-0.005", "USDT"),
    ("1234567.895", "USDT"), ("99.995", "USDT"), ("-1234.5", "USDT"), ("0", "USDT"), ("-0", "USDT"),
    ("123456789012345678.125", "USDT"), ("9007199254740993.015", "USDT"), ("0.00000001", "USDT"),
    ("0.123456785", "BTC"), ("-0.000000001", "BTC"), ("0.0000005", "ETH"), ("15002.4384473", "USDT"),
]
PRICES = [  # (value, tick)
    ("95000.05", "0.1"), ("95000.15", "0.1"), ("3000.255", "0.01"), ("-0.05", "0.1"),
    ("0.000123456", "0.000001"), ("12.30", None), ("100000000000000000001.5", "1"), ("0.5", "1"),
]
SIZES = [("1200", "1"), ("2.5", "1"), ("3.5", "1"), ("0.0015", "0.001")]


def shown(markup: Any) -> str:
    found = re.search(r">([^<]*)</span>$", str(markup))
    assert found, markup
    return found.group(1)


async def test_numfmt_js_shows_numbers_as_the_server_does_and_copies_the_exact_value(
    page: Any, portfolio_platform: PlatformServer, sandbox: SandboxServer
) -> None:
    base = portfolio_platform.url
    await sign_up_and_connect(page, base, sandbox)
    await page.goto(base + "/")
    await page.wait_for_function("() => window.perpdeskNum !== undefined")

    server = ([shown(numbers_display.money(v, c)) for v, c in MONEY]
              + [shown(numbers_display.price(v, t)) for v, t in PRICES]
              + [shown(numbers_display.qty(v, t)) for v, t in SIZES])
    browser = await page.evaluate(
        """([money, prices, sizes]) => [].concat(
             money.map(([v, c]) => perpdeskNum.money(v, c)),
             prices.map(([v, t]) => perpdeskNum.price(v, t)),
             sizes.map(([v, t]) => perpdeskNum.size(v, t)))""",
        [MONEY, PRICES, SIZES],
    )
    assert browser == server
    assert server[:5] == ["0.12", "0.14", "2.68", "0.00", "0.00"]  # half to even; no "-0.00"
    assert server[10] == "123,456,789,012,345,678.12"  # beyond a float's digits

    equity = page.locator('[data-total="equity"] [data-num]')
    await expect(equity).to_have_text("5,000.00")
    await expect(equity).to_have_attribute("title", "5000")
    await equity.select_text()
    await page.evaluate("() => document.execCommand('copy')")
    assert await page.evaluate("() => navigator.clipboard.readText()") == "5000"
