"""Binance's algo (conditional) orders over the engine's plan and trailing orders:
STOP / TAKE_PROFIT (limit when triggered), STOP_MARKET / TAKE_PROFIT_MARKET (market, or with
closePosition=true the whole position) and TRAILING_STOP_MARKET.

A STOP fires when the price moves against the order's side (a BUY on a rise to triggerPrice, a
SELL on a fall), a TAKE_PROFIT when it moves for it. workingType CONTRACT_PRICE watches the last
price, MARK_PRICE the mark.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from perpdesk.sandbox.binance import errors as E
from perpdesk.sandbox.binance.call import Call
from perpdesk.sandbox.binance.order_views import TIF, TIF_MODE, position_side_of, side_of
from perpdesk.sandbox.binance.params import Params
from perpdesk.sandbox.binance.trade import ALGO_TYPES, engine_side, new_client_id, req_price
from perpdesk.sandbox.binance.views import contracts, on_tick, price, qty, spec_of
from perpdesk.sandbox.engine.state import PlanOrder

Json = dict[str, Any]
WORKING_TYPES = {"CONTRACT_PRICE": 1, "MARK_PRICE": 2}
MIN_CALLBACK, MAX_CALLBACK = Decimal("0.1"), Decimal("10")  # Binance: [0.1, 10], 1 for 1 %


def _order_type(p: PlanOrder) -> str:
    if p.kind == "trailing":
        return "TRAILING_STOP_MARKET"
    if p.kind in ("take_profit", "stop_loss"):
        return "TAKE_PROFIT_MARKET" if p.kind == "take_profit" else "STOP_MARKET"
    buy = p.side in (1, 2)
    stop = (buy and p.price_way == 1) or (not buy and p.price_way == 2)
    return ("STOP" if stop else "TAKE_PROFIT") + ("_MARKET" if p.category == "market" else "")


def _status(p: PlanOrder) -> str:
    if p.state == 1:
        return "NEW"
    return "TRIGGERED" if p.executive_order_id else "CANCELED"


def algo_row(p: PlanOrder) -> Json:
    spec = spec_of(p.symbol)
    kind = _order_type(p)
    return {
        "algoId": int(p.order_id),
        "clientAlgoId": p.client_order_id,
        "algoType": "CONDITIONAL",
        "orderType": kind,
        "symbol": p.symbol,
        "side": side_of(p.side),
        "positionSide": position_side_of(p.side, p.position_mode),
        "timeInForce": TIF.get(p.mode, "GTC"),
        "quantity": qty(spec, p.size),
        "algoStatus": _status(p),
        "triggerPrice": price(spec, p.trigger_price)
        if kind != "TRAILING_STOP_MARKET"
        else price(spec, Decimal(0)),
        "price": price(spec, p.executive_price or Decimal(0)),
        "selfTradePreventionMode": "NONE",
        "workingType": "MARK_PRICE" if p.price_type == 2 else "CONTRACT_PRICE",
        "priceMatch": "NONE",
        "closePosition": p.size == 0,
        "priceProtect": False,
        "reduceOnly": p.position_mode == "one_way_mode" and p.side in (2, 3),
        "createTime": p.create_time,
        "updateTime": p.update_time,
        "triggerTime": p.update_time if p.executive_order_id else 0,
        "goodTillDate": 0,
    }


def _with_actual(call: Call, p: PlanOrder, one: bool = False) -> Json:
    row = algo_row(p)
    sent = call.ctx.engine.state.orders.get(p.executive_order_id) if p.executive_order_id else None
    row["actualOrderId"] = p.executive_order_id
    row["actualPrice"] = price(spec_of(p.symbol), sent.avg_price if sent else Decimal(0))
    if one and sent is not None:  # the one-order query's model: "present when triggered" / "when filled"
        row["actualType"] = sent.type.upper()
        if sent.deal_size:
            row["actualQty"] = qty(spec_of(p.symbol), sent.deal_size)
    return row


def new_algo(call: Call) -> Json:
    params = call.params
    params.req("algoType", ("CONDITIONAL",), E.INVALID_PARAMETER)
    symbol = params.req_symbol()
    kind = params.req("type", ALGO_TYPES, E.INVALID_ORDER_TYPE)
    spec = spec_of(symbol)
    price_type = WORKING_TYPES[params.str_("workingType", choices=tuple(WORKING_TYPES)) or "CONTRACT_PRICE"]
    coid = params.client_id("clientAlgoId") or new_client_id()
    engine = call.ctx.engine
    if params.bool_("closePosition"):
        return _close_position(call, params, kind, symbol, price_type, coid)
    side = engine_side(call, params)
    size = contracts(spec, params.dec("quantity", required=True) or Decimal(0))
    if kind == "TRAILING_STOP_MARKET":
        callback = params.dec("callbackRate", required=True) or Decimal(0)
        if not MIN_CALLBACK <= callback <= MAX_CALLBACK:
            raise E.err(
                E.INVALID_PARAMETER, "callbackRate is 0.1 to 10 (percent)", "callbackRate"
            )
        market = engine.state.markets[symbol].state
        activate = params.dec("activatePrice")
        activate = (
            on_tick(spec, activate, "activatePrice")
            if activate
            else (market.last if price_type == 1 else market.mark)
        )
        lev, open_type = engine.state.setting(engine.state.account(call.uid), symbol)
        out = engine.submit_trail_order(
            call.uid,
            symbol,
            side=side,
            leverage=lev,
            open_type=open_type,
            size=size,
            activation_price=activate,
            callback_rate=callback,
            activation_price_type=price_type,
            client_order_id=coid,
            max_callback_rate=MAX_CALLBACK,
        )
        p = engine.state.plans[str(out["order_id"])]
        return {**algo_row(p), "activatePrice": price(spec, activate), "callbackRate": str(callback)}
    trigger = req_price(params, symbol, "triggerPrice")
    limit = not kind.endswith("_MARKET")
    mode, exec_price = 1, None
    if limit:
        mode = TIF_MODE[params.str_("timeInForce", choices=tuple(TIF_MODE), invalid=E.INVALID_TIF) or "GTC"]
        exec_price = req_price(params, symbol)
    buy = side in (1, 2)
    rises = buy == kind.startswith("STOP")  # a buy stop fires on a rise, a buy take-profit on a fall
    out = engine.submit_plan_order(
        call.uid,
        symbol,
        side=side,
        size=size,
        trigger_price=trigger,
        price_way=1 if rises else 2,
        price_type=price_type,
        type="limit" if limit else "market",
        executive_price=exec_price,
        mode=mode,
        client_order_id=coid,
    )
    return algo_row(engine.state.plans[str(out["order_id"])])


def _close_position(call: Call, params: Params, kind: str, symbol: str, price_type: int, coid: str) -> Json:
    """closePosition=true: a STOP_MARKET or TAKE_PROFIT_MARKET that closes the whole position."""
    if kind not in ("STOP_MARKET", "TAKE_PROFIT_MARKET"):
        raise E.err(
            E.INVALID_PARAMETER, "only STOP_MARKET and TAKE_PROFIT_MARKET close a position", "closePosition"
        )
    for name in ("quantity", "reduceOnly"):
        if params.has(name):
            raise E.err(E.PARAM_NOT_REQUIRED, "closePosition closes the whole position", name)
    sell = params.req("side", ("BUY", "SELL"), E.INVALID_SIDE) == "SELL"
    trigger = req_price(params, symbol, "triggerPrice")
    tpsl, side = ("take_profit" if kind == "TAKE_PROFIT_MARKET" else "stop_loss"), (3 if sell else 2)
    if any(p.symbol == symbol and p.kind == tpsl and p.side == side and p.size == 0 and p.state == 1
           for p in _mine(call)):  # one closePosition order of a type per direction, as Binance
        raise E.err(E.CLOSE_POSITION_EXISTS, "cancel the waiting one first")
    engine = call.ctx.engine
    out = engine.submit_tp_sl_order(
        call.uid,
        symbol,
        type=tpsl,
        side=side,
        trigger_price=trigger,
        price_type=price_type,
        plan_category=2,
        client_order_id=coid,
    )
    return algo_row(engine.state.plans[str(out["order_id"])])


def _find(call: Call) -> PlanOrder:
    algo_id = call.params.int_("algoId", lo=1)
    client_id = call.params.str_("clientAlgoId")
    state = call.ctx.engine.state
    if algo_id is None and client_id is None:
        raise E.err(E.MANDATORY_PARAM, "send algoId or clientAlgoId", "algoId")
    pid = str(algo_id) if algo_id is not None else state.plan_coid.get(call.uid, {}).get(client_id or "")
    p = state.plans.get(pid or "")
    if p is None or p.uid != call.uid:
        raise E.err(E.NO_SUCH_ORDER, "check algoId / clientAlgoId")
    return p


def _cancel(call: Call, p: PlanOrder) -> None:
    if p.kind == "trailing":
        call.ctx.engine.cancel_trail_order(call.uid, p.symbol, order_id=p.order_id)
    else:
        call.ctx.engine.cancel_plan_order(call.uid, p.symbol, order_id=p.order_id)


def cancel_algo(call: Call) -> Json:
    try:
        p = _find(call)
    except E.BinanceError:
        raise E.err(E.UNKNOWN_ORDER, "check algoId / clientAlgoId") from None
    if p.state != 1:
        raise E.err(E.UNKNOWN_ORDER, "the algo order has already triggered or been cancelled")
    _cancel(call, p)
    return {"algoId": int(p.order_id), "clientAlgoId": p.client_order_id, "code": "200", "msg": "success"}


def query_algo(call: Call) -> Json:
    return _with_actual(call, _find(call), one=True)


def _mine(call: Call) -> list[PlanOrder]:
    return sorted(
        call.ctx.engine.state.plans_by_uid.get(call.uid, {}).values(), key=lambda p: int(p.order_id)
    )


def open_algos(call: Call) -> list[Json]:
    symbol = call.params.symbol(required=False)
    call.params.str_("algoType", choices=("CONDITIONAL",))
    algo_id = call.params.int_("algoId", lo=1)
    return [
        _with_actual(call, p)
        for p in _mine(call)
        if p.state == 1 and symbol in (None, p.symbol) and algo_id in (None, int(p.order_id))
    ]


def all_algos(call: Call) -> list[Json]:
    symbol = call.params.req_symbol()
    algo_id = call.params.int_("algoId", lo=1)
    start, end = call.params.int_("startTime", lo=0), call.params.int_("endTime", lo=0)
    n = call.params.limit(500, 1000)
    rows = [
        p
        for p in _mine(call)
        if p.symbol == symbol
        and (algo_id is None or int(p.order_id) >= algo_id)
        and (start is None or p.create_time >= start)
        and (end is None or p.create_time <= end)
    ]
    rows = rows[:n] if algo_id is not None or start is not None else rows[-n:]
    return [_with_actual(call, p) for p in rows]


def cancel_all_algos(call: Call) -> Json:
    symbol = call.params.req_symbol()
    for p in _mine(call):
        if p.state == 1 and p.symbol == symbol:
            _cancel(call, p)
    return {"code": 200, "msg": "The operation of cancel all open order is done."}
