"""What the account (and trading) use cases need, injected: the unit of work, vault, key hasher,
connectors, timings. perpdesk/bootstrap.py builds it from Settings; tests build it by hand."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from perpdesk.exchanges.base import FastConnectProvider, FuturesConnector
from perpdesk.exchanges.registry import Venue
from perpdesk.services.in_flight import TicketDesk
from perpdesk.services.ports import UnitOfWork
from perpdesk.store.uow import SqlUnitOfWork
from perpdesk.vault.core import Vault
from perpdesk.vault.key_hash import KeyHasher

if TYPE_CHECKING:
    from perpdesk.services.trading.ports import TradingUnitOfWork
    from perpdesk.store.db import Sessions


@dataclass
class AccountsDeps:
    sessions: Sessions  # for the SQL unit of work only
    vault: Vault
    hasher: KeyHasher
    egress_ips: tuple[str, ...]
    connector_for: Callable[[Venue], FuturesConnector]  # an account's connector, by its stored venue
    fast_connect_for: Callable[[str], FastConnectProvider | None]
    venue_for: Callable[[str], Venue]  # the configured venue of an exchange: where new keys connect
    redirect_uri: str  # the Fast Connect callback URL registered at the exchange
    grant_ttl: timedelta = timedelta(minutes=10)
    # whitelist re-check backoff: first re-check after `recheck_base`, doubling up to `recheck_max`
    recheck_base: timedelta = timedelta(seconds=60)
    recheck_max: timedelta = timedelta(hours=1)
    watch_interval_s: float = 5.0  # how often the background task looks for due re-checks
    webhook_allow_private: bool = False  # webhooks may reach loopback/private addresses (demo, tests)
    # told the user id whenever their notifications change (new, read): the live Alerts badge
    on_notifications_changed: Callable[[str], object] | None = None
    # told a queued webhook delivery's id after its commit: its first attempt, as a job
    on_webhook_queued: Callable[[str], Awaitable[object]] | None = None
    # Unit tests give an in-memory unit of work; by default one SQL transaction on `sessions`.
    uow_factory: Callable[[], UnitOfWork] | None = None
    # the tickets being sent, in the database (one order per intention across processes)
    tickets: TicketDesk = field(default_factory=TicketDesk)
    # the trading use cases' unit of work (intents, ticket claims); unit tests give an in-memory one
    trading_uow_factory: Callable[[], TradingUnitOfWork] | None = None

    def uow(self) -> UnitOfWork:
        if self.uow_factory is not None:
            return self.uow_factory()
        return SqlUnitOfWork(self.sessions, self.vault)

    def trading_uow(self) -> TradingUnitOfWork:
        if self.trading_uow_factory is not None:
            return self.trading_uow_factory()
        return SqlUnitOfWork(self.sessions, self.vault)
