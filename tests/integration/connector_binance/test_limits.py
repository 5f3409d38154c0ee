"""Binance's 429 against the real server (limits scaled to 1 %: 24 weight a minute): the
connector stops sending at the first 429 until its Retry-After, so the address is never banned
(Binance bans an IP that sends 10 more requests in that minute: 418)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from perpdesk.core import errors as E
from perpdesk.exchanges.binance import BinanceFuturesConnector
from tests.fixtures.binance import BinanceSandbox, start_binance_sandbox


@pytest.fixture(scope="module")
def strict() -> Iterator[BinanceSandbox]:
    sandbox = start_binance_sandbox(["--rate-limit-factor", "0.01"])
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
async def connector(strict: BinanceSandbox) -> AsyncIterator[BinanceFuturesConnector]:
    conn = BinanceFuturesConnector(strict.url, timeout_s=5)
    yield conn
    await conn.aclose()


async def test_a_429_stops_every_request_until_retry_after(
    strict: BinanceSandbox, connector: BinanceFuturesConnector
) -> None:
    limited: E.RateLimited | None = None
    for depth in range(1, 61):  # 24 weight a minute: a 429 comes within a minute's worth
        try:
            await connector.order_book("BTCUSDT", depth)  # a new depth each time: never a shared read
        except E.RateLimited as exc:
            limited = exc
            break
    assert limited is not None and limited.exchange_code == -1003 and limited.http_status == 429
    assert limited.retry_after and 0 < limited.retry_after <= 60
    for _ in range(15):  # more than the 10 that would get the address banned
        with pytest.raises(E.RateLimited, match="was not sent"):
            await connector.instruments()
    async with httpx.AsyncClient() as http:  # the address is refused (429) or free again, never banned
        assert (await http.get(strict.url + "/fapi/v1/ping")).status_code in (200, 429)
