"""Clock skew, rate limits, lost answers and egress, against the sandbox and its fault injection."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from perpdesk.core import errors as E
from perpdesk.core.models import MarginMode, OrderRequest, OrderSide, OrderType, PlacementStatus
from perpdesk.exchanges.bitmart import BitmartFuturesConnector, new_client_order_id
from perpdesk.exchanges.bitmart.rest import Auth
from perpdesk.exchanges.common.clock import ExchangeClock
from tests.integration.connector.conftest import MakeCreds
from tests.integration.http.httpservers import LoopProxy

SYMBOL = "BTCUSDT"
SUBMIT = "/contract/private/submit-order"


@pytest.fixture
def faults(sandbox: Any) -> Iterator[Any]:
    yield sandbox.admin
    sandbox.admin.clear_faults()


def order(cid: str | None = None) -> OrderRequest:
    return OrderRequest(SYMBOL, OrderSide.BUY_OPEN_LONG, Decimal(1), cid or new_client_order_id(),
                        price=Decimal(1000), leverage=Decimal(5), margin_mode=MarginMode.CROSS)


async def test_skewed_clock_is_resynchronised_and_the_request_retried(sandbox: Any,
                                                                      make_creds: MakeCreds) -> None:
    skew = [0]
    clock = ExchangeClock(wall_ms=lambda: time.time_ns() // 1_000_000 + skew[0])
    conn = BitmartFuturesConnector(sandbox.base_url, clock=clock, timeout_s=5)
    creds = make_creds()
    try:
        assert (await conn.place_order(creds, order())).status is PlacementStatus.PLACED
        assert abs(clock.offset_ms) < 1000
        skew[0] = -5 * 60_000  # our clock falls 5 minutes behind; the stored offset is now wrong
        result = await conn.place_order(creds, order())
        assert result.status is PlacementStatus.PLACED, result  # 30007 → resync → one retry
        assert abs(clock.offset_ms - 5 * 60_000) < 1000
        # without the resynchronisation the exchange's refusal is the typed error
        skew[0] = 0
        with pytest.raises(E.TimestampOutOfWindow) as refused:
            await conn.rest.call("POST", "/contract/private/cancel-orders", {"symbol": SYMBOL},
                                 Auth.SIGNED, creds, sync_clock=False)
        assert refused.value.exchange_code == 30007
    finally:
        await conn.aclose()


async def test_pacing_keeps_under_the_limit_without_a_single_refusal(
    connector: BitmartFuturesConnector, make_creds: MakeCreds
) -> None:
    creds = make_creds()
    start = time.monotonic()
    results = await asyncio.gather(*(connector.balances(creds) for _ in range(14)), return_exceptions=True)
    elapsed = time.monotonic() - start
    assert all(isinstance(r, list) for r in results), results  # 14 reads, limit 12 / 2 s: none refused
    assert elapsed >= 1.9  # the 13th waited for the window
    assert connector.limiter.waited_s > 0


async def test_rate_limit_refusal_is_retried_once_then_typed(
    faults: Any, connector: BitmartFuturesConnector, make_creds: MakeCreds
) -> None:
    creds = make_creds()
    faults.fault("rate_limit", "/contract/private/get-open-orders", times=1, api_key=creds.api_key)
    assert await connector.open_orders(creds) == []  # one 429, waited out, retried
    faults.fault("rate_limit", "/contract/private/get-open-orders", times=2, api_key=creds.api_key)
    with pytest.raises(E.RateLimited) as limited:
        await connector.open_orders(creds)
    assert limited.value.exchange_code == 30013 and limited.value.retry_after


async def test_timeout_after_execution_is_settled_by_client_id_not_resent(
    faults: Any, connector: BitmartFuturesConnector, make_creds: MakeCreds
) -> None:
    creds = make_creds()
    faults.fault("execute_then_drop", SUBMIT, times=1, api_key=creds.api_key)
    request = order()
    result = await connector.place_order(creds, request)
    assert result.status is PlacementStatus.PLACED and result.order_id, result
    orders = await connector.open_orders(creds, SYMBOL)
    assert [o.client_order_id for o in orders] == [request.client_order_id]  # exactly one, not two
    assert orders[0].order_id == result.order_id
    submits = connector.limiter.bucket(creds.api_key, SUBMIT)
    assert len(submits.sent) == 1  # sent once


async def test_lost_request_is_unknown_until_its_window_closes(
    faults: Any, connector: BitmartFuturesConnector, make_creds: MakeCreds
) -> None:
    creds = make_creds()
    faults.fault("drop", SUBMIT, times=1, api_key=creds.api_key)
    result = await connector.place_order(creds, order())
    # not found yet proves nothing: the exchange may still act on it within its window
    assert result.status is PlacementStatus.UNKNOWN, result
    assert isinstance(result.error, E.UnknownOutcome) and "may still execute" in result.error.message
    assert result.sent_timestamp_ms and result.decided_after_ms
    window_ms = connector.rest.window_ms + connector.rest.settle_margin_ms
    assert result.decided_after_ms == result.sent_timestamp_ms + window_ms - connector.clock.offset_ms
    assert await connector.open_orders(creds) == []


async def test_unknown_only_when_the_exchange_cannot_answer(
    sandbox: Any, faults: Any, make_creds: MakeCreds
) -> None:
    creds = make_creds()
    conn = BitmartFuturesConnector(sandbox.base_url, timeout_s=1, settle_attempts=2, settle_delay_s=0.05)
    try:
        await conn.instruments()
        faults.fault("execute_then_drop", SUBMIT, times=1, api_key=creds.api_key)
        faults.fault("drop", "/contract/private/get-open-orders", api_key=creds.api_key)
        faults.fault("drop", "/contract/private/order-history", api_key=creds.api_key)
        request = order()
        result = await conn.place_order(creds, request)
        assert result.status is PlacementStatus.UNKNOWN, result
        assert isinstance(result.error, E.UnknownOutcome)
        assert result.error.client_order_id == request.client_order_id
        faults.clear_faults()
        found = await conn.get_order(creds, SYMBOL, client_order_id=request.client_order_id)
        assert found is not None  # it had executed: the service settles it later by this id
    finally:
        await conn.aclose()


async def test_reads_are_retried_after_a_server_fault_but_writes_are_not(
    faults: Any, connector: BitmartFuturesConnector, make_creds: MakeCreds
) -> None:
    creds = make_creds()
    key = creds.api_key
    faults.fault("http_error", "/contract/private/assets-detail", status=503, times=1, api_key=key)
    assert (await connector.balances(creds))[0].currency == "USDT"
    faults.fault("http_error", "/contract/private/submit-leverage", status=500, times=1, api_key=key)
    with pytest.raises(E.ExchangeUnavailable):
        await connector.set_leverage(creds, SYMBOL, Decimal(3), MarginMode.CROSS)
    faults.fault("http_error", "/contract/private/assets-detail", status=503, api_key=creds.api_key)
    with pytest.raises(E.ExchangeUnavailable):
        await connector.balances(creds)


async def test_egress_through_a_proxy_is_what_the_exchange_sees(sandbox: Any, make_creds: MakeCreds) -> None:
    creds = make_creds(ip=("127.0.0.5",))
    proxy = await LoopProxy(egress="127.0.0.5").start()
    via_proxy = BitmartFuturesConnector(sandbox.base_url, proxy=proxy.url)
    direct = BitmartFuturesConnector(sandbox.base_url)
    try:
        assert (await via_proxy.inspect_key(creds)).usable_for_futures
        assert (await via_proxy.place_order(creds, order())).status is PlacementStatus.PLACED
        assert (await direct.inspect_key(creds)).ip_allowed is False
    finally:
        await via_proxy.aclose()
        await direct.aclose()
        await proxy.stop()


async def test_order_executed_after_our_timeout_is_found_not_declared_lost(
    sandbox: Any, faults: Any, make_creds: MakeCreds
) -> None:
    creds = make_creds()
    conn = BitmartFuturesConnector(sandbox.base_url, timeout_s=0.5, settle_attempts=2, settle_delay_s=0.05)
    try:
        await conn.instruments()
        # the exchange acts after we gave up
        faults.fault("latency", SUBMIT, latency_ms=800, times=1, api_key=creds.api_key)
        request = order()
        result = await conn.place_order(creds, request)
        # found by the quick look-ups, or left unknown for the settler: never declared lost
        assert result.status in (PlacementStatus.PLACED, PlacementStatus.UNKNOWN), result
        await asyncio.sleep(0.5)
        orders = await conn.open_orders(creds, SYMBOL)
        assert [o.client_order_id for o in orders] == [request.client_order_id]
    finally:
        await conn.aclose()


async def test_filled_market_order_behind_a_lost_answer_is_found_in_history(
    faults: Any, connector: BitmartFuturesConnector, make_creds: MakeCreds
) -> None:
    creds = make_creds()
    faults.fault("execute_then_drop", SUBMIT, times=1, api_key=creds.api_key)
    request = OrderRequest(SYMBOL, OrderSide.BUY_OPEN_LONG, Decimal(2), new_client_order_id(),
                           type=OrderType.MARKET, leverage=Decimal(5), margin_mode=MarginMode.CROSS)
    result = await connector.place_order(creds, request)
    assert result.status is PlacementStatus.PLACED and result.order_id, result
    assert await connector.open_orders(creds) == []  # filled at once: only the history knows it
    (pos,) = await connector.positions(creds, SYMBOL)
    assert pos.size == Decimal(2)  # executed exactly once


async def test_a_write_queued_by_the_rate_limiter_is_signed_when_it_leaves(
    connector: BitmartFuturesConnector, make_creds: MakeCreds
) -> None:
    creds = make_creds()
    await connector.instruments()
    await connector.balances(creds)  # the clock is measured
    connector.limiter.penalise(creds.api_key, SUBMIT, 1.0)  # the next submit waits ~1 s for a slot
    queued_at = connector.clock.now_ms()
    result = await connector.place_order(creds, order())
    assert result.status is PlacementStatus.PLACED, result
    # its X-BM-TIMESTAMP is from when it left, not from when it was queued
    assert result.sent_timestamp_ms is not None and result.sent_timestamp_ms >= queued_at + 900
