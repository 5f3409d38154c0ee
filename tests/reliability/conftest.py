"""Reliability suites: the real sandbox (its own, with a short timestamp window, serving both
exchanges' dialects over one engine) and real databases.

Sizes come from the environment so the same tests run scaled down in the regular suite and in
full from scripts/reliability.sh (PERPDESK_RELIABILITY_FULL=1)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from perpdesk.exchanges.binance import BinanceFuturesConnector
from perpdesk.exchanges.binance.ratelimit import (
    ORDERS_PER_10S,
    ORDERS_PER_MIN,
    WEIGHT_PER_MIN,
    BinanceLimiter,
)
from perpdesk.exchanges.bitmart.connector import BitmartFuturesConnector
from perpdesk.exchanges.common.clock import ExchangeClock
from perpdesk.services.deps import AccountsDeps
from tests.fixtures.binance import BinanceSandbox, start_binance_sandbox
from tests.fixtures.sandbox import SandboxServer
from tests.fixtures.services import accounts_deps
from tests.reliability.orders_workload import MARGIN_S, TIMEOUT_S, WINDOW_S

FULL = os.environ.get("PERPDESK_RELIABILITY_FULL") == "1"
# Binance's limits are per IP (one for the whole run): both the sandbox and the platform scale them
# up, so the full run measures the faults rather than waiting out Binance's request weight
BINANCE_LIMIT_FACTOR = 10


def size(name: str, scaled: int, full: int) -> int:
    return int(os.environ.get(f"PERPDESK_RELIABILITY_{name}", full if FULL else scaled))


@pytest.fixture(scope="module")
def reliability_exchanges() -> Iterator[BinanceSandbox]:
    """One sandbox serving BitMart (`.server`) and Binance (`.url`), every window WINDOW_S."""
    sandbox = start_binance_sandbox(["--timestamp-window-ms", str(int(WINDOW_S * 1000))])
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture(scope="module")
def reliability_sandbox(reliability_exchanges: BinanceSandbox) -> SandboxServer:
    return reliability_exchanges.server


def fast_connector(base_url: str) -> BitmartFuturesConnector:
    return BitmartFuturesConnector(
        base_url,
        timeout_s=TIMEOUT_S,
        window_s=WINDOW_S,
        settle_margin_s=MARGIN_S,
        settle_attempts=2,
        settle_delay_s=0.05,
    )


def fast_binance_connector(base_url: str, limit_factor: int = 1) -> BinanceFuturesConnector:
    clock = ExchangeClock()
    limiter = BinanceLimiter(
        clock.now_ms,
        weight_per_min=WEIGHT_PER_MIN * limit_factor,
        orders_per_10s=ORDERS_PER_10S * limit_factor,
        orders_per_min=ORDERS_PER_MIN * limit_factor,
    )
    return BinanceFuturesConnector(
        base_url,
        timeout_s=TIMEOUT_S,
        recv_window_ms=int(WINDOW_S * 1000),
        settle_margin_s=MARGIN_S,
        settle_attempts=2,
        settle_delay_s=0.05,
        clock=clock,
        limiter=limiter,
    )


@pytest.fixture(params=["bitmart", "binance"])
async def rdeps(
    request: pytest.FixtureRequest,
    db_sessionmaker: async_sessionmaker[AsyncSession],
    reliability_exchanges: BinanceSandbox,
) -> AsyncIterator[tuple[AccountsDeps, Any, Any, str]]:
    """(deps, connector, sandbox, exchange) for one exchange of the shared sandbox."""
    server = reliability_exchanges.server
    connector: Any
    if request.param == "binance":
        connector = fast_binance_connector(reliability_exchanges.url, BINANCE_LIMIT_FACTOR)
        server.admin.rate_limits(factor=BINANCE_LIMIT_FACTOR, reset=True)
    else:
        connector = fast_connector(server.base_url)
    try:
        yield accounts_deps(db_sessionmaker, connector), connector, server, request.param
    finally:
        server.admin.clear_faults()
        server.admin.rate_limits(factor=1, reset=True)
        await connector.aclose()
