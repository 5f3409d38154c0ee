"""Reliability suites: the real sandbox (its own, with a short timestamp window) and real databases.

Sizes come from the environment so the same tests run scaled down in the regular suite and in
full from scripts/reliability.sh (PERPDESK_RELIABILITY_FULL=1)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from perpdesk.exchanges.bitmart.connector import BitmartFuturesConnector
from perpdesk.services.deps import AccountsDeps
from tests.fixtures.sandbox import SandboxServer, start_sandbox
from tests.fixtures.services import accounts_deps
from tests.reliability.orders_workload import MARGIN_S, TIMEOUT_S, WINDOW_S

FULL = os.environ.get("PERPDESK_RELIABILITY_FULL") == "1"


def size(name: str, scaled: int, full: int) -> int:
    return int(os.environ.get(f"PERPDESK_RELIABILITY_{name}", full if FULL else scaled))


@pytest.fixture(scope="module")
def reliability_sandbox() -> Iterator[SandboxServer]:
    server = start_sandbox(extra_args=["--timestamp-window-ms", str(int(WINDOW_S * 1000))])
    try:
        yield server
    finally:
        server.stop()


def fast_connector(base_url: str) -> BitmartFuturesConnector:
    return BitmartFuturesConnector(
        base_url,
        timeout_s=TIMEOUT_S,
        window_s=WINDOW_S,
        settle_margin_s=MARGIN_S,
        settle_attempts=2,
        settle_delay_s=0.05,
    )


@pytest.fixture
async def rdeps(
    db_sessionmaker: async_sessionmaker[AsyncSession], reliability_sandbox: SandboxServer
) -> AsyncIterator[tuple[AccountsDeps, BitmartFuturesConnector, Any]]:
    connector = fast_connector(reliability_sandbox.base_url)
    try:
        yield accounts_deps(db_sessionmaker, connector), connector, reliability_sandbox
    finally:
        reliability_sandbox.admin.clear_faults()
        await connector.aclose()
