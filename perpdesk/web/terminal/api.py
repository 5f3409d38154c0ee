"""JSON API of the trading terminal: market data, trigger/TP-SL/trailing orders, cancel all, close by
percent, position mode and fills, under /api/accounts/{account_id}/...

Numbers travel as exact decimal strings (`DecimalText`: a JSON number or a malformed string is refused
with a 422 naming the field). Errors use the envelope of web/error_envelope.py; an order
that was refused or whose outcome is unknown answers with the order beside the error.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from perpdesk.core.decimal_input import DecimalText, WholeNumber
from perpdesk.services import terminal
from perpdesk.services import terminal_orders as orders
from perpdesk.services.portfolio import jsonable
from perpdesk.services.terminal_orders import ConditionalPlacement
from perpdesk.services.trading.commands import parse_close, parse_move_trigger, parse_plan, parse_trail
from perpdesk.web.deps import CurrentUserDep
from perpdesk.web.error_envelope import error_body, perpdesk_error_body
from perpdesk.web.terminal.schemas import (
    BookAnswer,
    CancelAllAnswer,
    CancelledAnswer,
    CandlesAnswer,
    ConditionalOrdersAnswer,
    ConditionalPlacedAnswer,
    FillsAnswer,
    ModifiedAnswer,
    PositionModeAnswer,
    TickerAnswer,
)
from perpdesk.web.trading.api import CHANGE_PENDING, PLACEMENT, _change_response, _live, _placement_response
from perpdesk.web.trading.common import DepsDep

router = APIRouter(tags=["terminal"])
BASE = "/api/accounts/{account_id}"
CONDITIONAL: dict[int | str, dict[str, Any]] = {
    201: {"model": ConditionalPlacedAnswer, "description": "Placed."},
    202: {"model": ConditionalPlacedAnswer, "description": "Not confirmed: the orders beside the error."},
}


class PlanIn(BaseModel):
    """A trigger (plan) order. Decimal numbers as strings."""

    symbol: str
    side: str = Field(
        ..., description="buy | sell | buy_open_long | sell_open_short | buy_close_short | sell_close_long"
    )
    size: DecimalText = Field(..., description="Contracts.")
    trigger_price: DecimalText
    price: DecimalText | None = Field(None, description="Limit price once triggered; none: a market order.")
    leverage: DecimalText
    margin_mode: str = Field("cross", description="cross | isolated")
    price_type: str = Field("last", description="What the trigger watches: last | mark")
    trigger_direction: str | None = Field(None, description="rises | falls; default: from the last price")
    confirm_duplicate: bool = Field(False, description="Send it although the same ticket is being sent.")
    confirm_leverage: bool = Field(
        False, description="Change the open position's leverage to `leverage` (else: leverage_change)."
    )


class TrailIn(BaseModel):
    symbol: str
    side: str = Field(..., description="sell_close_long / buy_close_short to protect a position")
    size: DecimalText
    activation_price: DecimalText
    callback_rate: DecimalText = Field(
        ..., description="Percent (1 means 1 %), within the exchange's range: BitMart 0.1-5, Binance 0.1-10."
    )
    leverage: DecimalText
    margin_mode: str = "cross"
    price_type: str = "last"
    confirm_duplicate: bool = Field(False, description="Send it although the same ticket is being sent.")
    confirm_leverage: bool = Field(
        False, description="Change the open position's leverage to `leverage` (else: leverage_change)."
    )


class ModifyIn(BaseModel):
    symbol: str
    trigger_price: DecimalText


class CancelAllIn(BaseModel):
    symbol: str
    include_tp_sl: bool = Field(False, description="Also cancel the position's TP/SL orders.")


class ClosePercentIn(BaseModel):
    symbol: str
    side: str = Field(..., description="long | short")
    percent: DecimalText = Field(..., description='Share of the position, e.g. "50".')
    type: str = Field("market", description="market | limit")
    price: DecimalText | None = Field(None, description="Limit price (limit only).")
    confirm_duplicate: bool = Field(False, description="Send it although the same ticket is being sent.")


class PositionModeIn(BaseModel):
    mode: str = Field(..., description="one_way | hedge")


def _conditional_response(placements: list[ConditionalPlacement]) -> Response:
    """All placed: 201. Any refused: 400; any unknown: 202 — each with the orders beside."""
    body: dict[str, Any] = {"orders": [p.to_dict() for p in placements]}
    bad = next((p for p in placements if p.status == "rejected"), None)
    if bad is not None:
        again = "Change the order and send it again."
        refused = error_body("rejected", "Refused.", next_step=again) if bad.error is None else (
            perpdesk_error_body(bad.error, next_step=again))
        return JSONResponse({**refused, **body}, status_code=400)
    if any(p.status == "unknown" for p in placements):
        return JSONResponse(
            {
                **error_body(
                    "unknown_outcome",
                    "The exchange did not confirm the order; it is not sent again.",
                    next_step="Look at the waiting orders (GET conditional-orders) before placing it again.",
                ),
                **body,
            },
            status_code=202,
        )
    return JSONResponse(body, status_code=201)


@router.get(BASE + "/market/{symbol}/ticker", response_model=TickerAnswer)
async def ticker(account_id: str, symbol: str, user: CurrentUserDep, deps: DepsDep) -> dict[str, object]:
    return {"ticker": jsonable(await terminal.ticker(deps, user.id, account_id, symbol))}


@router.get(BASE + "/market/{symbol}/candles", response_model=CandlesAnswer)
async def candles(
    account_id: str,
    symbol: str,
    user: CurrentUserDep,
    deps: DepsDep,
    interval: str = Query("1m", description="1m | 5m | 15m | 30m | 1H | 4H | 1D | 1W"),
    mark: bool = Query(False, description="Mark-price candles instead of last-price ones."),
    limit: Annotated[WholeNumber, Query(ge=1, le=terminal.MAX_CANDLES)] = 300,
) -> dict[str, object]:
    found = await terminal.candles(deps, user.id, account_id, symbol, interval, mark=mark, limit=limit)
    return {"interval": interval, "candles": jsonable(found)}


@router.get(BASE + "/market/{symbol}/book", response_model=BookAnswer)
async def book(
    account_id: str, symbol: str, user: CurrentUserDep, deps: DepsDep,
    depth: Annotated[WholeNumber, Query(ge=1, le=50)] = 20,
) -> dict[str, object]:
    return {"book": jsonable(await terminal.order_book(deps, user.id, account_id, symbol, depth))}


@router.get(BASE + "/conditional-orders", response_model=ConditionalOrdersAnswer)
async def conditional_orders(
    account_id: str, user: CurrentUserDep, deps: DepsDep, symbol: str | None = None
) -> dict[str, object]:
    return {"orders": jsonable(await terminal.conditional_orders(deps, user.id, account_id, symbol))}


@router.post(BASE + "/plan-orders", status_code=201, responses=CONDITIONAL)
async def place_plan(
    account_id: str, body: PlanIn, request: Request, user: CurrentUserDep, deps: DepsDep
) -> Response:
    placed = await orders.place_plan(deps, user.id, account_id, parse_plan(body.model_dump()), _live(request))
    return _conditional_response([placed])


@router.post(BASE + "/trail-orders", status_code=201, responses=CONDITIONAL)
async def place_trail(
    account_id: str, body: TrailIn, request: Request, user: CurrentUserDep, deps: DepsDep
) -> Response:
    trail = parse_trail(body.model_dump())
    placed = await orders.place_trail(deps, user.id, account_id, trail, _live(request))
    return _conditional_response([placed])


@router.patch(
    BASE + "/conditional-orders/{order_id}", responses={200: {"model": ModifiedAnswer}, **CHANGE_PENDING}
)
async def modify(
    account_id: str, order_id: str, body: ModifyIn, user: CurrentUserDep, deps: DepsDep
) -> Response:
    """A TP/SL's new trigger: 200 applied; 202 being confirmed (no answer; the settler decides)."""
    move = parse_move_trigger({**body.model_dump(), "order_id": order_id})
    done = await orders.modify_tp_sl(deps, user.id, account_id, move)
    if done.applied:
        return JSONResponse({"modified": order_id, "trigger_price": body.trigger_price})
    return _change_response(done)


