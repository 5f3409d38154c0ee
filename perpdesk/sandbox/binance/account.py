"""Binance's account endpoints over the shared engine: balance and account (v2, v3), position
risk (v2, v3), position mode, multi-assets mode, leverage, margin type, commission rate,
leverage brackets, account/symbol configuration and the key's API restrictions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from perpdesk.sandbox.binance.call import Call
from perpdesk.sandbox.binance.views import money, price, qty, spec_of
from perpdesk.sandbox.engine.contracts import CONTRACTS
from perpdesk.sandbox.engine.margin import initial_margin, maintenance, upnl
from perpdesk.sandbox.engine.state import ZERO, Position

Json = dict[str, Any]
OK = {"code": 200, "msg": "success"}


def _mark(call: Call, symbol: str) -> Decimal:
    return call.ctx.engine.state.markets[symbol].state.mark


def is_one_way(call: Call) -> bool:
    return call.ctx.engine.state.account(call.uid).position_mode == "one_way_mode"


def positions_of(call: Call, symbol: str | None = None) -> list[Position]:
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
        positions = positions_of(call)
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


def account_alias(uid: str) -> str:
    """Binance's account alias: one per account (the platform tells accounts apart by it), so the
    whole uid in base 36, never a part of it (four digits collided among a hundred users)."""
    if not uid.isdigit():
        return "SgsR" + uid
    n, digits = int(uid), ""
    while True:
        n, r = divmod(n, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[r] + digits
        if not n:
            return "SgsR" + digits


def balance_v2(call: Call) -> list[Json]:
    t = _Totals(call)
    a = t.asset()
    return [
        {
            "accountAlias": account_alias(call.uid),
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
    one_way = is_one_way(call)
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
        "positions": [_account_position_v2(call, p, one_way) for p in positions_of(call)],
    }


def account_v3(call: Call) -> Json:
    t = _Totals(call)
    one_way = is_one_way(call)
    rows = []
    for p in positions_of(call):
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
    one_way = is_one_way(call)
    held = positions_of(call, symbol)
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
