"""BitMart's `data` payloads → perpdesk's value types (Decimal from the exact wire strings)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

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

SIDE_CODES: dict[OrderSide, int] = {
    OrderSide.BUY_OPEN_LONG: 1,
    OrderSide.BUY_CLOSE_SHORT: 2,
    OrderSide.SELL_CLOSE_LONG: 3,
    OrderSide.SELL_OPEN_SHORT: 4,
}
SIDES_BY_CODE = {code: side for side, code in SIDE_CODES.items()}
_ZERO = Decimal(0)


def dec(value: Any, default: Decimal | None = _ZERO) -> Decimal | None:
    if value is None or value == "":
        return default
    try:
        return Decimal(value if isinstance(value, str) else str(value))
    except InvalidOperation:
        return default


def d0(value: Any) -> Decimal:
    if type(value) is str and value:  # the wire's usual form, without dec()'s call and checks
        try:
            return Decimal(value)
        except InvalidOperation:
            return _ZERO
    result = dec(value)
    return result if result is not None else _ZERO


def balances(data: Any) -> list[Balance]:
    rows = data if isinstance(data, list) else []
    return [
        Balance(
            currency=str(row.get("currency", "")),
            equity=d0(row.get("equity")),
            available=d0(row.get("available_balance")),
            unrealized_pnl=d0(row.get("unrealized")),
            position_margin=d0(row.get("position_deposit")),
            frozen=d0(row.get("frozen_balance")),
        )
        for row in rows
    ]


def instrument(row: dict[str, Any]) -> Instrument:
    return Instrument(
        symbol=str(row["symbol"]),
        base=str(row.get("base_currency", "")),
        quote=str(row.get("quote_currency", "")),
        contract_size=d0(row.get("contract_size")) or Decimal(1),
        price_tick=d0(row.get("price_precision")) or Decimal("0.1"),
        size_step=d0(row.get("vol_precision")) or Decimal(1),
        min_size=d0(row.get("min_volume")) or Decimal(1),
        max_size=d0(row.get("max_volume")) or Decimal("1e12"),
        min_leverage=d0(row.get("min_leverage")) or Decimal(1),
        max_leverage=d0(row.get("max_leverage")) or Decimal(1),
        last_price=dec(row.get("last_price"), None),
        index_price=dec(row.get("index_price"), None),
    )


def order(row: dict[str, Any]) -> Order:
    size = d0(row.get("size"))
    filled = d0(row.get("deal_size"))
    state_code = _int(row.get("state"))
    if state_code == 4:
        state = OrderState.FILLED if size > 0 and filled >= size else OrderState.CANCELLED
    elif filled > 0:
        state = OrderState.PARTIALLY_FILLED
    else:
        state = OrderState.NEW
    raw_type = str(row.get("type") or "limit")
    open_type = row.get("open_type")
    avg = dec(row.get("deal_avg_price"), None)
    created = _int(row.get("create_time"))
    return Order(
        symbol=str(row.get("symbol", "")),
        order_id=str(row.get("order_id", "")),
        client_order_id=(str(row["client_order_id"]) if row.get("client_order_id") else None),
        side=SIDES_BY_CODE.get(_int(row.get("side")), OrderSide.BUY_OPEN_LONG),
        type=OrderType.MARKET if raw_type == "market" else OrderType.LIMIT,
        state=state,
        size=size,
        filled_size=filled,
        price=_positive(row.get("price")),
        avg_fill_price=avg if avg else None,
        leverage=dec(row.get("leverage"), None),
        margin_mode=MarginMode(open_type) if open_type in ("cross", "isolated") else None,
        created_at_ms=created,
        updated_at_ms=_int(row.get("update_time")) or created,
    )


def position(row: dict[str, Any], contract_size: Decimal = Decimal(1)) -> Position | None:
    size = d0(row.get("current_amount") if "current_amount" in row else row.get("size"))
    if size == 0:
        return None
    raw_side = row.get("position_type", row.get("position_side"))
    if raw_side in (2, "2", "short"):
        side = PositionSide.SHORT
    else:
        side = PositionSide.LONG
    open_type = row.get("open_type")
    liq = dec(row.get("liquidation_price"), None)
    return Position(
        symbol=str(row.get("symbol", "")),
        side=side,
        size=size,
        entry_price=d0(row.get("entry_price") or row.get("open_avg_price")),
        mark_price=d0(row.get("mark_price")),
        leverage=d0(row.get("leverage")),
        margin_mode=MarginMode(open_type) if open_type in ("cross", "isolated") else MarginMode.CROSS,
        unrealized_pnl=d0(row.get("unrealized_pnl", row.get("unrealized_value"))),
        realized_pnl=d0(row.get("realized_value", row.get("realized_pnl"))),
        margin=d0(row.get("initial_margin", row.get("position_cross"))),
        liquidation_price=liq if liq else None,
        contract_size=contract_size,
    )


def _positive(value: Any) -> Decimal | None:
    """Prices: a market order's "0" or "market price" means none."""
    parsed = dec(value, None)
    return parsed if parsed is not None and parsed > 0 else None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def position_push(
    row: dict[str, Any], contract_size: Decimal = Decimal(1)
) -> tuple[str, PositionSide, Position | None]:
    """A futures/position push item: (symbol, side, the position or None once closed).

    The push carries size, entry, liquidation price and margin mode, not the mark, leverage or
    margin: those stay as the last snapshot had them (the mirror merges)."""
    symbol = str(row.get("symbol", ""))
    side = PositionSide.SHORT if row.get("position_type") in (2, "2") else PositionSide.LONG
    size = d0(row.get("hold_volume"))
    if size == 0:
        return symbol, side, None
    liq = dec(row.get("liquidate_price"), None)
    mode = MarginMode.ISOLATED if row.get("open_type") in (1, "1", "isolated") else MarginMode.CROSS
    return symbol, side, Position(
        symbol=symbol, side=side, size=size,
        entry_price=d0(row.get("hold_avg_price") or row.get("open_avg_price")),
        mark_price=_ZERO, leverage=_ZERO, margin_mode=mode, unrealized_pnl=_ZERO,
        realized_pnl=_ZERO, margin=_ZERO, liquidation_price=liq if liq else None,
        contract_size=contract_size,
    )


_PLAN_KINDS = {"plan": PlanKind.PLAN, "take_profit": PlanKind.TAKE_PROFIT,
               "stop_loss": PlanKind.STOP_LOSS, "trailing": PlanKind.TRAILING}


def plan_order(row: dict[str, Any]) -> PlanOrder | None:
    """current-plan-order rows and get-open-orders' trailing rows; None for other kinds."""
    kind = _PLAN_KINDS.get(str(row.get("type", "")))
    if kind is None:
        return None
    trailing = kind is PlanKind.TRAILING
    price_type = _int(row.get("activation_price_type" if trailing else "price_type"))
    return PlanOrder(
        symbol=str(row.get("symbol", "")),
        order_id=str(row.get("order_id", "")),
        client_order_id=str(row["client_order_id"]) if row.get("client_order_id") else None,
        kind=kind,
        side=SIDES_BY_CODE.get(_int(row.get("side")), OrderSide.BUY_OPEN_LONG),
        size=d0(row.get("size")),
        trigger_price=d0(row.get("activation_price" if trailing else "trigger_price")),
        execution_price=None if trailing else _positive(row.get("executive_price")),
        price_type="mark_price" if price_type == 2 else "last_price",
        callback_rate=dec(row.get("callback_rate"), None) if trailing else None,
        created_at_ms=_int(row.get("create_time")),
    )
