"""The event bus across processes on the real PostgreSQL: an account event published in one bus
(a worker) reaches another bus's subscribers (a web process) with its whole view, large ones
split and joined; market data stays local; the receiving side's metrics move."""

from __future__ import annotations

import asyncio
import os

import pytest

from perpdesk.live.bus import ALL_ACCOUNTS, account_topic, market_topic
from perpdesk.live.pg_bus import NOTIFY_LIMIT, PgNotifyBus
from perpdesk.metrics import METRICS
from tests.fixtures.db import PG_ENV

pytestmark = pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set (scripts/pg.sh)")


async def test_events_cross_between_buses_and_market_data_stays_local(pg_url: str) -> None:
    worker, web = PgNotifyBus(pg_url), PgNotifyBus(pg_url)
    worker.start()
    web.start()
    try:
        await asyncio.wait_for(asyncio.gather(worker.connected.wait(), web.connected.wait()), 10)
        page = web.subscribe([account_topic("a1"), market_topic("bitmart", "BTCUSDT")])
        own = worker.subscribe([account_topic("a1")])
        received = METRICS.events_received.value()
        big = {"rows": ["x" * 100] * (3 * NOTIFY_LIMIT // 100), "label": "Main ü"}
        worker.publish(market_topic("bitmart", "BTCUSDT"), "ticker", {"n": 0})  # local only
        worker.publish(account_topic("a1"), "account", {"n": 1})
        worker.publish(account_topic("a1"), "account", big)
        worker.publish(account_topic("a1"), "account", {"n": 3})
        got = [await page.get(10) for _ in range(3)]
        assert [e.data if e else None for e in got] == [{"n": 1}, big, {"n": 3}]
        assert all(e is not None and e.kind == "account" for e in got)
        assert await page.get(0.3) is None  # the ticker did not cross; nothing came twice
        mine = [await own.get(1) for _ in range(3)]  # the publisher's own subscribers, at once
        assert [e.data if e else None for e in mine] == [{"n": 1}, big, {"n": 3}]
        assert METRICS.events_received.value() - received == 3
        assert worker.queue_depth() == 0
        web.publish(account_topic("a1"), "x", {"from": "web"})  # both ways
        back = await own.get(10)
        assert back is not None and back.data == {"from": "web"}
    finally:
        await worker.aclose()
        await web.aclose()


async def test_a_web_process_says_which_account_pages_are_open(pg_url: str) -> None:
    """The owner's mirror re-reads plan orders while a page is open: on a web process too."""
    worker, web = PgNotifyBus(pg_url), PgNotifyBus(pg_url, announce_watched_s=0.1)
    worker.start()
    try:
        await asyncio.wait_for(worker.connected.wait(), 10)
        page = web.subscribe([account_topic("a1")])
        web.subscribe([ALL_ACCOUNTS])  # a job's wildcard subscription is no open page
        web.start()
        for _ in range(100):
            if worker.watchers(account_topic("a1")):
                break
            await asyncio.sleep(0.05)
        assert worker.watchers(account_topic("a1")) == 1
        assert worker.watchers(account_topic("a2")) == 0 and worker.watchers(ALL_ACCOUNTS) == 0
        page.close()
        await asyncio.sleep(0.5)  # the announcement stopped; it holds for three periods only
        assert worker.watchers(account_topic("a1")) == 0
    finally:
        await worker.aclose()
        await web.aclose()
