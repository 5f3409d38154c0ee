"""Binance's account endpoints over the shared engine: balance and account (v2, v3), position
risk (v2, v3), position mode, multi-assets mode, leverage, margin type, commission rate,
leverage brackets, account/symbol configuration and the key's API restrictions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

from perpdesk.sandbox.binance import errors as E
from perpdesk.sandbox.binance.call import Call
from perpdesk.sandbox.binance.views import money, price, qty, rate, spec_of
from perpdesk.sandbox.engine.contracts import CONTRACTS
from perpdesk.sandbox.engine.engine_state import MAKER_FEE, TAKER_FEE
from perpdesk.sandbox.engine.margin import initial_margin, maintenance, upnl
from perpdesk.sandbox.engine.state import ZERO, Position

Json = dict[str, Any]
OK = {"code": 200, "msg": "success"}


def _mark(call: Call, symbol: str) -> Decimal:
    return call.ctx.engine.state.markets[symbol].state.mark


def _one_way(call: Call) -> bool:
    return call.ctx.engine.state.account(call.uid).position_mode == "one_way_mode"


def _positions(call: Call, symbol: str | None = None) -> list[Position]:
    held = call.ctx.engine.state.user_positions(call.uid)
    return sorted(
        (p for (sym, _), p in held.items() if symbol in (None, sym)), key=lambda p: (p.symbol, p.side)
    )


def _side(p: Position, one_way: bool) -> str:
    return "BOTH" if one_way else p.side.upper()


def _amount(p: Position) -> str:
    spec = spec_of(p.symbol)
    return qty(spec, -p.size if p.side == "short" else p.size)


def _order_margin(call: Call, symbol: str | None = None) -> Decimal:
    open_orders = call.ctx.engine.state.open_by_uid.get(call.uid, {}).values()
    return sum((o.frozen for o in open_orders if symbol in (None, o.symbol)), ZERO)


class _Totals:
    """The account's Binance figures at the current marks."""

    def __init__(self, call: Call) -> None:
        fig = call.ctx.engine.figures(call.uid)
        self.fig = fig
        positions = _positions(call)
        self.maint = sum((maintenance(spec_of(p.symbol), p, _mark(call, p.symbol)) for p in positions), ZERO)
        isolated = sum((p.margin for p in positions if p.open_type == "isolated"), ZERO)
        self.cross_wallet = fig.balance - isolated
        self.update_time = max((p.update_time for p in positions), default=0)

    def asset(self) -> Json:
        fig = self.fig
        return {
            "asset": "USDT",
            "walletBalance": money(fig.balance),
            "unrealizedProfit": money(fig.unrealized),
            "marginBalance": money(fig.balance + fig.unrealized),
            "maintMargin": money(self.maint),
            "initialMargin": money(fig.position_deposit + fig.frozen),
            "positionInitialMargin": money(fig.position_deposit),
            "openOrderInitialMargin": money(fig.frozen),
            "crossWalletBalance": money(self.cross_wallet),
            "crossUnPnl": money(fig.cross_unrealized),
            "availableBalance": money(fig.available),
            "maxWithdrawAmount": money(fig.withdrawable),
            "updateTime": self.update_time,
        }

    def totals(self) -> Json:
        a = self.asset()
        return {
            "totalInitialMargin": a["initialMargin"],
            "totalMaintMargin": a["maintMargin"],
            "totalWalletBalance": a["walletBalance"],
            "totalUnrealizedProfit": a["unrealizedProfit"],
            "totalMarginBalance": a["marginBalance"],
            "totalPositionInitialMargin": a["positionInitialMargin"],
            "totalOpenOrderInitialMargin": a["openOrderInitialMargin"],
            "totalCrossWalletBalance": a["crossWalletBalance"],
            "totalCrossUnPnl": a["crossUnPnl"],
            "availableBalance": a["availableBalance"],
            "maxWithdrawAmount": a["maxWithdrawAmount"],
        }


