"""JSON API of the portfolio: totals over every account, realised PnL / fees / funding per period,
the equity history, and the fills history (JSON or streamed CSV). Exact decimal strings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from perpdesk.core.decimal_input import WholeNumber
from perpdesk.core.money import fmt
from perpdesk.services import equity_history, pnl_history, portfolio
from perpdesk.services.fills_csv import fills_csv
from perpdesk.services.pnl_history import FillFilter, Range
from perpdesk.services.portfolio_query import fills_query, period_of, totals
from perpdesk.web.deps import CurrentUserDep
from perpdesk.web.live.common import live_query
from perpdesk.web.portfolio.schemas import EquityAnswer, FillsHistoryAnswer, PnlAnswer, SummaryAnswer
from perpdesk.web.trading.common import DepsDep

router = APIRouter(tags=["portfolio"])

START = Query(None, description="First day, YYYY-MM-DD (UTC).")
END = Query(None, description="Last day, YYYY-MM-DD (UTC), inclusive.")
ACCOUNT = Query(None, description="One account's id; all the user's accounts when omitted.")


def _fills_filter(
    start: str | None = START,
    end: str | None = END,
    account_id: str | None = ACCOUNT,
    symbol: str | None = Query(None, description="e.g. BTCUSDT"),
    side: str | None = Query(None, description="buy | sell | buy_open_long | sell_close_long | ..."),
) -> FillFilter:
    """The fills query of the JSON and the CSV routes, parsed once."""
    return fills_query(start, end, account_id, symbol, side)


FillsQuery = Annotated[FillFilter, Depends(_fills_filter)]


@router.get("/api/portfolio/summary", response_model=SummaryAnswer)
async def summary(request: Request, user: CurrentUserDep, deps: DepsDep) -> dict[str, Any]:
    """Every account and the total: equity, available, margin in use, unrealised PnL (USDT); from
    the live mirrors while fresh (`source: live`, no exchange request), else from the exchange."""
    snaps = await portfolio.overview(deps, user.id, live_query(request))
    return {
        "accounts": [s.to_dict() for s in snaps],
        "total": {k: fmt(v) for k, v in totals(snaps).items()},
    }


@router.get("/api/portfolio/pnl", response_model=PnlAnswer)
async def pnl(
    request: Request,
    user: CurrentUserDep,
    deps: DepsDep,
    period: str = Query("day", description="day | week | month"),
    start: str | None = START,
    end: str | None = END,
    account_id: str | None = ACCOUNT,
) -> dict[str, Any]:
    """Realised PnL, fees and funding per period, from the exchange's transaction history
    (fees and funding paid are negative). At most 90 days per request. Kept while the live
    mirrors see nothing new (a fill, a balance change): a repeated read asks the exchange nothing."""
    rows = await pnl_history.pnl(deps, user.id, period_of(period), Range.parse(start, end), account_id,
                                 live=live_query(request))
    total = pnl_history.totals(rows).to_dict()
    total.pop("period")
    return {"period": period_of(period).value, "rows": [r.to_dict() for r in rows], "total": total}


@router.get("/api/portfolio/equity", response_model=EquityAnswer)
async def equity(
    user: CurrentUserDep,
    deps: DepsDep,
    days: Annotated[WholeNumber, Query(ge=1, le=400, description="How many days back.")] = 30,
    account_id: str | None = ACCOUNT,
) -> dict[str, Any]:
    """The stored equity snapshots, one point per snapshot pass with the accounts summed."""
    points = await equity_history.history(deps, user.id, days, account_id)
    return {"points": [p.to_dict() for p in points]}


@router.get("/api/fills", response_model=FillsHistoryAnswer)
async def fills(
    request: Request, user: CurrentUserDep, deps: DepsDep, flt: FillsQuery
) -> dict[str, Any]:
    """Fills (trades) newest first; the last 7 days when no dates are given, at most 90 days. Kept
    while the live mirrors see nothing new: a repeated read asks the exchange nothing."""
    rows = await pnl_history.fills(deps, user.id, flt, live_query(request))
    return {"fills": [r.to_dict() for r in rows]}


CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "The fills as CSV."}
}


@router.get("/api/fills.csv", response_class=StreamingResponse, responses=CSV_RESPONSE)
async def fills_export(
    request: Request, user: CurrentUserDep, deps: DepsDep, flt: FillsQuery
) -> StreamingResponse:
    """The same fills as CSV (exact decimals; text cells that look like formulas are quoted)."""
    rows = await pnl_history.fills(deps, user.id, flt, live_query(request))
    return csv_response(rows)


def csv_response(rows: list[pnl_history.FillRow]) -> StreamingResponse:
    return StreamingResponse(
        fills_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="perpdesk-fills.csv"'},
    )
