"""One API key's writes paced once across processes: two connectors (each its own limiter and its
own database engine, as two processes have) sending BitMart's "cancel all" (2 per 2 s per key)
on one key at once share the key's window in PostgreSQL, so the sandbox, which enforces
BitMart's limits, refuses none; without the shared window the same burst is refused."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from perpdesk.core.errors import RateLimited
from perpdesk.core.models import Credentials
from perpdesk.exchanges.bitmart import BitmartFuturesConnector
from perpdesk.store.db import make_engine
from perpdesk.store.rate_windows import PgMovingWindowStorage, PgWritePacer

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
    started = time.monotonic()
    outcomes = await burst(two_processes, creds)
    elapsed = time.monotonic() - started
    assert outcomes == [None] * 2 * BURST  # none refused by the exchange
    assert elapsed >= 3.9  # 2, then 2 after 2 s, then 2 after 4 s: the key's limit, held by both
    waited = [c.rest.write_pacer.waited_s for c in two_processes]  # type: ignore[union-attr]
    assert sum(waited) > 0 and all(w < 10 for w in waited)


async def test_without_the_shared_window_the_same_burst_is_refused(sandbox: Any) -> None:
    creds = fresh_key(sandbox)
    alone = [BitmartFuturesConnector(sandbox.base_url) for _ in range(2)]  # each paces itself only
    try:
        outcomes = await burst(alone, creds)
    finally:
        for c in alone:
            await c.aclose()
    assert any(isinstance(o, RateLimited) for o in outcomes), outcomes
