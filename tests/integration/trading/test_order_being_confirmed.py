"""An order whose answer comes after perpdesk stopped waiting is "being confirmed", never rejected:
it is decided only by a look-up made after its timestamp window closed at the exchange.

The real scenario (BitMart answering submit-order after ~25 s; perpdesk waiting 10 s; BitMart's
window 60 s) runs here scaled down with the same ordering: timeout 1 s < answer 3.5 s < window 5 s.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest

from perpdesk.core.errors import ExchangeUnavailable
from perpdesk.core.models import OrderState
from perpdesk.services import portfolio, trading
from perpdesk.services.trading import IntentSettler, OrderBeingConfirmed
from perpdesk.services.trading.commands import parse_amend, parse_tp_sl
from perpdesk.store.base import utcnow
from perpdesk.store.orders import ChangeStatus, IntentStatus, OrderIntentRepo
from tests.integration.trading.conftest import MARGIN_S, WINDOW_S, TCtx

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


async def statuses(ctx: TCtx, user_id: str, account_id: str) -> dict[str, str]:
    async with ctx.deps.sessions() as s:
        return {
            r.client_order_id: r.status for r in await OrderIntentRepo(s).for_account(user_id, account_id)
        }


async def exchange_orders(ctx: TCtx, user_id: str, account_id: str) -> list[str]:
    orders = await portfolio.open_orders(ctx.deps, user_id, account_id)
    return [o.client_order_id or "" for o in orders]


async def test_late_answer_is_being_confirmed_then_placed_never_rejected_nor_doubled(wctx: TCtx) -> None:
    t = await wctx.trader()
    wctx.sandbox.admin.set_price(ETH, "3500")
    wctx.sandbox.admin.fault("latency", SUBMIT, latency_ms=3500, times=6)
    placed = await asyncio.gather(
        *(trading.place_order(wctx.deps, t.user_id, t.account_id, ticket(str(3000 + i))) for i in range(6))
    )
    cids = [p.client_order_id for p in placed]
    # perpdesk gave up waiting and its quick look-ups found nothing: being confirmed, not rejected
    assert [p.status for p in placed] == [IntentStatus.UNKNOWN] * 6, placed
    for p in placed:
        assert p.error is not None and p.error.code == "being_confirmed"
        assert "do not submit it again" in p.error.next_step.lower()
        # decided after exactly: the signed timestamp + the window (+ margin), on our clock
        async with wctx.deps.sessions() as s:
            row = await OrderIntentRepo(s).by_client_id(t.user_id, t.account_id, p.client_order_id)
        assert row is not None and row.sent_timestamp_ms and row.decided_after == p.decided_after
        decided_ms = int(p.decided_after.timestamp() * 1000)
        offset = wctx.connector.clock.offset_ms
        assert decided_ms == row.sent_timestamp_ms + int((WINDOW_S + MARGIN_S) * 1000) - offset
    # the same ticket again while it is being confirmed is refused (nothing sent)
    with pytest.raises(OrderBeingConfirmed) as refused:
        await trading.place_order(wctx.deps, t.user_id, t.account_id, ticket("3000"))
    assert "being confirmed" in refused.value.message and refused.value.next_step
    # the background settler decides them as soon as the window has closed
    settler = IntentSettler(wctx.deps, interval_s=30.0)
    settler.start()
    try:
        deadline = max(p.decided_after for p in placed if p.decided_after)
        for _ in range(150):
            now = await statuses(wctx, t.user_id, t.account_id)
            if all(now[c] in ("placed", "not_placed", "rejected") for c in cids):
                break
            assert all(now[c] != "not_placed" for c in cids)  # never decided absent early
            await asyncio.sleep(0.1)
        assert utcnow() < deadline + timedelta(seconds=5)  # woke at the deadline, not 30 s later
    finally:
        await settler.stop()
    final = await statuses(wctx, t.user_id, t.account_id)
    assert [final[c] for c in cids] == ["placed"] * 6, final
    # at the exchange: each order exactly once, and every one perpdesk calls placed
    at_exchange = await exchange_orders(wctx, t.user_id, t.account_id)
    assert sorted(at_exchange) == sorted(cids)


async def test_request_older_than_the_window_is_not_placed_and_never_executes(wctx: TCtx) -> None:
    t = await wctx.trader()
    wctx.sandbox.admin.set_price(ETH, "3500")
    wctx.sandbox.admin.fault("latency", SUBMIT, latency_ms=7000, times=1)  # arrives after the window
    placed = await trading.place_order(wctx.deps, t.user_id, t.account_id, ticket("2990"))
    assert placed.status is IntentStatus.UNKNOWN
    assert placed.decided_after is not None
    early = await trading.settle_unknown(wctx.deps, t.user_id, t.account_id)
    assert [p.status for p in early] == [IntentStatus.UNKNOWN]  # absent, but it may still come
    await asyncio.sleep(max(0.0, (placed.decided_after - utcnow()).total_seconds()) + 0.1)
    done = await trading.settle_unknown(wctx.deps, t.user_id, t.account_id)
    assert [p.status for p in done] == [IntentStatus.NOT_PLACED]
    assert done[0].error and "safe to submit" in done[0].error.next_step
    await asyncio.sleep(2.5)  # the delayed request reaches the exchange now: refused (30007)
    assert placed.client_order_id not in await exchange_orders(wctx, t.user_id, t.account_id)
    found = await wctx.connector.get_order(t.creds, ETH, client_order_id=placed.client_order_id)
    assert found is None
    # known absent: the same ticket may now be sent again
    again = await trading.place_order(wctx.deps, t.user_id, t.account_id, ticket("2990"))
    assert again.status is IntentStatus.PLACED


async def test_lost_cancel_and_amend_are_settled_by_reading_the_order(wctx: TCtx) -> None:
    t = await wctx.trader()
    admin = wctx.sandbox.admin
    admin.set_price(ETH, "3500")
    a = await trading.place_order(wctx.deps, t.user_id, t.account_id, ticket("2900"))
    b = await trading.place_order(wctx.deps, t.user_id, t.account_id, ticket("2901"))
    assert a.ok and b.ok and a.order_id and b.order_id
    # amend applied, answer lost
    admin.fault("execute_then_drop", "/contract/private/modify-limit-order", times=1)
    amend = parse_amend({"symbol": ETH, "order_id": b.order_id, "price": "2905"})
    amended = await trading.amend_order(wctx.deps, t.user_id, t.account_id, amend)
    assert amended.status is ChangeStatus.UNKNOWN
    assert "reading the exchange" in amended.message and amended.next_step
    # cancel applied, answer lost
    admin.fault("execute_then_drop", "/contract/private/cancel-order", times=1)
    cancelled = await trading.cancel_order(wctx.deps, t.user_id, t.account_id, ETH, order_id=a.order_id)
    assert cancelled.status is ChangeStatus.UNKNOWN
    # cancel dropped before it acted: the order stays open
    admin.fault("drop", "/contract/private/cancel-order", times=1)
    dropped = await trading.cancel_order(wctx.deps, t.user_id, t.account_id, ETH, order_id=b.order_id)
    assert dropped.status is ChangeStatus.UNKNOWN
    await trading.settle_unknown(wctx.deps, t.user_id, t.account_id)
    by_id = {c.change_id: c for c in await trading.recent_changes(wctx.deps, t.user_id, t.account_id)}
    assert by_id[amended.change_id].status is ChangeStatus.APPLIED
    assert by_id[cancelled.change_id].status is ChangeStatus.APPLIED
    assert by_id[dropped.change_id].status is ChangeStatus.UNKNOWN  # b is open: the cancel may still land
    assert dropped.decided_after is not None
    await asyncio.sleep(max(0.0, (dropped.decided_after - utcnow()).total_seconds()) + 0.1)
    await trading.settle_unknown(wctx.deps, t.user_id, t.account_id)
    by_id = {c.change_id: c for c in await trading.recent_changes(wctx.deps, t.user_id, t.account_id)}
    assert by_id[dropped.change_id].status is ChangeStatus.NOT_APPLIED
    assert "still open" in by_id[dropped.change_id].message
    orders = await portfolio.open_orders(wctx.deps, t.user_id, t.account_id)
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
