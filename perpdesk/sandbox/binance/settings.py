"""Binance's account settings over the shared engine: position mode, multi-assets mode,
leverage, margin type, commission rate, leverage brackets, account and symbol configuration."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

from perpdesk.sandbox.binance import errors as E
from perpdesk.sandbox.binance.account import OK, is_one_way, positions_of
from perpdesk.sandbox.binance.call import Call
from perpdesk.sandbox.binance.history import record_margin_change
from perpdesk.sandbox.binance.views import money, rate, spec_of
from perpdesk.sandbox.engine.contracts import CONTRACTS
from perpdesk.sandbox.engine.engine_state import MAKER_FEE, TAKER_FEE
from perpdesk.sandbox.engine.state import ZERO

Json = dict[str, Any]


def get_position_mode(call: Call) -> Json:
    return {"dualSidePosition": not is_one_way(call)}


def set_position_mode(call: Call) -> Json:
    dual = call.params.bool_("dualSidePosition")
    if dual is None:
        raise E.err(
            E.MANDATORY_PARAM, "send dualSidePosition=true (hedge) or false (one-way)", "dualSidePosition"
        )
    if dual == (not is_one_way(call)):
        raise E.err(E.NO_NEED_POSITION_SIDE)
    state = call.ctx.engine.state
    if state.user_positions(call.uid):
        raise E.err(E.POSITION_SIDE_POSITION, "close every position first")
    if state.open_by_uid.get(call.uid) or any(
        p.state == 1 for p in state.plans_by_uid.get(call.uid, {}).values()
    ):
        raise E.err(E.POSITION_SIDE_OPEN_ORDERS, "cancel every open order first")
    call.ctx.engine.set_position_mode(call.uid, "hedge_mode" if dual else "one_way_mode")
    return OK


def get_multi_assets(call: Call) -> Json:
    return {"multiAssetsMargin": False}


def set_multi_assets(call: Call) -> Json:
    on = call.params.bool_("multiAssetsMargin")
    if on is None:
        raise E.err(E.MANDATORY_PARAM, "send multiAssetsMargin=true or false", "multiAssetsMargin")
    if on:
        raise E.err(
            E.INVALID_PARAMETER, "the sandbox margins in USDT only (single-asset mode)", "multiAssetsMargin"
        )
    return OK


def change_leverage(call: Call) -> Json:
    symbol = call.params.req_symbol()
    leverage = call.params.int_("leverage", required=True, lo=1, hi=125)
    assert leverage is not None
    state = call.ctx.engine.state
    _, open_type = state.setting(state.account(call.uid), symbol)
    call.ctx.engine.submit_leverage(call.uid, symbol, open_type, Decimal(leverage))
    # for the user data stream's ACCOUNT_CONFIG_UPDATE (the BitMart WebSocket ignores it)
    call.ctx.engine.state.emit("sandbox/leverage", call.uid, {"symbol": symbol, "leverage": leverage})
    spec = spec_of(symbol)
    cap = max((b.notional_cap for b in spec.brackets if b.initial_leverage >= leverage), default=ZERO)
    return {"leverage": leverage, "maxNotionalValue": money(cap), "symbol": symbol}


def change_margin_type(call: Call) -> Json:
    symbol = call.params.req_symbol()
    wanted = call.params.req("marginType", ("ISOLATED", "CROSSED"), E.INVALID_PARAMETER).lower()
    open_type = "isolated" if wanted == "isolated" else "cross"
    state = call.ctx.engine.state
    lev, current = state.setting(state.account(call.uid), symbol)
    if open_type == current:
        raise E.err(E.NO_NEED_MARGIN_TYPE)
    if any(p.symbol == symbol for p in positions_of(call, symbol)):
        raise E.err(E.MARGIN_TYPE_POSITION, "close the symbol's position first")
    if any(o.symbol == symbol for o in state.open_by_uid.get(call.uid, {}).values()):
        raise E.err(E.MARGIN_TYPE_OPEN_ORDERS, "cancel the symbol's open orders first")
    call.ctx.engine.submit_leverage(call.uid, symbol, open_type, lev)
    return OK


def commission_rate(call: Call) -> Json:
    symbol = call.params.req_symbol()
    return {
        "symbol": symbol,
        "makerCommissionRate": rate(MAKER_FEE),
        "takerCommissionRate": rate(TAKER_FEE),
        "rpiCommissionRate": rate(MAKER_FEE),
    }


def leverage_bracket(call: Call) -> Json | list[Json]:
    symbol = call.params.symbol(required=False)
    rows = []
    for sym in [symbol] if symbol else list(CONTRACTS):
        brackets = [
            {
                "bracket": b.bracket,
                "initialLeverage": b.initial_leverage,
                "notionalCap": int(b.notional_cap),
                "notionalFloor": int(b.notional_floor),
                "maintMarginRatio": orjson.Fragment(str(b.maint_margin_ratio).encode()),
                # a whole number is sent as one (the one-symbol answer's model types it int)
                "cum": int(b.cum)
                if b.cum == b.cum.to_integral_value()
                else orjson.Fragment(str(b.cum).encode()),
            }
            for b in spec_of(sym).brackets
        ]
        rows.append({"symbol": sym, "notionalCoef": orjson.Fragment(b"1.0"), "brackets": brackets})
    return rows[0] if symbol else rows


def trading_status(call: Call) -> Json:
    """GET /fapi/v1/apiTradingStatus: no quantitative rule ever trips in the sandbox."""
    call.params.symbol(required=False)
    return {"indicators": {}, "updateTime": call.ctx.engine.now()}


def account_config(call: Call) -> Json:
    return {
        "feeTier": 0,
        "canTrade": True,
        "canDeposit": True,
        "canWithdraw": True,
        "dualSidePosition": not is_one_way(call),
        "updateTime": 0,
        "multiAssetsMargin": False,
        "tradeGroupId": -1,
    }


def symbol_config(call: Call) -> list[Json]:
    symbol = call.params.symbol(required=False)
    state = call.ctx.engine.state
    acct = state.account(call.uid)
    rows = []
    for sym in [symbol] if symbol else list(CONTRACTS):
        lev, open_type = state.setting(acct, sym)
        cap = max((b.notional_cap for b in spec_of(sym).brackets if b.initial_leverage >= lev), default=ZERO)
        rows.append(
            {
                "symbol": sym,
                "marginType": "ISOLATED" if open_type == "isolated" else "CROSSED",
                "isAutoAddMargin": False,
                "leverage": int(lev),
                "maxNotionalValue": money(cap),
            }
        )
    return rows


def position_margin(call: Call) -> Json:
    """POST /fapi/v1/positionMargin: type 1 adds `amount` USDT to an isolated position, 2 removes it."""
    symbol = call.params.req_symbol()
    kind = call.params.int_("type", required=True, lo=1, hi=2)
    amount = call.params.dec("amount", required=True) or Decimal(0)
    position_side = call.params.str_("positionSide", choices=("BOTH", "LONG", "SHORT")) or "BOTH"
    if (position_side == "BOTH") != is_one_way(call):
        raise E.err(E.INVALID_POSITION_SIDE, "BOTH in one-way mode, LONG or SHORT in hedge mode")
    held = [p for p in positions_of(call, symbol) if position_side in ("BOTH", p.side.upper())]
    if not held:
        raise E.err(E.INVALID_PARAMETER, "there is no position on that side", "positionSide")
    call.ctx.engine.adjust_isolated_margin(call.uid, symbol, held[0].side, amount, add=kind == 1)
    assert kind is not None
    record_margin_change(call, symbol, kind, amount, position_side)
    return {
        "amount": orjson.Fragment(str(amount).encode()),  # a JSON number, as the SDK's model types it
        "code": 200,
        "msg": "Successfully modify position margin.",
        "type": kind,
    }