def balance_v2(call: Call) -> list[Json]:
    t = _Totals(call)
    a = t.asset()
    return [
        {
            "accountAlias": "SgsR" + call.uid[-4:],
            "asset": "USDT",
            "balance": a["walletBalance"],
            "crossWalletBalance": a["crossWalletBalance"],
            "crossUnPnl": a["crossUnPnl"],
            "availableBalance": a["availableBalance"],
            "maxWithdrawAmount": a["maxWithdrawAmount"],
            "marginAvailable": True,
            "updateTime": a["updateTime"],
        }
    ]


def _account_position_v2(call: Call, p: Position, one_way: bool) -> Json:
    spec, mark = spec_of(p.symbol), _mark(call, p.symbol)
    im = initial_margin(spec, p)
    return {
        "symbol": p.symbol,
        "initialMargin": money(im),
        "maintMargin": money(maintenance(spec, p, mark)),
        "unrealizedProfit": money(upnl(spec, p, mark)),
        "positionInitialMargin": money(im),
        "openOrderInitialMargin": money(_order_margin(call, p.symbol)),
        "leverage": str(int(p.leverage)),
        "isolated": p.open_type == "isolated",
        "entryPrice": price(spec, p.entry),
        "maxNotional": money(call.ctx.engine.positions._max_notional(p)),
        "bidNotional": "0",
        "askNotional": "0",
        "positionSide": _side(p, one_way),
        "positionAmt": _amount(p),
        "updateTime": p.update_time,
    }


def account_v2(call: Call) -> Json:
    t = _Totals(call)
    one_way = _one_way(call)
    asset = {**t.asset(), "marginAvailable": True}
    return {
        "feeTier": 0,
        "feeBurn": False,
        "canTrade": True,
        "canDeposit": True,
        "canWithdraw": True,
        "updateTime": 0,
        "multiAssetsMargin": False,
        "tradeGroupId": -1,
        **t.totals(),
        "assets": [asset],
        "positions": [_account_position_v2(call, p, one_way) for p in _positions(call)],
    }


def account_v3(call: Call) -> Json:
    t = _Totals(call)
    one_way = _one_way(call)
    rows = []
    for p in _positions(call):
        spec, mark = spec_of(p.symbol), _mark(call, p.symbol)
        rows.append(
            {
                "symbol": p.symbol,
                "positionSide": _side(p, one_way),
                "positionAmt": _amount(p),
                "unrealizedProfit": money(upnl(spec, p, mark)),
                "isolatedMargin": money(
                    p.margin + upnl(spec, p, mark) if p.open_type == "isolated" else ZERO
                ),
                "notional": money(p.sign * qty_dec(p) * mark),
                "isolatedWallet": money(p.margin if p.open_type == "isolated" else ZERO),
                "initialMargin": money(initial_margin(spec, p)),
                "maintMargin": money(maintenance(spec, p, mark)),
                "updateTime": p.update_time,
            }
        )
    return {**t.totals(), "assets": [t.asset()], "positions": rows}


def qty_dec(p: Position) -> Decimal:
    return Decimal(p.size) * spec_of(p.symbol).contract_size


def _risk_common(call: Call, p: Position, one_way: bool) -> Json:
    spec, mark = spec_of(p.symbol), _mark(call, p.symbol)
    u = upnl(spec, p, mark) if p.size else ZERO
    isolated = p.open_type == "isolated"
    return {
        "symbol": p.symbol,
        "positionSide": _side(p, one_way),
        "positionAmt": _amount(p),
        "entryPrice": price(spec, p.entry),
        "breakEvenPrice": price(spec, p.entry),
        "markPrice": price(spec, mark),
        "unRealizedProfit": money(u),
        "liquidationPrice": price(spec, call.ctx.engine.positions.liq_price(p) if p.size else ZERO),
        "isolatedMargin": money(p.margin + u if isolated and p.size else ZERO),
        "notional": money(p.sign * qty_dec(p) * mark),
        "isolatedWallet": money(p.margin if isolated else ZERO),
        "updateTime": p.update_time,
    }


