"""The Terminal page: one account and one symbol. The server renders the frame and the contract's
rules; static/terminal.js fills it from the JSON API (web/terminal/api.py) and keeps it live."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from perpdesk.core.errors import ExchangeError, NotFound, PerpdeskError
from perpdesk.core.terminal import CHART_INTERVALS
from perpdesk.services import portfolio, trading
from perpdesk.services.accounts import get_account
from perpdesk.web.deps import CurrentUserDep
from perpdesk.web.live.common import live_runtime
from perpdesk.web.templating import render
from perpdesk.web.trading.common import DepsDep
from perpdesk.web.trading.pages import ticket_terms

router = APIRouter(include_in_schema=False)
DEFAULT_SYMBOL = "BTCUSDT"
DEFAULT_TERMS = ("10", "cross")


@router.get("/trade/{account_id}")
async def terminal_default(account_id: str, user: CurrentUserDep, deps: DepsDep) -> Response:
    await get_account(deps, user.id, account_id)  # 404 for someone else's account
    return RedirectResponse(f"/trade/{account_id}/{DEFAULT_SYMBOL}", status_code=303)


@router.get("/trade/{account_id}/{symbol}")
async def terminal_page(
    request: Request, account_id: str, symbol: str, user: CurrentUserDep, deps: DepsDep
) -> Response:
    account = await get_account(deps, user.id, account_id)
    try:
        instruments = await trading.instruments_for(deps, account.venue)
    except (ExchangeError, OSError, TimeoutError):
        instruments = []
    sym = symbol.upper()
    inst = next((i for i in instruments if i.symbol == sym), None)
    if instruments and inst is None:
        raise NotFound(
            f"{sym} is not a perpetual contract of this exchange.",
            next_step="Choose a contract from the list on the Terminal page.",
        )
    leverage, margin_mode = await _ticket_start(request, deps, user.id, account_id, sym)
    return render(
        request,
        "terminal/terminal.html",
        account=account,
        symbol=sym,
        inst=inst,
        instruments=instruments,
        intervals=list(CHART_INTERVALS),
        ticket_leverage=leverage,
        ticket_margin=margin_mode,
    )


async def _ticket_start(
    request: Request, deps: Any, user_id: str, account_id: str, symbol: str
) -> tuple[str, str]:
    """The ticket's leverage and margin mode: the open position's in the symbol (from the live
    mirror while fresh, else the exchange), else 10x cross."""
    live = live_runtime(request)
    view = live.query.fresh(user_id, account_id) if live is not None else None
    try:
        held: list[Any] = list(view.positions) if view is not None else (
            await portfolio.positions(deps, user_id, account_id, symbol))
    except (PerpdeskError, OSError, TimeoutError):
        return DEFAULT_TERMS
    return ticket_terms(held).get(symbol, DEFAULT_TERMS)
