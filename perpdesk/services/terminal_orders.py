"""The trading terminal's orders: trigger (plan) orders, TP/SL on a position (changed, cancelled;
set through trading.set_tp_sl), trailing stops, cancel all, close by percent.

Trigger and trailing orders, and orders that close part of a position, go through the trading
service's intents (stored before sending, trading/conditional.py). An unanswered submit is looked
up by the connector at once, else left `unknown` for the settler, which decides it by reading the
exchange; never resent and never called rejected.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from perpdesk.core.errors import InputError, MaybeApplied, PerpdeskError
from perpdesk.core.market import PlanKind, PlanOrder
from perpdesk.core.models import (
    Credentials,
    OrderRequest,
    OrderSide,
    PositionSide,
)
from perpdesk.core.money import fmt, quantize_down
from perpdesk.core.terminal import PlanRequest, PriceType, TrailRequest
from perpdesk.exchanges.base import TerminalConnector
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.terminal import account_of, instrument_of, on_tick
from perpdesk.services.trading.changes import ChangeOutcome, record_lost_change
from perpdesk.services.trading.commands import (
    CloseCommand,
    MoveTriggerCommand,
    PlanCommand,
    TrailCommand,
)
from perpdesk.services.trading.conditional import plan_intent, plan_terms, trail_intent, trail_terms
from perpdesk.services.trading.intents import Placement, from_ms, send, send_intent
from perpdesk.services.trading.orders import cancel_resting_closes, close_side
from perpdesk.services.trading.position_terms import check_position_terms
from perpdesk.services.trading.ticket import new_client_order_id
from perpdesk.store.order_records import ChangeKind, ChangeStatus, IntentPurpose

if TYPE_CHECKING:
    from perpdesk.live.query import LiveQuery


@dataclass(frozen=True, slots=True)
class ConditionalPlacement:
    """What became of one conditional order: placed (with the exchange's id), rejected, or unknown."""

    kind: str
    symbol: str
    status: str
    client_order_id: str | None
    order_id: str | None
    error: PerpdeskError | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "symbol": self.symbol,
            "status": self.status,
            "client_order_id": self.client_order_id,
            "order_id": self.order_id,
            "error": self.error.to_dict() if self.error is not None else None,
        }


def _conditional(kind: PlanKind, placed: Placement, *, sent_cid: bool = True) -> ConditionalPlacement:
    cid = placed.client_order_id if sent_cid else None  # one the exchange never saw is not shown
    return ConditionalPlacement(kind.value, placed.symbol, placed.status.value, cid, placed.order_id,
                                placed.error)


# --- conditional orders -------------------------------------------------------------------------


async def place_plan(
    deps: AccountsDeps, user_id: str, account_id: str, cmd: PlanCommand, live: LiveQuery | None = None,
) -> ConditionalPlacement:
    """A trigger order (commands.PlanCommand); with no direction given it fires when the price
    crosses the trigger from the side of the last price. Like any opening order, one that would
    change the open position's leverage needs `confirm_leverage`, and one that would change its
    margin mode is refused."""
    ref, creds, conn = await account_of(deps, user_id, account_id, trade=True)
    inst = await instrument_of(conn, cmd.symbol)
    trigger = on_tick(inst, "trigger_price", cmd.trigger_price)
    rising = cmd.rising
    if rising is None:
        rising = trigger > (await conn.ticker(inst.symbol)).last_price
    req = PlanRequest(
        inst.symbol, cmd.side, cmd.size, trigger, new_client_order_id(), cmd.leverage, cmd.margin_mode,
        executive_price=on_tick(inst, "price", cmd.price) if cmd.price is not None else None,
        price_type=cmd.price_type,
        rising=rising,
    )
    await check_position_terms(deps, ref, creds, req, live, confirmed=cmd.confirm_leverage)
    intent = plan_intent(ref, req, from_ms(conn.decided_after_ms()))
    placed = await send_intent(deps, ref, intent, plan_terms(req), lambda: conn.place_plan(creds, req),
                               confirm_duplicate=cmd.confirm_duplicate)
    return _conditional(PlanKind.PLAN, placed)


async def place_trail(
    deps: AccountsDeps, user_id: str, account_id: str, cmd: TrailCommand, live: LiveQuery | None = None,
) -> ConditionalPlacement:
    """A trailing stop (commands.TrailCommand). Closing a position: side sell_close_long /
    buy_close_short. Opening one is checked against the open position's leverage and margin mode
    as place_plan is."""
    ref, creds, conn = await account_of(deps, user_id, account_id, trade=True)
    inst = await instrument_of(conn, cmd.symbol)
    low, high = conn.info.trail_callback_pct
    if not low <= cmd.callback_rate <= high:
        raise InputError(
            "callback_rate",
            f"is outside {conn.info.name}'s {fmt(low)}-{fmt(high)} %",
            f"Enter a callback rate between {fmt(low)} and {fmt(high)} (1 means 1 %).",
        )
    keeps_cid = conn.info.trail_client_id
    cid = new_client_order_id()
    req = TrailRequest(
        inst.symbol, cmd.side, cmd.size, on_tick(inst, "activation_price", cmd.activation_price),
        cmd.callback_rate, cmd.leverage, cmd.margin_mode, cmd.price_type,
        client_order_id=cid if keeps_cid else None,
    )
    await check_position_terms(deps, ref, creds, req, live, confirmed=cmd.confirm_leverage)
    intent = trail_intent(ref, req, cid, from_ms(conn.decided_after_ms()))
    placed = await send_intent(deps, ref, intent, trail_terms(req), lambda: conn.place_trail(creds, req),
                               confirm_duplicate=cmd.confirm_duplicate)
    return _conditional(PlanKind.TRAILING, placed, sent_cid=keeps_cid)


