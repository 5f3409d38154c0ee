"""Trigger and trailing orders are intents written before they are sent: an answer lost after the
exchange executed the order is decided later by reading the exchange (a trailing order, which
BitMart gives no client id, by its terms), never sent twice; one dropped before it executed is
not placed once the exchange's window has closed. Real sandbox, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from perpdesk.core.market import PlanKind
from perpdesk.services import terminal_orders, trading
from perpdesk.services.trading import OrderBeingConfirmed
from perpdesk.services.trading.commands import parse_plan, parse_trail
from perpdesk.store.base import utcnow
from perpdesk.store.orders import IntentStatus, OrderIntentRepo
from tests.integration.trading.conftest import TCtx

ETH = "ETHUSDT"
P = "/contract/private/"
PLAN = {"symbol": ETH, "side": "buy", "size": "1", "trigger_price": "3400", "leverage": "5",
        "trigger_direction": "falls"}
TRAIL = {"symbol": ETH, "side": "buy", "size": "2", "activation_price": "3600", "callback_rate": "1",
         "leverage": "5"}


async def intents(ctx: TCtx, user_id: str, account_id: str) -> dict[str, tuple[str, str, str | None]]:
    async with ctx.deps.sessions() as s:
        rows = await OrderIntentRepo(s).for_account(user_id, account_id)
    return {r.client_order_id: (r.purpose, r.status, r.order_id) for r in rows}


def lose_answer(
    ctx: TCtx, api_key: str, submit: str, listing: str, times: int = 1, kind: str = "execute_then_drop"
) -> None:
    """The submit's answer is lost (after it executed, or before), and the connector's own look-ups
    fail too, until `listing` is cleared."""
    ctx.sandbox.admin.fault(kind, P + submit, times=times, api_key=api_key)
    ctx.sandbox.admin.fault("http_error", P + listing, status=503, api_key=api_key)


async def test_a_lost_trigger_order_is_decided_from_the_exchange_never_sent_twice(wctx: TCtx) -> None:
    t = await wctx.trader()
    wctx.sandbox.admin.set_price(ETH, "3500")
    lose_answer(wctx, t.creds.api_key, "submit-plan-order", "current-plan-order")
    lost = await terminal_orders.place_plan(wctx.deps, t.user_id, t.account_id, parse_plan(PLAN))
    wctx.sandbox.admin.clear_faults(P + "current-plan-order")
    assert lost.status == "unknown" and lost.client_order_id, lost
    assert (await intents(wctx, t.user_id, t.account_id))[lost.client_order_id][:2] == ("plan", "unknown")
    with pytest.raises(OrderBeingConfirmed):  # the same ticket while it is being confirmed
        await terminal_orders.place_plan(wctx.deps, t.user_id, t.account_id, parse_plan(PLAN))
    # another trigger order, dropped before the exchange saw it
    lose_answer(wctx, t.creds.api_key, "submit-plan-order", "current-plan-order", kind="drop")
    dropped = await terminal_orders.place_plan(
        wctx.deps, t.user_id, t.account_id, parse_plan({**PLAN, "trigger_price": "3300"})
    )
    wctx.sandbox.admin.clear_faults(P + "current-plan-order")
    assert dropped.status == "unknown" and dropped.client_order_id
    async with wctx.deps.sessions() as s:
        row = await OrderIntentRepo(s).by_client_id(t.user_id, t.account_id, dropped.client_order_id)
    assert row is not None and row.decided_after is not None
    await asyncio.sleep(max(0.0, (row.decided_after - utcnow()).total_seconds()) + 0.1)
    await trading.settle_unknown(wctx.deps, t.user_id, t.account_id)
    waiting = [o for o in await wctx.connector.plan_orders(t.creds, ETH) if o.kind is PlanKind.PLAN]
    assert len(waiting) == 1, waiting  # 0 duplicates, and nothing of the dropped one
    stored = await intents(wctx, t.user_id, t.account_id)
    assert stored[lost.client_order_id] == ("plan", "placed", waiting[0].order_id)
    assert stored[dropped.client_order_id][:2] == ("plan", "not_placed")
    assert len(stored) == 2  # the refused twin wrote nothing


async def test_lost_trailing_orders_are_matched_by_terms_the_first_stored_first(wctx: TCtx) -> None:
    t = await wctx.trader()
    wctx.sandbox.admin.set_price(ETH, "3500")
    lose_answer(wctx, t.creds.api_key, "submit-trail-order", "get-open-orders", times=2)
    first = await terminal_orders.place_trail(wctx.deps, t.user_id, t.account_id, parse_trail(TRAIL))
    second = await terminal_orders.place_trail(
        wctx.deps, t.user_id, t.account_id, parse_trail({**TRAIL, "confirm_duplicate": True})
    )
    wctx.sandbox.admin.clear_faults(P + "get-open-orders")
    assert (first.status, second.status) == ("unknown", "unknown"), (first, second)
    assert first.client_order_id is None  # BitMart knows no client id for a trailing order
    decided = await trading.settle_unknown(wctx.deps, t.user_id, t.account_id)
    assert [p.status for p in decided] == [IntentStatus.PLACED, IntentStatus.PLACED]
    trails = sorted(
        (o for o in await wctx.connector.plan_orders(t.creds, ETH) if o.kind is PlanKind.TRAILING),
        key=lambda o: o.created_at_ms,
    )
    assert len(trails) == 2  # the two the trader meant, none resent
    stored = sorted((v for v in (await intents(wctx, t.user_id, t.account_id)).values()), key=str)
    assert {order_id for _, _, order_id in stored} == {o.order_id for o in trails}
    assert [p.order_id for p in decided] == [o.order_id for o in trails]  # the first stored, the first made
