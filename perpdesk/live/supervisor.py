"""Starts and stops the mirrors: one per active account this process owns.

Every `scan_interval_s` (or at once after `kick()`, e.g. when an account was connected or
disconnected) it reads the active accounts, claims its share through the ownership, starts a
mirror for each new one, restarts one whose account changed (say a replaced key after a key
problem) and stops those disconnected, no longer active or now another member's (the mirror is
stopped before the lease is released: a handover never runs two mirrors). When the members
changed or it handed accounts over it calls `on_handover` (a worker kicks the others' scans, so a
handover takes a second, not two scans); while accounts it won are still held by their previous
owner it looks again every `HANDOVER_RETRY_S`, a few times (an owner that does not let go, say an
older build's, is then tried at the usual pace).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from perpdesk.core.background import PeriodicTask
from perpdesk.core.models import Credentials
from perpdesk.exchanges.base import FuturesConnector
from perpdesk.exchanges.registry import Venue
from perpdesk.live.bus import EventBus
from perpdesk.live.market_hub import MarketHub
from perpdesk.live.mirror import AccountMirror, AuditSink, MirrorRef, PlanTerms
from perpdesk.live.ownership import Ownership

log = logging.getLogger(__name__)
HANDOVER_RETRY_S = 1.0
HANDOVER_RETRIES = 10


@dataclass(frozen=True, slots=True)
class ActiveAccount:
    ref: MirrorRef
    version: str  # changes when the account is edited (new key, re-checked): restart its mirror


class AccountSource(Protocol):
    async def active(self) -> list[ActiveAccount]: ...
    def changed(self) -> None: ...
    def opener(self, ref: MirrorRef) -> Callable[[], Awaitable[Credentials]]: ...
    def plan_terms(self, ref: MirrorRef) -> PlanTerms | None: ...
    async def audit(self, user_id: str, account_id: str, action: str, detail: dict[str, object]) -> None: ...


class LiveSupervisor(PeriodicTask):
    name = "live-supervisor"

    def __init__(self, source: AccountSource, connector_for: Callable[[Venue], FuturesConnector],
                 bus: EventBus, hub: MarketHub, ownership: Ownership, *, scan_interval_s: float = 5.0,
                 reconcile_interval_s: float = 60.0, watched_plans_s: float = 0.0,
                 reconcile_idle_max_s: float | None = None) -> None:
        self.source = source
        self.connector_for = connector_for
        self.bus = bus
        self.hub = hub
        self.ownership = ownership
        self.scan_interval_s = scan_interval_s
        self.reconcile_interval_s = reconcile_interval_s
        self.reconcile_idle_max_s = reconcile_idle_max_s
        self.watched_plans_s = watched_plans_s
        self.mirrors: dict[str, AccountMirror] = {}
        self._versions: dict[str, str] = {}
        self.on_handover: Callable[[], object] | None = None
        self._members: tuple[str, ...] = ()
        self._retries = 0  # quick scans in a row while waiting for a handover
        self._plans_timer: asyncio.TimerHandle | None = None
        super().__init__()

    def interval_s(self) -> float:
        if self.ownership.waiting and self._retries <= HANDOVER_RETRIES:
            return min(self.scan_interval_s, HANDOVER_RETRY_S)
        return self.scan_interval_s

    async def run_pass(self) -> None:
        await self.scan()

    def start(self) -> None:
        super().start()
        if self.watched_plans_s > 0 and self._plans_timer is None:
            self._plans_timer = asyncio.get_running_loop().call_later(self.watched_plans_s,
                                                                      self._look_at_watched_plans)

    def _look_at_watched_plans(self) -> None:
        """Every mirror's open pages, in one pass (see AccountMirror.look_at_watched_plans)."""
        try:
            for mirror in list(self.mirrors.values()):
                if mirror.running:
                    mirror.look_at_watched_plans()
        finally:
            self._plans_timer = asyncio.get_running_loop().call_later(self.watched_plans_s,
                                                                      self._look_at_watched_plans)

    async def stop(self) -> None:
        if self._plans_timer is not None:
            self._plans_timer.cancel()
            self._plans_timer = None
        await super().stop()

    def kick(self) -> None:
        """Look at the accounts now (an account was connected, edited or disconnected)."""
        self.source.changed()
        self.wake()

    def after_write(self, account_id: str, *parts: str) -> None:
        """The order service wrote something the exchange does not push (plan, TP/SL orders)."""
        mirror = self.mirrors.get(account_id)
        if mirror is not None:
            mirror.refresh(*parts)

    def mirror(self, account_id: str) -> AccountMirror | None:
        return self.mirrors.get(account_id)

    async def scan(self) -> None:
        try:
            active = {a.ref.account_id: a for a in await self.source.active()}
            owned = await self.ownership.claim(sorted(active))
        except Exception:
            await self._stop_unleased()
            raise
        handed_over = [i for i in self.mirrors if i not in owned and i in active]
        for account_id in [i for i in self.mirrors if i not in owned]:
            await self._stop(account_id)
        self._retries = self._retries + 1 if self.ownership.waiting else 0
        members, self._members = self._members, self.ownership.members
        if (handed_over or members != self._members) and self.on_handover is not None:
            self.on_handover()
        for account_id in sorted(owned):
            acct = active[account_id]
            if account_id in self.mirrors and self._versions.get(account_id) != acct.version:
                await self._stop(account_id, release=False)  # edited (new key or label): still ours
            if account_id not in self.mirrors:
                try:
                    self._start(acct)
                except Exception:  # say an exchange this build has no connector for
                    log.exception("live mirror of account %s could not start", account_id)

    async def _stop_unleased(self) -> None:
        """The database failed this scan: mirrors whose lease went with it stop now, so another
        worker that takes their accounts over never runs beside them (no mirror without a lease)."""
        try:
            await self.ownership.check()
        except Exception:  # the lease's session is judged on its own; this is only a look
            log.debug("the lease check failed", exc_info=True)
        unleased = [i for i in self.mirrors if i not in self.ownership.held]
        if unleased:
            log.warning("live leases lost with the database: stopping %d mirrors", len(unleased),
                        extra={"owner": self.ownership.owner_id})
        for account_id in unleased:
            await self._stop(account_id, release=False)

    def _start(self, acct: ActiveAccount) -> None:
        audit: AuditSink = self.source.audit
        ref = acct.ref
        mirror = AccountMirror(ref, self.connector_for(ref.venue), self.source.opener(ref), self.bus,
                               self.hub, audit=audit, plan_terms=self.source.plan_terms(ref),
                               reconcile_interval_s=self.reconcile_interval_s,
                               reconcile_idle_max_s=self.reconcile_idle_max_s,
                               watched_plans_s=0.0)  # one timer for all: _look_at_watched_plans
        mirror.start()
        self.mirrors[acct.ref.account_id] = mirror
        log.info("live mirror started", extra={"account_id": ref.account_id,
                                               "owner": self.ownership.owner_id})
        self._versions[acct.ref.account_id] = acct.version

    async def _stop(self, account_id: str, *, release: bool = True) -> None:
        mirror = self.mirrors.pop(account_id, None)
        self._versions.pop(account_id, None)
        if mirror is not None:
            await mirror.stop()
            log.info("live mirror stopped", extra={"account_id": account_id})
        if release:  # only once the mirror has stopped: the next owner's never runs beside it
            await self.ownership.release([account_id])

    async def aclose(self) -> None:
        """Every mirror stops, even when the leases cannot be released (the database went first):
        a lock ends with its session anyway, and one failed release used to leave the other
        mirrors running through the process's shutdown."""
        await self.stop()
        release = True
        for account_id in list(self.mirrors):
            try:
                await self._stop(account_id, release=release)
            except Exception as exc:  # the mirror is stopped; only its release failed
                release = False
                log.warning("live leases not released (%s): they end with the lease session",
                            type(exc).__name__)
