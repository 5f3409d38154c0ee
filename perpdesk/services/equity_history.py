"""Periodic equity snapshots of every active account (for the equity and PnL chart), and the
history read back per user: one point per pass, the user's accounts summed.

Passes start at whole multiples of the interval. With live mirrors, each worker stores the
samples of the accounts it mirrors at the start of a pass, from its mirrors (`MirroredSnapshotter`),
and the installation's pass (one process) takes the rest a little later: the accounts with no
sample of the pass yet that no worker mirrors, read from the exchange through the connector, a
few at a time. One failing account is skipped (logged) without stopping the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Protocol

from perpdesk.core.background import PeriodicTask
from perpdesk.core.errors import ExchangeError, PerpdeskError
from perpdesk.core.models import AccountStatus, Balance
from perpdesk.core.money import fmt
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.pass_scope import PassScope, left_to_the_pass
from perpdesk.services.trading import load_account
from perpdesk.store.base import utcnow
from perpdesk.store.records import EquitySample

log = logging.getLogger(__name__)
ZERO = Decimal(0)
KEEP = timedelta(days=400)
PARALLEL = 8  # accounts asked at once in a pass
GRACE_S = 30.0  # the installation's pass runs this far into each pass, after the workers' own
PASS_SLACK_S = 0.2  # a timer that fires a little early must not take the pass that is ending
STORE_CHUNK = 500  # samples stored per transaction
YIELD_EVERY = 50  # accounts a reader samples between turns of the event loop


def margin_in_use(b: Balance) -> Decimal:
    return b.position_margin + b.frozen


class MirroredBalances(Protocol):
    """An account's USDT balance as a current live mirror in this process holds it (else None)."""

    def usdt_of(self, user_id: str, account_id: str) -> Balance | None: ...


class MirroredHere(MirroredBalances, PassScope, Protocol):
    """This process's mirrors: their balances, and which accounts they are."""


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


def pass_of(at: datetime, interval_s: float) -> datetime:
    """The pass `at` falls in: passes start at whole multiples of the interval (UTC), so the
    samples every process takes of one pass have the same time and sum as one point."""
    step = max(1, int(interval_s))
    return datetime.fromtimestamp(int(at.timestamp()) // step * step, UTC)


async def _store(deps: AccountsDeps, samples: list[EquitySample], purge_at: datetime | None = None) -> None:
    # a few hundred rows a statement: one statement of 5,000 held the event loop for the time it
    # took to bind them, and every live page of the worker with it
    for i in range(0, len(samples), STORE_CHUNK):
        async with deps.uow() as uow:
            await uow.snapshots.add(samples[i:i + STORE_CHUNK])
            await uow.commit()
    if purge_at is not None:
        async with deps.uow() as uow:
            await uow.snapshots.purge_before(purge_at - KEEP)
            await uow.commit()


async def _sample_each(deps: AccountsDeps, pairs: list[tuple[str, str]], taken_at: datetime,
                       mirrored: MirroredBalances | None) -> list[EquitySample]:
    # PARALLEL readers share one iterator: one coroutine per account made at once (thousands, each
    # holding its session and read) was a worker's memory high-water mark, which RSS keeps
    todo = iter(pairs)
    found: list[EquitySample] = []

    async def reader() -> None:
        for i, (user_id, account_id) in enumerate(todo):
            sample = await _one(deps, user_id, account_id, taken_at, mirrored)
            if sample is not None:
                found.append(sample)
            if i % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)  # a mirror's answer awaits nothing: let the loop breathe

    await asyncio.gather(*(reader() for _ in range(PARALLEL)))
    return found


async def take_snapshots(deps: AccountsDeps, mirrored: MirroredBalances | None = None,
                         scope: PassScope | None = None, taken_at: datetime | None = None) -> int:
    """The installation's pass: every active account with no sample of this pass yet, less those
    a worker mirrors (`scope`: that worker samples them itself, `take_mirrored`). Returns how many
    snapshots were stored."""
    taken_at = taken_at or utcnow()
    async with deps.uow() as uow:
        pairs = await uow.snapshots.without_sample(taken_at, AccountStatus.ACTIVE.value)
    snaps = await _sample_each(deps, await left_to_the_pass(scope, pairs), taken_at, mirrored)
    await _store(deps, snaps, purge_at=taken_at)
    return len(snaps)


async def take_mirrored(deps: AccountsDeps, mirrors: MirroredHere, taken_at: datetime) -> int:
    """A worker's part of a pass: the accounts it mirrors, from its mirrors (one that is not
    current is read from the exchange)."""
    snaps = await _sample_each(deps, mirrors.here(), taken_at, mirrors)
    await _store(deps, snaps)
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
    """The installation's pass (one process at a time), `GRACE_S` into each pass: the workers have
    stored their own mirrors' samples by then, and it takes the rest."""

    name = "perpdesk-equity-snapshots"

    def __init__(self, deps: AccountsDeps, interval_s: float, mirrors: MirroredHere | None = None) -> None:
        super().__init__()
        self.deps = deps
        self._interval_s = interval_s
        # this process's live mirrors, when it runs them: their balances, and the accounts left to
        # the workers' own passes (MirroredSnapshotter)
        self.mirrors = mirrors
        self._grace_s = min(GRACE_S, interval_s / 4)

    async def run_pass(self) -> int:
        taken_at = pass_of(utcnow() - timedelta(seconds=self._grace_s), self._interval_s)
        return await take_snapshots(self.deps, self.mirrors, self.mirrors, taken_at)

    def interval_s(self) -> float:
        return _until_next_pass(self._interval_s) + self._grace_s

    def first_pause_s(self) -> float:
        # not at once: at a cold start no mirror is current yet, and every key would be read
        return self.interval_s() if self.mirrors is not None else 0.0


class MirroredSnapshotter(PeriodicTask):
    """A worker's own samples at the start of each pass (every worker, no lease): its mirrors
    have the balances at hand, where the installation's pass would open each key and read the
    exchange."""

    name = "perpdesk-mirrored-equity"

    def __init__(self, deps: AccountsDeps, interval_s: float, mirrors: MirroredHere) -> None:
        super().__init__()
        self.deps = deps
        self._interval_s = interval_s
        self.mirrors = mirrors

    async def run_pass(self) -> int:
        return await take_mirrored(self.deps, self.mirrors, pass_of(utcnow(), self._interval_s))

    def interval_s(self) -> float:
        return _until_next_pass(self._interval_s)

    def first_pause_s(self) -> float:
        return self.interval_s()


def _until_next_pass(interval_s: float) -> float:
    now = utcnow()
    start = pass_of(now, interval_s)
    return max(0.05, (start - now).total_seconds() + max(1, int(interval_s)) + PASS_SLACK_S)
