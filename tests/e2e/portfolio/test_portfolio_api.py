"""The portfolio, PnL, fills (+CSV), notifications and webhook settings over the JSON API of a
real platform against the sandbox: exact decimal strings, errors in the envelope, in the OpenAPI."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.e2e.trading.conftest import api_user
from tests.fixtures.platform import PlatformServer
from tests.fixtures.sandbox import SandboxServer

pytestmark = pytest.mark.e2e
ETH = "ETHUSDT"


async def market(http: httpx.AsyncClient, account_id: str, side: str, size: str) -> None:
    order = {"symbol": ETH, "side": side, "type": "market", "size": size, "leverage": "10",
             "margin_mode": "cross"}
    r = await http.post(f"/api/accounts/{account_id}/orders", json=order)
    assert r.status_code == 201, r.text


def error_of(r: httpx.Response, status: int, field: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    err: dict[str, Any] = r.json()["error"]
    assert err["field"] == field and err["message"] and err["next_step"] and err["code"]
    return err


async def test_portfolio_pnl_fills_and_csv(
    portfolio_platform: PlatformServer, sandbox: SandboxServer
) -> None:
    user = await api_user(portfolio_platform)
    try:
        account_id, _ = await user.connect(sandbox, futures_usdt="3000")
        http = user.http
        sandbox.admin.set_price(ETH, "3500")
        await market(http, account_id, "buy", "4")
        await market(http, account_id, "sell_close_long", "4")

        summary = (await http.get("/api/portfolio/summary")).json()
        (acct,) = summary["accounts"]
        usdt = next(b for b in acct["balances"] if b["currency"] == "USDT")
        assert summary["total"]["equity"] == usdt["equity"] and isinstance(summary["total"]["margin"], str)

        pnl = (await http.get("/api/portfolio/pnl", params={"period": "week"})).json()
        query = {"account_id": account_id, "symbol": ETH}
        fills = (await http.get("/api/fills", params=query)).json()["fills"]
        assert [f["side"] for f in fills] == ["sell_close_long", "buy_open_long"]
        assert Decimal(pnl["total"]["fees"]) == -sum(Decimal(f["fee"]) for f in fills) < 0
        assert Decimal(pnl["total"]["realised_pnl"]) == sum(Decimal(f["realised_pnl"]) for f in fills)

        r = await http.get("/api/fills.csv", params={"side": "buy"})
        assert r.headers["content-type"].startswith("text/csv")
        assert "attachment" in r.headers["content-disposition"]
        (row,) = list(csv.DictReader(io.StringIO(r.text)))
        assert (row["side"], row["size"], row["price"]) == ("buy_open_long", "4", fills[1]["price"])

        error_of(await http.get("/api/portfolio/pnl", params={"period": "year"}), 422, "period")
        error_of(await http.get("/api/fills", params={"start": "2026-02-30"}), 422, "start")
        error_of(await http.get("/api/fills.csv", params={"side": "up"}), 422, "side")
        other = (await http.get("/api/fills", params={"account_id": "0" * 32})).json()
        assert other["error"]["code"] == "not_found"
        equity = (await http.get("/api/portfolio/equity", params={"days": 1})).json()
        assert isinstance(equity["points"], list)
    finally:
        await user.http.aclose()


async def test_notification_settings_and_webhook_secret_over_the_api(
    portfolio_platform: PlatformServer,
) -> None:
    user = await api_user(portfolio_platform)
    try:
        http = user.http
        error_of(await http.put("/api/notifications/settings", json={"webhook_url": "javascript:alert(1)"}),
                 422, "webhook_url")
        inside = await http.put("/api/notifications/settings", json={"webhook_url": "http://127.0.0.1:9/h"})
        error_of(inside, 422, "webhook_url")  # this machine: refused (PERPDESK_WEBHOOK_ALLOW_PRIVATE)
        assert "loopback" in inside.json()["error"]["message"], inside.text
        bad_pct = await http.put("/api/notifications/settings", json={"liquidation_pct": "-1"})
        error_of(bad_pct, 422, "liquidation_pct")
        r = await http.put("/api/notifications/settings",
                           json={"liquidation_pct": "7.5", "webhook_url": "https://example.com/h"})
        assert r.status_code == 200, r.text
        first = r.json()["webhook_secret"]
        got = (await http.get("/api/notifications/settings")).json()
        assert got == {
            "liquidation_pct": "7.5", "webhook_url": "https://example.com/h", "webhook_secret_set": True
        }
        again = (await http.put("/api/notifications/settings",
                                json={"liquidation_pct": "7.5", "webhook_url": "https://example.com/h"})).json()
        assert "webhook_secret" not in again
        second = (await http.post("/api/notifications/webhook/secret")).json()["webhook_secret"]
        assert second != first and second.startswith("whsec_")
        assert (await http.get("/api/notifications")).json() == {"notifications": [], "unread": 0}
        assert (await http.post("/api/notifications/read", json={})).json() == {"marked": 0}
        assert (await http.get("/api/notifications/webhook/deliveries")).json() == {"deliveries": []}

        spec = (await http.get("/api/openapi.json")).json()
        for path in ("/api/portfolio/summary", "/api/portfolio/pnl", "/api/portfolio/equity", "/api/fills",
                     "/api/fills.csv", "/api/notifications", "/api/notifications/read",
                     "/api/notifications/settings", "/api/notifications/webhook/secret",
                     "/api/notifications/webhook/deliveries"):
            assert path in spec["paths"], path
        assert "422" in spec["paths"]["/api/portfolio/pnl"]["get"]["responses"]
    finally:
        await user.http.aclose()
    anon = httpx.AsyncClient(base_url=portfolio_platform.url)
    try:
        r = await anon.get("/api/notifications")
        assert r.status_code == 401 and r.json()["error"]["code"]
    finally:
        await anon.aclose()
