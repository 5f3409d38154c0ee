"""The settler: decides every unknown outcome by reading the exchange, in the background.

An unknown order (or a `pending` one a stopped process left: pending past its `decided_after`, the
bound its sender wrote with it, whichever process that was) is looked up by its client order id:
found is placed; not found is "not placed" only when the look-up was sent after `decided_after`,
the moment the exchange could no longer execute it. Lost cancels, amends and TP/SL changes are
decided by reading the order or the position's plan orders the same way (`changes.py`). All
state is in the database, so a restart picks up where the last process stopped; an exchange
that does not answer is tried again with a growing delay.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime

from perpdesk.core.background import ItemBackoff, PeriodicTask
from perpdesk.core.errors import ExchangeError
from perpdesk.core.models import Credentials
from perpdesk.exchanges.base import FuturesConnector
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.trading import changes, reconcile
from perpdesk.services.trading.access import AccountRef, load_account
from perpdesk.services.trading.changes import backoff
from perpdesk.services.trading.conditional import look_up
from perpdesk.services.trading.intents import Placement, from_ms, placement
from perpdesk.services.trading.reconcile import MirroredHere
from perpdesk.store.base import utcnow
from perpdesk.store.order_records import IntentPurpose, IntentRecord, IntentStatus

EVERY_PURPOSE = tuple(p.value for p in IntentPurpose)

log = logging.getLogger(__name__)


async def _decide(
    deps: AccountsDeps,
    ref: AccountRef,
    connector: FuturesConnector,
    creds: Credentials,
    cid: str,
    respect_backoff: bool,
) -> Placement | None:
    """One unsettled intent: look it up (never resend) and record what that proves."""
    async with deps.trading_uow() as uow:
        row = await uow.orders.by_client_id(ref.user_id, ref.id, cid)
        if row is None or IntentStatus(row.status).final:
            return None
        now = utcnow()
        pending = row.status == IntentStatus.PENDING.value
        if pending and row.decided_after is not None and row.decided_after > now:
            return None  # some process (this one, or a CLI beside it) may be sending it right now
        if respect_backoff and row.next_check_at is not None and row.next_check_at > now:
            return placement(row)
        if pending:
            # left by a stopped process: anything it sent was signed before now
            row = await uow.orders.save(replace(
                row, status=IntentStatus.UNKNOWN.value, decided_after=from_ms(connector.decided_after_ms()),
                updated_at=now,
            ))
            log.warning("order %s was left pending by a stopped process: being confirmed", cid)
        symbol, decided_after = row.symbol, row.decided_after
        conditional = IntentPurpose(row.purpose).conditional
        taken = set()
        if conditional:  # the orders other intents already are
            taken = await uow.orders.taken_order_ids(ref.user_id, ref.id, EVERY_PURPOSE)
        await uow.commit()
    looked_at = utcnow()  # taken before the look-up leaves: its answer is at least this fresh
    found: str | None = None
    answered = True
    try:
        if conditional:
            found = await look_up(connector, creds, row, taken)
        else:
            order = await connector.get_order(creds, symbol, client_order_id=cid)
            found = order.order_id if order is not None else None
    except (ExchangeError, OSError, TimeoutError) as exc:
        log.info("settling %s: the exchange did not answer (%s)", cid, type(exc).__name__)
        answered = False
    async with deps.trading_uow() as uow:
        row = await uow.orders.by_client_id(ref.user_id, ref.id, cid)
        if row is None or IntentStatus(row.status).final:
            return None
        row = await uow.orders.save(_apply(row, found, answered, looked_at, decided_after))
        await uow.commit()
        return placement(row)


def _apply(
    row: IntentRecord, found: str | None, answered: bool, looked_at: datetime, decided_after: datetime | None
) -> IntentRecord:
    """What the look-up proves: `found` is the exchange's order id."""
    now = utcnow()
    row = replace(row, settle_attempts=row.settle_attempts + 1, updated_at=now)
    if found is not None:
        log.info("order %s settled: placed (%s)", row.client_order_id, found)
        return replace(row, status=IntentStatus.PLACED.value, order_id=found, settled_at=now,
                       error_code=None, error_message=None, next_check_at=None)
    if answered and decided_after is not None and looked_at >= decided_after:
        log.info("order %s settled: not placed", row.client_order_id)
        return replace(
            row, status=IntentStatus.NOT_PLACED.value, settled_at=now, error_code="not_received",
            error_message=f"The exchange has no order {row.client_order_id} after its window closed: "
            "it was not placed.",
            next_check_at=None,
        )
    if not answered:
        return replace(row, next_check_at=now + backoff(row.settle_attempts))
    return row


async def _defer(deps: AccountsDeps, ref: AccountRef, cid: str, exc: Exception) -> None:
    """An order whose settling failed unexpectedly is tried again after the usual growing delay."""
    async with deps.trading_uow() as uow:
        row = await uow.orders.by_client_id(ref.user_id, ref.id, cid)
        if row is None or IntentStatus(row.status).final:
            return
        attempts = row.settle_attempts + 1
        next_at = utcnow() + backoff(attempts)
        await uow.orders.save(replace(row, settle_attempts=attempts, next_check_at=next_at))
        await uow.commit()
        log.warning("settling %s failed (attempt %d; next at %s): %s", cid, attempts,
                    next_at.isoformat(), type(exc).__name__)


