"""Notifications driven by the live mirrors' events on the bus, without asking the exchange:

- `fill`: each new fill of an account (with its realised PnL and fee); the mirror's first read
  gives the last day's fills as `initial`: those since the account was connected are notified
  unless they were already (made while the platform was down, or just before the mirror started);
- `trigger`: a take profit, stop loss, trailing stop or trigger order fired, each its own kind
  (`take_profit`, `stop_loss`, `trailing_stop`, `trigger`): "Take profit triggered on SOLUSDT long
  at 200";
- `account` (the account's view, re-valued at every live mark): a position nearer liquidation than
  the user's threshold (at most once an hour per position, as the REST watcher);
- `key_problem`: the exchange refused the account's key on the private stream (once a day per
  problem; the key audit's findings stay with `notification_watch`, which reads the database).

Every notification is stored once per event (its dedupe key, the same as the REST watcher's) and
queued for the user's webhook by `notifications.notify`. The subscription is bounded: if it falls
behind it is dropped by the bus, and this loop subscribes again (mirrors republish their views
on the next tick; fills and triggers missed meanwhile are logged as lost).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC
from decimal import Decimal, InvalidOperation
from typing import Any

from perpdesk.core.background import ItemBackoff, PeriodicTask, stop_task
from perpdesk.live.bus import ALL_ACCOUNTS, EventBus, LiveEvent, Subscription
from perpdesk.live.triggers import describe
from perpdesk.services.account_access import venue_of
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.notification_text import fill_text, liquidation_text, ticks
from perpdesk.services.notification_watch import distance_pct
from perpdesk.services.notifications import notify, stored_pct
from perpdesk.store.base import utcnow
from perpdesk.store.records import AccountSummary

log = logging.getLogger(__name__)
REMEMBERED = 10_000  # dedupe keys kept in memory (the database keeps them all)


def _dec(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except (InvalidOperation, ValueError):
        return None


class LiveNotifier:
    def __init__(self, deps: AccountsDeps, bus: EventBus, *, on_new: PeriodicTask | None = None,
                 thresholds_ttl_s: float = 5.0, queue: int = 10_000) -> None:
        self.deps, self.bus, self.on_new = deps, bus, on_new
        self.thresholds_ttl_s, self.queue = thresholds_ttl_s, queue
        self._thresholds: dict[str, Decimal] = {}
        self._thresholds_at = float("-inf")
        self._told: dict[str, None] = {}
        self._connected: dict[str, int] = {}  # account id -> when it was connected (ms)
        self._ticks: dict[str, dict[str, Decimal]] = {}  # account id -> its venue's price ticks
        self._sub: Subscription | None = None
        self._task: asyncio.Task[None] | None = None
        self.created = 0
        self.resubscribed = 0
        self._failing = ItemBackoff("live notification of", 1.0, max_s=60.0)

    def start(self) -> None:
        """Subscribes at once, so mirrors started after this publish to it from their first event."""
        if self._task is None:
            self._sub = self.bus.subscribe([ALL_ACCOUNTS], maxsize=self.queue)
            self._task = asyncio.create_task(self._loop(), name="perpdesk-live-notifier")

    async def stop(self) -> None:
        await stop_task(self._task)
        self._task = None
        if self._sub is not None:
            self._sub.close()
            self._sub = None

    async def _loop(self) -> None:
        while True:
            sub = self._sub or self.bus.subscribe([ALL_ACCOUNTS], maxsize=self.queue)
            self._sub = sub
            async for event in sub:
                key = (event.topic, event.kind)
                try:
                    if await self.handle(event) and self.on_new is not None:
                        self.on_new.wake()  # deliver its webhook now
                except Exception as exc:  # one bad event (database busy) must not end the notifications
                    if self._failing.due(key):  # an account's events failing in a row: logged once a step
                        self._failing.failed(key, exc)
                    continue
                self._failing.succeeded(key)
            if sub.dropped:
                self.resubscribed += 1
                log.warning("live notifications fell behind the bus and were dropped; subscribing again "
                            "(fills or triggers published meanwhile are not notified)")
            self._sub = None
            await asyncio.sleep(0.05)

    async def handle(self, event: LiveEvent) -> bool:
        """One bus event; True when it created a notification."""
        d = event.data
        if event.kind == "fill":
            return await self._fill(d)
        if event.kind == "trigger":
            title, body = describe(d, await self._tick(d["account_id"], d["symbol"]))
            return await self._notify(d, d["kind"], f"{d['label']}: {title}", body,
                                      f"trigger:{d['account_id']}:{d['plan_order_id']}")
        if event.kind == "account":
            return await self._liquidation(d)
        if event.kind == "key_problem":
            day = utcnow().strftime("%Y-%m-%d")
            return await self._notify(
                d, "key", f"{d['label']}: the exchange refused the key",
                f"{d['message']} Live updates of this account stopped. Open Settings > Exchange "
                "Account API Keys to check or replace the key.",
                f"key:{d['account_id']}:stream:{d['code']}:{day}")
        return False

    async def _notify(self, d: dict[str, Any], kind: str, title: str, body: str, key: str) -> bool:
        if key in self._told:
            return False
        if len(self._told) >= REMEMBERED:
            self._told.clear()
        created = await notify(self.deps, d["user_id"], kind, title, body, key, d["account_id"])
        self._told[key] = None
        if created is not None:
            self.created += 1
        return created is not None

    async def _fill(self, f: dict[str, Any]) -> bool:
        if f.get("initial") and int(f["time_ms"]) < await self._connected_ms(f["account_id"]):
            return False
        title, body = fill_text(f["label"], str(f["side"]), f["size"], f["symbol"], f["price"],
                                f["realised_pnl"], f["fee"], await self._tick(f["account_id"], f["symbol"]))
        return await self._notify(f, "fill", title, body, f"fill:{f['account_id']}:{f['trade_id']}")

    async def _tick(self, account_id: str, symbol: str) -> Decimal | None:
        """The symbol's price tick at the account's venue; kept once read (the texts' rounding)."""
        if account_id not in self._ticks:
            row = await self._account(account_id)
            found = await ticks(self.deps, venue_of(row) if row is not None else None)
            if not found:  # unknown for now: asked again at the next notification
                return None
            self._ticks[account_id] = found
        return self._ticks[account_id].get(symbol)

    async def _connected_ms(self, account_id: str) -> int:
        if account_id not in self._connected:
            row = await self._account(account_id)
            when = row.created_at if row is not None else utcnow()
            self._connected[account_id] = int(when.replace(tzinfo=when.tzinfo or UTC).timestamp() * 1000)
        return self._connected[account_id]

    async def _account(self, account_id: str) -> AccountSummary | None:
        async with self.deps.uow() as uow:
            return await uow.accounts.summary(account_id)

    async def _threshold(self, user_id: str) -> Decimal | None:
        now = time.monotonic()
        if now - self._thresholds_at > self.thresholds_ttl_s:
            async with self.deps.uow() as uow:
                saved = await uow.notifications.thresholds()
            self._thresholds = {u: pct for u, stored in saved.items() if (pct := stored_pct(stored))}
            self._thresholds_at = now
        return self._thresholds.get(user_id)

    async def _liquidation(self, view: dict[str, Any]) -> bool:
        """Driven by the live mark: each view the mirror publishes re-values its positions."""
        if not view.get("positions") or not view.get("freshness", {}).get("fresh"):
            return False
        threshold = await self._threshold(view["user_id"])
        if threshold is None:
            return False
        made = False
        hour = utcnow().strftime("%Y-%m-%dT%H")
        for p in view["positions"]:
            mark, liq = _dec(p.get("mark_price")), _dec(p.get("liquidation_price"))
            dist = distance_pct(mark, liq) if p.get("live_mark") else None
            if dist is None or dist >= threshold or mark is None or liq is None:
                continue
            title, body = liquidation_text(view["label"], p["symbol"], p["side"], dist, mark, liq, threshold,
                                           await self._tick(view["account_id"], p["symbol"]))
            made |= await self._notify(view, "liquidation", title, body,
                                       f"liq:{view['account_id']}:{p['symbol']}:{p['side']}:{hour}")
        return made
