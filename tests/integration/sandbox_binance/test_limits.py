"""Binance's rate limits on the real server (limits scaled to 1 %: 24 weight a minute, 3 orders
per 10 s): X-MBX-USED-WEIGHT-1M, 429 -1003 with Retry-After, then the 418 ban, and the order
count headers with 429 -1015."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.fixtures.binance import BinanceSandbox, start_binance_sandbox


@pytest.fixture(scope="module")
def strict() -> Iterator[BinanceSandbox]:
    sandbox = start_binance_sandbox(["--rate-limit-factor", "0.01"])
    sandbox.server.admin.freeze_prices(True)
    try:
        yield sandbox
    finally:
        sandbox.stop()


def _not_at_minute_end() -> None:
    """The limits' windows are clock minutes: start a burst well inside one."""
    left = 60 - time.time() % 60
    if left < 8:
        time.sleep(left + 0.1)


def test_weight_429_then_418_ban(strict: BinanceSandbox) -> None:
    _not_at_minute_end()
    client = strict.client()  # the admin calls are on the BitMart port: no weight here
    statuses = []
    for _ in range(60):
        r = client.public("/fapi/v1/time")
        statuses.append(r.status_code)
        if r.status_code == 418:
            break
    first_429 = statuses.index(429)
    assert set(statuses[:first_429]) == {200}
    refused = client.public("/fapi/v1/ping")
    assert refused.status_code == 418
    body = refused.json()
    assert body["code"] == -1003 and "banned until" in body["msg"]
    assert int(refused.headers["retry-after"]) > 60
    assert statuses.count(429) == 10


def test_order_count_headers_and_1015(strict: BinanceSandbox) -> None:
    strict.server.admin.rate_limits(reset=True)
    _not_at_minute_end()
    client = strict.client()
    params = {
        "symbol": "SOLUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "1.0",
        "price": "100.00",
        "positionSide": "LONG",
    }
    # The windows are the clock's 10 s and minute: a slow machine may cross a 10 s boundary, so
    # send until refused (at most 12 a minute get through) and check what each answer says.
    seen: list[tuple[int, int]] = []
    for _ in range(14):
        r = client.signed("POST", "/fapi/v1/order", params)
        if r.status_code != 200:
            break
        seen.append((int(r.headers["x-mbx-order-count-10s"]), int(r.headers["x-mbx-order-count-1m"])))
    assert (r.status_code, r.json()["code"]) == (429, -1015)
    assert "orders per 10s" in r.json()["msg"] or "orders per 1m" in r.json()["msg"]
    assert len(seen) >= 3 and all(ten <= 3 for ten, _ in seen)
    assert [minute for _, minute in seen] == list(range(1, len(seen) + 1))
