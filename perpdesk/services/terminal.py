"""The trading terminal's use cases: market data for the chart and book, conditional orders (trigger
/plan, TP/SL on a position, trailing stops), cancel all, close by percent, position mode, fills.

All scoped to the signed-in user's own account (another user's account is "not found"). Orders
that close part of a position go through the trading service's intents (stored before sending).
Conditional orders carry a client order id where BitMart takes one (plan, TP/SL); an unanswered
submit is settled by the connector reading the exchange, and is otherwise reported `unknown`,
never resent and never called rejected.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from perpdesk.core.errors import Conflict, ExchangeError, InputError
from perpdesk.core.models import (
    Credentials,
    Instrument,
    MarginMode,
    OrderRequest,
    OrderResult,
    OrderSide,
    OrderType,
    PositionMode,
    PositionSide,
)
from perpdesk.core.money import fmt, quantize_down
from perpdesk.core.terminal import (
    INTERVALS,
    Candle,
    ConditionalKind,
    ConditionalOrder,
    Fill,
    OrderBook,
    PlanRequest,
    PriceType,
    Ticker,
    TrailRequest,
)
from perpdesk.exchanges.base import TerminalConnector
from perpdesk.services import trading
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.trading import AccountRef, Placement, parse_decimal
from perpdesk.store.orders import IntentPurpose

MAX_CANDLES = 500


class PositionModeLocked(Conflict):
    code = "position_mode_locked"


@dataclass(frozen=True, slots=True)
class ConditionalPlacement:
    """What became of one conditional order: placed (with the exchange's id), rejected, or unknown."""

    kind: str
    symbol: str
    status: str
    client_order_id: str | None
    order_id: str | None
    error: dict[str, str] | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "symbol": self.symbol,
            "status": self.status,
            "client_order_id": self.client_order_id,
            "order_id": self.order_id,
            "error": self.error,
        }


def _conditional(kind: ConditionalKind, symbol: str, result: OrderResult) -> ConditionalPlacement:
    error = result.error.to_dict() if result.error is not None else None
    cid = result.client_order_id if kind is not ConditionalKind.TRAILING else None
    return ConditionalPlacement(kind.value, symbol, result.status.value, cid, result.order_id, error)


def terminal_connector(deps: AccountsDeps, exchange: str) -> TerminalConnector:
    conn = deps.connector_for(exchange)
    if not isinstance(conn, TerminalConnector):
        raise Conflict(
            f"The {exchange} connector has no trading terminal yet.",
            next_step="Use the Trade page for this account.",
        )
    return conn


async def _account(
    deps: AccountsDeps, user_id: str, account_id: str, *, trade: bool = False
) -> tuple[AccountRef, Credentials, TerminalConnector]:
    load = trading._tradable if trade else trading.load_account
    ref, creds = await load(deps, user_id, account_id)
    return ref, creds, terminal_connector(deps, ref.exchange)


async def _instrument(conn: TerminalConnector, symbol: str) -> Instrument:
    sym = (symbol or "").strip().upper()
    if not sym:
        raise InputError("symbol", "no contract given", "Give a symbol, e.g. BTCUSDT.")
    for inst in await conn.instruments():
        if inst.symbol == sym:
            return inst
    raise InputError(
        "symbol",
        f"{sym!r} is not a perpetual contract of this exchange",
        "Choose a symbol from the exchange's USDT perpetuals.",
    )


def _choice(value: str | None, field: str, allowed: Mapping[str, object], default: object = None) -> Any:
    raw = (value or "").strip().lower()
    if not raw:
        if default is None:
            raise InputError(
                field, f"no {field.replace('_', ' ')} given", f"Choose one of: {', '.join(allowed)}."
            )
        return default
    if raw not in allowed:
        raise InputError(field, f"{raw!r} is not valid", f"Choose one of: {', '.join(allowed)}.")
    return allowed[raw]


def _on_tick(inst: Instrument, field: str, value: Decimal) -> Decimal:
    if (value / inst.price_tick) != (value / inst.price_tick).to_integral_value():
        raise InputError(
            field,
            f"{fmt(value)} is not on {inst.symbol}'s price tick of {fmt(inst.price_tick)}",
            f"Enter the price in steps of {fmt(inst.price_tick)}.",
        )
    return value


def _required(values: Mapping[str, object], name: str, label: str) -> Decimal:
    value = parse_decimal(values, name, label, required=True)
    assert value is not None
    return value


# --- market data --------------------------------------------------------------------------------


async def ticker(deps: AccountsDeps, user_id: str, account_id: str, symbol: str) -> Ticker:
    _, _, conn = await _account(deps, user_id, account_id)
    return await conn.ticker((await _instrument(conn, symbol)).symbol)


