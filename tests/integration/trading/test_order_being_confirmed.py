"""An order whose answer comes after perpdesk stopped waiting is "being confirmed", never rejected:
it is decided only by a look-up made after its timestamp window closed at the exchange.

The real scenario (BitMart answering submit-order after ~25 s; perpdesk waiting 10 s; BitMart's
window 60 s) runs here scaled down with the same ordering: timeout 1 s < answer 3.5 s < window 5 s,
on both exchanges: BitMart's X-BM-TIMESTAMP window, Binance's recvWindow (the sandbox shortens
both with `--timestamp-window-ms`; perpdesk is told the same window).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from perpdesk.core.errors import ExchangeUnavailable
from perpdesk.core.models import OrderState
from perpdesk.exchanges.binance import BinanceFuturesConnector
from perpdesk.exchanges.bitmart.connector import BitmartFuturesConnector
from perpdesk.services import portfolio, trading
from perpdesk.services.trading import IntentSettler, OrderBeingConfirmed
from perpdesk.services.trading.commands import parse_amend, parse_tp_sl
from perpdesk.store.base import utcnow
from perpdesk.store.orders import ChangeStatus, IntentStatus, OrderIntentRepo
from tests.fixtures.binance import BinanceSandbox, start_binance_sandbox
from tests.fixtures.sandbox import SandboxServer
from tests.fixtures.services import accounts_deps
from tests.integration.binance_trading.conftest import BCtx
from tests.integration.trading.conftest import MARGIN_S, TIMEOUT_S, WINDOW_S, TCtx

ETH = "ETHUSDT"
SUBMIT = "/contract/private/submit-order"


def ticket(price: str, size: str = "1") -> dict[str, object]:
    return {
        "symbol": ETH,
        "side": "buy",
        "type": "limit",
        "price": price,
        "size": size,
        "leverage": "5",
        "margin_mode": "cross",
    }


Path = tuple[str, str | None]  # a write's request path, and its method where the path serves others


@dataclass
class Venue:
    """One exchange's side of these tests: the platform wired to a short-window sandbox, and the
    requests its order writes are (faults are set on exactly those)."""

    exchange: str
    deps: Any
    admin: Any
    connector: Any
    trader: Callable[[], Awaitable[Any]]
    submit: Path
    amend: Path
    cancel: Path
    size: str  # one order's size in the exchange's unit (BitMart: contracts; Binance: ETH)

    def fault(self, kind: str, path: Path, **kw: Any) -> None:
        self.admin.fault(kind, path[0], method=path[1], **kw)

    def ticket(self, price: str) -> dict[str, object]:
        return ticket(price, self.size)


@pytest.fixture(scope="module")
def short_window_binance() -> Iterator[BinanceSandbox]:
    """A Binance-serving sandbox of its own whose every recvWindow is at most WINDOW_S."""
    sandbox = start_binance_sandbox(["--timestamp-window-ms", str(int(WINDOW_S * 1000))])
    try:
        yield sandbox
    finally:
        sandbox.stop()


# the connector's timings as the platform is told them (BitMart's window is its `window_s`)
SHORT: dict[str, Any] = dict(
    timeout_s=TIMEOUT_S, settle_margin_s=MARGIN_S, settle_attempts=2, settle_delay_s=0.1
)


@pytest.fixture(params=["bitmart", "binance"])
async def venue(
    request: pytest.FixtureRequest, db_sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Venue]:
    order = "/fapi/v1/order"
    venue: Venue
    if request.param == "bitmart":  # (sync fixtures only: an async one cannot be asked for here)
        server: SandboxServer = request.getfixturevalue("short_window_sandbox")
        connector: Any = BitmartFuturesConnector(server.base_url, window_s=WINDOW_S, **SHORT)
        w = TCtx(accounts_deps(db_sessionmaker, connector), server, connector)
        venue = Venue(
            "bitmart", w.deps, server.admin, connector, w.trader, (SUBMIT, None),
            ("/contract/private/modify-limit-order", None), ("/contract/private/cancel-order", None), "1",
        )
    else:
        sandbox: BinanceSandbox = request.getfixturevalue("short_window_binance")
        connector = BinanceFuturesConnector(sandbox.url, recv_window_ms=int(WINDOW_S * 1000), **SHORT)
        b = BCtx(accounts_deps(db_sessionmaker, connector), sandbox, connector)
        venue = Venue(
            "binance", b.deps, sandbox.server.admin, connector, b.trader, (order, "POST"),
            (order, "PUT"), (order, "DELETE"), "0.1",
        )
    try:
        yield venue
    finally:
        venue.admin.clear_faults()
        await connector.aclose()


async def statuses(ctx: Any, user_id: str, account_id: str) -> dict[str, str]:
    async with ctx.deps.sessions() as s:
        return {
            r.client_order_id: r.status for r in await OrderIntentRepo(s).for_account(user_id, account_id)
        }


async def exchange_orders(ctx: Any, user_id: str, account_id: str) -> list[str]:
    orders = await portfolio.open_orders(ctx.deps, user_id, account_id)
    return [o.client_order_id or "" for o in orders]


async def test_late_answer_is_being_confirmed_then_placed_never_rejected_nor_doubled(venue: Venue) -> None:
    t = await venue.trader()
    venue.admin.set_price(ETH, "3500")
    venue.fault("latency", venue.submit, latency_ms=3500, times=6)
    placed = await asyncio.gather(
        *(
            trading.place_order(venue.deps, t.user_id, t.account_id, venue.ticket(str(3000 + i)))
            for i in range(6)
        )
    )
    cids = [p.client_order_id for p in placed]
    # perpdesk gave up waiting and its quick look-ups found nothing: being confirmed, not rejected
    assert [p.status for p in placed] == [IntentStatus.UNKNOWN] * 6, placed
    for p in placed:
        assert p.error is not None and p.error.code == "being_confirmed"
        assert "do not submit it again" in p.error.next_step.lower()
        # decided after exactly: the signed timestamp + the window (+ margin), on our clock
        async with venue.deps.sessions() as s:
            row = await OrderIntentRepo(s).by_client_id(t.user_id, t.account_id, p.client_order_id)
        assert row is not None and row.sent_timestamp_ms and row.decided_after == p.decided_after
        assert p.decided_after is not None
        decided_ms = int(p.decided_after.timestamp() * 1000)
        offset = venue.connector.clock.offset_ms
        assert decided_ms == row.sent_timestamp_ms + int((WINDOW_S + MARGIN_S) * 1000) - offset
    # the same ticket again while it is being confirmed is refused (nothing sent)
    with pytest.raises(OrderBeingConfirmed) as refused:
        await trading.place_order(venue.deps, t.user_id, t.account_id, venue.ticket("3000"))
    assert "being confirmed" in refused.value.message and refused.value.next_step
    # the background settler decides them as soon as the window has closed
    settler = IntentSettler(venue.deps, interval_s=30.0)
    settler.start()
    try:
        deadline = max(p.decided_after for p in placed if p.decided_after)
        for _ in range(150):
            now = await statuses(venue, t.user_id, t.account_id)
            if all(now[c] in ("placed", "not_placed", "rejected") for c in cids):
                break
            assert all(now[c] != "not_placed" for c in cids)  # never decided absent early
            await asyncio.sleep(0.1)
        assert utcnow() < deadline + timedelta(seconds=5)  # woke at the deadline, not 30 s later
    finally:
        await settler.stop()
    final = await statuses(venue, t.user_id, t.account_id)
    assert [final[c] for c in cids] == ["placed"] * 6, final
    # at the exchange: each order exactly once, and every one perpdesk calls placed
    at_exchange = await exchange_orders(venue, t.user_id, t.account_id)
    assert sorted(at_exchange) == sorted(cids)


async def test_request_older_than_the_window_is_not_placed_and_never_executes(venue: Venue) -> None:
    t = await venue.trader()
    venue.admin.set_price(ETH, "3500")
    venue.fault("latency", venue.submit, latency_ms=7000, times=1)  # arrives after the window
    placed = await trading.place_order(venue.deps, t.user_id, t.account_id, venue.ticket("2990"))
    assert placed.status is IntentStatus.UNKNOWN
    assert placed.decided_after is not None
    early = await trading.settle_unknown(venue.deps, t.user_id, t.account_id)
    assert [p.status for p in early] == [IntentStatus.UNKNOWN]  # absent, but it may still come
    await asyncio.sleep(max(0.0, (placed.decided_after - utcnow()).total_seconds()) + 0.1)
    done = await trading.settle_unknown(venue.deps, t.user_id, t.account_id)
    assert [p.status for p in done] == [IntentStatus.NOT_PLACED]
    assert done[0].error and "safe to submit" in done[0].error.next_step
    await asyncio.sleep(2.5)  # the delayed request arrives now: refused (BitMart 30007, Binance -1021)
    assert placed.client_order_id not in await exchange_orders(venue, t.user_id, t.account_id)
    found = await venue.connector.get_order(t.creds, ETH, client_order_id=placed.client_order_id)
    assert found is None
    # known absent: the same ticket may now be sent again
    again = await trading.place_order(venue.deps, t.user_id, t.account_id, venue.ticket("2990"))
    assert again.status is IntentStatus.PLACED


async def test_lost_cancel_and_amend_are_settled_by_reading_the_order(venue: Venue) -> None:
    t = await venue.trader()
    venue.admin.set_price(ETH, "3500")
    a = await trading.place_order(venue.deps, t.user_id, t.account_id, venue.ticket("2900"))
    b = await trading.place_order(venue.deps, t.user_id, t.account_id, venue.ticket("2901"))
    assert a.ok and b.ok and a.order_id and b.order_id
    # amend applied, answer lost
    venue.fault("execute_then_drop", venue.amend, times=1)
    amend = parse_amend({"symbol": ETH, "order_id": b.order_id, "price": "2905"})
    amended = await trading.amend_order(venue.deps, t.user_id, t.account_id, amend)
    assert amended.status is ChangeStatus.UNKNOWN
    assert "reading the exchange" in amended.message and amended.next_step
    # cancel applied, answer lost
    venue.fault("execute_then_drop", venue.cancel, times=1)
    cancelled = await trading.cancel_order(venue.deps, t.user_id, t.account_id, ETH, order_id=a.order_id)
    assert cancelled.status is ChangeStatus.UNKNOWN
    # cancel dropped before it acted: the order stays open
    venue.fault("drop", venue.cancel, times=1)
    dropped = await trading.cancel_order(venue.deps, t.user_id, t.account_id, ETH, order_id=b.order_id)
    assert dropped.status is ChangeStatus.UNKNOWN
    await trading.settle_unknown(venue.deps, t.user_id, t.account_id)
    by_id = {c.change_id: c for c in await trading.recent_changes(venue.deps, t.user_id, t.account_id)}
    assert by_id[amended.change_id].status is ChangeStatus.APPLIED
    assert by_id[cancelled.change_id].status is ChangeStatus.APPLIED
    assert by_id[dropped.change_id].status is ChangeStatus.UNKNOWN  # b is open: the cancel may still land
    assert dropped.decided_after is not None
    await asyncio.sleep(max(0.0, (dropped.decided_after - utcnow()).total_seconds()) + 0.1)
    await trading.settle_unknown(venue.deps, t.user_id, t.account_id)
    by_id = {c.change_id: c for c in await trading.recent_changes(venue.deps, t.user_id, t.account_id)}
    assert by_id[dropped.change_id].status is ChangeStatus.NOT_APPLIED
    assert "still open" in by_id[dropped.change_id].message
    orders = await portfolio.open_orders(venue.deps, t.user_id, t.account_id)
    assert [(o.client_order_id, o.state) for o in orders] == [(b.client_order_id, OrderState.NEW)]
    assert orders[0].price == Decimal("2905")


async def test_lost_tp_sl_is_settled_by_reading_the_plan_orders(wctx: TCtx) -> None:
    t = await wctx.trader()
    wctx.sandbox.admin.set_price(ETH, "3500")
    opened = await trading.place_order(
        wctx.deps, t.user_id, t.account_id, {**ticket("3500", size="2"), "type": "market"}
    )
    assert opened.ok, opened
    wctx.sandbox.admin.fault("execute_then_drop", "/contract/private/submit-tp-sl-order", times=1)
    tp = parse_tp_sl({"symbol": ETH, "side": "long", "take_profit": "3900"})
    lost = await trading.set_tp_sl(wctx.deps, t.user_id, t.account_id, tp)
    assert lost.status is ChangeStatus.UNKNOWN and "TP/SL" in lost.message
    await trading.settle_unknown(wctx.deps, t.user_id, t.account_id)
    (change,) = await trading.recent_changes(wctx.deps, t.user_id, t.account_id)
    assert change.status is ChangeStatus.APPLIED, change
    # one TP at the exchange, not two
    triggers = await wctx.connector.tp_sl_triggers(t.creds, ETH)
    assert [(k, p) for k, _side, p in triggers] == [("take_profit", Decimal("3900"))]


async def test_lost_leverage_answer_is_settled_by_setting_it_again(wctx: TCtx) -> None:
    t = await wctx.trader()
    leverage = "/contract/private/submit-leverage"
    wctx.sandbox.admin.fault("execute_then_drop", leverage, times=1)
    await trading.set_leverage(wctx.deps, t.user_id, t.account_id, ETH, "7", "isolated")  # set again: done
    wctx.sandbox.admin.fault("drop", leverage, times=2)
    with pytest.raises(ExchangeUnavailable) as lost:
        await trading.set_leverage(wctx.deps, t.user_id, t.account_id, ETH, "8", "isolated")
    assert "may or may not be set" in lost.value.message and "safe to repeat" in lost.value.next_step