@router.delete(BASE + "/conditional-orders/{order_id}", response_model=CancelledAnswer)
async def cancel_conditional(
    account_id: str, order_id: str, user: CurrentUserDep, deps: DepsDep, symbol: str = Query(...)
) -> dict[str, object]:
    kind = await orders.cancel_conditional(deps, user.id, account_id, symbol, order_id)
    return {"cancelled": order_id, "kind": kind.value}


@router.post(BASE + "/orders/cancel-all", response_model=CancelAllAnswer)
async def cancel_all(
    account_id: str, body: CancelAllIn, user: CurrentUserDep, deps: DepsDep
) -> dict[str, object]:
    counts = await orders.cancel_all(deps, user.id, account_id, body.symbol, include_tp_sl=body.include_tp_sl)
    return {"cancelled": counts}


@router.post(BASE + "/positions/close-percent", status_code=201, responses=PLACEMENT)
async def close_percent(
    account_id: str, body: ClosePercentIn, user: CurrentUserDep, deps: DepsDep
) -> Response:
    return _placement_response(
        await orders.close_percent(deps, user.id, account_id, parse_close(body.model_dump()))
    )


@router.get(BASE + "/fills", response_model=FillsAnswer)
async def fills(
    account_id: str, user: CurrentUserDep, deps: DepsDep, symbol: str | None = None
) -> dict[str, object]:
    return {"fills": jsonable(await terminal.fills(deps, user.id, account_id, symbol))}


@router.get(BASE + "/position-mode", response_model=PositionModeAnswer)
async def get_position_mode(account_id: str, user: CurrentUserDep, deps: DepsDep) -> dict[str, object]:
    return {"mode": (await terminal.position_mode(deps, user.id, account_id)).value}


@router.put(BASE + "/position-mode", response_model=PositionModeAnswer)
async def put_position_mode(
    account_id: str, body: PositionModeIn, user: CurrentUserDep, deps: DepsDep
) -> dict[str, object]:
    return {"mode": (await terminal.set_position_mode(deps, user.id, account_id, body.mode)).value}
