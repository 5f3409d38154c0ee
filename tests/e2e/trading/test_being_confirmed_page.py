"""The Trade page in headless Chromium while the exchange answers an order only after perpdesk
stopped waiting: the order shows greyed as "being confirmed", the same ticket is refused meanwhile,
then the page shows it placed. (The sandbox's timestamp window is scaled down to 6 s; see
tests/reliability/orders_workload.py.)"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.async_api import expect

from tests.e2e.helpers import Screenshots
from tests.e2e.trading.test_trading_page import sign_up_and_connect
from tests.fixtures.platform import PlatformServer, launch_platform
from tests.fixtures.sandbox import SandboxServer, start_sandbox

pytestmark = pytest.mark.e2e
ETH = "ETHUSDT"
WINDOW_S = 6.0


@pytest.fixture(scope="module")
def slow_exchange() -> Iterator[tuple[SandboxServer, PlatformServer]]:
    sandbox = start_sandbox(extra_args=["--timestamp-window-ms", str(int(WINDOW_S * 1000))])
    platform = None
    try:
        platform = launch_platform(
            sandbox,
            egress_ips="127.0.0.1",
            exchange_window_s=WINDOW_S,
            exchange_timeout_s=0.5,
            order_settle_margin_s=0.3,
            order_settle_interval_s=0.5,
        )
        yield sandbox, platform
    finally:
        if platform is not None:
            platform.stop()
            shutil.rmtree(platform.data_dir, ignore_errors=True)
        sandbox.stop()


async def test_late_answer_shows_being_confirmed_then_placed(
    page: Any, slow_exchange: tuple[SandboxServer, PlatformServer]
) -> None:
    sandbox, platform = slow_exchange
    shot = Screenshots("trading", "being-confirmed")
    base = platform.url
    account_id, _ = await sign_up_and_connect(page, base, sandbox)
    sandbox.admin.set_price(ETH, "3500")
    await page.goto(f"{base}/accounts/{account_id}/trade")
    ticket = page.locator("#ticket")
    await ticket.get_by_label("Symbol").select_option(ETH)
    await ticket.get_by_label("Price (USDT)").fill("3000")
    await ticket.get_by_label("Size (contracts)").fill("1")
    sandbox.admin.fault("latency", "/contract/private/submit-order", latency_ms=4000, times=1)
    await ticket.get_by_role("button", name="Buy / Long").click()

    await expect(page.locator("#notice")).to_contain_text("being confirmed")
    await expect(page.locator("#notice")).to_contain_text("Do not submit it again")
    greyed = page.locator("#open-orders tr.being-confirmed")
    await expect(greyed).to_have_count(1)
    await expect(greyed).to_contain_text("Being confirmed")
    await expect(greyed).to_contain_text("3,000.00")
    await shot(page, "being-confirmed")

    # the same ticket again while it is being confirmed: refused, nothing sent
    await ticket.get_by_label("Price (USDT)").fill("3000")
    await ticket.get_by_label("Size (contracts)").fill("1")
    await ticket.get_by_role("button", name="Buy / Long").click()
    await expect(page.locator("#error")).to_contain_text("still being confirmed")
    await shot(page, "same-ticket-refused")

    await asyncio.sleep(WINDOW_S + 1.0)  # the window closes; the settler reads the exchange
    await page.goto(f"{base}/accounts/{account_id}/trade")
    await expect(page.locator("#open-orders tr.being-confirmed")).to_have_count(0)
    await expect(page.locator("#open-orders tbody tr[data-order]")).to_have_count(1)
    await expect(page.locator("#intents tbody tr").first.locator('[data-col="status"]')).to_have_text(
        "Placed"
    )
    await shot(page, "placed")
