"""One real platform wired to the real sandbox for the portfolio, fills, notifications and narrow
(390 px) pages: notifications checked every second, equity snapshots every 10 s."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.helpers import sign_up_in_browser
from tests.fixtures.platform import PlatformServer, launch_platform
from tests.fixtures.sandbox import SandboxServer

PASSWORD = "Trader-Passw0rd-42"
ETH = "ETHUSDT"


@pytest.fixture(scope="session")
def portfolio_platform(sandbox: SandboxServer) -> Iterator[PlatformServer]:
    platform = launch_platform(
        sandbox, egress_ips="127.0.0.1", order_settle_interval_s=3600, notification_check_interval_s=1,
        equity_snapshot_interval_s=10, timeout=120,
    )
    try:
        yield platform
    finally:
        platform.stop()


async def sign_up_and_connect(
    page: Any, base: str, sandbox: SandboxServer, usdt: str = "5000"
) -> tuple[str, dict[str, str]]:
    """A fresh platform user signed in in the page's context, with one connected account "Desk"."""
    _, headers = await sign_up_in_browser(page, base, PASSWORD)
    bm = sandbox.admin.create_user(futures_deposit={"USDT": usdt})
    key = sandbox.admin.create_key(bm["email"], memo="memo-" + secrets.token_hex(3))
    body = {"api_key": key["api_key"], "secret": key["secret_key"], "passphrase": key["memo"],
            "label": "Desk"}
    r = await page.request.post(base + "/api/accounts", data=body, headers=headers)
    assert r.status == 201, await r.text()
    return str((await r.json())["account"]["id"]), headers


async def market(
    page: Any, base: str, headers: dict[str, str], account_id: str, side: str, size: str
) -> None:
    order = {"symbol": ETH, "side": side, "type": "market", "size": size, "leverage": "10",
             "margin_mode": "cross"}
    r = await page.request.post(f"{base}/api/accounts/{account_id}/orders", data=order, headers=headers)
    assert r.status == 201, await r.text()
    assert (await r.json())["order"]["status"] == "placed"