async def candles(
    deps: AccountsDeps,
    user_id: str,
    account_id: str,
    symbol: str,
    interval: str,
    *,
    mark: bool = False,
    limit: int = 300,
) -> list[Candle]:
    if interval not in INTERVALS:
        raise InputError(
            "interval", f"{interval!r} is not a chart interval", f"Choose one of: {', '.join(INTERVALS)}."
        )
    _, _, conn = await _account(deps, user_id, account_id)
    inst = await _instrument(conn, symbol)
    step = INTERVALS[interval]
    end = int(time.time())
    start = end - step * 60 * max(1, min(limit, MAX_CANDLES))
    return await conn.candles(inst.symbol, step, start, end, mark=mark)


async def order_book(
    deps: AccountsDeps, user_id: str, account_id: str, symbol: str, depth: int = 20
) -> OrderBook:
    _, _, conn = await _account(deps, user_id, account_id)
    return await conn.order_book((await _instrument(conn, symbol)).symbol, max(1, min(depth, 50)))


# --- account reads ------------------------------------------------------------------------------


async def conditional_orders(
    deps: AccountsDeps, user_id: str, account_id: str, symbol: str | None = None
) -> list[ConditionalOrder]:
    _, creds, conn = await _account(deps, user_id, account_id)
    sym = (await _instrument(conn, symbol)).symbol if symbol else None
    return await conn.conditional_orders(creds, sym)


async def fills(deps: AccountsDeps, user_id: str, account_id: str, symbol: str | None = None) -> list[Fill]:
    _, creds, conn = await _account(deps, user_id, account_id)
    sym = (await _instrument(conn, symbol)).symbol if symbol else None
    return await conn.fills(creds, sym)


async def position_mode(deps: AccountsDeps, user_id: str, account_id: str) -> PositionMode:
    _, creds, conn = await _account(deps, user_id, account_id)
    return await conn.position_mode(creds)


async def set_position_mode(deps: AccountsDeps, user_id: str, account_id: str, mode: str) -> PositionMode:
    """Switch one-way/hedge. The exchange refuses while anything is open: said in plain words, with
    what is open, instead of its bare "invalid request"."""
    _, creds, conn = await _account(deps, user_id, account_id, trade=True)
    wanted = _choice(
        mode,
        "position_mode",
        {
            "one_way": PositionMode.ONE_WAY,
            "hedge": PositionMode.HEDGE,
            "one_way_mode": PositionMode.ONE_WAY,
            "hedge_mode": PositionMode.HEDGE,
        },
    )
    assert isinstance(wanted, PositionMode)
    try:
        await conn.set_position_mode(creds, wanted)
    except ExchangeError as exc:
        positions, orders, waiting = await asyncio.gather(
            conn.positions(creds),
            conn.open_orders(creds),
            conn.conditional_orders(creds),
            return_exceptions=True,
        )
        open_parts = []
        if isinstance(positions, list) and positions:
            open_parts.append(
                f"{len(positions)} open position(s) "
                f"({', '.join(f'{p.symbol} {p.side.value}' for p in positions)})"
            )
        if isinstance(orders, list) and orders:
            open_parts.append(f"{len(orders)} open order(s)")
        if isinstance(waiting, list) and waiting:
            open_parts.append(f"{len(waiting)} waiting trigger/TP-SL/trailing order(s)")
        if not open_parts:
            raise
        raise PositionModeLocked(
            "BitMart switches between one-way and hedge mode only when the account has no open "
            f"position and no open order; this account has {' and '.join(open_parts)}.",
            next_step="Close the positions and cancel the orders (Cancel all), then switch again.",
        ) from exc
    return wanted


# --- conditional orders -------------------------------------------------------------------------

SIDES = {"buy": OrderSide.BUY_OPEN_LONG, "sell": OrderSide.SELL_OPEN_SHORT, **{s.value: s for s in OrderSide}}
MODES = {m.value: m for m in MarginMode}
PRICE_TYPES = {p.value: p for p in PriceType}
TRIGGER_DIRECTION = {"rises": True, "up": True, "falls": False, "down": False}


