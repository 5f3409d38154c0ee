"""Binance's position-risk reads over the shared engine: the user's forced orders
(`forceOrders`: the engine's liquidations) and the ADL quantile estimation (`adlQuantile`)."""

from __future__ import annotations

from typing import Any

from perpdesk.sandbox.binance.account import is_one_way, positions_of
from perpdesk.sandbox.binance.call import Call
from perpdesk.sandbox.binance.market_data import one_or_all, symbols_of
from perpdesk.sandbox.binance.order_views import order_row
from perpdesk.sandbox.binance.trade import _window

Json = dict[str, Any]
# fields of GET /fapi/v1/order that Binance's forceOrders rows do not carry
_NOT_IN_FORCE_ROWS = ("priceProtect", "priceMatch", "selfTradePreventionMode", "goodTillDate")


def force_orders(call: Call) -> list[Json]:
    """The user's liquidation orders, newest last; autoCloseType ADL finds none (no ADL here)."""
    symbol = call.params.symbol(required=False)
    kind = call.params.str_("autoCloseType", choices=("LIQUIDATION", "ADL"))
    start, end = _window(call.params)
    n = call.params.limit(50, 100)
    orders = [
        o
        for o in call.ctx.engine.state.orders_by_uid.get(call.uid, {}).values()
        if o.type == "liquidate"
        and kind != "ADL"
        and symbol in (None, o.symbol)
        and (start is None or o.create_time >= start)
        and (end is None or o.create_time <= end)
    ]
    orders.sort(key=lambda o: (o.create_time, int(o.order_id)))
    rows = []
    for o in orders[-n:]:
        row = order_row(o)
        for name in _NOT_IN_FORCE_ROWS:
            del row[name]
        rows.append(row)
    return rows


def adl_quantile(call: Call) -> list[Json]:
    """Per symbol held: the quantile of each side. The sandbox never auto-deleverages (its
    insurance fund takes every loss), so each quantile is 0, the lowest priority."""
    symbol = call.params.symbol(required=False)
    symbols = sorted({p.symbol for p in positions_of(call, symbol)})
    sides = {"LONG": 0, "SHORT": 0, "BOTH": 0} if is_one_way(call) else {"LONG": 0, "SHORT": 0, "HEDGE": 0}
    return [{"symbol": s, "adlQuantile": dict(sides)} for s in symbols]


def adl_risk(call: Call) -> Json | list[Json]:
    """GET /fapi/v1/symbolAdlRisk (public): every symbol's ADL risk is low, as the sandbox never
    auto-deleverages."""
    now = call.ctx.engine.now()
    rows = [{"symbol": s, "adlRisk": "low", "updateTime": now} for s in symbols_of(call)]
    return one_or_all(call, rows)
