"""Binance's order endpoints over the shared engine: new, query, cancel and modify one order,
open orders, all orders, batch orders, cancel all, countdown cancel, user trades, income.

Quantities are base-asset amounts (contracts × contract size). BUY/SELL with positionSide
(BOTH in one-way mode, LONG/SHORT in hedge mode) and reduceOnly become the engine's four sides.
"""

from __future__ import annotations

import secrets
import string
from decimal import Decimal
from typing import Any

import orjson

from perpdesk.sandbox.binance import errors as E
from perpdesk.sandbox.binance.call import Call
from perpdesk.sandbox.binance.engine_errors import binance_error
from perpdesk.sandbox.binance.history import amendments_of, record_amendment
from perpdesk.sandbox.binance.market_data import MAX_NUM_ORDERS, MAX_PRICE, min_notional
from perpdesk.sandbox.binance.order_views import (
    INCOME_TYPES,
    TIF_MODE,
    income_row,
    new_order_row,
    order_row,
    trade_row,
)
from perpdesk.sandbox.binance.params import Params
from perpdesk.sandbox.binance.views import contracts, on_tick, spec_of
from perpdesk.sandbox.engine import EngineError
from perpdesk.sandbox.engine.state import Order

Json = dict[str, Any]
_ALNUM = string.ascii_letters + string.digits
ALGO_TYPES = ("STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET")
MAX_BATCH_NEW = 5
MAX_BATCH_CANCEL = 10


def new_client_id() -> str:
    """What Binance makes up when no newClientOrderId is sent (letters and digits, 22 long)."""
    return "".join(secrets.choice(_ALNUM) for _ in range(22))


def req_price(params: Params, symbol: str, name: str = "price") -> Decimal:
    """A required price on the symbol's tick."""
    return on_tick(spec_of(symbol), params.dec(name, required=True) or Decimal(0), name)


def engine_side(call: Call, params: Params) -> int:
    """BUY/SELL, positionSide and reduceOnly as the engine's side (1 open long, 2 close short,
    3 close long, 4 open short; in one-way mode 1 and 4 net against the other side first)."""
    side = params.req("side", ("BUY", "SELL"), E.INVALID_SIDE)
    position_side = params.str_("positionSide", choices=("BOTH", "LONG", "SHORT")) or "BOTH"
    reduce_only = params.bool_("reduceOnly")
    one_way = call.ctx.engine.state.account(call.uid).position_mode == "one_way_mode"
    buy = side == "BUY"
    if one_way:
        if position_side != "BOTH":
            raise E.err(E.INVALID_POSITION_SIDE, "the account is in one-way mode: send positionSide=BOTH")
        if reduce_only:
            return 2 if buy else 3
        return 1 if buy else 4
    if position_side == "BOTH":
        raise E.err(E.INVALID_POSITION_SIDE, "the account is in hedge mode: send positionSide=LONG or SHORT")
    if reduce_only is not None:
        raise E.err(E.PARAM_NOT_REQUIRED, "in hedge mode the position side says what reduces", "reduceOnly")
    if position_side == "LONG":
        return 1 if buy else 3
    return 4 if not buy else 2


def place(call: Call, params: Params) -> Json:
    """One new LIMIT or MARKET order; the answer is the order after it met the book."""
    order = checked_order(call, params)
    answer = call.ctx.engine.submit_order(call.uid, order.pop("symbol"), **order)
    return new_order_row(call.ctx.engine.state.orders[str(answer["order_id"])])


def checked_order(call: Call, params: Params) -> dict[str, Any]:
    """A new order's parameters, checked by Binance's rules, as the engine's submit_order takes
    them (the symbol too); nothing is placed."""
    symbol = params.req_symbol()
    kind = params.req("type", ("LIMIT", "MARKET", *ALGO_TYPES), E.INVALID_ORDER_TYPE)
    if kind in ALGO_TYPES:
        raise E.err(E.USE_ALGO_API, "POST /fapi/v1/algoOrder with algoType=CONDITIONAL")
    spec = spec_of(symbol)
    side = engine_side(call, params)
    size = contracts(spec, params.dec("quantity", required=True) or Decimal(0))
    if size < spec.min_volume:
        raise E.err(E.QTY_LESS_THAN_MIN, f"at least {spec.contract_size * spec.min_volume} {spec.base}")
    top = spec.market_max_volume if kind == "MARKET" else spec.max_volume
    if size > top:
        raise E.err(E.QTY_GREATER_THAN_MAX, "see LOT_SIZE / MARKET_LOT_SIZE in /fapi/v1/exchangeInfo")
    sim = call.ctx.engine.state.markets[symbol]
    mode = 1
    limit_price: Decimal | None = None
    if kind == "LIMIT":
        tif = params.req("timeInForce", tuple(TIF_MODE), E.INVALID_TIF)
        mode = TIF_MODE[tif]
        limit_price = req_price(params, symbol)
        if limit_price > MAX_PRICE:
            raise E.err(E.PRICE_HIGHER_THAN_MAX, f"at most {MAX_PRICE}")
        buy = side in (1, 2)
        if mode == 4 and (limit_price >= sim.best_ask() if buy else limit_price <= sim.best_bid()):
            raise E.err(E.GTX_REJECTED, "a GTX price must rest in the book")
    else:
        for name in ("price", "timeInForce"):
            if params.has(name) and not (name == "timeInForce" and params.values[name] == "GTC"):
                raise E.err(E.PARAM_NOT_REQUIRED, "a MARKET order takes no price", name)
    reference = limit_price if limit_price is not None else sim.state.mark
    if side in (1, 4) and Decimal(size) * spec.contract_size * reference < min_notional(symbol):
        raise E.err(E.MIN_NOTIONAL, f"{symbol}'s minimum is {min_notional(symbol)} USDT")
    state = call.ctx.engine.state
    if sum(o.symbol == symbol for o in state.open_by_uid.get(call.uid, {}).values()) >= MAX_NUM_ORDERS:
        raise E.err(E.NEW_ORDER_REJECTED, f"at most {MAX_NUM_ORDERS} open orders per symbol")
    client_id = params.client_id("newClientOrderId") or new_client_id()
    return {
        "symbol": symbol,
        "side": side,
        "size": size,
        "type": kind.lower(),
        "price": limit_price,
        "client_order_id": client_id,
        "mode": mode,
    }


