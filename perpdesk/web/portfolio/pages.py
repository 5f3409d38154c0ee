"""The dashboard at / (the portfolio once an account is connected; the welcome before) and the
fills history page with its CSV export. Parts the exchange cannot serve are shown as such.

The dashboard reads the live mirrors while they are fresh and the ledger as last read while the
mirrors saw nothing new: a reload asks the exchange nothing; the page then follows the mirrors
over server-sent events (live.js)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from perpdesk.core.errors import ExchangeError, InputError, PerpdeskError
from perpdesk.services import equity_history, pnl_history, portfolio
from perpdesk.services.account_access import accounts_of
from perpdesk.services.pnl_history import PERIODS_SHOWN as SHOWN
from perpdesk.services.pnl_history import Range
from perpdesk.services.portfolio_query import fills_query, period_of, totals
from perpdesk.store.base import utcnow
from perpdesk.web.deps import CurrentUserDep
from perpdesk.web.instrument_ticks import ticks_of
from perpdesk.web.live.common import live_query
from perpdesk.web.portfolio.api import csv_response
from perpdesk.web.portfolio.chart import Span, chart
from perpdesk.web.templating import render
from perpdesk.web.trading.common import DepsDep

router = APIRouter(include_in_schema=False)
T = TypeVar("T")


async def _or_error(aw: Awaitable[T]) -> T | PerpdeskError:
    try:
        return await aw
    except PerpdeskError as exc:
        return exc
    except (OSError, TimeoutError):
        return ExchangeError("The exchange did not answer.")


@router.get("/")
async def dashboard(
    request: Request, user: CurrentUserDep, deps: DepsDep, period: str = "day", equity: str = "24h"
) -> Response:
    ids = await pnl_history.account_refs(deps, user.id, active_only=False)
    if not ids:
        return render(request, "home.html")
    try:
        chosen = period_of(period)
    except InputError:
        chosen = period_of("day")
    live = live_query(request)
    span = Range.parse(None, None, default_days=SHOWN)
    window = Span.of(equity)
    snaps, pnl, points = await asyncio.gather(
        portfolio.overview(deps, user.id, live),
        _or_error(pnl_history.pnl(deps, user.id, chosen, span, live=live)),
        equity_history.history(deps, user.id, window.days),
    )
    ctx: dict[str, Any] = {"snapshots": snaps, "total": totals(snaps), "period": chosen.value,
                           "chart": chart(points, utcnow(), window), "window": window.value,
                           "windows": [s.value for s in Span],
                           "ticks": await ticks_of(deps, (s.account.venue for s in snaps))}
    if isinstance(pnl, PerpdeskError):
        ctx.update(pnl_rows=[], pnl_total=None, pnl_error=pnl)
    else:
        ctx.update(pnl_rows=pnl, pnl_total=pnl_history.totals(pnl), pnl_error=None)
    return render(request, "portfolio/dashboard.html", **ctx)


def _fill_form(request: Request) -> dict[str, str]:
    q = request.query_params
    return {k: q.get(k, "") for k in ("account_id", "symbol", "side", "start", "end")}


@router.get("/fills")
async def fills_page(request: Request, user: CurrentUserDep, deps: DepsDep) -> Response:
    form = _fill_form(request)
    accounts = [(a.id, a.label) for a in await accounts_of(deps, user.id, active_only=False)]
    error: PerpdeskError | None = None
    rows: list[pnl_history.FillRow] = []
    try:
        flt = fills_query(form["start"], form["end"], form["account_id"], form["symbol"], form["side"])
        got = await _or_error(pnl_history.fills(deps, user.id, flt, live_query(request)))
        if isinstance(got, PerpdeskError):
            error = got
        else:
            rows = got
    except InputError as exc:
        error = exc
    query = urlencode({k: v for k, v in form.items() if v})
    return render(
        request, "portfolio/fills.html", 422 if isinstance(error, InputError) else 200,
        fills=rows, form=form, accounts=accounts, error=error, sides=pnl_history.SIDES,
        ticks=await ticks_of(deps, (r.account.venue for r in rows)),
        export_url="/fills.csv" + ("?" + query if query else ""),
    )


@router.get("/fills.csv")
async def fills_csv_page(request: Request, user: CurrentUserDep, deps: DepsDep) -> Response:
    form = _fill_form(request)
    flt = fills_query(form["start"], form["end"], form["account_id"], form["symbol"], form["side"])
    return csv_response(await pnl_history.fills(deps, user.id, flt, live_query(request)))
