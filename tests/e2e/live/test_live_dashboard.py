"""The dashboard (the portfolio at /), the fills history and their JSON API read the live mirror
while it is fresh and the exchange's ledger as last read while the mirror saw nothing new:
reloads cost no exchange request (counted at the sandbox). A fill makes the next load read the
ledger once, with the new fee in the PnL; then reloads cost nothing again (a read right after a
change is kept 10 s only, in case the exchange books late: the test reads once that has settled)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from perpdesk.services.ledger_cache import SETTLE_S as LEDGER_SETTLE_S
from tests.e2e.live.conftest import tick_until_live, wait_live
from tests.e2e.live.test_live_api import SYM, open_long
from tests.fixtures.sandbox import SandboxServer

SETTLE_S = LEDGER_SETTLE_S + 0.5  # a read this long after a fill is kept until the next change
PAGES = ("/", "/?period=week", "/api/portfolio/summary", "/api/portfolio/pnl?period=day")
FILLS = ("/fills", "/api/fills", "/fills.csv", "/api/fills.csv", "/api/fills?side=buy")


async def spent(sandbox: SandboxServer, api_key: str, user: Any, paths: tuple[str, ...]) -> dict[str, int]:
    """Exchange requests the loads of `paths` cost (with the key, and public)."""
    before = await asyncio.to_thread(sandbox.admin.requests, api_key)
    for path in paths:
        r = await user.http.get(path)
        assert r.status_code == 200, (path, r.text[:300])
    after = await asyncio.to_thread(sandbox.admin.requests, api_key)
    return {k: after[k] - before[k] for k in ("api_key", "public")}


async def test_dashboard_loads_cost_no_exchange_request_while_the_mirror_is_fresh(
    make_user: Any, sandbox: SandboxServer
) -> None:
    user = await make_user()
    account_id, key = await user.connect(sandbox)
    sandbox.admin.freeze_prices(True)
    try:
        await asyncio.to_thread(sandbox.admin.set_price, SYM, "3000")
        await open_long(user, account_id)
        await wait_live(user.http, account_id, fresh=False, cond=lambda v: v["positions"])
        await tick_until_live(sandbox, user.http, account_id, SYM, "3010")
        await asyncio.sleep(SETTLE_S)  # the ledger has what the fill booked (kept until the next change)
        await user.http.get("/")  # the ledger, read once since the fill (every range is cut from it)

        assert await spent(sandbox, key["api_key"], user, PAGES * 3) == {"api_key": 0, "public": 0}
        # the fills history: read once (every filter of the same dates is cut from it), then kept
        assert await spent(sandbox, key["api_key"], user, FILLS) == {"api_key": 1, "public": 0}
        assert await spent(sandbox, key["api_key"], user, FILLS * 2) == {"api_key": 0, "public": 0}
        (fill,) = (await user.http.get("/api/fills")).json()["fills"]
        assert fill["symbol"] == SYM and Decimal(fill["size"]) == 10
        page = (await user.http.get("/")).text
        assert "data-live-freshness>live<" in page and 'data-live-state="fresh"' in page
        summary = (await user.http.get("/api/portfolio/summary")).json()
        (acct,) = summary["accounts"]
        assert acct["source"] == "live" and acct["freshness"] == "live"
        upnl = (Decimal(3010) - Decimal(acct["positions"][0]["entry_price"])) * 10 * Decimal(
            acct["positions"][0]["contract_size"])
        assert Decimal(summary["total"]["unrealized_pnl"]) == upnl  # at the live mark
        fees_before = Decimal((await user.http.get("/api/portfolio/pnl")).json()["total"]["fees"])

        # a fill: the ledger has new rows, read once by the next load, then kept again
        await open_long(user, account_id, size="5")
        await wait_live(user.http, account_id, cond=lambda v: v["positions"][0]["size"] == "15")
        await asyncio.sleep(SETTLE_S)
        cost = await spent(sandbox, key["api_key"], user, PAGES)
        # one transaction-history read (the dashboard's 89 days; the API's 30 are cut from it)
        assert cost == {"api_key": 1, "public": 0}, cost
        fees_after = Decimal((await user.http.get("/api/portfolio/pnl")).json()["total"]["fees"])
        assert fees_after < fees_before  # the new fee (paid: negative), as the exchange booked it
        assert await spent(sandbox, key["api_key"], user, PAGES * 2) == {"api_key": 0, "public": 0}
    finally:
        sandbox.admin.freeze_prices(False)