def new_order(call: Call) -> Json:
    return place(call, call.params)


def order_test(call: Call) -> Json:
    """POST /fapi/v1/order/test: the new order's checks, nothing placed."""
    checked_order(call, call.params)
    return {}


def find(call: Call, params: Params, symbol: str) -> Order:
    order_id = params.int_("orderId", lo=1)
    client_id = params.str_("origClientOrderId")
    state = call.ctx.engine.state
    if order_id is None and client_id is None:
        raise E.err(E.MANDATORY_PARAM, "send orderId or origClientOrderId", "orderId")
    oid = str(order_id) if order_id is not None else state.order_coid.get(call.uid, {}).get(client_id or "")
    o = state.orders.get(oid or "")
    if o is None or o.uid != call.uid or o.symbol != symbol:
        raise E.err(E.NO_SUCH_ORDER, "check orderId / origClientOrderId and symbol")
    return o


def query_order(call: Call) -> Json:
    return order_row(find(call, call.params, call.params.req_symbol()))


def open_order(call: Call) -> Json:
    o = find(call, call.params, call.params.req_symbol())
    if o.state == 4:
        raise E.err(E.NO_SUCH_ORDER, "the order is no longer open")
    return order_row(o)


def cancel(call: Call, params: Params) -> Json:
    symbol = params.req_symbol()
    try:
        o = find(call, params, symbol)
    except E.BinanceError:
        raise E.err(E.UNKNOWN_ORDER, "check orderId / origClientOrderId and symbol") from None
    if o.state == 4:
        raise E.err(E.UNKNOWN_ORDER, "the order is already filled, cancelled or expired")
    call.ctx.engine.cancel_order(call.uid, symbol, order_id=o.order_id)
    return new_order_row(o)


def cancel_order(call: Call) -> Json:
    return cancel(call, call.params)


def modify(call: Call, params: Params) -> Json:
    symbol = params.req_symbol()
    o = find(call, params, symbol)
    side = params.req("side", ("BUY", "SELL"), E.INVALID_SIDE)
    if (side == "BUY") != (o.side in (1, 2)):
        raise E.err(E.INVALID_PARAMETER, "the side must be the order's own", "side")
    spec = spec_of(symbol)
    size = contracts(spec, params.dec("quantity", required=True) or Decimal(0))
    new_price = req_price(params, symbol)
    if o.state == 4:
        raise E.err(E.UNKNOWN_ORDER, "the order is already filled, cancelled or expired")
    before = (o.price, o.size)
    call.ctx.engine.modify_limit_order(call.uid, symbol, order_id=o.order_id, price=new_price, size=size)
    record_amendment(call, o, *before)
    return new_order_row(o)


def modify_order(call: Call) -> Json:
    return modify(call, call.params)


def order_amendments(call: Call) -> list[Json]:
    """GET /fapi/v1/orderAmendment: the modifications of one order made on this port."""
    o = find(call, call.params, call.params.req_symbol())
    start, end = _window(call.params)
    n = call.params.limit(50, 100)
    rows = [
        r
        for r in amendments_of(call, o)
        if (start is None or r["time"] >= start) and (end is None or r["time"] <= end)
    ]
    return rows[:n]


def open_orders(call: Call) -> list[Json]:
    symbol = call.params.symbol(required=False)
    mine = call.ctx.engine.state.open_by_uid.get(call.uid, {}).values()
    return [order_row(o) for o in sorted(mine, key=lambda o: int(o.order_id)) if symbol in (None, o.symbol)]


def _window(params: Params) -> tuple[int | None, int | None]:
    return params.int_("startTime", lo=0), params.int_("endTime", lo=0)


