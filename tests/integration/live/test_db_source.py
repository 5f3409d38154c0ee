"""The supervisor's view of the database (SQLite and PostgreSQL): active accounts listed, the key
opened through the vault only when the opener is called, a disconnected account refused, drift
audits written to the account's audit log; a supervisor over it starts and stops the mirror."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import delete

from perpdesk.core.errors import NotFound
from perpdesk.live.bus import InProcessBus
from perpdesk.live.market_hub import MarketHub
from perpdesk.live.ownership import InProcessOwnership
from perpdesk.live.supervisor import LiveSupervisor
from perpdesk.live.views import Freshness
from perpdesk.services import audit_log
from perpdesk.services.live_accounts import DbAccountSource
from perpdesk.store.accounts import ExchangeAccount
from tests.integration.trading.conftest import TCtx


async def test_accounts_from_the_database_feed_the_supervisor(tctx: TCtx, sandbox: Any) -> None:
    from perpdesk.exchanges.bitmart import BitmartFuturesConnector

    trader = await tctx.trader()
    source = DbAccountSource(tctx.deps)
    active = {a.ref.account_id: a for a in await source.active()}
    assert trader.account_id in active
    ref = active[trader.account_id].ref
    assert (ref.user_id, ref.exchange) == (trader.user_id, "bitmart")
    assert await source.opener(ref)() == trader.creds

    await source.audit(ref.user_id, ref.account_id, "live.drift_repaired", {"drift": [{"part": "plans"}]})
    entries = await audit_log.entries(tctx.deps, trader.user_id)
    assert [(e.action, e.actor, e.detail) for e in entries[:1]] == [
        ("live.drift_repaired", "perpdesk", {"drift": [{"part": "plans"}]})]

    conn = BitmartFuturesConnector(sandbox.base_url, ws_url=sandbox.ws_url, timeout_s=5)
    bus = InProcessBus()
    hub = MarketHub(lambda _ex: conn, bus)
    sup = LiveSupervisor(source, lambda _ex: conn, bus, hub, InProcessOwnership(), scan_interval_s=30)
    try:
        await sup.scan()
        mirror = sup.mirror(trader.account_id)
        assert mirror is not None
        async with asyncio.timeout(10):
            while mirror.freshness.state is not Freshness.FRESH:
                await asyncio.sleep(0.05)
        async with tctx.deps.sessions() as s, s.begin():  # disconnected
            await s.execute(delete(ExchangeAccount).where(ExchangeAccount.id == trader.account_id))
        with pytest.raises(NotFound):
            await source.opener(ref)()
        await sup.scan()
        assert sup.mirror(trader.account_id) is None and not mirror.running
    finally:
        await sup.aclose()
        await hub.aclose()
        await conn.aclose()
