"""Periodic equity snapshots of every active account (for the equity and PnL chart), and the
history read back per user: one point per pass, the user's accounts summed.

Balances come from the exchange through the connector; a pass asks each account once, a few at a
time, and one failing account is skipped (logged) without stopping the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from perpdesk.core.background import PeriodicTask
from perpdesk.core.errors import ExchangeError, PerpdeskError
from perpdesk.core.models import AccountStatus, Balance
from perpdesk.core.money import fmt
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.trading import load_account
from perpdesk.store.base import utcnow
from perpdesk.store.records import EquitySample

log = logging.getLogger(__name__)
ZERO = Decimal(0)
KEEP = timedelta(days=400)
PARALLEL = 8  # accounts asked at once in a pass


def margin_in_use(b: Balance) -> Decimal:
    return b.position_margin + b.frozen


class MirroredBalances(Protocol):
    """An account's USDT balance as a current live mirror in this process holds it (else None)."""

    def usdt_of(self, user_id: str, account_id: str) -> Balance | None: ...


async def _one(
    deps: AccountsDeps, user_id: str, account_id: str, taken_at: datetime,
    mirrored: MirroredBalances | None = None,
) -> EquitySample | None:
    usdt = mirrored.usdt_of(user_id, account_id) if mirrored is not None else None
    if usdt is not None:  # the mirror's, at the live marks: no key opened, no exchange read
        return EquitySample(user_id, account_id, taken_at, usdt.equity, usdt.available, margin_in_use(usdt),
                            usdt.unrealized_pnl)
    try:
        ref, creds = await load_account(deps, user_id, account_id)
        balances = await deps.connector_for(ref.venue).balances(creds)
    except (ExchangeError, PerpdeskError, OSError, TimeoutError) as exc:
        log.info("equity snapshot of account %s skipped: %s", account_id, type(exc).__name__)
        return None
    except Exception:  # one account (say, one whose secret no longer opens) must not stop the others
        log.exception("equity snapshot of account %s failed", account_id)
        return None
    usdt = next((b for b in balances if b.currency == "USDT"), None)
    if usdt is None:
        return None
    return EquitySample(user_id, account_id, taken_at, usdt.equity, usdt.available, margin_in_use(usdt),
                        usdt.unrealized_pnl)


async def take_snapshots(deps: AccountsDeps, mirrored: MirroredBalances | None = None) -> int:
    """One pass over every active account; returns how many snapshots were stored."""
    async with deps.uow() as uow:
        rows = [(a.user_id, a.id) for a in await uow.accounts.summaries(status=AccountStatus.ACTIVE.value)]
    taken_at = utcnow()
    gate = asyncio.Semaphore(PARALLEL)

    async def bounded(user_id: str, account_id: str) -> EquitySample | None:
        async with gate:
            return await _one(deps, user_id, account_id, taken_at, mirrored)

    found = await asyncio.gather(*(bounded(u, a) for u, a in rows))
    snaps = [f for f in found if f is not None]
    async with deps.uow() as uow:
        await uow.snapshots.add(snaps)
        await uow.snapshots.purge_before(taken_at - KEEP)
        await uow.commit()
    return len(snaps)


@dataclass(frozen=True)
class EquityPoint:
    taken_at: datetime
    equity: Decimal
    unrealized_pnl: Decimal

    def to_dict(self) -> dict[str, str]:
        return {"taken_at": self.taken_at.isoformat(), "equity": fmt(self.equity),
                "unrealized_pnl": fmt(self.unrealized_pnl)}


def points(rows: Sequence[EquitySample]) -> list[EquityPoint]:
    """One point per pass (its accounts summed), oldest first."""
    sums: dict[datetime, tuple[Decimal, Decimal]] = {}
    for r in rows:
        eq, pnl = sums.get(r.taken_at, (ZERO, ZERO))
        sums[r.taken_at] = (eq + r.equity, pnl + r.unrealized_pnl)
    return [EquityPoint(t, eq, pnl) for t, (eq, pnl) in sorted(sums.items())]


async def history(
    deps: AccountsDeps, user_id: str, days: int = 30, account_id: str | None = None
) -> list[EquityPoint]:
    async with deps.uow() as uow:
        rows = await uow.snapshots.since(user_id, utcnow() - timedelta(days=days), account_id)
    return points(rows)


class EquitySnapshotter(PeriodicTask):
    name = "perpdesk-equity-snapshots"

    def __init__(self, deps: AccountsDeps, interval_s: float,
                 mirrored: MirroredBalances | None = None) -> None:
        super().__init__()
        self.deps = deps
        self._interval_s = interval_s
        self.mirrored = mirrored  # this process's live mirrors, when it runs them

    async def run_pass(self) -> int:
        return await take_snapshots(self.deps, self.mirrored)

    def interval_s(self) -> float:
        return self._interval_s