def all_orders(call: Call) -> list[Json]:
    symbol = call.params.req_symbol()
    from_id = call.params.int_("orderId", lo=0)
    start, end = _window(call.params)
    n = call.params.limit(500, 1000)
    rows = [
        o
        for o in call.ctx.engine.state.orders_by_uid.get(call.uid, {}).values()
        if o.symbol == symbol
        and (from_id is None or int(o.order_id) >= from_id)
        and (start is None or o.create_time >= start)
        and (end is None or o.create_time <= end)
    ]
    rows.sort(key=lambda o: int(o.order_id))
    rows = rows[:n] if from_id is not None or start is not None else rows[-n:]
    return [order_row(o) for o in rows]


def _json_list(params: Params, name: str, most: int) -> list[Any]:
    raw = params.req(name)
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        doc = None
    if not isinstance(doc, list) or not doc:
        raise E.err(E.MANDATORY_PARAM, f"'{name}' is a JSON list", name)
    if len(doc) > most:
        raise E.err(E.TOO_MANY_PARAMETERS, f"'{name}' takes at most {most} items")
    return doc


def _each(items: list[Any], do: Any) -> list[Json]:
    """Binance answers a batch item by item: the result, or that item's error."""
    out = []
    for item in items:
        try:
            out.append(do(item))
        except E.BinanceError as exc:
            out.append({"code": exc.code, "msg": exc.msg})
        except EngineError as exc:
            mapped = binance_error(exc)
            out.append({"code": mapped.code, "msg": mapped.msg})
    return out


def _item_params(item: Any) -> Params:
    if not isinstance(item, dict):
        raise E.err(E.MANDATORY_PARAM, "each batch item is a JSON object of order parameters", "batchOrders")
    # null is "not sent": Binance's official SDK writes every parameter it was not given as null
    return Params(
        {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in item.items() if v is not None}
    )


def batch_new(call: Call) -> list[Json]:
    items = _json_list(call.params, "batchOrders", MAX_BATCH_NEW)
    return _each(items, lambda item: place(call, _item_params(item)))


def batch_modify(call: Call) -> list[Json]:
    items = _json_list(call.params, "batchOrders", MAX_BATCH_NEW)
    return _each(items, lambda item: modify(call, _item_params(item)))


def batch_cancel(call: Call) -> list[Json]:
    symbol = call.params.req_symbol()
    if call.params.has("orderIdList"):
        ids = _json_list(call.params, "orderIdList", MAX_BATCH_CANCEL)
        return _each(ids, lambda i: cancel(call, Params({"symbol": symbol, "orderId": str(i)})))
    coids = _json_list(call.params, "origClientOrderIdList", MAX_BATCH_CANCEL)
    return _each(coids, lambda c: cancel(call, Params({"symbol": symbol, "origClientOrderId": str(c)})))


def cancel_all(call: Call) -> Json:
    call.ctx.engine.cancel_orders(call.uid, call.params.req_symbol())
    return {"code": 200, "msg": "The operation of cancel all open order is done."}


def countdown_cancel_all(call: Call) -> Json:
    """Binance's countdown is in ms; the engine's timer counts whole seconds from 5 s up."""
    symbol = call.params.req_symbol()
    ms = call.params.int_("countdownTime", required=True, lo=0, hi=86_400_000)
    assert ms is not None
    if 0 < ms < 5000:
        raise E.err(E.INVALID_PARAMETER, "0 (off) or from 5000 ms in the sandbox", "countdownTime")
    call.ctx.engine.cancel_all_after(call.uid, symbol, -(-ms // 1000))
    return {"symbol": symbol, "countdownTime": str(ms)}


def user_trades(call: Call) -> list[Json]:
    symbol = call.params.req_symbol()
    order_id, from_id = call.params.int_("orderId", lo=0), call.params.int_("fromId", lo=0)
    start, end = _window(call.params)
    n = call.params.limit(500, 1000)
    state = call.ctx.engine.state
    rows = [
        f
        for f in state.fills.get(call.uid, [])
        if f.symbol == symbol
        and (order_id is None or int(f.order_id) == order_id)
        and (from_id is None or int(f.trade_id) >= from_id)
        and (start is None or f.create_time >= start)
        and (end is None or f.create_time <= end)
    ]
    rows = rows[:n] if from_id is not None or start is not None else rows[-n:]
    return [trade_row(f, state.orders[f.order_id].position_mode) for f in rows]


def income(call: Call) -> list[Json]:
    symbol = call.params.symbol(required=False)
    kind = call.params.str_("incomeType", choices=tuple(INCOME_TYPES.values()))
    start, end = _window(call.params)
    n = call.params.limit(100, 1000)
    if start is None and end is None:  # Binance: the last 7 days when no time is given
        start = call.ctx.engine.now() - 7 * 86_400_000
    rows = [
        income_row(t)
        for t in call.ctx.engine.state.txns.get(call.uid, [])
        if symbol in (None, t.symbol)
        and (start is None or t.time >= start)
        and (end is None or t.time <= end)
    ]
    rows = [r for r in rows if kind in (None, r["incomeType"])]
    return rows[:n]
