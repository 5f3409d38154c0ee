"""Tickets start from the truth, and Close 100 % is not refused while a close order rests: the
trading services against the real sandbox, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from perpdesk.core.models import MarginMode
from perpdesk.services import portfolio, terminal, terminal_orders, trading
from perpdesk.services.trading.commands import parse_close, parse_plan, parse_trail
from perpdesk.services.trading.position_terms import LeverageChange, MarginModeChange, ticket_start
from tests.integration.trading.conftest import TCtx, Trader

ETH = "ETHUSDT"


def ticket(**over: str) -> dict[str, object]:
    base = {"symbol": ETH, "side": "buy", "type": "limit", "price": "3000", "size": "1",
            "leverage": "20", "margin_mode": "isolated"}
    return {**base, **over}


async def long_at_20x_isolated(ctx: TCtx) -> Trader:
    t = await ctx.trader()
    ctx.sandbox.admin.set_price(ETH, "3500")
    opened = await trading.place_order(ctx.deps, t.user_id, t.account_id, ticket(type="market", size="10"))
    assert opened.ok, opened
    return t


async def test_a_ticket_that_would_change_the_positions_leverage_asks_first(tctx: TCtx) -> None:
    t = await long_at_20x_isolated(tctx)
    with pytest.raises(LeverageChange) as asked:
        await trading.place_order(tctx.deps, t.user_id, t.account_id, ticket(leverage="10"))
    assert "from 20x to 10x" in asked.value.message and "confirm_leverage" in asked.value.next_step
    assert asked.value.details == {"current": {"leverage": "20", "margin_mode": "isolated"},
                                   "new": {"leverage": "10", "margin_mode": "isolated"}}
    with pytest.raises(MarginModeChange) as refused:
        await trading.place_order(tctx.deps, t.user_id, t.account_id, ticket(margin_mode="cross"))
    assert "isolated" in refused.value.message and "Isolated" in refused.value.next_step
    assert await portfolio.open_orders(tctx.deps, t.user_id, t.account_id) == []  # nothing sent
    # the same terms as the position, or none: sent without a question
    same = await trading.place_order(tctx.deps, t.user_id, t.account_id, ticket(price="3001"))
    bare = await trading.place_order(
        tctx.deps, t.user_id, t.account_id, {"symbol": ETH, "side": "buy", "price": "3002", "size": "1"}
    )
    assert same.ok and bare.ok
    confirmed = await trading.place_order(
        tctx.deps, t.user_id, t.account_id, ticket(leverage="10", price="3003"), confirm_leverage=True
    )
    assert confirmed.ok
    (pos,) = await tctx.connector.positions(t.creds, ETH)
    assert (pos.leverage, pos.margin_mode) == (Decimal(10), MarginMode.ISOLATED)


async def test_close_100_cancels_the_resting_close_orders_first(tctx: TCtx) -> None:
    t = await long_at_20x_isolated(tctx)
    resting = await trading.place_order(
        tctx.deps, t.user_id, t.account_id,
        {"symbol": ETH, "side": "sell_close_long", "type": "limit", "price": "3900", "size": "4"},
    )
    opening = await trading.place_order(tctx.deps, t.user_id, t.account_id, ticket(price="3100"))
    assert resting.ok and opening.ok
    closed = await terminal_orders.close_percent(
        tctx.deps, t.user_id, t.account_id, parse_close({"symbol": ETH, "side": "long", "percent": "100"})
    )
    assert closed.ok, closed
    assert await tctx.connector.positions(t.creds, ETH) == []
    left = await portfolio.open_orders(tctx.deps, t.user_id, t.account_id)
    assert [o.client_order_id for o in left] == [opening.client_order_id]  # the opening order stays


async def test_without_a_position_the_ticket_starts_from_the_accounts_setting(tctx: TCtx) -> None:
    t = await tctx.trader()
    start = await ticket_start(tctx.deps, t.user_id, t.account_id, ETH, None)
    assert start == ("10", "cross")  # the sandbox's own default for a new account
    await tctx.connector.set_leverage(t.creds, ETH, Decimal(25), MarginMode.ISOLATED)
    assert await tctx.connector.positions(t.creds, ETH) == []  # a setting, no position
    assert await ticket_start(tctx.deps, t.user_id, t.account_id, ETH, None) == ("25", "isolated")


async def test_trigger_and_trailing_orders_ask_before_changing_the_positions_terms(tctx: TCtx) -> None:
    t = await long_at_20x_isolated(tctx)
    plan = {"symbol": ETH, "side": "buy", "size": "1", "trigger_price": "3600", "leverage": "10",
            "margin_mode": "isolated"}
    trail = {"symbol": ETH, "side": "buy", "size": "1", "activation_price": "3600", "callback_rate": "1",
             "leverage": "10", "margin_mode": "isolated"}
    places: list[tuple[Any, Any, dict[str, object]]] = [
        (terminal_orders.place_plan, parse_plan, plan), (terminal_orders.place_trail, parse_trail, trail)
    ]
    for place, parse, order in places:
        with pytest.raises(LeverageChange) as asked:
            await place(tctx.deps, t.user_id, t.account_id, parse(order))
        assert "from 20x to 10x" in asked.value.message
        with pytest.raises(MarginModeChange):
            await place(tctx.deps, t.user_id, t.account_id, parse({**order, "margin_mode": "cross"}))
    assert await terminal.conditional_orders(tctx.deps, t.user_id, t.account_id, ETH) == []  # none sent
    same = await terminal_orders.place_plan(
        tctx.deps, t.user_id, t.account_id, parse_plan({**plan, "leverage": "20"})
    )
    confirmed = await terminal_orders.place_trail(
        tctx.deps, t.user_id, t.account_id, parse_trail({**trail, "confirm_leverage": True})
    )
    assert (same.status, confirmed.status) == ("placed", "placed"), (same, confirmed)
    # a trailing stop protecting the position closes it: no terms to ask about
    protect = {**trail, "side": "sell_close_long", "activation_price": "3400", "leverage": "5"}
    protected = await terminal_orders.place_trail(tctx.deps, t.user_id, t.account_id, parse_trail(protect))
    assert protected.status == "placed"
