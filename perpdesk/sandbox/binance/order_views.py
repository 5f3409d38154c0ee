"""Engine records as Binance's order, trade and income rows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from perpdesk.sandbox.binance.views import MONEY_DP, fixed, money, price, qty, spec_of
from perpdesk.sandbox.engine.state import Fill, Order, Txn

Json = dict[str, Any]
TIF = {1: "GTC", 2: "FOK", 3: "IOC", 4: "GTX"}
TIF_MODE = {v: k for k, v in TIF.items()}
INCOME_TYPES = {1: "TRANSFER", 2: "REALIZED_PNL", 3: "FUNDING_FEE", 4: "COMMISSION", 5: "INSURANCE_CLEAR"}


def side_of(engine_side: int) -> str:
    return "BUY" if engine_side in (1, 2) else "SELL"


def position_side_of(engine_side: int, position_mode: str) -> str:
    if position_mode == "one_way_mode":
        return "BOTH"
    return "LONG" if engine_side in (1, 3) else "SHORT"


def status_of(o: Order) -> str:
    if o.state != 4:
        return "PARTIALLY_FILLED" if o.deal_size else "NEW"
    if o.deal_size == o.size:
        return "FILLED"
    # what an IOC, FOK or market order leaves unfilled expires; a cancelled order is CANCELED
    return "EXPIRED" if o.type == "market" or o.mode in (2, 3) else "CANCELED"


def avg_price(o: Order) -> str:
    return fixed(o.avg_price, MONEY_DP) if o.deal_size else fixed(Decimal(0), MONEY_DP)


def order_row(o: Order) -> Json:
    """The shape of GET /fapi/v1/order (also the base of the new/cancel/modify answers)."""
    spec = spec_of(o.symbol)
    kind = "MARKET" if o.type == "market" else "LIMIT"
    if o.type == "liquidate":
        kind = "LIQUIDATION"
    return {
        "avgPrice": avg_price(o),
        "clientOrderId": o.client_order_id,
        "cumQuote": money(o.deal_value * spec.contract_size),
        "executedQty": qty(spec, o.deal_size),
        "orderId": int(o.order_id),
        "origQty": qty(spec, o.size),
        "origType": kind,
        "price": price(spec, o.price),
        "reduceOnly": o.position_mode == "one_way_mode" and o.closing,
        "side": side_of(o.side),
        "positionSide": position_side_of(o.side, o.position_mode),
        "status": status_of(o),
        "stopPrice": "0",
        "closePosition": False,
        "symbol": o.symbol,
        "time": o.create_time,
        "timeInForce": TIF.get(o.mode, "GTC") if kind == "LIMIT" else "GTC",
        "type": kind,
        "updateTime": o.update_time,
        "workingType": "CONTRACT_PRICE",
        "priceProtect": False,
        "priceMatch": "NONE",
        "selfTradePreventionMode": "NONE",
        "goodTillDate": 0,
    }


def new_order_row(o: Order) -> Json:
    """The answer of new, modify and cancel: the order as it stands, with `cumQty` and without
    `avgPrice`, `cumQuote` and `time` (as the SDK's models of those answers have it)."""
    row = order_row(o)
    row["cumQty"] = row["executedQty"]
    for name in ("avgPrice", "cumQuote", "time"):
        del row[name]
    return row


def trade_row(f: Fill, position_mode: str) -> Json:
    spec = spec_of(f.symbol)
    return {
        "buyer": f.side in (1, 2),
        "commission": money(f.paid_fees),
        "commissionAsset": "USDT",
        "id": int(f.trade_id),
        "maker": f.exec_type == "Maker",
        "orderId": int(f.order_id),
        "price": price(spec, f.price),
        "qty": qty(spec, f.vol),
        "quoteQty": money(f.price * f.vol * spec.contract_size),
        "realizedPnl": money(f.realised_profit),
        "side": side_of(f.side),
        "positionSide": position_side_of(f.side, position_mode),
        "symbol": f.symbol,
        "time": f.create_time,
    }


def income_row(t: Txn) -> Json:
    return {
        "symbol": t.symbol,
        "incomeType": INCOME_TYPES.get(t.flow_type, "TRANSFER"),
        "income": money(t.amount),
        "asset": "USDT",
        "info": INCOME_TYPES.get(t.flow_type, "TRANSFER"),
        "time": t.time,
        "tranId": int(t.tran_id),
        "tradeId": "",
    }
