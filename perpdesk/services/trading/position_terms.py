"""Tickets start from the truth: the leverage and margin mode of the open position in the symbol.

A ticket's defaults come from the position (the pages), and an order that would change a live
position's leverage is sent only once the trader confirmed it; one whose margin mode differs is
refused before it leaves (neither BitMart nor Binance changes an open position's margin mode), naming the
current and the new value either way. The position is read from the account's live mirror while
fresh, else from the exchange.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from perpdesk.core.errors import Conflict
from perpdesk.core.models import Credentials, OrderRequest, OrderSide, Position
from perpdesk.core.money import fmt
from perpdesk.core.terminal import PlanRequest, TrailRequest
from perpdesk.exchanges.base import TerminalConnector
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.trading.access import AccountRef, tradable

if TYPE_CHECKING:
    from perpdesk.live.query import LiveQuery

OPENING = (OrderSide.BUY_OPEN_LONG, OrderSide.SELL_OPEN_SHORT)
DEFAULT_TERMS = ("10", "cross")  # a ticket's start when the exchange tells nothing


# what a ticket opens with: a limit or market order, a trigger (plan) or a trailing order
Ticket = OrderRequest | PlanRequest | TrailRequest


class LeverageChange(Conflict):
    """The ticket's leverage differs from the open position's: sent only once confirmed."""

    code = "leverage_change"


class MarginModeChange(Conflict):
    """The ticket's margin mode differs from the open position's: the exchange would refuse it."""

    code = "margin_mode_change"


def position_for(positions: list[Position], symbol: str, side: OrderSide | None = None) -> Position | None:
    """The open position whose settings a ticket in `symbol` starts from (the ticket's side first)."""
    held = [p for p in positions if p.symbol == symbol and p.size > 0]
    if side is not None:
        wanted = "long" if side in (OrderSide.BUY_OPEN_LONG, OrderSide.SELL_CLOSE_LONG) else "short"
        held.sort(key=lambda p: p.side.value != wanted)
    return held[0] if held else None


def _terms(leverage: str, margin_mode: str) -> dict[str, str]:
    return {"leverage": leverage, "margin_mode": margin_mode}


def check_against(req: Ticket, pos: Position | None, *, confirmed: bool) -> None:
    """Refuse a ticket that would change the open position's margin mode, and one that would
    change its leverage unless `confirmed`."""
    if pos is None or req.side not in OPENING:
        return
    where = f"the open {pos.side.value} position in {pos.symbol}"
    current = _terms(fmt(pos.leverage), pos.margin_mode.value)
    if req.margin_mode is not None and req.margin_mode is not pos.margin_mode:
        err = MarginModeChange(
            f"This ticket is {req.margin_mode.value} but {where} is {pos.margin_mode.value}: the "
            "exchange cannot change the margin mode of an open position.",
            next_step=f"Choose {pos.margin_mode.value.capitalize()} on the ticket, or close the "
            "position first.",
        )
        err.details.update(current=current, new={**current, "margin_mode": req.margin_mode.value})
        raise err
    if req.leverage is not None and req.leverage != pos.leverage and not confirmed:
        err2 = LeverageChange(
            f"This ticket's leverage {fmt(req.leverage)}x would change {where} from "
            f"{fmt(pos.leverage)}x to {fmt(req.leverage)}x at the exchange (and its margin with it).",
            next_step=f"Keep {fmt(pos.leverage)}x, or confirm the change (Change leverage and send; "
            "API: confirm_leverage; CLI: --confirm-leverage).",
        )
        err2.details.update(current=current, new={**current, "leverage": fmt(req.leverage)})
        raise err2


async def live_positions(
    deps: AccountsDeps, ref: AccountRef, creds: Credentials, symbol: str, live: LiveQuery | None
) -> list[Position]:
    """The account's positions in `symbol`: its live mirror's while fresh, else the exchange's.
    A position the mirror knows only from a push has no leverage yet (BitMart's position push
    carries none): then the exchange is asked."""
    view = live.fresh(ref.user_id, ref.id) if live is not None else None
    if view is not None:
        held = [p for p in view.positions if p.symbol == symbol]
        if all(p.leverage > 0 for p in held):
            return held
    return [p for p in await deps.connector_for(ref.venue).positions(creds, symbol) if p.symbol == symbol]


async def check_position_terms(
    deps: AccountsDeps,
    ref: AccountRef,
    creds: Credentials,
    req: Ticket,
    live: LiveQuery | None,
    *,
    confirmed: bool,
) -> None:
    """check_against the open position, read only when the ticket sets leverage or margin mode."""
    if req.side not in OPENING or (req.leverage is None and req.margin_mode is None):
        return
    positions = await live_positions(deps, ref, creds, req.symbol, live)
    check_against(req, position_for(positions, req.symbol, req.side), confirmed=confirmed)


__all__ = ["LeverageChange", "MarginModeChange", "check_against", "check_position_terms", "position_for"]


async def ticket_start(
    deps: AccountsDeps, user_id: str, account_id: str, symbol: str, live: LiveQuery | None
) -> tuple[str, str]:
    """Where a ticket in `symbol` starts (leverage, margin mode): the open position's (the live
    mirror's while fresh, else the exchange's), else the account's setting for the symbol at the
    exchange (what its next order opens with), else 10x cross."""
    ref, creds = await tradable(deps, user_id, account_id)
    pos = position_for(await live_positions(deps, ref, creds, symbol, live), symbol)
    if pos is not None:
        return fmt(pos.leverage), pos.margin_mode.value
    connector = deps.connector_for(ref.venue)
    setting = None
    if isinstance(connector, TerminalConnector):
        setting = await connector.leverage_setting(creds, symbol)
    return (fmt(setting[0]), setting[1].value) if setting else DEFAULT_TERMS