async def settle_unknown(
    deps: AccountsDeps, user_id: str, account_id: str, *, respect_backoff: bool = False
) -> list[Placement]:
    """Settle what can be settled now on one account: unknown orders and lost changes. The
    background settler respects the back-off after unanswered look-ups; a trader's request does not."""
    ref, creds = await load_account(deps, user_id, account_id)
    connector = deps.connector_for(ref.venue)
    async with deps.trading_uow() as uow:
        # oldest first: the intent stored first takes the first conditional order of its terms
        cids = [r.client_order_id for r in reversed(await uow.orders.unsettled(user_id, account_id))]
    out: list[Placement] = []
    for cid in cids:
        try:
            done = await _decide(deps, ref, connector, creds, cid, respect_backoff)
        except Exception as exc:
            if not respect_backoff:  # a trader's request: they see the error
                raise
            await _defer(deps, ref, cid, exc)  # the background: this order waits, the others go on
            continue
        if done is not None:
            out.append(done)
    await changes.settle_changes(deps, ref, connector, creds, respect_backoff)
    return out


SETTLE_CONCURRENCY = 8  # accounts settled at once (each has its own rate-limit buckets)
RECONCILE_EVERY = 20  # settler passes per reconciliation of the accounts


async def settle_due(deps: AccountsDeps, accounts: ItemBackoff | None = None) -> int:
    """One pass over every account with something unsettled; returns how many orders were decided.
    An account that fails (disconnected meanwhile, a secret that no longer opens, anything) is left
    alone for a growing while by `accounts` and never stops the others."""
    accounts = accounts or ItemBackoff("settling account", 0.0)
    async with deps.trading_uow() as uow:
        pairs = await uow.orders.accounts_with_unsettled()
    gate = asyncio.Semaphore(SETTLE_CONCURRENCY)

    async def one(user_id: str, account_id: str) -> int:
        if not accounts.due(account_id):
            return 0
        async with gate:
            try:
                done = await settle_unknown(deps, user_id, account_id, respect_backoff=True)
            except Exception as exc:
                accounts.failed(account_id, exc)
                return 0
            accounts.succeeded(account_id)
            return sum(1 for p in done if p.status.final)

    return sum(await asyncio.gather(*(one(u, a) for u, a in pairs)))


class IntentSettler(PeriodicTask):
    """Background task: settles unknown outcomes every `interval_s`, and wakes when the next
    one's window closes; every `reconcile_every` passes it reconciles the accounts too."""

    name = "perpdesk-intent-settler"

    def __init__(self, deps: AccountsDeps, interval_s: float = 15.0, reconcile_every: int = RECONCILE_EVERY,
                 mirrors: MirroredHere | None = None) -> None:
        super().__init__()
        self.deps = deps
        # this process's live mirrors, when it runs them: their open orders, and the accounts left
        # to the workers' own passes (MirroredReconciler)
        self.mirrors = mirrors
        self._interval_s = interval_s
        self._next_due: datetime | None = None
        self._reconcile_every = reconcile_every
        self._passes = 0
        self._settling = ItemBackoff("settling account", interval_s)
        self._reconciling = ItemBackoff("reconciling account", interval_s * max(reconcile_every, 1))

    async def run_pass(self) -> int:
        decided = await settle_due(self.deps, self._settling)
        self._passes += 1
        if self._reconcile_every and self._passes % self._reconcile_every == 1:
            await reconcile.reconcile_all(self.deps, self._reconciling, self.mirrors, self.mirrors)
        async with self.deps.trading_uow() as uow:
            self._next_due = await uow.orders.earliest_due()
        return decided

    def interval_s(self) -> float:
        if self._next_due is None:
            return self._interval_s
        until = (self._next_due - utcnow()).total_seconds() + 0.05
        return max(0.05, min(self._interval_s, until)) if until > 0 else self._interval_s


class MirroredReconciler(PeriodicTask):
    """A worker's part of the settler's reconciliation (every worker, no lease): the accounts it
    mirrors, from its mirrors (one that shows nothing of ours open costs no read at all)."""

    name = "perpdesk-mirrored-reconcile"

    def __init__(self, deps: AccountsDeps, interval_s: float, mirrors: MirroredHere) -> None:
        super().__init__()
        self.deps = deps
        self.mirrors = mirrors
        self._interval_s = interval_s
        self._reconciling = ItemBackoff("reconciling account", interval_s)

    async def run_pass(self) -> int:
        return await reconcile.reconcile_all(self.deps, self._reconciling, self.mirrors, self.mirrors,
                                             here=True)

    def interval_s(self) -> float:
        return self._interval_s

    def first_pause_s(self) -> float:
        return self._interval_s / 2  # the mirrors it reads are still starting at first
