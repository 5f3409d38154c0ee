"""A newcomer runs `perpdesk demo`, clicks the printed link, lands on Settings > Exchange Account
API Keys and connects the demo BitMart account with Fast Connect, using the printed credentials."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.e2e.connect.bitmart_pages import sign_in
from tests.e2e.connect.conftest import Steps
from tests.e2e.helpers import open_bitmart_window, start_fast_connect
from tests.fixtures.demo import running_demo

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[str]:
    log = tmp_path / "demo.log"
    with running_demo(tmp_path / "data", log, timeout=120):
        yield log.read_text()


async def test_demo_link_then_fast_connect(demo: str, page: Any, steps: Steps) -> None:
    link = re.search(r"(http://\S+/demo/enter\?token=\S+)", demo)
    creds = re.search(r"sandbox.*\n\s+email\s+(\S+)\n\s+password\s+(\S+)\n\s+2FA secret\s+([A-Z2-7]+)", demo)
    assert link and creds, demo
    await page.goto(link.group(1))  # one click
    await expect(page.get_by_role("heading", name="Settings > Exchange Account API Keys")).to_be_visible()
    await steps(page, "one-click")

    window = await open_bitmart_window(page)
    bitmart = await start_fast_connect(page, window)
    user = {"email": creds.group(1), "password": creds.group(2), "totp_secret": creds.group(3)}
    await sign_in(bitmart, user)
    await bitmart.get_by_label("Spot Trade").uncheck()
    await bitmart.get_by_role("button", name="Confirm").click()
    await expect(bitmart.get_by_role("heading", name="API key connected successfully")).to_be_visible(
        timeout=20_000
    )
    await bitmart.close()
    await expect(
        window.get_by_role("status").filter(has_text="API key connected successfully")
    ).to_be_visible()
    await steps(page, "demo-connected")
    await window.get_by_role("button", name="Close").click()
    await expect(page.locator("#accounts-body tr", has_text="Fast Connect Futures")).to_contain_text("Active")
