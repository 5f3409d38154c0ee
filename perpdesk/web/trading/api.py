"""JSON API of a connected account's trading: /api/accounts/{id}/balances, positions, orders, ...

Numbers travel as exact decimal strings both ways (a JSON float is refused by field name).
Every route is scoped to the signed-in user: another user's account id is 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from perpdesk.core.decimal_input import DecimalText
from perpdesk.core.errors import InputError, PerpdeskError
from perpdesk.live.query import LiveQuery
from perpdesk.services import portfolio, trading
from perpdesk.services.portfolio import jsonable
from perpdesk.services.trading import ChangeOutcome, OrderTicket, Placement
from perpdesk.services.trading.commands import parse_amend, parse_tp_sl
from perpdesk.store.order_records import IntentStatus
from perpdesk.web.deps import CurrentUserDep
from perpdesk.web.error_envelope import error_body, perpdesk_error_body
from perpdesk.web.live.common import live_runtime
from perpdesk.web.trading.common import DepsDep
from perpdesk.web.trading.schemas import (
    AmendedAnswer,
    BalancesAnswer,
    ChangePendingAnswer,
    ChangesAnswer,
    InstrumentsAnswer,
    LeverageAnswer,
    OrdersAnswer,
    OverviewAnswer,
    PlacementAnswer,
    PositionsAnswer,
    SettledAnswer,
    SnapshotOut,
    TpSlAnswer,
)

router = APIRouter(tags=["trading"])
BASE = "/api/accounts/{account_id}"

# The answers of routes that answer with several statuses (the route returns the response itself).
PLACEMENT: dict[int | str, dict[str, Any]] = {
    201: {"model": PlacementAnswer, "description": "Placed."},
    202: {"model": PlacementAnswer, "description": "Being confirmed: the order beside the error."},
}
CHANGE_PENDING: dict[int | str, dict[str, Any]] = {
    202: {"model": ChangePendingAnswer, "description": "Being confirmed: the exchange did not answer."},
}


class OrderIn(BaseModel):
    """An order ticket. Decimal numbers as strings, e.g. "95000.5"."""

    symbol: str = Field(..., description="A USDT perpetual, e.g. BTCUSDT.")
    side: str = Field(
        ...,
        description="buy (open long) | sell (open short) | buy_open_long | "
        "sell_open_short | buy_close_short | sell_close_long",
    )
    type: str = Field("limit", description="limit | market")
    size: DecimalText = Field(..., description="Contracts, a decimal string.")
    price: DecimalText | None = Field(None, description="Limit price (required for limit orders).")
    time_in_force: str = Field("gtc", description="gtc | ioc | fok | post_only")
    leverage: DecimalText | None = Field(None, description='e.g. "10"; within the contract\'s range.')
    margin_mode: str | None = Field(None, description="cross | isolated")
    take_profit: DecimalText | None = Field(None, description="Preset take-profit trigger price.")
    stop_loss: DecimalText | None = Field(None, description="Preset stop-loss trigger price.")
    confirm_duplicate: bool = Field(
        False, description="Send a second identical order while the first is being sent or confirmed "
        "(otherwise 409 duplicate_ticket / order_being_confirmed, naming it)."
    )
    confirm_leverage: bool = Field(
        False, description="Change the open position's leverage to `leverage` (otherwise 409 "
        "leverage_change, naming the current and the new value)."
    )


class AmendIn(BaseModel):
    symbol: str
    price: DecimalText | None = None
    size: DecimalText | None = None


class LeverageIn(BaseModel):
    symbol: str
    leverage: DecimalText
    margin_mode: str = Field(..., description="cross | isolated")


class CloseIn(BaseModel):
    symbol: str
    side: str = Field(..., description="long | short: the position to close.")


class TpSlIn(BaseModel):
    symbol: str
    side: str = Field(..., description="long | short: the position the TP/SL closes.")
    take_profit: DecimalText | None = None
    stop_loss: DecimalText | None = None
    confirm_duplicate: bool = Field(False, description="Send it although the same TP/SL is being sent.")


def _placement_response(p: Placement) -> Response:
    """placed: 201; being confirmed: 202 (the settler decides it; GET ...?state=intents shows
    it); rejected / not placed: 400 with why. The order is beside the error envelope."""
    order = p.to_dict()
    if p.status is IntentStatus.PLACED:
        return JSONResponse({"order": order}, status_code=201)
    if p.being_confirmed:
        body = _order_error(p.error, "being_confirmed", "The order is being confirmed.", None, order)
        return JSONResponse(body, status_code=202)
    body = _order_error(
        p.error, "rejected", "The exchange refused the order.", "Change the order and submit it again.", order
    )
    return JSONResponse(body, status_code=400)


def _order_error(
    error: PerpdeskError | None, code: str, message: str, next_step: str | None, order: object
) -> dict[str, object]:
    """The order beside its error (or, when none was recorded, beside our words for its state)."""
    if error is not None:
        return perpdesk_error_body(error, next_step=next_step, order=order)
    return error_body(code, message, next_step=next_step, order=order)


def _change_response(c: ChangeOutcome) -> Response:
    """applied: 204; being confirmed (no answer; perpdesk reads the exchange): 202 with the change."""
    if c.applied:
        return Response(status_code=204)
    return JSONResponse(
        {"change": c.to_dict(), **error_body("being_confirmed", c.message, next_step=c.next_step)},
        status_code=202,
    )


def _live(request: Request) -> LiveQuery | None:
    runtime = live_runtime(request)
    return runtime.query if runtime is not None else None


@router.get("/api/portfolio", response_model=OverviewAnswer)
async def overview(request: Request, user: CurrentUserDep, deps: DepsDep) -> dict[str, object]:
    """Every account: from its live mirror while fresh (`source: live`), else from the exchange."""
    return {"accounts": [s.to_dict() for s in await portfolio.overview(deps, user.id, _live(request))]}


@router.get(BASE + "/portfolio", response_model=SnapshotOut)
async def snapshot(
    account_id: str, request: Request, user: CurrentUserDep, deps: DepsDep
) -> dict[str, object]:
    return (await portfolio.account_snapshot(deps, user.id, account_id, _live(request))).to_dict()


@router.get(BASE + "/balances", response_model=BalancesAnswer)
async def balances(account_id: str, user: CurrentUserDep, deps: DepsDep) -> dict[str, object]:
    return {"balances": jsonable(await portfolio.balances(deps, user.id, account_id))}


@router.get(BASE + "/positions", response_model=PositionsAnswer)
async def positions(
    account_id: str, user: CurrentUserDep, deps: DepsDep, symbol: str | None = None
) -> dict[str, object]:
    found = await portfolio.positions(deps, user.id, account_id, symbol)
    return {"positions": [p.to_dict() for p in found]}


@router.get(BASE + "/instruments", response_model=InstrumentsAnswer)
async def instruments(account_id: str, user: CurrentUserDep, deps: DepsDep) -> dict[str, object]:
    return {"instruments": jsonable(await portfolio.instruments(deps, user.id, account_id))}


@router.get(BASE + "/orders", response_model=OrdersAnswer, response_model_exclude_unset=True)
async def orders(
    account_id: str,
    user: CurrentUserDep,
    deps: DepsDep,
    state: str = Query("open", description="open | history | intents (perpdesk's own order log)"),
    symbol: str | None = None,
) -> dict[str, object]:
    if state == "open":
        return {"orders": jsonable(await portfolio.open_orders(deps, user.id, account_id, symbol))}
    if state == "history":
        return {"orders": jsonable(await portfolio.order_history(deps, user.id, account_id, symbol))}
    if state == "intents":
        return {"intents": [i.to_dict() for i in await portfolio.intents(deps, user.id, account_id)]}
    raise InputError(
        "state", "is not one of open, history, intents", "Use state=open, history or intents."
    )


@router.post(BASE + "/orders", status_code=201, responses=PLACEMENT)
async def place(
    account_id: str, body: OrderIn, request: Request, user: CurrentUserDep, deps: DepsDep
) -> Response:
    """201 placed, 202 being confirmed, 400 refused; 409 `duplicate_ticket` (the same ticket is
    being sent: `error.pending` names it), `order_being_confirmed`, `leverage_change` (the open
    position has another leverage: `error.current` / `error.new`) or `margin_mode_change`."""
    ticket = OrderTicket.from_mapping(body.model_dump())
    placement = await trading.place_order(
        deps, user.id, account_id, ticket, confirm_duplicate=body.confirm_duplicate,
        confirm_leverage=body.confirm_leverage, live=_live(request),
    )
    return _placement_response(placement)


@router.post(BASE + "/orders/settle", response_model=SettledAnswer, response_model_exclude_unset=True)
async def settle(account_id: str, user: CurrentUserDep, deps: DepsDep) -> dict[str, object]:
    """Settle now what can be settled (the background settler does it anyway)."""
    done = await trading.settle_unknown(deps, user.id, account_id)
    return {"orders": [p.to_dict() for p in done]}


@router.get(BASE + "/changes", response_model=ChangesAnswer)
async def changes(account_id: str, user: CurrentUserDep, deps: DepsDep) -> dict[str, object]:
    """Cancels, amends and TP/SL changes whose answer was lost, and what became of them."""
    return {"changes": [c.to_dict() for c in await trading.recent_changes(deps, user.id, account_id)]}


@router.delete(BASE + "/orders/{order_id}", status_code=204, responses=CHANGE_PENDING)
async def cancel(
    account_id: str,
    order_id: str,
    user: CurrentUserDep,
    deps: DepsDep,
    symbol: str = Query(..., description="The order's symbol, e.g. BTCUSDT."),
) -> Response:
    return _change_response(await trading.cancel_order(deps, user.id, account_id, symbol, order_id=order_id))


@router.delete(BASE + "/orders", status_code=204, responses=CHANGE_PENDING)
async def cancel_by_client_id(
    account_id: str,
    user: CurrentUserDep,
    deps: DepsDep,
    symbol: str = Query(...),
    client_order_id: str = Query(...),
) -> Response:
    return _change_response(
        await trading.cancel_order(deps, user.id, account_id, symbol, client_order_id=client_order_id)
    )


@router.patch(BASE + "/orders/{order_id}", responses={200: {"model": AmendedAnswer}, **CHANGE_PENDING})
async def amend(
    account_id: str, order_id: str, body: AmendIn, user: CurrentUserDep, deps: DepsDep
) -> Response:
    done = await trading.amend_order(
        deps, user.id, account_id, parse_amend({**body.model_dump(), "order_id": order_id})
    )
    if done.applied:
        return JSONResponse({"amended": order_id})
    return _change_response(done)


@router.post(BASE + "/leverage", response_model=LeverageAnswer)
async def leverage(
    account_id: str, body: LeverageIn, user: CurrentUserDep, deps: DepsDep
) -> dict[str, object]:
    await trading.set_leverage(deps, user.id, account_id, body.symbol, body.leverage, body.margin_mode)
    return {"symbol": body.symbol.upper(), "leverage": body.leverage, "margin_mode": body.margin_mode}


@router.post(BASE + "/positions/close", status_code=201, responses=PLACEMENT)
async def close(account_id: str, body: CloseIn, user: CurrentUserDep, deps: DepsDep) -> Response:
    return _placement_response(
        await trading.close_position(deps, user.id, account_id, body.symbol, body.side)
    )


@router.post(BASE + "/tp-sl", responses={200: {"model": TpSlAnswer}, **CHANGE_PENDING})
async def tp_sl(account_id: str, body: TpSlIn, user: CurrentUserDep, deps: DepsDep) -> Response:
    done = await trading.set_tp_sl(deps, user.id, account_id, parse_tp_sl(body.model_dump()))
    if done.applied:
        return JSONResponse({"symbol": body.symbol.upper(), "side": body.side})
    return _change_response(done)
