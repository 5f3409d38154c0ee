"""The user data stream's events, built from the engine's events and the records they name:
ORDER_TRADE_UPDATE (futures/order), ACCOUNT_UPDATE (futures/position), ALGO_UPDATE (plan
orders placed or ended) and ACCOUNT_CONFIG_UPDATE (leverage changed on this dialect)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from perpdesk.sandbox.binance.algo import algo_row
from perpdesk.sandbox.binance.order_views import TIF, avg_price, order_row, position_side_of, side_of
from perpdesk.sandbox.binance.views import money, price, qty, spec_of
from perpdesk.sandbox.engine.engine_state import EngineState
from perpdesk.sandbox.engine.margin import upnl
from perpdesk.sandbox.engine.plan_book import PLAN_EVENT
from perpdesk.sandbox.engine.state import ZERO, Fill, Order, Position

Json = dict[str, Any]
LEVERAGE_EVENT = "sandbox/leverage"  # emitted by this dialect's POST /fapi/v1/leverage
EXECUTION = {1: "TRADE", 2: "NEW", 6: "TRADE", 7: "TRADE"}


def _last_fill(state: EngineState, o: Order) -> Fill | None:
    for f in reversed(state.fills.get(o.uid, [])):
        if f.order_id == o.order_id:
            return f
    return None


def order_update(state: EngineState, item: Json, now: int) -> Json | None:
    o = state.orders.get(str(item.get("order", {}).get("order_id", "")))
    if o is None:
        return None
    spec = spec_of(o.symbol)
    row = order_row(o)
    action = int(item.get("action", 2))
    fill = _last_fill(state, o) if item.get("order", {}).get("last_trade") else None
    execution = EXECUTION.get(action, row["status"])
    if action == 3:
        execution = row["status"]  # CANCELED, or EXPIRED for what an IOC/FOK/market left
    return {
        "e": "ORDER_TRADE_UPDATE",
        "E": now,
        "T": o.update_time,
        "o": {
            "s": o.symbol,
            "c": o.client_order_id,
            "S": side_of(o.side),
            "o": row["type"],
            "f": TIF.get(o.mode, "GTC") if o.type == "limit" else "GTC",
            "q": row["origQty"],
            "p": row["price"],
            "ap": avg_price(o),
            "sp": "0",
            "x": execution,
            "X": row["status"],
            "i": int(o.order_id),
            "l": qty(spec, fill.vol if fill else 0),
            "z": row["executedQty"],
            "L": price(spec, fill.price if fill else ZERO),
            "N": "USDT",
            "n": money(fill.paid_fees if fill else ZERO),
            "T": fill.create_time if fill else o.update_time,
            "t": int(fill.trade_id) if fill else 0,
            "b": "0",
            "a": "0",
            "m": bool(fill and fill.exec_type == "Maker"),
            "R": row["reduceOnly"],
            "wt": "CONTRACT_PRICE",
            "ot": row["origType"],
            "ps": row["positionSide"],
            "cp": False,
            "rp": money(fill.realised_profit if fill else ZERO),
            "pP": False,
            "si": 0,
            "ss": 0,
            "V": "NONE",
            "pm": "NONE",
            "gtd": 0,
        },
    }


def _position_row(state: EngineState, p: Position, one_way: bool) -> Json:
    spec = spec_of(p.symbol)
    mark = state.markets[p.symbol].state.mark
    return {
        "s": p.symbol,
        "pa": qty(spec, -p.size if p.side == "short" else p.size),
        "ep": price(spec, p.entry),
        "bep": price(spec, p.entry),
        "cr": money(p.realized),
        "up": money(upnl(spec, p, mark) if p.size else ZERO),
        "mt": "isolated" if p.open_type == "isolated" else "cross",
        "iw": money(p.margin if p.open_type == "isolated" else ZERO),
        "ps": "BOTH" if one_way else p.side.upper(),
    }


def account_update(state: EngineState, uid: str, symbols: set[str], now: int, reason: str = "ORDER") -> Json:
    acct = state.account(uid)
    one_way = acct.position_mode == "one_way_mode"
    held = state.user_positions(uid)
    rows = []
    for symbol in sorted(symbols):
        lev, open_type = state.setting(acct, symbol)
        for side in ("long",) if one_way else ("long", "short"):
            p = held.get((symbol, side))
            if one_way and p is None:
                p = held.get((symbol, "short"))
            p = p or Position(uid, symbol, side, 0, ZERO, lev, open_type, 0, 0)
            rows.append(_position_row(state, p, one_way))
    isolated = sum((p.margin for p in held.values() if p.open_type == "isolated"), ZERO)
    balance = [{"a": "USDT", "wb": money(acct.balance), "cw": money(acct.balance - isolated), "bc": "0"}]
    return {"e": "ACCOUNT_UPDATE", "E": now, "T": now, "a": {"m": reason, "B": balance, "P": rows}}


def algo_update(state: EngineState, order_id: str, now: int) -> Json | None:
    p = state.plans.get(order_id)
    if p is None:
        return None
    row = algo_row(p)
    sent = state.orders.get(p.executive_order_id) if p.executive_order_id else None
    spec = spec_of(p.symbol)
    status = row["algoStatus"]
    return {
        "e": "ALGO_UPDATE",
        "T": p.update_time,
        "E": now,
        "o": {
            "caid": p.client_order_id,
            "aid": int(p.order_id),
            "at": "CONDITIONAL",
            "o": row["orderType"],
            "s": p.symbol,
            "S": side_of(p.side),
            "ps": position_side_of(p.side, p.position_mode),
            "f": row["timeInForce"],
            "q": row["quantity"],
            "X": status,
            "ai": p.executive_order_id,
            "ap": price(spec, sent.avg_price if sent else Decimal(0)),
            "aq": qty(spec, sent.deal_size if sent else 0),
            "act": row["orderType"] if sent else "",
            "tp": row["triggerPrice"],
            "p": row["price"],
            "V": "NONE",
            "wt": row["workingType"],
            "pm": "NONE",
            "cp": row["closePosition"],
            "pP": False,
            "R": row["reduceOnly"],
            "tt": row["triggerTime"],
            "gtd": 0,
            "rm": "",
            "ia": False,
        },
    }


def config_update(symbol: str, leverage: int, now: int) -> Json:
    return {"e": "ACCOUNT_CONFIG_UPDATE", "E": now, "T": now, "ac": {"s": symbol, "l": leverage}}


def user_events(state: EngineState, channel: str, uid: str, data: Any, now: int) -> list[Json]:
    """The Binance events an engine event makes for its user (none for the others)."""
    out: list[Json | None] = []
    if channel == "futures/order" and isinstance(data, list):
        out = [order_update(state, item, now) for item in data if isinstance(item, dict)]
    elif channel == "futures/position" and isinstance(data, list):
        symbols = {str(item.get("symbol")) for item in data if isinstance(item, dict)}
        out = [account_update(state, uid, symbols, now)]
    elif channel == PLAN_EVENT and isinstance(data, dict):
        out = [algo_update(state, str(data.get("order_id", "")), now)]
    elif channel == LEVERAGE_EVENT and isinstance(data, dict):
        out = [config_update(str(data["symbol"]), int(data["leverage"]), now)]
    return [event for event in out if event is not None]
