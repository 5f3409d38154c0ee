"""The request-weight limit the venue announces, against the real sandbox with its limits scaled
×10 as `roomy_limits` scales them (exchangeInfo announces REQUEST_WEIGHT 24000 / 1 MINUTE): the
connector no longer waits at Binance's published 2400, and still waits, without a 429, at the
24000 announced. Each test spends the sandbox's weight within one clock minute, with one of the
heaviest reads the platform makes (the key's position mode: weight 30)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from perpdesk.core.models import Credentials
from perpdesk.exchanges.binance import BinanceFuturesConnector
from perpdesk.exchanges.binance.ratelimit import WEIGHT_PER_MIN
from tests.fixtures.binance import BinanceSandbox, start_binance_sandbox

FACTOR = 10
ANNOUNCED = WEIGHT_PER_MIN * FACTOR
MODE = "/fapi/v1/positionSide/dual"  # weight 30


@pytest.fixture(scope="module")
def scaled() -> Iterator[BinanceSandbox]:
    sandbox = start_binance_sandbox()
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def creds(scaled: BinanceSandbox) -> Credentials:
    client = scaled.client("1000")
    return Credentials(client.api_key, client.secret)


@pytest.fixture
async def connector(scaled: BinanceSandbox) -> AsyncIterator[BinanceFuturesConnector]:
    scaled.server.admin.rate_limits(factor=FACTOR, reset=True)  # as roomy_limits does, counters at 0
    conn = BinanceFuturesConnector(scaled.url, timeout_s=5)
    try:
        yield conn
    finally:
        await conn.aclose()
        scaled.server.admin.rate_limits(factor=1, reset=True)


async def a_fresh_minute(needed_s: float) -> None:
    """Wait for the next clock minute if this one has less than `needed_s` left (the sandbox's
    windows and ours turn at :00)."""
    left = 60 - time.time() % 60
    if left < needed_s:
        await asyncio.sleep(left + 0.2)


async def position_mode(conn: BinanceFuturesConnector, creds: Credentials) -> None:
    await conn.rest.call("GET", MODE, None, creds)


async def test_a_scaled_venue_is_not_waited_on_at_2400(
    connector: BinanceFuturesConnector, creds: Credentials
) -> None:
    limiter = connector.limiter
    assert limiter.announced_weight is None and limiter.weight.limit < WEIGHT_PER_MIN  # nothing heard yet
    await a_fresh_minute(10)
    for _ in range(3600 // 30):  # 3600 weight: past 2400, in one minute
        await asyncio.wait_for(position_mode(connector, creds), 5)
    # held back once at 2380, it asked the venue its limit (exchangeInfo) and went on at once
    assert limiter.announced_weight == ANNOUNCED and limiter.weight_per_min == ANNOUNCED
    assert limiter.waited_s == 0 and limiter.blocked_until_ms == 0
    assert limiter.weight.used >= 3600  # the sandbox's own count (X-MBX-USED-WEIGHT-1M)


async def test_instruments_tell_the_limit_and_it_still_waits_there(
    connector: BinanceFuturesConnector, creds: Credentials
) -> None:
    limiter = connector.limiter
    await a_fresh_minute(15)
    assert await connector.instruments()  # exchangeInfo: the limits come with the symbols' rules
    assert limiter.announced_weight == ANNOUNCED
    calls = 0
    while not limiter.weight_full(MODE):
        await asyncio.wait_for(position_mode(connector, creds), 5)
        calls += 1
        assert calls <= ANNOUNCED // 30, "the announced limit was never reached"
    assert limiter.waited_s == 0 and WEIGHT_PER_MIN < limiter.weight.used <= ANNOUNCED
    # full at the announced limit: the next request waits for the minute to turn, never sent into a 429
    held = asyncio.create_task(position_mode(connector, creds))
    done, _ = await asyncio.wait({held}, timeout=1.5)
    assert not done and limiter.waited_s > 0
    held.cancel()
    with pytest.raises(asyncio.CancelledError):
        await held
    assert limiter.blocked_until_ms == 0  # no 429 came
