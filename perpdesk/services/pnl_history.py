"""Realised PnL, fees and funding per day, week or month, and the fills history, read from the
exchange's own records (transaction history and trades) so the numbers are the exchange's.

Periods are UTC calendar days, ISO weeks (from Monday) and calendar months.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from perpdesk.core.errors import InputError
from perpdesk.core.ledger import Fill, Flow, Transaction
from perpdesk.core.models import Credentials
from perpdesk.core.money import fmt
from perpdesk.services import ledger_cache
from perpdesk.services.account_access import accounts_of
from perpdesk.services.account_batch import opened_accounts
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.trading import AccountRef

if TYPE_CHECKING:
    from perpdesk.live.query import LiveQuery

ZERO = Decimal(0)
DAY_MS = 86_400_000
MAX_RANGE_DAYS = 90  # BitMart's trades endpoint answers at most 90 days per call
PERIODS_SHOWN = 89  # days the dashboard sums (inside the exchange's 90-day window)


class Period(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def period_start(ms: int, period: Period) -> date:
    d = datetime.fromtimestamp(ms / 1000, UTC).date()
    if period is Period.WEEK:
        return d - timedelta(days=d.weekday())
    if period is Period.MONTH:
        return d.replace(day=1)
    return d


@dataclass
class PnlRow:
    period: date
    realised_pnl: Decimal = ZERO
    fees: Decimal = ZERO  # signed as the exchange signs them: paid is negative
    funding: Decimal = ZERO  # received positive, paid negative

    @property
    def net(self) -> Decimal:
        return self.realised_pnl + self.fees + self.funding

    def to_dict(self) -> dict[str, str]:
        return {
            "period": self.period.isoformat(),
            "realised_pnl": fmt(self.realised_pnl),
            "fees": fmt(self.fees),
            "funding": fmt(self.funding),
            "net": fmt(self.net),
        }


_FIELD = {Flow.REALIZED_PNL: "realised_pnl", Flow.FEE: "fees", Flow.FUNDING: "funding"}


def bucket(transactions: Sequence[Transaction], period: Period) -> list[PnlRow]:
    """Sum realised PnL, fees and funding per period, newest period first (transfers left out)."""
    rows: dict[date, PnlRow] = {}
    for t in transactions:
        name = _FIELD.get(t.flow)
        if name is None:
            continue
        key = period_start(t.time_ms, period)
        row = rows.setdefault(key, PnlRow(key))
        setattr(row, name, getattr(row, name) + t.amount)
    return sorted(rows.values(), key=lambda r: r.period, reverse=True)


def totals(rows: Sequence[PnlRow]) -> PnlRow:
    out = PnlRow(date.min)
    for r in rows:
        out.realised_pnl += r.realised_pnl
        out.fees += r.fees
        out.funding += r.funding
    return out


@dataclass(frozen=True)
class Range:
    start_ms: int
    end_ms: int

    @classmethod
    def parse(cls, start: str | None, end: str | None, *, default_days: int = 30) -> Range:
        """YYYY-MM-DD dates (UTC, end inclusive); the last `default_days` days when not given."""
        today = datetime.now(UTC).date()
        end_d = _date("end", end) if end else today
        start_d = _date("start", start) if start else end_d - timedelta(days=default_days - 1)
        if start_d > end_d:
            raise InputError("start", "the start date is after the end date",
                             "Pick a start date on or before the end date.")
        if (end_d - start_d).days >= MAX_RANGE_DAYS:
            raise InputError("start", f"the range is longer than {MAX_RANGE_DAYS} days",
                             f"Pick at most {MAX_RANGE_DAYS} days (the exchange's limit).")
        start_ms = int(datetime.combine(start_d, datetime.min.time(), UTC).timestamp() * 1000)
        end_ms = int(datetime.combine(end_d, datetime.min.time(), UTC).timestamp() * 1000) + DAY_MS - 1
        return cls(start_ms, end_ms)


def _date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(name, "not a date", "Give the date as YYYY-MM-DD, e.g. 2026-11-30.") from None


async def account_refs(
    deps: AccountsDeps, user_id: str, account_id: str | None = None, *, active_only: bool = True
) -> list[str]:
    """The user's account ids (see accounts_of); just account_id when given (checked to be theirs
    when it is opened)."""
    if account_id:
        return [account_id]
    return [a.id for a in await accounts_of(deps, user_id, active_only=active_only)]


async def transactions(
    deps: AccountsDeps, account: tuple[AccountRef, Credentials], span: Range, live: LiveQuery | None = None
) -> list[Transaction]:
    async def fetch(ref: AccountRef, creds: Credentials) -> list[Transaction]:
        return await deps.connector_for(ref.venue).transactions(
            creds, start_ms=span.start_ms, end_ms=span.end_ms
        )

    return await ledger_cache.read(account, "transactions", span, fetch, live)


async def pnl(
    deps: AccountsDeps, user_id: str, period: Period, span: Range, account_id: str | None = None,
    live: LiveQuery | None = None,
) -> list[PnlRow]:
    """Realised PnL, fees and funding per period over the user's accounts (or one of them)."""
    accounts = await opened_accounts(deps, user_id, account_id)
    found = await asyncio.gather(*(transactions(deps, a, span, live) for a in accounts))
    return bucket([t for rows in found for t in rows], period)


