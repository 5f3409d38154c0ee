"""Binance's answers → perpdesk's value types (Decimal from the exact wire strings).

Binance's quantities are in the base asset; an Instrument here has a contract size of 1, so a
size in "contracts" is the base-asset quantity itself. Sides: Binance's BUY/SELL with the
position side (LONG/SHORT in hedge mode, BOTH in one-way mode) and reduceOnly are the platform's
four sides.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from perpdesk.core.ledger import Fill, Flow, Transaction
from perpdesk.core.market import PlanKind, PlanOrder
from perpdesk.core.models import (
    Balance,
    Instrument,
    MarginMode,
    Order,
    OrderSide,
    OrderState,
    OrderType,
    Position,
    PositionSide,
)

_ZERO = Decimal(0)
_ONE = Decimal(1)
DEFAULT_MAX_LEVERAGE = Decimal(125)
STATES = {
    "NEW": OrderState.NEW,
    "PARTIALLY_FILLED": OrderState.PARTIALLY_FILLED,
    "FILLED": OrderState.FILLED,
    "CANCELED": OrderState.CANCELLED,
    "EXPIRED": OrderState.CANCELLED,
    "EXPIRED_IN_MATCH": OrderState.CANCELLED,
    "REJECTED": OrderState.REJECTED,
}
FLOWS = {
    "REALIZED_PNL": Flow.REALIZED_PNL,
    "COMMISSION": Flow.FEE,
    "FUNDING_FEE": Flow.FUNDING,
    "TRANSFER": Flow.TRANSFER,
    "INSURANCE_CLEAR": Flow.LIQUIDATION,
}
INCOME_TYPES = ("REALIZED_PNL", "COMMISSION", "FUNDING_FEE")


def d0(value: Any) -> Decimal:
    if value is None or value == "":
        return _ZERO
    try:
        return Decimal(value if isinstance(value, str) else str(value))
    except InvalidOperation:
        return _ZERO


def positive(value: Any) -> Decimal | None:
    parsed = d0(value)
    return parsed if parsed > 0 else None


def integer(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def wire_side(side: OrderSide, hedge: bool) -> dict[str, Any]:
    """The platform's side as Binance's side, positionSide and (one-way) reduceOnly."""
    buy = side in (OrderSide.BUY_OPEN_LONG, OrderSide.BUY_CLOSE_SHORT)
    closing = side in (OrderSide.BUY_CLOSE_SHORT, OrderSide.SELL_CLOSE_LONG)
    out: dict[str, Any] = {"side": "BUY" if buy else "SELL"}
    if hedge:
        long_side = side in (OrderSide.BUY_OPEN_LONG, OrderSide.SELL_CLOSE_LONG)
        out["positionSide"] = "LONG" if long_side else "SHORT"
    elif closing:
        out["reduceOnly"] = True
    return out


def order_side(side: Any, position_side: Any, reduce_only: Any) -> OrderSide:
    buy = side == "BUY"
    if position_side == "LONG":
        return OrderSide.BUY_OPEN_LONG if buy else OrderSide.SELL_CLOSE_LONG
    if position_side == "SHORT":
        return OrderSide.BUY_CLOSE_SHORT if buy else OrderSide.SELL_OPEN_SHORT
    closing = reduce_only is True or reduce_only == "true"
    if buy:
        return OrderSide.BUY_CLOSE_SHORT if closing else OrderSide.BUY_OPEN_LONG
    return OrderSide.SELL_CLOSE_LONG if closing else OrderSide.SELL_OPEN_SHORT


def _filter(row: dict[str, Any], kind: str) -> dict[str, Any]:
    for f in row.get("filters") or ():
        if isinstance(f, dict) and f.get("filterType") == kind:
            return f
    return {}


def instrument(row: dict[str, Any]) -> Instrument:
    prices, lots = _filter(row, "PRICE_FILTER"), _filter(row, "LOT_SIZE")
    required = d0(row.get("requiredMarginPercent"))
    max_leverage = (Decimal(100) / required).to_integral_value() if required > 0 else DEFAULT_MAX_LEVERAGE
    return Instrument(
        symbol=str(row["symbol"]),
        base=str(row.get("baseAsset", "")),
        quote=str(row.get("quoteAsset", "")),
        contract_size=_ONE,
        price_tick=d0(prices.get("tickSize")) or Decimal("0.01"),
        size_step=d0(lots.get("stepSize")) or Decimal("0.001"),
        min_size=d0(lots.get("minQty")) or Decimal("0.001"),
        max_size=d0(lots.get("maxQty")) or Decimal("1e12"),
        min_leverage=_ONE,
        max_leverage=max_leverage,
    )


def min_notional(row: dict[str, Any]) -> Decimal:
    return d0(_filter(row, "MIN_NOTIONAL").get("notional"))


def balances(rows: Any) -> list[Balance]:
    out = []
    for row in rows if isinstance(rows, list) else []:
        wallet, unrealized = d0(row.get("balance")), d0(row.get("crossUnPnl"))
        if row.get("asset") != "USDT" and not wallet:
            continue
        available = d0(row.get("availableBalance"))
        out.append(
            Balance(
                currency=str(row.get("asset", "")),
                equity=wallet + unrealized,
                available=available,
                unrealized_pnl=unrealized,
            )
        )
    return out


def position(row: dict[str, Any]) -> Position | None:
    amount = d0(row.get("positionAmt"))
    if not amount:
        return None
    raw = row.get("positionSide")
    side = PositionSide.SHORT if raw == "SHORT" or (raw == "BOTH" and amount < 0) else PositionSide.LONG
    isolated = row.get("marginType") == "isolated" or row.get("isolated") is True
    leverage = d0(row.get("leverage"))
    notional = abs(d0(row.get("notional")))
    margin = d0(row.get("isolatedWallet")) if isolated else (notional / leverage if leverage else _ZERO)
    return Position(
        symbol=str(row.get("symbol", "")),
        side=side,
        size=abs(amount),
        entry_price=d0(row.get("entryPrice")),
        mark_price=d0(row.get("markPrice")),
        leverage=leverage,
        margin_mode=MarginMode.ISOLATED if isolated else MarginMode.CROSS,
        unrealized_pnl=d0(row.get("unRealizedProfit")),
        realized_pnl=_ZERO,
        margin=margin,
        liquidation_price=positive(row.get("liquidationPrice")),
    )


def order(row: dict[str, Any]) -> Order:
    created = integer(row.get("time") or row.get("updateTime"))
    return Order(
        symbol=str(row.get("symbol", "")),
        order_id=str(row.get("orderId", "")),
        client_order_id=str(row["clientOrderId"]) if row.get("clientOrderId") else None,
        side=order_side(row.get("side"), row.get("positionSide"), row.get("reduceOnly")),
        type=OrderType.MARKET if row.get("type") == "MARKET" else OrderType.LIMIT,
        state=STATES.get(str(row.get("status")), OrderState.NEW),
        size=d0(row.get("origQty")),
        filled_size=d0(row.get("executedQty")),
        price=positive(row.get("price")),
        avg_fill_price=positive(row.get("avgPrice")),
        leverage=None,
        margin_mode=None,
        created_at_ms=created,
        updated_at_ms=integer(row.get("updateTime")) or created,
    )


def fill(row: dict[str, Any]) -> Fill:
    pnl = d0(row.get("realizedPnl"))
    side = order_side(row.get("side"), row.get("positionSide"), bool(pnl))
    return Fill(
        trade_id=str(row.get("id", "")),
        order_id=str(row.get("orderId", "")),
        symbol=str(row.get("symbol", "")),
        side=side.value,
        price=d0(row.get("price")),
        size=d0(row.get("qty")),
        realised_pnl=pnl,
        fee=d0(row.get("commission")),
        time_ms=integer(row.get("time")),
    )


def transaction(row: dict[str, Any]) -> Transaction:
    return Transaction(
        tran_id=str(row.get("tranId", "")),
        symbol=str(row.get("symbol", "")),
        flow=FLOWS.get(str(row.get("incomeType")), Flow.OTHER),
        amount=d0(row.get("income")),
        currency=str(row.get("asset") or "USDT"),
        time_ms=integer(row.get("time")),
    )


def plan_order(row: dict[str, Any]) -> PlanOrder:
    kind_name = str(row.get("orderType", ""))
    closes = row.get("closePosition") is True
    if kind_name == "TRAILING_STOP_MARKET":
        kind = PlanKind.TRAILING
    elif closes:
        kind = PlanKind.TAKE_PROFIT if kind_name.startswith("TAKE_PROFIT") else PlanKind.STOP_LOSS
    else:
        kind = PlanKind.PLAN
    trailing = kind is PlanKind.TRAILING
    return PlanOrder(
        symbol=str(row.get("symbol", "")),
        order_id=str(row.get("algoId", "")),
        client_order_id=str(row["clientAlgoId"]) if row.get("clientAlgoId") else None,
        kind=kind,
        side=order_side(row.get("side"), row.get("positionSide"), row.get("reduceOnly") or closes),
        size=d0(row.get("quantity")),
        trigger_price=d0(row.get("activatePrice") if trailing else row.get("triggerPrice")),
        execution_price=None if trailing or kind_name.endswith("_MARKET") else positive(row.get("price")),
        price_type="mark_price" if row.get("workingType") == "MARK_PRICE" else "last_price",
        callback_rate=positive(row.get("callbackRate")) if trailing else None,
        created_at_ms=integer(row.get("createTime")),
    )
