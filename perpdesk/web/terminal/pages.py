"""The Terminal page: one account and one symbol. The server renders the frame and the contract's
rules; static/terminal.js fills it from the JSON API (web/terminal/api.py) and keeps it live."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from perpdesk.core.errors import ExchangeError, NotFound, PerpdeskError
from perpdesk.core.terminal import CHART_INTERVALS
from perpdesk.exchanges.registry import entry
from perpdesk.services import trading
from perpdesk.services.accounts import get_account
from perpdesk.services.trading.position_terms import DEFAULT_TERMS, ticket_start
from perpdesk.web.deps import CurrentUserDep
from perpdesk.web.live.common import live_runtime
from perpdesk.web.templating import render
from perpdesk.web.trading.common import DepsDep

router = APIRouter(include_in_schema=False)
DEFAULT_SYMBOL = "BTCUSDT"


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
        size_unit=entry(account.exchange).info.size_unit(inst.base if inst else ""),
        ticket_leverage=leverage,
        ticket_margin=margin_mode,
    )


async def _ticket_start(
    request: Request, deps: Any, user_id: str, account_id: str, symbol: str
) -> tuple[str, str]:
    """The ticket's leverage and margin mode (services.trading.position_terms.ticket_start); the
    page still opens, at 10x cross, when the exchange cannot be read."""
    live = live_runtime(request)
    try:
        return await ticket_start(deps, user_id, account_id, symbol, live.query if live is not None else None)
    except (PerpdeskError, OSError, TimeoutError):
        return DEFAULT_TERMS
