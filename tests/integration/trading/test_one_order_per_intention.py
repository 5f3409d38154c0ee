"""One order per intention, on SQLite and PostgreSQL against the real sandbox: the same ticket on
the same account is refused from the moment the first is sent until its outcome is known, across
processes (each with its own TicketDesk, one database), and two sent at once give one order.

The tester's scenario (BitMart answering after 25 s, perpdesk waiting 10 s, a second click 3 s
later) runs scaled down like test_order_being_confirmed.py: answer 3.5 s, timeout 1 s, window 5 s.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from perpdesk.services import portfolio, terminal_orders, trading
from perpdesk.services.in_flight import DuplicateTicket, TicketDesk
from perpdesk.services.trading import OrderBeingConfirmed
from perpdesk.services.trading.commands import parse_plan
from perpdesk.store.base import utcnow
from perpdesk.store.orders import IntentStatus, OrderIntentRepo
from tests.integration.trading.conftest import TCtx, Trader

ETH = "ETHUSDT"
SUBMIT = "/contract/private/submit-order"


def ticket(price: str = "3000") -> dict[str, object]:
    return {"symbol": ETH, "side": "buy", "type": "limit", "price": price, "size": "1"}


async def open_prices(ctx: TCtx, t: Trader) -> list[Decimal | None]:
    return sorted(o.price for o in await portfolio.open_orders(ctx.deps, t.user_id, t.account_id) if o.price)


async def until_written(ctx: TCtx, t: Trader, price: str = "3000") -> str:
    """The intent's client order id, as soon as it is in the database (it is sent next)."""
    for _ in range(200):
        async with ctx.deps.sessions() as s:
            rows = await OrderIntentRepo(s).for_account(t.user_id, t.account_id)
        if found := [r for r in rows if r.price == Decimal(price)]:
            return found[0].client_order_id
        await asyncio.sleep(0.01)
    raise AssertionError("the first ticket was never written")


async def test_second_click_while_the_first_is_in_flight_is_refused_in_any_process(wctx: TCtx) -> None:
    t = await wctx.trader()
    wctx.sandbox.admin.set_price(ETH, "3500")
    wctx.sandbox.admin.fault("latency", SUBMIT, latency_ms=3500, times=1, api_key=t.creds.api_key)
    first = asyncio.create_task(trading.place_order(wctx.deps, t.user_id, t.account_id, ticket()))
    cid = await until_written(wctx, t)
    # a CLI run beside the web app: its own desk, the same database
    beside = replace(wctx.deps, tickets=TicketDesk())
    for deps in (wctx.deps, beside):
        with pytest.raises(DuplicateTicket) as refused:
            await trading.place_order(deps, t.user_id, t.account_id, ticket())
        pending = refused.value.details["pending"]
        assert isinstance(pending, dict)
        assert (pending["client_order_id"], pending["side"], pending["size"], pending["price"]) == (
            cid, "buy_open_long", "1", "3000")
        assert pending["since"] and cid in refused.value.message and "being sent" in refused.value.message
        assert "confirm_duplicate" in refused.value.next_step
    placed = await first
    assert placed.status is IntentStatus.UNKNOWN  # perpdesk stopped waiting; the exchange still may
    with pytest.raises(OrderBeingConfirmed):  # now it is being confirmed: still refused
        await trading.place_order(beside, t.user_id, t.account_id, ticket())
    assert placed.decided_after is not None
    await asyncio.sleep(max(0.0, (placed.decided_after - utcnow()).total_seconds()) + 0.1)
    done = await trading.settle_unknown(wctx.deps, t.user_id, t.account_id)
    assert [p.status for p in done] == [IntentStatus.PLACED]
    assert await open_prices(wctx, t) == [Decimal("3000")]  # exactly one order at the exchange


async def test_two_identical_tickets_at_once_send_exactly_one(wctx: TCtx) -> None:
    t = await wctx.trader()
    wctx.sandbox.admin.set_price(ETH, "3500")
    # the first stays at the exchange long enough for the other two to reach their claims, even on a
    # busy machine (once its outcome is known, an identical ticket is a new intention)
    wctx.sandbox.admin.fault("latency", SUBMIT, latency_ms=800, times=4, api_key=t.creds.api_key)
    other = replace(wctx.deps, tickets=TicketDesk())
    got = await asyncio.gather(
        *(trading.place_order(d, t.user_id, t.account_id, ticket("3001")) for d in (wctx.deps, other, other)),
        return_exceptions=True,
    )
    assert sorted(type(g).__name__ for g in got) == ["DuplicateTicket", "DuplicateTicket", "Placement"], got
    assert await open_prices(wctx, t) == [Decimal("3001")]
    # the trader confirms a second identical order: both go out
    slow = asyncio.create_task(trading.place_order(wctx.deps, t.user_id, t.account_id, ticket("3002")))
    await until_written(wctx, t, "3002")
    second = await trading.place_order(
        wctx.deps, t.user_id, t.account_id, ticket("3002"), confirm_duplicate=True
    )
    assert second.ok and (await slow).ok
    assert await open_prices(wctx, t) == [Decimal("3001"), Decimal("3002"), Decimal("3002")]


async def test_identical_trigger_orders_at_once_send_one(wctx: TCtx) -> None:
    t = await wctx.trader()
    wctx.sandbox.admin.set_price(ETH, "3500")
    wctx.sandbox.admin.fault(
        "latency", "/contract/private/submit-plan-order", latency_ms=400, times=2, api_key=t.creds.api_key
    )
    plan = parse_plan({"symbol": ETH, "side": "buy", "size": "1", "trigger_price": "3400", "leverage": "5",
                       "margin_mode": "cross", "trigger_direction": "falls"})
    got = await asyncio.gather(
        terminal_orders.place_plan(wctx.deps, t.user_id, t.account_id, plan),
        terminal_orders.place_plan(wctx.deps, t.user_id, t.account_id, plan),
        return_exceptions=True,
    )
    assert sorted(type(g).__name__ for g in got) == ["ConditionalPlacement", "DuplicateTicket"], got
    waiting = await wctx.connector.plan_orders(t.creds, ETH)
    assert len(waiting) == 1
    # placed: the claim is gone, so the same trigger order may be placed again on purpose
    again = await terminal_orders.place_plan(wctx.deps, t.user_id, t.account_id, plan)
    assert again.status == "placed"


async def test_the_settler_leaves_a_pending_order_to_its_sender_until_its_bound(wctx: TCtx) -> None:
    t = await wctx.trader()
    sending, stopped = trading.new_client_order_id(), trading.new_client_order_id()
    # written by another process that is sending it right now / by one that stopped long ago
    await wctx.stored_intent(t, sending, ETH, "3100", IntentStatus.PENDING,
                             decided_after=utcnow() + timedelta(seconds=60))
    await wctx.stored_intent(t, stopped, ETH, "3200", IntentStatus.PENDING,
                             created_at=utcnow() - timedelta(seconds=90),
                             decided_after=utcnow() - timedelta(seconds=20))
    judged = await trading.settle_unknown(wctx.deps, t.user_id, t.account_id)
    assert [(p.client_order_id, p.status) for p in judged] == [(stopped, IntentStatus.UNKNOWN)]
    async with wctx.deps.sessions() as s:
        row = await OrderIntentRepo(s).by_client_id(t.user_id, t.account_id, sending)
    assert row is not None and row.status == IntentStatus.PENDING.value