async def place_plan(
    deps: AccountsDeps, user_id: str, account_id: str, ticket: Mapping[str, object]
) -> ConditionalPlacement:
    """A trigger order: when the price rises/falls to `trigger_price`, a limit (with `price`) or a
    market order is placed. `trigger_direction` defaults to the side of the last price it is on."""
    _, creds, conn = await _account(deps, user_id, account_id, trade=True)
    inst = await _instrument(conn, str(ticket.get("symbol") or ""))
    side = _choice(str(ticket.get("side") or ""), "side", SIDES)
    trigger = _on_tick(inst, "trigger_price", _required(ticket, "trigger_price", "trigger price"))
    price = parse_decimal(ticket, "price", "price", required=False)
    direction = str(ticket.get("trigger_direction") or "").strip().lower()
    if direction:
        rising = _choice(direction, "trigger_direction", TRIGGER_DIRECTION)
    else:
        last = (await conn.ticker(inst.symbol)).last_price
        rising = trigger > last
    req = PlanRequest(
        inst.symbol,
        side,
        _required(ticket, "size", "size (contracts)"),
        trigger,
        trading.new_client_order_id(),
        _required(ticket, "leverage", "leverage"),
        _choice(str(ticket.get("margin_mode") or ""), "margin_mode", MODES, MarginMode.CROSS),
        executive_price=_on_tick(inst, "price", price) if price is not None else None,
        price_type=_choice(str(ticket.get("price_type") or ""), "price_type", PRICE_TYPES, PriceType.LAST),
        rising=bool(rising),
    )
    return _conditional(ConditionalKind.PLAN, inst.symbol, await conn.place_plan(creds, req))


async def place_trail(
    deps: AccountsDeps, user_id: str, account_id: str, ticket: Mapping[str, object]
) -> ConditionalPlacement:
    """A trailing stop: activates at `activation_price`, then fires `callback_rate` % off the best
    price since. Closing a position: side sell_close_long / buy_close_short."""
    _, creds, conn = await _account(deps, user_id, account_id, trade=True)
    inst = await _instrument(conn, str(ticket.get("symbol") or ""))
    rate = _required(ticket, "callback_rate", "callback rate (%)")
    if not Decimal("0.1") <= rate <= Decimal(5):
        raise InputError(
            "callback_rate",
            f"{fmt(rate)} % is outside BitMart's 0.1-5 %",
            "Enter a callback rate between 0.1 and 5 (1 means 1 %).",
        )
    req = TrailRequest(
        inst.symbol,
        _choice(str(ticket.get("side") or ""), "side", SIDES),
        _required(ticket, "size", "size (contracts)"),
        _on_tick(inst, "activation_price", _required(ticket, "activation_price", "activation price")),
        rate,
        _required(ticket, "leverage", "leverage"),
        _choice(str(ticket.get("margin_mode") or ""), "margin_mode", MODES, MarginMode.CROSS),
        _choice(str(ticket.get("price_type") or ""), "price_type", PRICE_TYPES, PriceType.LAST),
    )
    return _conditional(ConditionalKind.TRAILING, inst.symbol, await conn.place_trail(creds, req))


def _position_side(side: str) -> PositionSide:
    value = _choice(side, "side", {"long": PositionSide.LONG, "short": PositionSide.SHORT})
    assert isinstance(value, PositionSide)
    return value


async def place_tp_sl(
    deps: AccountsDeps,
    user_id: str,
    account_id: str,
    symbol: str,
    side: str,
    *,
    take_profit: str | None = None,
    stop_loss: str | None = None,
) -> list[ConditionalPlacement]:
    """TP and/or SL on the open position (the whole position, closed at market when triggered)."""
    _, creds, conn = await _account(deps, user_id, account_id, trade=True)
    inst = await _instrument(conn, symbol)
    pside = _position_side(side)
    values = {"take_profit": take_profit, "stop_loss": stop_loss}
    wanted = []
    for kind, label in (
        (ConditionalKind.TAKE_PROFIT, "take-profit price"),
        (ConditionalKind.STOP_LOSS, "stop-loss price"),
    ):
        price = parse_decimal(values, kind.value, label, required=False)
        if price is not None:
            wanted.append((kind, _on_tick(inst, kind.value, price)))
    if not wanted:
        raise InputError(
            "take_profit", "nothing to set", "Give a take-profit or a stop-loss price (or both)."
        )
    results = await asyncio.gather(
        *(
            conn.place_tp_sl(creds, inst.symbol, pside, kind, price, trading.new_client_order_id())
            for kind, price in wanted
        )
    )
    return [_conditional(kind, inst.symbol, r) for (kind, _), r in zip(wanted, results, strict=True)]


async def _find(conn: TerminalConnector, creds: Credentials, symbol: str, order_id: str) -> ConditionalOrder:
    for o in await conn.conditional_orders(creds, symbol):
        if o.order_id == order_id:
            return o
    raise InputError(
        "order_id",
        f"no waiting trigger, TP/SL or trailing order {order_id} in {symbol}",
        "Reload: it may have fired or been cancelled already.",
    )


