"""The trading use cases on the in-memory unit of work and a fake exchange: place, cancel, amend,
TP/SL, trigger and trailing orders, settling and reconciling. No database, no sandbox; the SQL
and real-exchange side is in tests/integration/trading."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from perpdesk.core.errors import InputError
from perpdesk.core.models import OrderSide, PositionSide
from perpdesk.services import terminal_orders, trading
from perpdesk.services.in_flight import DuplicateTicket, TicketDesk
from perpdesk.services.trading import OrderBeingConfirmed
from perpdesk.services.trading.commands import CloseCommand, parse_amend, parse_plan, parse_tp_sl, parse_trail
from perpdesk.services.trading.intents import order_terms
from perpdesk.store.order_records import ChangeStatus, IntentStatus
from tests.unit.services.trading_fakes import ETH, ETH_RULES, Desk, trading_desk

TICKET = {
    "symbol": ETH,
    "side": "buy",
    "type": "limit",
    "price": "3000",
    "size": "2",
    "leverage": "5",
    "margin_mode": "cross",
}
PLAN = {
    "symbol": ETH,
    "side": "buy",
    "size": "1",
    "trigger_price": "3400",
    "leverage": "5",
    "trigger_direction": "falls",
}
TRAIL = {
    "symbol": ETH,
    "side": "buy",
    "size": "2",
    "activation_price": "3600",
    "callback_rate": "1",
    "leverage": "5",
}


@pytest.fixture
def desk() -> Desk:
    return trading_desk()


def statuses(desk: Desk) -> dict[str, tuple[str, str, str | None]]:
    return {r.client_order_id: (r.purpose, r.status, r.order_id) for r in desk.tables.intents.values()}


async def test_an_order_is_written_before_it_is_sent_and_its_claim_released(desk: Desk) -> None:
    placed = await trading.place_order(desk.deps, desk.user_id, desk.account_id, TICKET)
    assert placed.ok and placed.order_id in desk.exchange.orders
    assert statuses(desk) == {placed.client_order_id: ("order", "placed", placed.order_id)}
    assert desk.tables.claims == {}  # the outcome is known: the same ticket may go again
    again = await trading.place_order(desk.deps, desk.user_id, desk.account_id, TICKET)
    assert again.ok and len(desk.exchange.orders) == 2


async def test_a_lost_answer_is_confirmed_by_reading_the_exchange_never_resent(desk: Desk) -> None:
    desk.exchange.lose_next("order", executed=True)
    lost = await trading.place_order(desk.deps, desk.user_id, desk.account_id, TICKET)
    assert lost.status is IntentStatus.UNKNOWN and lost.being_confirmed
    with pytest.raises(OrderBeingConfirmed):
        await trading.place_order(desk.deps, desk.user_id, desk.account_id, TICKET)
    decided = await trading.settle_unknown(desk.deps, desk.user_id, desk.account_id)
    (order,) = desk.exchange.orders.values()
    assert [(p.status, p.order_id) for p in decided] == [(IntentStatus.PLACED, order.order_id)]
    assert desk.exchange.sent.count("order") == 1  # the refused twin never left


async def test_absent_after_its_window_is_not_placed_and_not_before(desk: Desk) -> None:
    desk.exchange.lose_next("order", executed=False)
    lost = await trading.place_order(desk.deps, desk.user_id, desk.account_id, TICKET)
    still = await trading.settle_unknown(desk.deps, desk.user_id, desk.account_id)
    assert [(p.client_order_id, p.status) for p in still] == [(lost.client_order_id, IntentStatus.UNKNOWN)]
    desk.exchange.window_ms = -1_000
    desk.exchange.lose_next("order", executed=False)
    late = await trading.place_order(desk.deps, desk.user_id, desk.account_id, {**TICKET, "price": "3001"})
    decided = {
        p.client_order_id: p.status
        for p in await trading.settle_unknown(desk.deps, desk.user_id, desk.account_id)
    }
    assert decided == {
        lost.client_order_id: IntentStatus.UNKNOWN,
        late.client_order_id: IntentStatus.NOT_PLACED,
    }
    assert desk.exchange.orders == {}


async def test_the_same_ticket_while_one_is_being_sent_is_refused(desk: Desk) -> None:
    other_process = TicketDesk()
    req = trading.parse_ticket(TICKET, [ETH_RULES])
    await other_process.claim(
        desk.deps.trading_uow, desk.user_id, desk.account_id, order_terms(req), "pdother"
    )
    with pytest.raises(DuplicateTicket) as refused:
        await trading.place_order(desk.deps, desk.user_id, desk.account_id, TICKET)
    pending = refused.value.details["pending"]
    assert isinstance(pending, dict) and pending["client_order_id"] == "pdother"
    assert desk.exchange.sent == [] and desk.tables.intents == {}  # nothing written, nothing sent
    confirmed = await trading.place_order(
        desk.deps, desk.user_id, desk.account_id, TICKET, confirm_duplicate=True
    )
    assert confirmed.ok


async def test_cancel_and_amend_applied_or_confirmed_later(desk: Desk) -> None:
    a = await trading.place_order(desk.deps, desk.user_id, desk.account_id, TICKET)
    b = await trading.place_order(desk.deps, desk.user_id, desk.account_id, {**TICKET, "price": "2900"})
    amend = parse_amend({"symbol": ETH, "order_id": a.order_id, "price": "3100"})
    assert (await trading.amend_order(desk.deps, desk.user_id, desk.account_id, amend)).applied
    assert desk.exchange.orders[a.order_id or ""].price == Decimal(3100)
    desk.exchange.lose_next("cancel", executed=True)
    lost = await trading.cancel_order(desk.deps, desk.user_id, desk.account_id, ETH, order_id=b.order_id)
    assert lost.status is ChangeStatus.UNKNOWN and lost.change_id
    await trading.settle_unknown(desk.deps, desk.user_id, desk.account_id)
    (change,) = await trading.recent_changes(desk.deps, desk.user_id, desk.account_id)
    assert (change.change_id, change.status) == (lost.change_id, ChangeStatus.APPLIED)
    assert desk.exchange.sent.count("cancel") == 1


async def test_a_lost_tp_sl_is_decided_from_the_positions_tp_sl_orders(desk: Desk) -> None:
    desk.exchange.hold(PositionSide.LONG, "2")
    desk.exchange.lose_next("tp_sl", executed=True)
    cmd = parse_tp_sl({"symbol": ETH, "side": "long", "take_profit": "3900"})
    lost = await trading.set_tp_sl(desk.deps, desk.user_id, desk.account_id, cmd)
    assert lost.status is ChangeStatus.UNKNOWN
    with pytest.raises(DuplicateTicket):  # its claim holds until the exchange's window closed
        await trading.set_tp_sl(desk.deps, desk.user_id, desk.account_id, cmd)
    await trading.settle_unknown(desk.deps, desk.user_id, desk.account_id)
    (change,) = await trading.recent_changes(desk.deps, desk.user_id, desk.account_id)
    assert change.status is ChangeStatus.APPLIED
    assert desk.exchange.tp_sl == [("take_profit", PositionSide.LONG, Decimal(3900))]


async def test_a_lost_trigger_order_is_an_intent_matched_by_its_terms(desk: Desk) -> None:
    desk.exchange.lose_next("plan", executed=True)
    lost = await terminal_orders.place_plan(desk.deps, desk.user_id, desk.account_id, parse_plan(PLAN))
    assert lost.status == "unknown" and lost.client_order_id
    assert statuses(desk)[lost.client_order_id][:2] == ("plan", "unknown")
    with pytest.raises(OrderBeingConfirmed):
        await terminal_orders.place_plan(desk.deps, desk.user_id, desk.account_id, parse_plan(PLAN))
    # a waiting order of other terms is not it
    desk.exchange.lose_next("plan", executed=True)
    other = await terminal_orders.place_plan(
        desk.deps, desk.user_id, desk.account_id, parse_plan({**PLAN, "trigger_price": "3300"})
    )
    await trading.settle_unknown(desk.deps, desk.user_id, desk.account_id)
    by_trigger = {p.trigger_price: p.order_id for p in desk.exchange.plans.values()}
    assert statuses(desk)[lost.client_order_id] == ("plan", "placed", by_trigger[Decimal(3400)])
    assert statuses(desk)[other.client_order_id or ""] == ("plan", "placed", by_trigger[Decimal(3300)])
    assert desk.exchange.sent.count("plan") == 2


async def test_a_trigger_order_that_fired_before_it_was_read_is_placed(desk: Desk) -> None:
    desk.exchange.lose_next("plan", executed=True)
    lost = await terminal_orders.place_plan(desk.deps, desk.user_id, desk.account_id, parse_plan(PLAN))
    (plan_id,) = desk.exchange.plans
    fired = desk.exchange.fire(plan_id)
    desk.exchange.window_ms = -1_000  # past its window: absence would be final
    await trading.settle_unknown(desk.deps, desk.user_id, desk.account_id)
    assert statuses(desk)[lost.client_order_id or ""] == ("plan", "placed", fired.order_id)


async def test_two_lost_trailing_stops_the_first_stored_takes_the_first_made(desk: Desk) -> None:
    desk.exchange.lose_next("trail", executed=True)
    first = await terminal_orders.place_trail(desk.deps, desk.user_id, desk.account_id, parse_trail(TRAIL))
    desk.exchange.lose_next("trail", executed=True)
    second = await terminal_orders.place_trail(
        desk.deps, desk.user_id, desk.account_id, parse_trail({**TRAIL, "confirm_duplicate": True})
    )
    assert (first.status, second.status, first.client_order_id) == ("unknown", "unknown", None)
    decided = await trading.settle_unknown(desk.deps, desk.user_id, desk.account_id)
    made = sorted(desk.exchange.plans.values(), key=lambda p: int(p.order_id))
    assert [p.order_id for p in decided] == [p.order_id for p in made]  # in the order stored
    assert all(p.status is IntentStatus.PLACED for p in decided)


@pytest.mark.parametrize("rate", ["7", "0.05"])
async def test_a_callback_rate_outside_the_exchange_s_range_is_refused_before_anything_is_stored(
    desk: Desk, rate: str
) -> None:
    with pytest.raises(InputError) as bad:  # the fake exchange is BitMart: 0.1-5 %
        await terminal_orders.place_trail(
            desk.deps, desk.user_id, desk.account_id, parse_trail({**TRAIL, "callback_rate": rate})
        )
    assert bad.value.field == "callback_rate" and "Bitmart's 0.1-5 %" in bad.value.message
    assert rate not in bad.value.message and desk.exchange.sent == []


async def test_reconcile_adopts_our_order_without_a_record_and_audits_it(desk: Desk) -> None:
    placed = await trading.place_order(desk.deps, desk.user_id, desk.account_id, TICKET)
    stray = await desk.exchange.place_order(
        None,  # type: ignore[arg-type]
        trading.parse_ticket({**TICKET, "price": "2800"}, [ETH_RULES]),
    )
    assert await trading.reconcile_account(desk.deps, desk.user_id, desk.account_id) == 1
    assert statuses(desk)[stray.client_order_id] == ("adopted", "placed", stray.order_id)
    assert statuses(desk)[placed.client_order_id][1] == "placed"
    assert [e.action for e in desk.tables.accounts.audit] == ["order.adopted"]
    assert await trading.reconcile_all(desk.deps) == 0  # nothing left to repair


async def test_close_percent_rounds_down_and_goes_through_an_intent(desk: Desk) -> None:
    desk.exchange.hold(PositionSide.LONG, "5")
    cmd = CloseCommand(ETH, PositionSide.LONG, Decimal(50))
    closed = await terminal_orders.close_percent(desk.deps, desk.user_id, desk.account_id, cmd)
    assert closed.ok and closed.size == Decimal(2) and closed.side == OrderSide.SELL_CLOSE_LONG.value
    assert statuses(desk)[closed.client_order_id][:2] == ("close", "placed")


async def test_an_order_perpdesk_sent_is_never_taken_for_a_fired_trigger(desk: Desk) -> None:
    desk.exchange.window_ms = -1_000
    desk.exchange.lose_next("plan", executed=False)
    lost = await terminal_orders.place_plan(desk.deps, desk.user_id, desk.account_id, parse_plan(PLAN))
    plain = await trading.place_order(
        desk.deps, desk.user_id, desk.account_id, {**TICKET, "type": "market", "size": "1"}
    )
    assert plain.ok
    await trading.settle_unknown(desk.deps, desk.user_id, desk.account_id)
    assert statuses(desk)[lost.client_order_id or ""][:2] == ("plan", "not_placed")


class _Mirrors:
    """A process's current mirrors, as the settler's pass asks them."""

    def __init__(self, orders: list[Any] | None) -> None:
        self.orders = orders

    def open_orders_of(self, user_id: str, account_id: str) -> list[Any] | None:
        return self.orders


async def test_the_settlers_pass_takes_a_current_mirror_at_its_word_only_when_nothing_of_ours_is_open(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[int] = []
    real = desk.exchange.open_orders

    async def counted(*args: Any, **kw: Any) -> Any:
        reads.append(1)
        return await real(*args, **kw)

    monkeypatch.setattr(desk.exchange, "open_orders", counted)
    assert await trading.reconcile_all(desk.deps, mirrored=_Mirrors([])) == 0
    assert reads == []  # a current mirror with nothing open: no key opened, no exchange read
    assert await trading.reconcile_all(desk.deps, mirrored=_Mirrors(None)) == 0
    assert len(reads) == 1  # no current mirror here: the exchange is read
    stray = await desk.exchange.place_order(
        None,  # type: ignore[arg-type]
        trading.parse_ticket({**TICKET, "price": "2800"}, [ETH_RULES]),
    )
    shown = await real(None)  # type: ignore[arg-type]
    assert await trading.reconcile_all(desk.deps, mirrored=_Mirrors(shown)) == 1  # ours: read afresh
    assert len(reads) == 2
    assert statuses(desk)[stray.client_order_id] == ("adopted", "placed", stray.order_id)
