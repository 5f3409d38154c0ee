"""Trading and portfolio services against the real sandbox, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from perpdesk.core.errors import InputError, NotFound
from perpdesk.core.models import MarginMode, OrderState, PositionSide
from perpdesk.services import portfolio, trading
from perpdesk.services.trading.commands import parse_amend, parse_tp_sl
from perpdesk.store.base import utcnow
from perpdesk.store.order_records import IntentRecord, IntentStatus
from perpdesk.store.orders import OrderIntent, OrderIntentRepo
from tests.integration.trading.conftest import TCtx

ETH = "ETHUSDT"


def ticket(**kw: str) -> dict[str, object]:
    base: dict[str, object] = {
        "symbol": ETH,
        "side": "buy",
        "type": "limit",
        "price": "3000",
        "size": "2",
        "leverage": "5",
        "margin_mode": "cross",
        "time_in_force": "gtc",
    }
    base.update(kw)
    return base


async def intent(tctx: TCtx, user_id: str, account_id: str, cid: str) -> IntentRecord:
    async with tctx.deps.sessions() as s:
        row = await OrderIntentRepo(s).by_client_id(user_id, account_id, cid)
    assert row is not None
    return row


async def test_limit_order_place_amend_cancel_and_market_order(tctx: TCtx) -> None:
    t = await tctx.trader()
    tctx.sandbox.admin.set_price(ETH, "3500")
    placed = await trading.place_order(tctx.deps, t.user_id, t.account_id, ticket(price="3000.00"))
    assert placed.status == "placed" and placed.order_id, placed
    row = await intent(tctx, t.user_id, t.account_id, placed.client_order_id)
    assert row.status == "placed" and row.order_id == placed.order_id
    assert row.price == Decimal("3000") and row.size == Decimal(2) and row.leverage == Decimal(5)

    snap = await portfolio.account_snapshot(tctx.deps, t.user_id, t.account_id)
    assert snap.errors == {}
    (order,) = snap.open_orders
    assert order.order_id == placed.order_id and order.client_order_id == placed.client_order_id
    assert order.price == Decimal("3000") and order.size == Decimal(2) and order.state is OrderState.NEW
    assert snap.usdt is not None and snap.usdt.equity == Decimal("10000")
    assert snap.usdt.available < Decimal("10000")  # margin frozen for the open order

    amend = parse_amend({"symbol": ETH, "order_id": placed.order_id, "price": "3100"})
    await trading.amend_order(tctx.deps, t.user_id, t.account_id, amend)
    (amended,) = await portfolio.open_orders(tctx.deps, t.user_id, t.account_id)
    assert amended.price == Decimal("3100")
    await trading.cancel_order(tctx.deps, t.user_id, t.account_id, ETH, order_id=placed.order_id)
    assert await portfolio.open_orders(tctx.deps, t.user_id, t.account_id) == []

    market = await trading.place_order(
        tctx.deps, t.user_id, t.account_id, ticket(type="market", price="", size="3")
    )
    assert market.status == "placed", market
    history = await portfolio.order_history(tctx.deps, t.user_id, t.account_id)
    states = {o.order_id: o.state for o in history}
    assert (
        states[placed.order_id] is OrderState.CANCELLED and states[market.order_id or ""] is OrderState.FILLED
    )
    (pos,) = await portfolio.positions(tctx.deps, t.user_id, t.account_id)
    assert pos.position.side is PositionSide.LONG and pos.position.size == Decimal(3)
    logged = await portfolio.intents(tctx.deps, t.user_id, t.account_id)
    assert [i.client_order_id for i in logged] == [market.client_order_id, placed.client_order_id]


async def test_positions_with_pnl_after_price_move_then_close(tctx: TCtx) -> None:
    t = await tctx.trader()
    tctx.sandbox.admin.set_price(ETH, "3500")
    await trading.set_leverage(tctx.deps, t.user_id, t.account_id, ETH, "10", "isolated")
    opened = await trading.place_order(
        tctx.deps,
        t.user_id,
        t.account_id,
        ticket(
            type="market",
            size="10",
            leverage="10",
            margin_mode="isolated",
            take_profit="4200",
            stop_loss="2800",
        ),
    )
    assert opened.status == "placed", opened
    preset = await intent(tctx, t.user_id, t.account_id, opened.client_order_id)
    assert (preset.take_profit, preset.stop_loss) == (Decimal("4200"), Decimal("2800"))
    tctx.sandbox.admin.set_price(ETH, "3600")
    snap = await portfolio.account_snapshot(tctx.deps, t.user_id, t.account_id)
    (view,) = snap.positions
    pos = view.position
    assert pos.side is PositionSide.LONG and pos.size == Decimal(10) and pos.leverage == Decimal(10)
    assert pos.margin_mode is MarginMode.ISOLATED and pos.mark_price == Decimal("3600")
    assert pos.unrealized_pnl == (pos.mark_price - pos.entry_price) * pos.size * pos.contract_size
    assert (
        pos.unrealized_pnl > 0
        and pos.liquidation_price is not None
        and pos.liquidation_price < pos.entry_price
    )
    assert snap.unrealized_pnl == pos.unrealized_pnl
    assert view.pnl_percent is not None and view.pnl_percent > 0
    as_json = view.to_dict()
    assert Decimal(as_json["unrealized_pnl"]) == pos.unrealized_pnl and isinstance(as_json["size"], str)

    await trading.set_tp_sl(tctx.deps, t.user_id, t.account_id, parse_tp_sl(
        {"symbol": ETH, "side": "long", "take_profit": "4000", "stop_loss": "3000"}
    ))
    closed = await trading.close_position(tctx.deps, t.user_id, t.account_id, ETH, "long")
    assert closed.status == "placed" and closed.side == "sell_close_long" and closed.size == Decimal(10)
    row = await intent(tctx, t.user_id, t.account_id, closed.client_order_id)
    assert row.purpose == "close" and row.status == "placed"
    assert await portfolio.positions(tctx.deps, t.user_id, t.account_id) == []
    with pytest.raises(InputError) as nothing:
        await trading.close_position(tctx.deps, t.user_id, t.account_id, ETH, "long")
    assert nothing.value.field == "symbol" and "no open long position" in nothing.value.message


INVALID: list[tuple[dict[str, object], str, str]] = [
    ({"symbol": "NOPEUSDT"}, "symbol", "not a perpetual"),
    ({"symbol": ""}, "symbol", "no contract"),
    ({"side": "sideways"}, "side", "not a valid side"),
    ({"price": ""}, "price", "required"),
    ({"price": "abc"}, "price", "not a number"),
    ({"price": "-1"}, "price", "greater than zero"),
    ({"price": "3000.005"}, "price", "tick of 0.01"),
    ({"size": "0"}, "size", "greater than zero"),
    ({"size": "1.5"}, "size", "size step 1"),
    ({"size": "900000"}, "size", "maximum"),
    ({"leverage": "500"}, "leverage", "1x-100x"),
    ({"margin_mode": "portfolio"}, "margin_mode", "not a valid margin mode"),
    ({"type": "stop"}, "type", "not a valid order type"),
    ({"type": "market", "time_in_force": "post_only"}, "time_in_force", "post-only"),
    ({"take_profit": "2900"}, "take_profit", "trigger at once"),
    ({"stop_loss": "3100"}, "stop_loss", "trigger at once"),
    ({"side": "sell", "take_profit": "3100"}, "take_profit", "trigger at once"),
    ({"size": 2.0}, "size", "exact decimal strings"),
]


async def test_invalid_ticket_names_the_field_and_sends_nothing(tctx: TCtx) -> None:
    t = await tctx.trader()
    for change, field, words in INVALID:
        with pytest.raises(InputError) as err:
            await trading.place_order(tctx.deps, t.user_id, t.account_id, ticket(**change))  # type: ignore[arg-type]
        assert err.value.field == field and words in err.value.message, (change, err.value.to_dict())
        assert err.value.next_step
    with pytest.raises(InputError) as lev:
        await trading.set_leverage(tctx.deps, t.user_id, t.account_id, ETH, "0", "cross")
    assert lev.value.field == "leverage"
    with pytest.raises(InputError) as mode:
        await trading.set_leverage(tctx.deps, t.user_id, t.account_id, ETH, "5", "")
    assert mode.value.field == "margin_mode"
    assert await portfolio.intents(tctx.deps, t.user_id, t.account_id) == []


async def test_exchange_rejection_is_recorded_with_its_reason(tctx: TCtx) -> None:
    t = await tctx.trader(futures_usdt="5")
    tctx.sandbox.admin.set_price(ETH, "3500")
    result = await trading.place_order(tctx.deps, t.user_id, t.account_id, ticket(size="100", leverage="1"))
    assert result.status == "rejected" and result.error is not None, result
    assert result.error.code == "insufficient_margin"
    row = await intent(tctx, t.user_id, t.account_id, result.client_order_id)
    assert row.status == "rejected" and row.error_code == "insufficient_margin" and row.order_id is None


async def test_unknown_outcome_is_settled_by_client_id_never_resent(tctx: TCtx) -> None:
    t = await tctx.trader()
    tctx.sandbox.admin.set_price(ETH, "3500")
    admin = tctx.sandbox.admin
    # the exchange executes the order but the answer is lost, and the look-ups fail too
    admin.fault("execute_then_drop", "/contract/private/submit-order", times=1)
    admin.fault("http_error", "/contract/private/get-open-orders", status=503)
    try:
        result = await trading.place_order(tctx.deps, t.user_id, t.account_id, ticket(price="3001"))
        assert result.status == "unknown" and result.order_id is None, result
        assert (await intent(tctx, t.user_id, t.account_id, result.client_order_id)).status == "unknown"
        still = await trading.settle_unknown(tctx.deps, t.user_id, t.account_id)
        assert [(p.client_order_id, p.status) for p in still] == [(result.client_order_id, "unknown")]
        # the background pass backs off after an unanswered look-up
        assert await trading.settle_due(tctx.deps) == 0
    finally:
        admin.clear_faults("/contract/private/get-open-orders")
    # a trader's own request does not wait for the back-off
    await trading.settle_unknown(tctx.deps, t.user_id, t.account_id)
    row = await intent(tctx, t.user_id, t.account_id, result.client_order_id)
    assert row.status == "placed" and row.order_id and row.settle_attempts == 2 and row.settled_at
    # exactly one order at the exchange: it was looked up, not sent again
    orders = await portfolio.open_orders(tctx.deps, t.user_id, t.account_id)
    assert [(o.client_order_id, o.price) for o in orders] == [(result.client_order_id, Decimal("3001"))]
    assert await trading.settle_unknown(tctx.deps, t.user_id, t.account_id) == []


async def test_intent_left_pending_by_a_stopped_process_is_decided_after_its_window(tctx: TCtx) -> None:
    t = await tctx.trader()
    cid = trading.new_client_order_id()
    await tctx.stored_intent(
        t, cid, ETH, "3000", IntentStatus.PENDING, created_at=utcnow() - timedelta(seconds=5)
    )
    # not sent by this process: anything the stopped one sent was signed before now, so the
    # exchange may act on it for one more window; until then it is being confirmed
    first = await trading.settle_unknown(tctx.deps, t.user_id, t.account_id)
    assert [p.status for p in first] == ["unknown"]
    assert first[0].decided_after is not None and first[0].decided_after > utcnow() + timedelta(seconds=55)
    async with tctx.deps.sessions() as s, s.begin():  # as if that window had passed
        repo = OrderIntentRepo(s)
        row = await repo.by_client_id(t.user_id, t.account_id, cid)
        assert row is not None
        await repo.save(replace(row, decided_after=utcnow() - timedelta(seconds=1)))
    old = await trading.settle_unknown(tctx.deps, t.user_id, t.account_id)
    assert [(p.status, p.error and p.error.code) for p in old] == [("not_placed", "not_received")]


async def test_accounts_are_scoped_to_their_owner(tctx: TCtx) -> None:
    alice, bob = await tctx.trader(), await tctx.trader()
    for call in (
        portfolio.account_snapshot(tctx.deps, bob.user_id, alice.account_id),
        portfolio.intents(tctx.deps, bob.user_id, alice.account_id),
        trading.place_order(tctx.deps, bob.user_id, alice.account_id, ticket()),
        trading.cancel_order(tctx.deps, bob.user_id, alice.account_id, ETH, order_id="1"),
        trading.close_position(tctx.deps, bob.user_id, alice.account_id, ETH, "long"),
    ):
        with pytest.raises(NotFound):
            await call
    async with tctx.deps.sessions() as s:
        assert list(await s.scalars(select(OrderIntent).where(OrderIntent.user_id == bob.user_id))) == []
    second = await tctx.trader(futures_usdt="250.5", user_id=alice.user_id)
    views = await portfolio.overview(tctx.deps, alice.user_id)
    assert [v.account.id for v in views] == [alice.account_id, second.account_id]
    assert [v.usdt.equity if v.usdt else None for v in views] == [Decimal("10000"), Decimal("250.5")]
    assert all(v.errors == {} for v in views)


async def test_account_awaiting_whitelist_cannot_trade(tctx: TCtx) -> None:
    t = await tctx.trader(whitelisted=False)
    with pytest.raises(trading.AccountNotActive) as err:
        await trading.place_order(tctx.deps, t.user_id, t.account_id, ticket())
    assert "whitelist" in err.value.message and err.value.next_step
    snap = await portfolio.account_snapshot(tctx.deps, t.user_id, t.account_id)
    assert snap.account.status == "awaiting_whitelist"
