"""Binance's user-data events → the platform's stream events (what the BitMart stream yields):
ACCOUNT_UPDATE → 'asset' (the wallet) and 'position' (sizes, entries, closed sides);
ORDER_TRADE_UPDATE → 'order' (filled when it traded); ALGO_UPDATE → 'order' with
plans_changed (a conditional order was placed, triggered or cancelled). Others are ignored."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from perpdesk.core.models import Balance, MarginMode, Order, OrderType, Position, PositionSide, StreamEvent
from perpdesk.exchanges.binance.parse import STATES, d0, integer, order_side, positive

_ZERO = Decimal(0)
_CONDITIONAL = frozenset({"STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"})


def events(msg: dict[str, Any], symbols: set[str]) -> list[StreamEvent]:
    kind = msg.get("e")
    if kind == "ACCOUNT_UPDATE":
        return account_update(msg, symbols)
    if kind == "ORDER_TRADE_UPDATE":
        o = msg.get("o")
        if not isinstance(o, dict) or (symbols and o.get("s") not in symbols):
            return []
        origin = str(o.get("ot") or "")
        return [
            StreamEvent(
                "order",
                {
                    "orders": [order(o)],
                    "filled": o.get("x") == "TRADE",
                    "plans_changed": origin in _CONDITIONAL,
                    "triggered": [],
                    "raw": msg,
                },
            )
        ]
    if kind == "ALGO_UPDATE":
        o = msg.get("o")
        if not isinstance(o, dict) or (symbols and o.get("s") not in symbols):
            return []
        triggered = []
        if o.get("ai") not in (None, "", 0, "0"):
            triggered.append(
                {
                    "order_id": str(o["ai"]),
                    "plan_order_id": str(o.get("aid", "")),
                    "type": str(o.get("o") or ""),
                    "trigger_price": str(o.get("tp") or ""),
                }
            )
        return [
            StreamEvent(
                "order",
                {"orders": [], "filled": False, "plans_changed": True, "triggered": triggered, "raw": msg},
            )
        ]
    return []


def account_update(msg: dict[str, Any], symbols: set[str]) -> list[StreamEvent]:
    data = msg.get("a") if isinstance(msg.get("a"), dict) else {}
    assert isinstance(data, dict)
    rows = [r for r in data.get("P") or () if isinstance(r, dict) and (not symbols or r.get("s") in symbols)]
    unrealized = sum((d0(r.get("up")) for r in rows), _ZERO)
    balances = [
        Balance(str(b.get("a", "")), d0(b.get("wb")) + unrealized, d0(b.get("cw")), unrealized)
        for b in data.get("B") or ()
        if isinstance(b, dict)
    ]
    out = [StreamEvent("asset", {"balances": balances, "raw": msg})] if balances else []
    positions: list[Position] = []
    closed: list[tuple[str, PositionSide]] = []
    for r in rows:
        symbol, amount, raw_side = str(r.get("s", "")), d0(r.get("pa")), r.get("ps")
        if not amount:
            sides = [PositionSide(raw_side.lower())] if raw_side in ("LONG", "SHORT") else list(PositionSide)
            closed += [(symbol, s) for s in sides]
            continue
        side = (
            PositionSide.SHORT
            if raw_side == "SHORT" or (raw_side == "BOTH" and amount < 0)
            else PositionSide.LONG
        )
        isolated = r.get("mt") == "isolated"
        positions.append(
            Position(
                symbol=symbol,
                side=side,
                size=abs(amount),
                entry_price=d0(r.get("ep")),
                mark_price=_ZERO,
                leverage=_ZERO,
                margin_mode=MarginMode.ISOLATED if isolated else MarginMode.CROSS,
                unrealized_pnl=d0(r.get("up")),
                realized_pnl=d0(r.get("cr")),
                margin=d0(r.get("iw")),
            )
        )
    if rows:
        out.append(StreamEvent("position", {"positions": positions, "closed": closed, "raw": msg}))
    return out


def order(o: dict[str, Any]) -> Order:
    return Order(
        symbol=str(o.get("s", "")),
        order_id=str(o.get("i", "")),
        client_order_id=str(o["c"]) if o.get("c") else None,
        side=order_side(o.get("S"), o.get("ps"), o.get("R")),
        type=OrderType.MARKET if o.get("o") == "MARKET" else OrderType.LIMIT,
        state=STATES.get(str(o.get("X")), STATES["NEW"]),
        size=d0(o.get("q")),
        filled_size=d0(o.get("z")),
        price=positive(o.get("p")),
        avg_fill_price=positive(o.get("ap")),
        leverage=None,
        margin_mode=None,
        created_at_ms=integer(o.get("T")),
        updated_at_ms=integer(o.get("T")),
    )