@dataclass(frozen=True)
class FillRow:
    account: AccountRef
    fill: Fill

    @property
    def time_ms(self) -> int:
        return self.fill.time_ms

    def to_dict(self) -> dict[str, Any]:
        f = self.fill
        return {
            "account_id": self.account.id,
            "account": self.account.label,
            "time": datetime.fromtimestamp(f.time_ms / 1000, UTC).isoformat(timespec="milliseconds"),
            "time_ms": f.time_ms,
            "symbol": f.symbol,
            "side": f.side,
            "price": fmt(f.price),
            "size": fmt(f.size),
            "realised_pnl": fmt(f.realised_pnl),
            "fee": fmt(f.fee),
            "order_id": f.order_id,
            "trade_id": f.trade_id,
        }


@dataclass
class FillFilter:
    span: Range
    account_id: str | None = None
    symbol: str | None = None
    side: str | None = None  # buy | sell | one of the four BitMart sides
    errors: dict[str, str] = field(default_factory=dict)

    def keeps(self, f: Fill) -> bool:
        if self.side and not (f.side == self.side or f.side.startswith(self.side + "_")):
            return False
        return not (self.symbol and f.symbol != self.symbol)


SIDES = ("buy", "sell", "buy_open_long", "buy_close_short", "sell_close_long", "sell_open_short")


def fill_filter(span: Range, account_id: str | None, symbol: str | None, side: str | None) -> FillFilter:
    side = (side or "").strip().lower() or None
    if side and side not in SIDES:
        raise InputError("side", "not a side", "Use one of: " + ", ".join(SIDES) + ".")
    return FillFilter(span, account_id or None, (symbol or "").strip().upper() or None, side)


async def _account_fills(
    deps: AccountsDeps, account: tuple[AccountRef, Credentials], flt: FillFilter, live: LiveQuery | None
) -> list[FillRow]:
    async def fetch(ref: AccountRef, creds: Credentials) -> list[FillRow]:
        got = await deps.connector_for(ref.venue).fills(
            creds, flt.symbol, start_ms=flt.span.start_ms, end_ms=flt.span.end_ms
        )
        return [FillRow(ref, f) for f in got]

    what = f"fills:{flt.symbol or ''}"
    rows = await ledger_cache.read(account, what, flt.span, fetch, live)
    return [r for r in rows if flt.keeps(r.fill)]


async def fills(
    deps: AccountsDeps, user_id: str, flt: FillFilter, live: LiveQuery | None = None
) -> list[FillRow]:
    """The user's fills matching the filter, newest first."""
    accounts = await opened_accounts(deps, user_id, flt.account_id)
    found = await asyncio.gather(*(_account_fills(deps, a, flt, live) for a in accounts))
    rows = [r for part in found for r in part]
    return sorted(rows, key=lambda r: (-r.fill.time_ms, r.fill.trade_id))