def _risk_rows(call: Call, with_empty: bool) -> list[tuple[Position, bool]]:
    """Held positions; with `with_empty`, a zero row where a symbol's side holds none (one-way:
    one row per symbol; hedge: LONG and SHORT), as position risk v2 lists every symbol."""
    symbol = call.params.symbol(required=False)
    one_way = _one_way(call)
    held = _positions(call, symbol)
    if not with_empty:
        return [(p, one_way) for p in held]
    state = call.ctx.engine.state
    acct = state.account(call.uid)
    rows: list[tuple[Position, bool]] = []
    for sym in [symbol] if symbol else list(CONTRACTS):
        mine = {p.side: p for p in held if p.symbol == sym}
        lev, open_type = state.setting(acct, sym)
        if one_way and mine:
            rows += [(p, one_way) for p in mine.values()]
            continue
        for side in ("long",) if one_way else ("long", "short"):
            p = mine.get(side) or Position(call.uid, sym, side, 0, ZERO, lev, open_type, 0, 0)
            rows.append((p, one_way))
    return rows


def position_risk_v2(call: Call) -> list[Json]:
    out = []
    for p, one_way in _risk_rows(call, with_empty=True):
        row = _risk_common(call, p, one_way)
        row.update(
            marginType="isolated" if p.open_type == "isolated" else "cross",
            isAutoAddMargin="false",
            leverage=str(int(p.leverage)),
            maxNotionalValue=money(call.ctx.engine.positions._max_notional(p)),
        )
        out.append(row)
    return out


def position_risk_v3(call: Call) -> list[Json]:
    out = []
    for p, one_way in _risk_rows(call, with_empty=False):
        spec, mark = spec_of(p.symbol), _mark(call, p.symbol)
        row = _risk_common(call, p, one_way)
        im = initial_margin(spec, p)
        row.update(
            marginAsset="USDT",
            initialMargin=money(im),
            maintMargin=money(maintenance(spec, p, mark)),
            positionInitialMargin=money(im),
            openOrderInitialMargin=money(_order_margin(call, p.symbol)),
            adl=0,
            bidNotional="0",
            askNotional="0",
        )
        out.append(row)
    return out


def get_position_mode(call: Call) -> Json:
    return {"dualSidePosition": not _one_way(call)}


def set_position_mode(call: Call) -> Json:
    dual = call.params.bool_("dualSidePosition")
    if dual is None:
        raise E.err(
            E.MANDATORY_PARAM, "send dualSidePosition=true (hedge) or false (one-way)", "dualSidePosition"
        )
    if dual == (not _one_way(call)):
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
    if any(p.symbol == symbol for p in _positions(call, symbol)):
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


def account_config(call: Call) -> Json:
    return {
        "feeTier": 0,
        "canTrade": True,
        "canDeposit": True,
        "canWithdraw": True,
        "dualSidePosition": not _one_way(call),
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


def api_restrictions(call: Call) -> Json:
    """What the key may do, as Binance's `GET /sapi/v1/account/apiRestrictions` tells it."""
    key = call.key
    assert key is not None
    return {
        "ipRestrict": bool(key.ip_whitelist),
        "createTime": key.created_at,
        "enableReading": True,
        "enableWithdrawals": "withdraw" in key.permissions,
        "enableInternalTransfer": False,
        "enableMargin": False,
        "enableFutures": "future_trade" in key.permissions,
        "permitsUniversalTransfer": False,
        "enableVanillaOptions": False,
        "enableFixApiTrade": False,
        "enableFixReadOnly": False,
        "enableSpotAndMarginTrading": "spot_trade" in key.permissions,
        "enablePortfolioMarginTrading": False,
    }
