"""Notifications checked each pass for every account: key problems found by the key audit (the
account's status and warnings, read from the database) and, only when live mirrors are off
(`rest=True`), new fills (since the account was connected, at most a day back) and positions
nearer liquidation than the user's threshold (at most once an hour per position), read from the
exchange. With live mirrors on, fills, TP/SL/trailing triggers and the liquidation distance come
from the mirrors' events (`live_notifications`). Each event is notified once (its dedupe key)."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

from perpdesk.core.background import ItemBackoff, PeriodicTask
from perpdesk.core.models import AccountStatus, Position
from perpdesk.exchanges.registry import entry
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.marked_rows import MarkedRows
from perpdesk.services.notification_text import fill_text, liquidation_text, ticks
from perpdesk.services.notifications import notify, stored_pct
from perpdesk.services.stored_messages import by_code
from perpdesk.services.trading import load_account
from perpdesk.store.base import utcnow
from perpdesk.store.records import AccountSummary

log = logging.getLogger(__name__)
HUNDRED = Decimal(100)


def distance_pct(mark: Decimal | None, liquidation: Decimal | None) -> Decimal | None:
    """How far the mark is from the liquidation price, in percent of the mark."""
    if liquidation is None or liquidation <= 0 or mark is None or mark <= 0:
        return None
    return (abs(mark - liquidation) / mark * HUNDRED).quantize(Decimal("0.01"))


def liquidation_distance_pct(p: Position) -> Decimal | None:
    return distance_pct(p.mark_price, p.liquidation_price)


async def _fills(deps: AccountsDeps, row: AccountSummary) -> None:
    ref, creds = await load_account(deps, row.user_id, row.id)
    since = max(row.created_at, utcnow() - timedelta(days=1))
    fills = await deps.connector_for(ref.venue).fills(creds, start_ms=int(since.timestamp() * 1000))
    tick = await ticks(deps, ref.venue) if fills else {}
    for f in sorted(fills, key=lambda f: f.time_ms):
        if f.time_ms < since.timestamp() * 1000:
            continue
        title, body = fill_text(ref.label, f.side, f.size, f.symbol, f.price, f.realised_pnl, f.fee,
                                tick.get(f.symbol))
        await notify(deps, row.user_id, "fill", title, body, f"fill:{row.id}:{f.trade_id}", row.id)


async def _liquidation(deps: AccountsDeps, row: AccountSummary, threshold: Decimal) -> None:
    ref, creds = await load_account(deps, row.user_id, row.id)
    hour = utcnow().strftime("%Y-%m-%dT%H")
    tick: dict[str, Decimal] | None = None
    for p in await deps.connector_for(ref.venue).positions(creds):
        dist = liquidation_distance_pct(p)
        if dist is None or dist >= threshold:
            continue
        tick = await ticks(deps, ref.venue) if tick is None else tick
        title, body = liquidation_text(ref.label, p.symbol, p.side.value, dist, p.mark_price,
                                       p.liquidation_price or Decimal(0), threshold, tick.get(p.symbol))
        await notify(deps, row.user_id, "liquidation", title, body,
                     f"liq:{row.id}:{p.symbol}:{p.side.value}:{hour}", row.id)


async def _key_problems(deps: AccountsDeps, row: AccountSummary, stored: KnownKeys) -> None:
    codes = list(row.warnings or [])
    if row.status == AccountStatus.ERROR.value and row.last_error:
        codes.insert(0, row.last_error)
    for code in codes:
        dedupe_key = f"key:{row.id}:{code}"
        if dedupe_key in stored:
            continue
        msg = by_code(code, entry(row.exchange).info)
        title = msg.title if msg else code.replace("_", " ")
        body = f"{msg.message} {msg.next_step}" if msg else "Open Settings > Exchange Account API Keys."
        await notify(deps, row.user_id, "key", f"{row.label}: {title}", body, dedupe_key, row.id)
        stored.add(dedupe_key)  # stored now, or found stored: notified once either way


class KnownKeys:
    """Dedupe keys of key-problem notifications known to be stored. Notifications are never
    deleted (only with their user), so a warning that stays costs no database round trip a pass:
    without this, every pass tried to store every warned account's notification again, one
    transaction each, most of an idle worker's database work. Bounded: forgotten when full."""

    def __init__(self, most: int = 200_000) -> None:
        self.most = most
        self._keys: set[str] = set()
        self.loaded = False

    def load(self, keys: set[str]) -> None:
        self._keys = set(list(keys)[: self.most])
        self.loaded = True

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def add(self, key: str) -> None:
        if len(self._keys) >= self.most:
            self._keys.clear()
        self._keys.add(key)


def problem_rows() -> MarkedRows[list[AccountSummary]]:
    """The accounts with key problems, read again only when the accounts changed: with live
    mirrors on, a pass over 10,000 warned accounts every 15 s read them all each time, most of an
    idle worker's database work."""
    return MarkedRows(lambda uow: uow.accounts.with_key_problems())


async def run_once(deps: AccountsDeps, *, rest: bool = True, accounts: ItemBackoff | None = None,
                   stored: KnownKeys | None = None,
                   problems: MarkedRows[list[AccountSummary]] | None = None) -> None:
    """Every account on its own: one that fails (say, one whose secret no longer opens) is left
    alone for a growing while by `accounts` and never stops the others."""
    accounts = accounts or ItemBackoff("notification check of account", 0.0)
    stored = stored if stored is not None else KnownKeys()
    async with deps.uow() as uow:
        if not stored.loaded:  # a process's first pass: what is stored already, in one query
            stored.load(await uow.notifications.dedupe_keys("key:", stored.most))
        # with live mirrors on, only key problems are looked for here: only accounts that have one
        rows = await uow.accounts.summaries() if rest else await (problems or problem_rows()).of(uow)
        thresholds = {u: stored_pct(pct) for u, pct in (await uow.notifications.thresholds()).items()}
    for row in rows:
        if not accounts.due(row.id):
            continue
        try:
            await _key_problems(deps, row, stored)
            if not rest or row.status != AccountStatus.ACTIVE.value:
                continue
            await _fills(deps, row)
            threshold = thresholds.get(row.user_id)
            if threshold is not None:
                await _liquidation(deps, row, threshold)
        except Exception as exc:
            accounts.failed(row.id, exc)
            continue
        accounts.succeeded(row.id)


class NotificationWatcher(PeriodicTask):
    name = "perpdesk-notification-watch"

    def __init__(self, deps: AccountsDeps, interval_s: float, on_new: PeriodicTask | None = None,
                 *, rest: bool = True) -> None:
        super().__init__()
        self.deps, self._interval_s, self.on_new, self.rest = deps, interval_s, on_new, rest
        self._accounts = ItemBackoff("notification check of account", interval_s)
        self._stored = KnownKeys()
        self._problems = problem_rows()

    async def run_pass(self) -> None:
        await run_once(self.deps, rest=self.rest, accounts=self._accounts, stored=self._stored,
                       problems=self._problems)
        if self.on_new is not None:
            self.on_new.wake()  # deliver webhooks of what this pass found now

    def interval_s(self) -> float:
        return self._interval_s
