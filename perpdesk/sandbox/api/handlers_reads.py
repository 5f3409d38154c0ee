"""Handlers of the private read endpoints (KEYED): assets, orders, positions, history."""

from __future__ import annotations

from typing import Any

from perpdesk.sandbox.api.error_codes import ORDER_NOT_EXIST
from perpdesk.sandbox.api.params import Params
from perpdesk.sandbox.context import SandboxContext


def _copy_trading(p: Params) -> bool:
    """The documented `account` parameter: futures (default) or copy_trading. The sandbox has no
    copy-trading account, so its lists are empty."""
    return p.str_("account", choices=("futures", "copy_trading")) == "copy_trading"


def assets_detail(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.assets_detail(uid)


def trade_fee_rate(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.trade_fee_rate(uid, p.req_str("symbol"))


def position(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return [] if _copy_trading(p) else ctx.engine.position(uid, p.str_("symbol"))


def position_v2(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return [] if _copy_trading(p) else ctx.engine.position_v2(uid, p.str_("symbol"))


def position_risk(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return [] if _copy_trading(p) else ctx.engine.position_risk(uid, p.str_("symbol"))


def get_position_mode(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.get_position_mode(uid)


def order_detail(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    order_id = p.order_id()
    client_order_id = p.client_order_id()
    if order_id is None and client_order_id is None:
        raise p.error("parameter 'order_id' is required")
    if _copy_trading(p):
        raise p.error("account 'copy_trading': the sandbox has no copy-trading orders", ORDER_NOT_EXIST)
    return ctx.engine.order(uid, symbol, order_id=order_id, client_order_id=client_order_id)


def open_orders(ctx: SandboxContext, uid: str, p: Params) -> Any:
    limit = p.int_("limit", min_value=1, max_value=100)
    return ctx.engine.open_orders(
        uid,
        symbol=p.str_("symbol"),
        type=p.str_("type", choices=("limit", "market", "trailing")),
        order_state=p.str_("order_state", choices=("all", "partially_filled")),
        limit=limit if limit is not None else 100,
    )


def _history_filters(p: Params) -> dict[str, Any]:
    """The filters order-history and trades share: symbol, start/end (seconds), order ids."""
    return {
        "symbol": p.str_("symbol"),
        "start_time": p.int_("start_time", min_value=0),
        "end_time": p.int_("end_time", min_value=0),
        "order_id": p.order_id(),
        "client_order_id": p.client_order_id(),
    }


def order_history(ctx: SandboxContext, uid: str, p: Params) -> Any:
    p.req_str("symbol")  # documented as required here (optional on trades)
    filters = _history_filters(p)
    return [] if _copy_trading(p) else ctx.engine.order_history(uid, **filters)


def trades(ctx: SandboxContext, uid: str, p: Params) -> Any:
    filters = _history_filters(p)
    return [] if _copy_trading(p) else ctx.engine.trades(uid, **filters)


def transaction_history(ctx: SandboxContext, uid: str, p: Params) -> Any:
    flow_type = p.int_("flow_type", choices=(0, 1, 2, 3, 4, 5))
    page_size = p.int_("page_size", min_value=1, max_value=1000)
    if _copy_trading(p):
        return []
    return ctx.engine.transaction_history(
        uid,
        symbol=p.str_("symbol"),
        flow_type=flow_type or 0,
        start_time=p.int_("start_time", min_value=0),
        end_time=p.int_("end_time", min_value=0),
        page_size=page_size if page_size is not None else 100,
    )


def current_plan_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    limit = p.int_("limit", min_value=1, max_value=100)
    return ctx.engine.current_plan_orders(
        uid,
        symbol=p.str_("symbol"),
        type=p.str_("type", choices=("limit", "market")),
        limit=limit if limit is not None else 100,
        plan_type=p.str_("plan_type", choices=("plan", "profit_loss")),
    )