async def _find(conn: TerminalConnector, creds: Credentials, symbol: str, order_id: str) -> PlanOrder:
    for o in await conn.plan_orders(creds, symbol):
        if o.order_id == order_id:
            return o
    raise InputError(
        "order_id",
        f"no waiting trigger, TP/SL or trailing order with this id in {symbol}",
        "Reload: it may have fired or been cancelled already.",
    )


async def modify_tp_sl(
    deps: AccountsDeps, user_id: str, account_id: str, cmd: MoveTriggerCommand
) -> ChangeOutcome:
    """Move a TP/SL's trigger. A lost answer is recorded as a TP/SL change and decided by the
    trading service's settler from the exchange's TP/SL orders (trading/changes.py)."""
    ref, creds, conn = await account_of(deps, user_id, account_id, trade=True)
    inst = await instrument_of(conn, cmd.symbol)
    order_id = cmd.order_id
    price = on_tick(inst, "trigger_price", cmd.trigger_price)
    found = await _find(conn, creds, inst.symbol, order_id)
    if found.kind not in (PlanKind.TAKE_PROFIT, PlanKind.STOP_LOSS):
        raise InputError(
            "order_id",
            f"{order_id} is a {found.kind.value} order, not a TP/SL",
            "Cancel it and place a new one instead.",
        )
    try:
        await conn.modify_tp_sl(
            creds,
            inst.symbol,
            order_id,
            price,
            price_type=PriceType.MARK if found.price_type == "mark_price" else PriceType.LAST,
        )
    except MaybeApplied as exc:
        side = PositionSide.LONG if found.side is OrderSide.SELL_CLOSE_LONG else PositionSide.SHORT
        tp = price if found.kind is PlanKind.TAKE_PROFIT else None
        return await record_lost_change(
            deps, ref, conn, exc, kind=ChangeKind.TP_SL.value, symbol=inst.symbol, side=side.value,
            take_profit=tp, stop_loss=None if tp is not None else price,
        )
    return ChangeOutcome(ChangeKind.TP_SL, ChangeStatus.APPLIED, "TP/SL changed.")


async def cancel_conditional(
    deps: AccountsDeps, user_id: str, account_id: str, symbol: str, order_id: str
) -> PlanKind:
    _, creds, conn = await account_of(deps, user_id, account_id, trade=True)
    inst = await instrument_of(conn, symbol)
    found = await _find(conn, creds, inst.symbol, order_id)
    if found.kind is PlanKind.TRAILING:
        await conn.cancel_trail(creds, inst.symbol, order_id)
    else:
        await conn.cancel_plan(creds, inst.symbol, order_id)
    return found.kind


async def cancel_all(
    deps: AccountsDeps, user_id: str, account_id: str, symbol: str, *, include_tp_sl: bool = False
) -> dict[str, int]:
    """Every open order of the symbol, its trigger and trailing orders, and (if asked) its TP/SL."""
    _, creds, conn = await account_of(deps, user_id, account_id, trade=True)
    inst = await instrument_of(conn, symbol)
    orders, waiting = await asyncio.gather(
        conn.open_orders(creds, inst.symbol), conn.plan_orders(creds, inst.symbol)
    )
    if orders:
        await conn.cancel_all(creds, inst.symbol)
    done = 0
    for o in waiting:
        if o.kind in (PlanKind.TAKE_PROFIT, PlanKind.STOP_LOSS) and not include_tp_sl:
            continue
        if o.kind is PlanKind.TRAILING:
            await conn.cancel_trail(creds, inst.symbol, o.order_id)
        else:
            await conn.cancel_plan(creds, inst.symbol, o.order_id)
        done += 1
    return {"orders": len(orders), "conditional": done}


# --- close by percent ---------------------------------------------------------------------------


async def close_percent(
    deps: AccountsDeps, user_id: str, account_id: str, cmd: CloseCommand
) -> Placement:
    """Close `cmd.percent` of the position (rounded down to the size step) by a market or limit
    order, sent through an intent like any order. 100 % cancels the position's resting close
    orders first."""
    ref, creds, conn = await account_of(deps, user_id, account_id, trade=True)
    inst = await instrument_of(conn, cmd.symbol)
    pside, pct, otype = cmd.side, cmd.percent, cmd.type
    limit_price = on_tick(inst, "price", cmd.price) if cmd.price is not None else None
    if pct == 100:  # the whole position: the close orders resting on it would hold contracts back
        await cancel_resting_closes(conn, creds, inst.symbol, pside)
    held = [
        p for p in await conn.positions(creds, inst.symbol) if p.side is pside and p.symbol == inst.symbol
    ]
    if not held:
        raise InputError(
            "side",
            f"there is no open {pside.value} position in {inst.symbol}",
            "Reload: the position may be closed already.",
        )
    pos = held[0]
    size = pos.size if pct == 100 else quantize_down(pos.size * pct / 100, inst.size_step)
    if size < inst.min_size:
        raise InputError(
            "percent",
            f"this share of {fmt(pos.size)} contracts is below the minimum order of {fmt(inst.min_size)}",
            "Close a larger share of the position.",
        )
    req = OrderRequest(
        symbol=inst.symbol,
        side=close_side(pside),
        size=size,
        client_order_id=new_client_order_id(),
        type=otype,
        price=limit_price,
        margin_mode=pos.margin_mode,
    )
    return await send(deps, ref, creds, req, IntentPurpose.CLOSE, confirm_duplicate=cmd.confirm_duplicate)
