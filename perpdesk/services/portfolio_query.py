"""Parsing the portfolio queries (period, fills filters) and the totals over accounts: shared by
the pages, the JSON API and the CLI, so all validate and sum alike."""

from __future__ import annotations

from decimal import Decimal

from perpdesk.core.errors import InputError
from perpdesk.services.pnl_history import FillFilter, Period, Range, fill_filter
from perpdesk.services.portfolio import AccountSnapshot


def period_of(value: str | None) -> Period:
    try:
        return Period((value or "day").strip().lower())
    except ValueError:
        raise InputError("period", "not a period", "Use day, week or month.") from None


def fills_query(
    start: str | None, end: str | None, account_id: str | None, symbol: str | None, side: str | None
) -> FillFilter:
    return fill_filter(Range.parse(start, end, default_days=7), account_id, symbol, side)


def totals(snapshots: list[AccountSnapshot]) -> dict[str, Decimal]:
    """Equity, available, margin in use and uPnL over every account (USDT)."""
    out = {"equity": Decimal(0), "available": Decimal(0), "margin": Decimal(0), "unrealized_pnl": Decimal(0)}
    for s in snapshots:
        u = s.usdt
        if u is None:
            continue
        out["equity"] += u.equity
        out["available"] += u.available
        out["margin"] += u.position_margin + u.frozen
        out["unrealized_pnl"] += u.unrealized_pnl
    return out
