"""Realised PnL, fees and funding per day, week or month, and the fills history, read from the
exchange's own records (transaction history and trades) so the numbers are the exchange's.

Periods are UTC calendar days, ISO weeks (from Monday) and calendar months.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from perpdesk.core.errors import InputError
from perpdesk.core.ledger import Fill, Flow, Transaction
from perpdesk.core.models import AccountStatus
from perpdesk.core.money import fmt
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.trading import AccountRef, load_account
from perpdesk.store.accounts import ExchangeAccount

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
    """The user's active account ids (an account awaiting whitelisting or with a broken key has no
    history to ask for); just account_id when given (checked to be theirs when it is opened)."""
    if account_id:
        return [account_id]
    q = select(ExchangeAccount.id).where(ExchangeAccount.user_id == user_id)
    if active_only:
        q = q.where(ExchangeAccount.status == AccountStatus.ACTIVE.value)
    async with deps.sessions() as s:
        return list(await s.scalars(q.order_by(ExchangeAccount.created_at, ExchangeAccount.id)))


# Ledger reads per account, so reloads of the dashboard do not spend the key's rate limit
# (transaction-history: 6 requests per 2 s) that orders need. With a fresh live mirror a read is
# kept until the mirror's ledger version changes (a fill, a balance push such as funding, a
# reconnection): a reload of an idle account asks the exchange nothing. A read within
# LEDGER_SETTLE_S of such a change may miss rows the exchange books late: kept LEDGER_TTL_S only,
# as every read without a mirror. A narrower range is cut from a wider read. Read after the
# ownership check (the mirror's, or the database's), so a ledger reaches its owner only.
LEDGER_TTL_S = 10.0
LEDGER_SETTLE_S = 5.0


@dataclass(frozen=True)
class _Read:
    span: Range
    rows: list[Transaction]
    expires: float  # monotonic seconds (reads without a live mirror, or soon after a change)
    version: str  # the mirror's ledger version when read; "" without one
    settled: bool  # read long enough after the version's change to keep until the next

    def serves(self, span: Range, version: str | None, now: float) -> bool:
        """Covers `span` and is still current."""
        if not (self.span.start_ms <= span.start_ms and span.end_ms <= self.span.end_ms):
            return False
        return self.version == (version or "") and ((bool(version) and self.settled) or self.expires > now)


_ledger: dict[str, list[_Read]] = {}  # account id -> its recent reads (a few ranges)


async def transactions(
    deps: AccountsDeps, user_id: str, account_id: str, span: Range, live: LiveQuery | None = None
) -> list[Transaction]:
    view = live.fresh(user_id, account_id) if live is not None else None
    version = view.ledger_version if view is not None else None  # taken before a read: conservative
    settled = view is not None and time.time() * 1000 - view.ledger_changed_ms > LEDGER_SETTLE_S * 1000
    if version is None:
        ref, creds = await load_account(deps, user_id, account_id)  # the owner check, without a mirror
    now = time.monotonic()
    hit = next((r for r in _ledger.get(account_id, []) if r.serves(span, version, now)), None)
    if hit is not None:
        return [t for t in hit.rows if span.start_ms <= t.time_ms <= span.end_ms]
    if version is not None:
        ref, creds = await load_account(deps, user_id, account_id)
    rows = await deps.connector_for(ref.exchange).transactions(creds, start_ms=span.start_ms,
                                                               end_ms=span.end_ms)
    if len(_ledger) > 1000:
        _ledger.clear()
    kept = [r for r in _ledger.get(account_id, []) if r.span != span and r.version == (version or "")]
    _ledger[account_id] = [*kept[-3:], _Read(span, rows, now + LEDGER_TTL_S, version or "", settled)]
    return rows


async def pnl(
    deps: AccountsDeps, user_id: str, period: Period, span: Range, account_id: str | None = None,
    live: LiveQuery | None = None,
) -> list[PnlRow]:
    """Realised PnL, fees and funding per period over the user's accounts (or one of them)."""
    ids = await account_refs(deps, user_id, account_id)
    found = await asyncio.gather(*(transactions(deps, user_id, i, span, live) for i in ids))
    return bucket([t for rows in found for t in rows], period)


@dataclass(frozen=True)
class FillRow:
    account: AccountRef
    fill: Fill

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


async def _account_fills(deps: AccountsDeps, user_id: str, account_id: str, flt: FillFilter) -> list[FillRow]:
    ref, creds = await load_account(deps, user_id, account_id)
    got = await deps.connector_for(ref.exchange).fills(
        creds, flt.symbol, start_ms=flt.span.start_ms, end_ms=flt.span.end_ms
    )
    return [FillRow(ref, f) for f in got if flt.keeps(f)]


async def fills(deps: AccountsDeps, user_id: str, flt: FillFilter) -> list[FillRow]:
    """The user's fills matching the filter, newest first."""
    ids = await account_refs(deps, user_id, flt.account_id)
    found = await asyncio.gather(*(_account_fills(deps, user_id, i, flt) for i in ids))
    rows = [r for part in found for r in part]
    return sorted(rows, key=lambda r: (-r.fill.time_ms, r.fill.trade_id))
