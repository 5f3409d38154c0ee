"""One API key's writes paced once across processes: two connectors (each its own limiter and its
own database engine, as two processes have) sending BitMart's "cancel all" (2 per 2 s per key)
on one key at once share the key's window in PostgreSQL, so the sandbox, which enforces
BitMart's limits, answers no 429; without the shared window the same burst gets 429s. A Binance
new order counts in the key's shared ORDERS windows."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from perpdesk.core.errors import RateLimited
from perpdesk.core.models import (
    Credentials,
    MarginMode,
    OrderRequest,
    OrderSide,
    PlacementStatus,
    new_client_order_id,
)
from perpdesk.exchanges.binance import BinanceFuturesConnector
from perpdesk.exchanges.bitmart import BitmartFuturesConnector
from perpdesk.exchanges.common.write_pacing import bucket_of
from perpdesk.metrics import METRICS
from perpdesk.store.db import make_engine
from perpdesk.store.rate_windows import PgMovingWindowStorage, PgWritePacer
from tests.fixtures.binance import BinanceSandbox

BURST = 3  # per connector: 6 at once on a 2-per-2-s endpoint


def fresh_key(sandbox: Any) -> Credentials:
    user = sandbox.admin.create_user(whitelisted=True, futures_deposit={"USDT": "1000"})
    key = sandbox.admin.create_key(user["email"])
    return Credentials(key["api_key"], key["secret_key"], key["memo"])


@pytest.fixture
async def two_processes(pg_module_url: str, sandbox: Any) -> AsyncIterator[list[BitmartFuturesConnector]]:
    engines = [make_engine(pg_module_url) for _ in range(2)]
    pacers = [PgWritePacer(PgMovingWindowStorage(e)) for e in engines]
    connectors = [BitmartFuturesConnector(sandbox.base_url, write_pacer=p) for p in pacers]
    try:
        yield connectors
    finally:
        for c in connectors:
            await c.aclose()
        for e in engines:
            await e.dispose()


async def burst(connectors: list[BitmartFuturesConnector], creds: Credentials) -> list[BaseException | None]:
    calls = [c.cancel_all(creds, "BTCUSDT") for c in connectors for _ in range(BURST)]
    return list(await asyncio.gather(*calls, return_exceptions=True))


async def test_a_keys_writes_from_two_processes_share_one_window(
    two_processes: list[BitmartFuturesConnector], sandbox: Any
) -> None:
    creds = fresh_key(sandbox)
    refused_before = METRICS.exchange_429.value(exchange="bitmart")
    started = time.monotonic()
    outcomes = await burst(two_processes, creds)
    elapsed = time.monotonic() - started
    assert outcomes == [None] * 2 * BURST
    assert METRICS.exchange_429.value(exchange="bitmart") == refused_before  # no 429 answered
    assert elapsed >= 3.9  # 2, then 2 after 2 s, then 2 after 4 s: the key's limit, held by both
    waited = [c.rest.write_pacer.waited_s for c in two_processes]  # type: ignore[union-attr]
    assert sum(waited) > 0 and all(w < 10 for w in waited)


async def test_without_the_shared_window_the_same_burst_is_refused(sandbox: Any) -> None:
    creds = fresh_key(sandbox)
    refused_before = METRICS.exchange_429.value(exchange="bitmart")
    alone = [BitmartFuturesConnector(sandbox.base_url) for _ in range(2)]  # each paces itself only
    try:
        outcomes = await burst(alone, creds)
    finally:
        for c in alone:
            await c.aclose()
    # the exchange answered 429 (each connector then waits the refusal out and may retry)
    assert METRICS.exchange_429.value(exchange="bitmart") > refused_before, outcomes
    assert all(o is None or isinstance(o, RateLimited) for o in outcomes), outcomes


async def test_binance_new_orders_count_in_the_keys_shared_order_windows(
    pg_module_url: str, binance_sandbox: BinanceSandbox
) -> None:
    engine = make_engine(pg_module_url)
    pacer = PgWritePacer(PgMovingWindowStorage(engine))
    connector = BinanceFuturesConnector(binance_sandbox.url, write_pacer=pacer)
    try:
        binance_sandbox.server.admin.set_price("ETHUSDT", "2000")
        client = binance_sandbox.client("10000")
        creds = Credentials(client.api_key, client.secret)
        order = OrderRequest("ETHUSDT", OrderSide.BUY_OPEN_LONG, Decimal("0.05"), new_client_order_id(),
                             price=Decimal(1500), leverage=Decimal(5), margin_mode=MarginMode.CROSS)
        placed = await connector.place_order(creds, order)
        assert placed.status is PlacementStatus.PLACED
        async with engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT key, amount FROM rate_window_entries WHERE key LIKE 'write:binance:%'"))).all()
        prefix = bucket_of("binance", creds.api_key, "")  # this key's buckets
        mine = {k.removeprefix(prefix): n for k, n in rows if k.startswith(prefix)}
        assert mine == {"orders10s": 1, "orders60s": 1}  # Binance's ORDERS limits, shared
        assert all(creds.api_key not in k for k, _ in rows)  # the key itself is never stored
    finally:
        await connector.aclose()
        await engine.dispose()
