"""Handlers of the order-path writes (SIGNED): orders, plans, TP/SL, trails, leverage, mode."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from perpdesk.sandbox.api.error_codes import (
    OPEN_TYPE_INVALID,
    SIDE_INVALID,
    TYPE_INVALID,
)
from perpdesk.sandbox.api.params import Params
from perpdesk.sandbox.context import SandboxContext

_SIDES = (1, 2, 3, 4)
_MODES = (1, 2, 3, 4)
_PRICE_TYPES = (1, 2)
_OPEN_TYPES = ("cross", "isolated")


def set_position_mode(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.set_position_mode(
        uid, p.req_str("position_mode", choices=("hedge_mode", "one_way_mode"))
    )


def submit_leverage(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.submit_leverage(
        uid,
        p.req_str("symbol"),
        p.req_str("open_type", choices=_OPEN_TYPES, invalid=OPEN_TYPE_INVALID),
        p.dec("leverage"),
    )


def submit_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    order_type = p.str_("type", choices=("limit", "market"), invalid=TYPE_INVALID) or "limit"
    side = p.req_int("side", choices=_SIDES, invalid=SIDE_INVALID)
    size = p.req_int("size", min_value=1)
    price = p.dec("price")
    if order_type == "limit" and price is None:
        raise p.error("parameter 'price' is required for a limit order")
    return ctx.engine.submit_order(
        uid,
        symbol,
        side=side,
        size=size,
        type=order_type,
        price=price,
        client_order_id=p.client_order_id(),
        leverage=p.dec("leverage"),
        open_type=p.str_("open_type", choices=_OPEN_TYPES, invalid=OPEN_TYPE_INVALID),
        mode=p.int_("mode", choices=_MODES) or 1,
        preset_take_profit_price=p.dec("preset_take_profit_price"),
        preset_take_profit_price_type=p.int_("preset_take_profit_price_type", choices=_PRICE_TYPES),
        preset_stop_loss_price=p.dec("preset_stop_loss_price"),
        preset_stop_loss_price_type=p.int_("preset_stop_loss_price_type", choices=_PRICE_TYPES),
        stp_mode=p.int_("stp_mode", choices=(1, 2, 3)),
    )


def _order_ref(p: Params) -> tuple[str | None, str | None]:
    order_id = p.order_id()
    client_order_id = p.client_order_id()
    if order_id is None and client_order_id is None:
        raise p.error("one of parameters 'order_id' or 'client_order_id' is required")
    return order_id, client_order_id


def modify_limit_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    order_id, client_order_id = _order_ref(p)
    price = p.dec("price")
    size = p.int_("size", min_value=1)
    if price is None and size is None:
        raise p.error("one of parameters 'price' or 'size' is required")
    return ctx.engine.modify_limit_order(
        uid, symbol, order_id=order_id, client_order_id=client_order_id, price=price, size=size
    )


def cancel_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    order_id, client_order_id = p.order_id(), p.client_order_id()
    if order_id is None and client_order_id is None:  # documented: cancel all of the symbol's orders
        return ctx.engine.cancel_orders(uid, symbol)
    return ctx.engine.cancel_order(uid, symbol, order_id=order_id, client_order_id=client_order_id)


def cancel_orders(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.cancel_orders(uid, p.req_str("symbol"))


def cancel_all_after(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.cancel_all_after(uid, p.req_str("symbol"), p.req_int("timeout", min_value=0))


def submit_plan_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    order_type = (
        p.str_("type", choices=("limit", "market", "take_profit", "stop_loss"), invalid=TYPE_INVALID)
        or "limit"
    )
    executive_price = p.dec("executive_price", allow_zero=True)
    if order_type == "limit" and not executive_price:
        raise p.error("parameter 'executive_price' is required for a limit plan order")
    if order_type != "limit":
        executive_price = None
    return ctx.engine.submit_plan_order(
        uid,
        symbol,
        side=p.req_int("side", choices=_SIDES, invalid=SIDE_INVALID),
        size=p.req_int("size", min_value=1),
        trigger_price=p.req_dec("trigger_price"),
        price_way=p.req_int("price_way", choices=(1, 2)),
        price_type=p.req_int("price_type", choices=_PRICE_TYPES),
        type=order_type,
        executive_price=executive_price,
        leverage=p.req_dec("leverage"),
        open_type=p.req_str("open_type", choices=_OPEN_TYPES, invalid=OPEN_TYPE_INVALID),
        mode=p.int_("mode", choices=_MODES) or 1,
        plan_category=p.int_("plan_category", choices=(1, 2)),
        client_order_id=p.client_order_id(),
        preset_take_profit_price=p.dec("preset_take_profit_price"),
        preset_take_profit_price_type=p.int_("preset_take_profit_price_type", choices=_PRICE_TYPES),
        preset_stop_loss_price=p.dec("preset_stop_loss_price"),
        preset_stop_loss_price_type=p.int_("preset_stop_loss_price_type", choices=_PRICE_TYPES),
    )


def cancel_plan_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    order_id, client_order_id = _order_ref(p)
    return ctx.engine.cancel_plan_order(uid, symbol, order_id=order_id, client_order_id=client_order_id)


def submit_tp_sl_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    category = p.str_("category", choices=("limit", "market")) or "market"
    executive_price = p.dec("executive_price", allow_zero=True)  # "0" = fill at market
    if category == "limit" and not executive_price:
        raise p.error("parameter 'executive_price' must be a price above 0 when category is limit")
    if category == "market":
        executive_price = None
    return ctx.engine.submit_tp_sl_order(
        uid,
        symbol,
        type=p.req_str("type", choices=("take_profit", "stop_loss")),
        side=p.req_int("side", choices=(2, 3), invalid=SIDE_INVALID),
        trigger_price=p.req_dec("trigger_price"),
        price_type=p.req_int("price_type", choices=_PRICE_TYPES),
        executive_price=executive_price,
        size=p.int_("size", min_value=1),
        plan_category=p.int_("plan_category", choices=(1, 2)) or 1,
        client_order_id=p.client_order_id(),
        category=category,
    )


def modify_tp_sl_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    order_id, client_order_id = _order_ref(p)
    return ctx.engine.modify_tp_sl_order(
        uid,
        symbol,
        trigger_price=p.req_dec("trigger_price"),
        price_type=p.req_int("price_type", choices=_PRICE_TYPES),
        order_id=order_id,
        client_order_id=client_order_id,
        executive_price=p.dec("executive_price", allow_zero=True) or None,
        plan_category=p.int_("plan_category", choices=(1, 2)),
        category=p.str_("category", choices=("limit", "market")),
    )


def modify_plan_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    order_id, client_order_id = _order_ref(p)
    order_type = p.req_str("type", choices=("limit", "market"), invalid=TYPE_INVALID)
    executive_price = p.dec("executive_price")
    if order_type == "limit" and executive_price is None:
        raise p.error("parameter 'executive_price' is required when type is limit")
    return ctx.engine.modify_plan_order(
        uid,
        symbol,
        trigger_price=p.req_dec("trigger_price"),
        price_type=p.req_int("price_type", choices=_PRICE_TYPES),
        type=order_type,
        order_id=order_id,
        client_order_id=client_order_id,
        executive_price=executive_price if order_type == "limit" else None,
    )


def modify_preset_plan_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    order_id = p.order_id()
    if order_id is None:
        raise p.error("parameter 'order_id' is required")
    tp = p.dec("preset_take_profit_price")
    sl = p.dec("preset_stop_loss_price")
    tp_type = p.int_("preset_take_profit_price_type", choices=_PRICE_TYPES)
    sl_type = p.int_("preset_stop_loss_price_type", choices=_PRICE_TYPES)
    if tp is None and sl is None and tp_type is None and sl_type is None:
        raise p.error("give 'preset_take_profit_price' and/or 'preset_stop_loss_price' (with their _type)")
    return ctx.engine.modify_preset_plan_order(
        uid,
        symbol,
        order_id=order_id,
        preset_take_profit_price=tp,
        preset_take_profit_price_type=tp_type,
        preset_stop_loss_price=sl,
        preset_stop_loss_price_type=sl_type,
    )


def submit_trail_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    callback_rate = p.req_dec("callback_rate")
    if not Decimal("0.1") <= callback_rate <= Decimal("5"):
        raise p.error(
            f"parameter 'callback_rate' must be between 0.1 and 5, where 1 means 1% (got {callback_rate})"
        )
    return ctx.engine.submit_trail_order(
        uid,
        symbol,
        side=p.req_int("side", choices=_SIDES, invalid=SIDE_INVALID),
        leverage=p.req_dec("leverage"),
        open_type=p.req_str("open_type", choices=_OPEN_TYPES, invalid=OPEN_TYPE_INVALID),
        size=p.req_int("size", min_value=1),
        activation_price=p.req_dec("activation_price"),
        callback_rate=callback_rate,
        activation_price_type=p.req_int("activation_price_type", choices=_PRICE_TYPES),
    )


def cancel_trail_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    order_id = p.order_id()
    if order_id is None:
        raise p.error("parameter 'order_id' is required")
    return ctx.engine.cancel_trail_order(uid, symbol, order_id=order_id)


def close_all_position(ctx: SandboxContext, uid: str, p: Params) -> Any:
    if p.int_("contractType", choices=(1, 2)) == 2:
        raise p.error("parameter 'contractType' 2 (COIN-FUTURES): the sandbox lists USDT perpetuals only")
    return ctx.engine.close_all_position(
        uid, p.str_("symbol"), p.str_("position_side", choices=("long", "short"))
    )
