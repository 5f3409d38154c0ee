"""Render engine records as BitMart's payloads (REST `data` and WebSocket pushes).

Field names and types follow BitMart's Futures V2 docs: numbers as strings, sizes of orders as
strings of whole contracts in order records, ms timestamps as ints, ids as strings of digits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from perpdesk.sandbox.engine.contracts import ContractSpec, s
from perpdesk.sandbox.engine.state import Fill, Order, PlanOrder, Position, Transfer, Txn

Json = dict[str, Any]

# futures/order push fields of TP/SL, plan and trailing orders; "-" when the order has none
TRIGGER_DEFAULTS = dict.fromkeys(
    ("trigger_price", "trigger_price_type", "execution_price", "activation_price_type",
     "activation_price", "callback_rate"),
    "-",
)

FLOW_NAMES = {
    1: "Transfer",
    2: "Realized PNL",
    3: "Funding Fee",
    4: "Commission Fee",
    5: "Liquidation Clearance",
}


def iso_ms(ms: int) -> str:
    """BitMart's trade-push time: ISO 8601 in UTC with a Z, e.g. 2023-02-24T07:54:11.124Z."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _opt(value: Decimal | None) -> str:
    return s(value) if value is not None else ""


def _order_fields(o: Order) -> Json:
    """Fields common to the REST order view and the futures/order push."""
    return {
        "order_id": o.order_id,
        "client_order_id": o.client_order_id,
        "price": s(o.price),
        "size": str(o.size),
        "symbol": o.symbol,
        "state": o.state,
        "side": o.side,
        "type": o.type,
        "leverage": s(o.leverage),
        "open_type": o.open_type,
        "deal_avg_price": s(o.avg_price),
        "deal_size": str(o.deal_size),
        "create_time": o.create_time,
        "update_time": o.update_time,
    }


def _put_presets(out: Json, x: Order | PlanOrder) -> None:
    """The preset take-profit / stop-loss fields an order or a plan order carries, if set."""
    if x.tp_price is not None:
        out["preset_take_profit_price_type"] = x.tp_type or 1
        out["preset_take_profit_price"] = s(x.tp_price)
    if x.sl_price is not None:
        out["preset_stop_loss_price_type"] = x.sl_type or 1
        out["preset_stop_loss_price"] = s(x.sl_price)


def order_view(o: Order) -> Json:
    out = _order_fields(o)
    out["account"] = "futures"
    out["position_mode"] = o.position_mode
    _put_presets(out, o)
    return out


def order_push(o: Order, action: int, last_trade: Json | None = None) -> Json:
    """futures/order item. action: 1 match deal, 2 submit, 3 cancel, 4 liquidate cancel,
    6 part liquidate, 7 bankruptcy order (BitMart's numbering)."""
    order = _order_fields(o)
    order["plan_order_id"] = o.plan_order_id
    order["last_trade"] = last_trade  # null unless the push is about a fill, as documented
    order.update(TRIGGER_DEFAULTS)  # the WebSocket layer fills them for orders a plan sent
    order["position_mode"] = o.position_mode
    return {"action": action, "order": order}


def plan_view(p: PlanOrder) -> Json:
    out: Json = {
        "order_id": p.order_id,
        "client_order_id": p.client_order_id,
        "executive_price": _opt(p.executive_price) if p.category == "limit" else "",
        "trigger_price": s(p.trigger_price),
        "size": str(p.size),
        "symbol": p.symbol,
        "state": p.state,
        "side": p.side,
        "mode": p.mode,
        "price_way": p.price_way,
        "price_type": p.price_type,
        "plan_category": p.plan_category,
        "type": p.kind,
        "leverage": s(p.leverage),
        "open_type": p.open_type,
        "create_time": p.create_time,
        "update_time": p.update_time,
        "position_mode": p.position_mode,
        "category": p.category,
    }
    _put_presets(out, p)
    if p.executive_order_id:
        out["executive_order_id"] = p.executive_order_id
    return out


def trail_view(p: PlanOrder) -> Json:
    """A trailing order as get-open-orders / order list it (type "trailing")."""
    return {
        "order_id": p.order_id,
        "client_order_id": p.client_order_id,
        "price": "0",
        "size": str(p.size),
        "symbol": p.symbol,
        "state": 2 if p.state == 1 else 4,
        "side": p.side,
        "type": "trailing",
        "leverage": s(p.leverage),
        "open_type": p.open_type,
        "deal_avg_price": "0",
        "deal_size": "0",
        "create_time": p.create_time,
        "update_time": p.update_time,
        "activation_price": s(p.trigger_price),
        "activation_price_type": p.price_type,
        "callback_rate": s(p.callback_rate) if p.callback_rate is not None else "",
        "executive_order_id": p.executive_order_id,
        "account": "futures",
        "position_mode": p.position_mode,
    }


def fill_view(f: Fill) -> Json:
    return {
        "order_id": f.order_id,
        "trade_id": f.trade_id,
        "symbol": f.symbol,
        "side": f.side,
        "price": s(f.price),
        "vol": str(f.vol),
        "exec_type": f.exec_type,
        "profit": f.realised_profit > 0,
        "realised_profit": s(f.realised_profit),
        "paid_fees": s(f.paid_fees),
        "create_time": f.create_time,
        "account": "futures",
    }


def last_trade_view(f: Fill) -> Json:
    return {
        "lastTradeID": int(f.trade_id),
        "fillQty": str(f.vol),
        "fillPrice": s(f.price),
        "fee": s(f.paid_fees),
        "feeCcy": "USDT",
    }


def txn_view(t: Txn) -> Json:
    return {
        "symbol": t.symbol,
        "type": FLOW_NAMES[t.flow_type],
        "amount": s(t.amount),
        "asset": "USDT",
        "time": str(t.time),
        "tran_id": t.tran_id,
        "account": "futures",
    }


def transfer_view(t: Transfer) -> Json:
    return {
        "transfer_id": t.transfer_id,
        "currency": t.currency,
        "amount": s(t.amount),
        "type": t.type,
        "state": t.state,
        "timestamp": t.timestamp,
    }


def position_push(
    spec: ContractSpec, p: Position, liq: Decimal, position_mode: str, now_ms: int
) -> Json:
    """futures/position item."""
    return {
        "symbol": p.symbol,
        "hold_volume": str(p.size),
        "position_type": 1 if p.side == "long" else 2,
        "open_type": 1 if p.open_type == "isolated" else 2,
        "frozen_volume": str(p.frozen_close),
        "close_volume": str(p.close_vol),
        "hold_avg_price": s(p.entry),
        "close_avg_price": s(p.close_value / p.close_vol) if p.close_vol else "0",
        "open_avg_price": s(p.entry),
        "liquidate_price": s(liq),
        "create_time": p.open_time,
        "update_time": p.update_time or now_ms,
        "position_mode": position_mode,
    }