async def modify_tp_sl(
    deps: AccountsDeps, user_id: str, account_id: str, symbol: str, order_id: str, trigger_price: str
) -> None:
    _, creds, conn = await _account(deps, user_id, account_id, trade=True)
    inst = await _instrument(conn, symbol)
    price = _on_tick(
        inst, "trigger_price", _required({"trigger_price": trigger_price}, "trigger_price", "trigger price")
    )
    found = await _find(conn, creds, inst.symbol, order_id)
    if found.kind not in (ConditionalKind.TAKE_PROFIT, ConditionalKind.STOP_LOSS):
        raise InputError(
            "order_id",
            f"{order_id} is a {found.kind.value} order, not a TP/SL",
            "Cancel it and place a new one instead.",
        )
    await conn.modify_tp_sl(creds, inst.symbol, order_id, price, price_type=found.price_type)


async def cancel_conditional(
    deps: AccountsDeps, user_id: str, account_id: str, symbol: str, order_id: str
) -> ConditionalKind:
    _, creds, conn = await _account(deps, user_id, account_id, trade=True)
    inst = await _instrument(conn, symbol)
    found = await _find(conn, creds, inst.symbol, order_id)
    if found.kind is ConditionalKind.TRAILING:
        await conn.cancel_trail(creds, inst.symbol, order_id)
    else:
        await conn.cancel_plan(creds, inst.symbol, order_id)
    return found.kind


async def cancel_all(
    deps: AccountsDeps, user_id: str, account_id: str, symbol: str, *, include_tp_sl: bool = False
) -> dict[str, int]:
    """Every open order of the symbol, its trigger and trailing orders, and (if asked) its TP/SL."""
    _, creds, conn = await _account(deps, user_id, account_id, trade=True)
    inst = await _instrument(conn, symbol)
    orders, waiting = await asyncio.gather(
        conn.open_orders(creds, inst.symbol), conn.conditional_orders(creds, inst.symbol)
    )
    if orders:
        await conn.cancel_all(creds, inst.symbol)
    done = 0
    for o in waiting:
        if o.kind in (ConditionalKind.TAKE_PROFIT, ConditionalKind.STOP_LOSS) and not include_tp_sl:
            continue
        if o.kind is ConditionalKind.TRAILING:
            await conn.cancel_trail(creds, inst.symbol, o.order_id)
        else:
            await conn.cancel_plan(creds, inst.symbol, o.order_id)
        done += 1
    return {"orders": len(orders), "conditional": done}


# --- close by percent ---------------------------------------------------------------------------


async def close_percent(
    deps: AccountsDeps,
    user_id: str,
    account_id: str,
    symbol: str,
    side: str,
    percent: str,
    *,
    type: str = "market",
    price: str | None = None,
) -> Placement:
    """Close `percent` of the position (rounded down to the size step) by a market or limit order,
    sent through an intent like any order."""
    ref, creds, conn = await _account(deps, user_id, account_id, trade=True)
    inst = await _instrument(conn, symbol)
    pside = _position_side(side)
    pct = _required({"percent": percent}, "percent", "percent")
    if pct > 100:
        raise InputError("percent", f"{fmt(pct)} % is more than the whole position", "Enter 1 to 100.")
    otype = _choice(type, "type", {"market": OrderType.MARKET, "limit": OrderType.LIMIT}, OrderType.MARKET)
    limit_price = None
    if otype is OrderType.LIMIT:
        limit_price = _on_tick(inst, "price", _required({"price": price}, "price", "limit price"))
    held = [
        p for p in await conn.positions(creds, inst.symbol) if p.side is pside and p.symbol == inst.symbol
    ]
    if not held:
        raise InputError(
            "side",
            f"there is no open {pside.value} position in {inst.symbol}",
            "Reload: the position may be closed already.",
        )
    pos = held[0]
    size = pos.size if pct == 100 else quantize_down(pos.size * pct / 100, inst.size_step)
    if size < inst.min_size:
        raise InputError(
            "percent",
            f"{fmt(pct)} % of {fmt(pos.size)} contracts is below the minimum order of {fmt(inst.min_size)}",
            "Close a larger share of the position.",
        )
    req = OrderRequest(
        symbol=inst.symbol,
        side=OrderSide.SELL_CLOSE_LONG if pside is PositionSide.LONG else OrderSide.BUY_CLOSE_SHORT,
        size=size,
        client_order_id=trading.new_client_order_id(),
        type=otype,
        price=limit_price,
        margin_mode=pos.margin_mode,
    )
    return await trading._send(deps, ref, creds, req, IntentPurpose.CLOSE)
