"""The trading terminal's reads and settings: market data for the chart and book, the account's
waiting conditional orders and fills, position mode; and the helpers terminal_orders.py shares.

All scoped to the signed-in user's own account (another user's account is "not found"). Orders
that close part of a position go through the trading service's intents (stored before sending).
Conditional orders carry a client order id where the exchange takes one (plan and TP/SL; trailing
where ExchangeInfo.trail_client_id says so); an unanswered
submit is settled by the connector reading the exchange, and is otherwise reported `unknown`,
never resent and never called rejected.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from perpdesk.core.errors import Conflict, ExchangeError, InputError
from perpdesk.core.ledger import Fill
from perpdesk.core.market import PlanOrder
from perpdesk.core.models import (
    Credentials,
    Instrument,
    PositionMode,
)
from perpdesk.core.money import fmt
from perpdesk.core.terminal import (
    CHART_INTERVALS,
    ChartCandle,
    MarketSummary,
    OrderBook,
)
from perpdesk.exchanges.base import TerminalConnector
from perpdesk.exchanges.registry import Venue
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.trading.access import AccountRef, load_account, tradable
from perpdesk.services.trading.ticket import instrument_in, symbol_of
from perpdesk.services.trading.trail_terms import with_stored_terms

MAX_CANDLES = 500


class PositionModeLocked(Conflict):
    code = "position_mode_locked"


def terminal_connector(deps: AccountsDeps, venue: Venue) -> TerminalConnector:
    conn = deps.connector_for(venue)
    if not isinstance(conn, TerminalConnector):
        raise Conflict(
            f"The {venue.exchange} connector has no trading terminal yet.",
            next_step="Use the Trade page for this account.",
        )
    return conn


async def account_of(
    deps: AccountsDeps, user_id: str, account_id: str, *, trade: bool = False
) -> tuple[AccountRef, Credentials, TerminalConnector]:
    load = tradable if trade else load_account
    ref, creds = await load(deps, user_id, account_id)
    return ref, creds, terminal_connector(deps, ref.venue)


async def instrument_of(conn: TerminalConnector, symbol: str) -> Instrument:
    symbol_of(symbol)  # "no contract given" before the instruments are read
    return instrument_in(await conn.instruments(), symbol)


def pick(value: str | None, field: str, allowed: Mapping[str, object], default: object = None) -> Any:
    raw = (value or "").strip().lower()
    if not raw:
        if default is None:
            raise InputError(
                field, f"no {field.replace('_', ' ')} given", f"Choose one of: {', '.join(allowed)}."
            )
        return default
    if raw not in allowed:
        raise InputError(field, "is not one of the choices", f"Choose one of: {', '.join(allowed)}.")
    return allowed[raw]


def on_tick(inst: Instrument, field: str, value: Decimal) -> Decimal:
    if (value / inst.price_tick) != (value / inst.price_tick).to_integral_value():
        raise InputError(
            field,
            f"{fmt(value)} is not on {inst.symbol}'s price tick of {fmt(inst.price_tick)}",
            f"Enter the price in steps of {fmt(inst.price_tick)}.",
        )
    return value


# --- market data --------------------------------------------------------------------------------


async def ticker(deps: AccountsDeps, user_id: str, account_id: str, symbol: str) -> MarketSummary:
    _, _, conn = await account_of(deps, user_id, account_id)
    return await conn.ticker((await instrument_of(conn, symbol)).symbol)


async def candles(
    deps: AccountsDeps,
    user_id: str,
    account_id: str,
    symbol: str,
    interval: str,
    *,
    mark: bool = False,
    limit: int = 300,
) -> list[ChartCandle]:
    if interval not in CHART_INTERVALS:
        raise InputError(
            "interval", "is not a chart interval",
            f"Choose one of: {', '.join(CHART_INTERVALS)}.",
        )
    _, _, conn = await account_of(deps, user_id, account_id)
    inst = await instrument_of(conn, symbol)
    step = CHART_INTERVALS[interval]
    end = int(time.time())
    start = end - step * 60 * max(1, min(limit, MAX_CANDLES))
    return await conn.candles(inst.symbol, step, start, end, mark=mark)


async def order_book(
    deps: AccountsDeps, user_id: str, account_id: str, symbol: str, depth: int = 20
) -> OrderBook:
    _, _, conn = await account_of(deps, user_id, account_id)
    return await conn.order_book((await instrument_of(conn, symbol)).symbol, max(1, min(depth, 50)))


# --- account reads ------------------------------------------------------------------------------


async def conditional_orders(
    deps: AccountsDeps, user_id: str, account_id: str, symbol: str | None = None
) -> list[PlanOrder]:
    """The account's waiting conditional orders; a trailing stop's terms its exchange does not list
    (Binance) are its stored intent's (trading/trail_terms.py)."""
    ref, creds, conn = await account_of(deps, user_id, account_id)
    sym = (await instrument_of(conn, symbol)).symbol if symbol else None
    return await with_stored_terms(deps.trading_uow, ref.user_id, ref.id, await conn.plan_orders(creds, sym))


async def fills(deps: AccountsDeps, user_id: str, account_id: str, symbol: str | None = None) -> list[Fill]:
    _, creds, conn = await account_of(deps, user_id, account_id)
    sym = (await instrument_of(conn, symbol)).symbol if symbol else None
    return await conn.fills(creds, sym)


async def position_mode(deps: AccountsDeps, user_id: str, account_id: str) -> PositionMode:
    _, creds, conn = await account_of(deps, user_id, account_id)
    return await conn.position_mode(creds)


async def set_position_mode(deps: AccountsDeps, user_id: str, account_id: str, mode: str) -> PositionMode:
    """Switch one-way/hedge. The exchange refuses while anything is open: said in plain words, with
    what is open, instead of its bare "invalid request"."""
    _, creds, conn = await account_of(deps, user_id, account_id, trade=True)
    wanted = pick(
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
            conn.plan_orders(creds),
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
            f"{conn.info.name} switches between one-way and hedge mode only when the account has no open "
            f"position and no open order; this account has {' and '.join(open_parts)}.",
            next_step="Close the positions and cancel the orders (Cancel all), then switch again.",
        ) from exc
    return wanted
