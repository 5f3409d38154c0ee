"""The in-memory unit of work of fakes.py, given the rest of the platform's repositories
(notifications, webhook deliveries, equity snapshots, sealed secrets, account summaries), and a
connector holding one book per API key: enough for the portfolio, notification and webhook use
cases to run without a database or an exchange.

Like the account tables of fakes.py, what a unit of work writes lands on commit only: each one
works on its own copy of the tables (records are frozen, so a copy of the dicts is a copy)."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from perpdesk.core.ledger import Fill, Transaction
from perpdesk.core.models import AccountStatus, Balance, Credentials, Instrument, Order, Position
from perpdesk.exchanges.bitmart.connector import BITMART_INFO
from perpdesk.services.deps import AccountsDeps
from perpdesk.store.account_repos import summary_of
from perpdesk.store.base import new_id, utcnow
from perpdesk.store.records import (
    AccountRecord,
    AccountSummary,
    DeliveryRecord,
    EquitySample,
    NotificationPrefsRecord,
    NotificationRecord,
)
from tests.unit.services.fakes import FakeUnitOfWork, Tables, fake_deps

VENUE_URL = "http://exchange.test"


@dataclass
class StoreTables:
    accounts: Tables = field(default_factory=Tables)  # accounts, credentials, audit (fakes.py)
    notifications: dict[str, NotificationRecord] = field(default_factory=dict)
    prefs: dict[str, NotificationPrefsRecord] = field(default_factory=dict)
    deliveries: dict[str, DeliveryRecord] = field(default_factory=dict)
    snapshots: list[EquitySample] = field(default_factory=list)
    secrets: dict[tuple[str, str, str], bytes] = field(default_factory=dict)
    reads: Counter[str] = field(default_factory=Counter)  # repository reads, by name: batching shows

    def add_account(self, user_id: str, label: str, creds: Credentials | None, **kw: Any) -> str:
        created = kw.pop("created_at", utcnow() - timedelta(days=2))
        row = AccountRecord(
            id=new_id(),
            user_id=user_id,
            exchange="bitmart",
            api_url=VENUE_URL,
            label=label,
            method="manual",
            status=kw.pop("status", "active"),
            warnings=tuple(kw.pop("warnings", ())),
            created_at=created,
            updated_at=created,
            **kw,
        )
        self.accounts.accounts[row.id] = row
        if creds is not None:
            self.accounts.credentials[(user_id, row.id)] = creds
        return row.id


class _Data:
    """The copy one unit of work reads and writes."""

    def __init__(self, t: StoreTables) -> None:
        self.notifications = dict(t.notifications)
        self.prefs = dict(t.prefs)
        self.deliveries = dict(t.deliveries)
        self.snapshots = list(t.snapshots)
        self.secrets = dict(t.secrets)


class _Notifications:
    def __init__(self, d: _Data) -> None:
        self.d = d

    async def add_once(
        self, *, user_id: str, kind: str, title: str, body: str, dedupe_key: str, account_id: str | None
    ) -> NotificationRecord | None:
        if any(n.user_id == user_id and n.dedupe_key == dedupe_key for n in self.d.notifications.values()):
            return None
        n = NotificationRecord(new_id(), user_id, account_id, kind, title, body, dedupe_key, utcnow())
        self.d.notifications[n.id] = n
        return n

    async def dedupe_keys(self, prefix: str, limit: int) -> set[str]:
        return {n.dedupe_key for n in self.d.notifications.values() if n.dedupe_key.startswith(prefix)}

    async def recent(
        self, user_id: str, *, unread_only: bool = False, limit: int = 50
    ) -> list[NotificationRecord]:
        mine = [
            n for n in self.d.notifications.values() if n.user_id == user_id and not (unread_only and n.read)
        ]
        return sorted(mine, key=lambda n: n.created_at, reverse=True)[:limit]

    async def unread_count(self, user_id: str) -> int:
        return len(await self.recent(user_id, unread_only=True, limit=10**6))

    async def mark_read(self, user_id: str, ids: list[str] | None = None) -> int:
        marked = [
            n for n in await self.recent(user_id, unread_only=True, limit=10**6) if ids is None or n.id in ids
        ]
        for n in marked:
            self.d.notifications[n.id] = replace(n, read_at=utcnow())
        return len(marked)

    async def prefs(self, user_id: str) -> NotificationPrefsRecord:
        return self.d.prefs.get(user_id, NotificationPrefsRecord())

    async def save_prefs(self, user_id: str, prefs: NotificationPrefsRecord) -> None:
        self.d.prefs[user_id] = prefs

    async def thresholds(self) -> dict[str, Decimal]:
        return {u: p.liquidation_pct for u, p in self.d.prefs.items() if p.liquidation_pct is not None}


class _Webhooks:
    def __init__(self, d: _Data) -> None:
        self.d = d

    async def save(self, d: DeliveryRecord) -> None:
        self.d.deliveries[d.id] = d

    async def get(self, delivery_id: str) -> DeliveryRecord | None:
        return self.d.deliveries.get(delivery_id)

    async def recent(self, user_id: str, limit: int) -> list[DeliveryRecord]:
        mine = [d for d in self.d.deliveries.values() if d.user_id == user_id]
        return sorted(mine, key=lambda d: d.created_at, reverse=True)[:limit]

    async def claim(self, delivery_id: str, now: datetime, until: datetime) -> bool:
        d = self.d.deliveries.get(delivery_id)
        if d is None or d.delivered or d.gave_up or d.next_attempt_at is None or d.next_attempt_at > now:
            return False
        self.d.deliveries[delivery_id] = replace(d, next_attempt_at=until)
        return True

    async def due(self, now: datetime, *, per_user: int, users: int) -> dict[str, list[str]]:
        due = sorted(
            (
                d
                for d in self.d.deliveries.values()
                if not d.delivered
                and not d.gave_up
                and d.next_attempt_at is not None
                and d.next_attempt_at <= now
            ),
            key=lambda d: (d.next_attempt_at, d.id),
        )
        by_user: dict[str, list[str]] = {}
        for d in due:
            ids = by_user.setdefault(d.user_id, [])
            if len(ids) < per_user:
                ids.append(d.id)
        return dict(list(by_user.items())[:users])


class _Snapshots:
    def __init__(self, d: _Data, accounts: Tables) -> None:
        self.d = d
        self.accounts = accounts

    async def add(self, samples: Sequence[EquitySample]) -> None:
        taken = {(s.account_id, s.taken_at) for s in self.d.snapshots}
        self.d.snapshots.extend(s for s in samples if (s.account_id, s.taken_at) not in taken)

    async def without_sample(self, taken_at: datetime, status: str) -> list[tuple[str, str]]:
        taken = {s.account_id for s in self.d.snapshots if s.taken_at == taken_at}
        return [(r.user_id, r.id) for r in self.accounts.accounts.values()
                if r.status == status and r.id not in taken]

    async def since(self, user_id: str, since: datetime, account_id: str | None = None) -> list[EquitySample]:
        return [
            s
            for s in self.d.snapshots
            if s.user_id == user_id and s.taken_at >= since and account_id in (None, s.account_id)
        ]

    async def purge_before(self, before: datetime) -> None:
        self.d.snapshots[:] = [s for s in self.d.snapshots if s.taken_at >= before]


class _Secrets:
    """Stored as given: the sealing itself is the vault's (tested in tests/unit/vault)."""

    def __init__(self, d: _Data) -> None:
        self.d = d

    async def put(self, *, user_id: str, ref: str, purpose: str, plaintext: bytes | str) -> None:
        self.d.secrets[(user_id, ref, purpose)] = (
            plaintext.encode() if isinstance(plaintext, str) else plaintext
        )

    async def get(self, *, user_id: str, ref: str, purpose: str) -> bytes | None:
        return self.d.secrets.get((user_id, ref, purpose))

    async def exists(self, *, user_id: str, ref: str, purpose: str) -> bool:
        return (user_id, ref, purpose) in self.d.secrets

    async def delete(self, *, user_id: str, ref: str, purpose: str) -> None:
        self.d.secrets.pop((user_id, ref, purpose), None)

    async def rename(self, *, user_id: str, ref: str, purpose: str, to: str) -> bool:
        blob = self.d.secrets.pop((user_id, ref, purpose), None)
        if blob is not None:
            self.d.secrets[(user_id, ref, to)] = blob
        return blob is not None


class StoreUnitOfWork(FakeUnitOfWork):
    """fakes.FakeUnitOfWork (accounts, credentials, grants, audit) and the repositories above."""

    def __init__(self, tables: StoreTables) -> None:
        super().__init__(tables.accounts)
        self.store = tables
        self.data = _Data(tables)
        self.notifications = _Notifications(self.data)
        self.webhooks = _Webhooks(self.data)
        self.snapshots = _Snapshots(self.data, tables.accounts)
        self.secrets = _Secrets(self.data)
        accounts = self.accounts

        async def summaries(*, user_id: str | None = None, status: str | None = None) -> list[AccountSummary]:
            tables.reads["accounts.summaries"] += 1
            rows = [
                r
                for r in tables.accounts.accounts.values()
                if user_id in (None, r.user_id) and status in (None, r.status)
            ]
            return [summary_of(r) for r in sorted(rows, key=lambda r: (r.created_at, r.id))]

        async def summary(account_id: str) -> AccountSummary | None:
            row = tables.accounts.accounts.get(account_id)
            return summary_of(row) if row is not None else None

        async def owned(user_id: str, account_id: str) -> AccountRecord | None:
            tables.reads["accounts.owned"] += 1
            row = tables.accounts.accounts.get(account_id)
            return row if row is not None and row.user_id == user_id else None

        async def of_user(user_id: str) -> dict[str, Credentials]:
            tables.reads["credentials.of_user"] += 1
            return {a: c for (u, a), c in tables.accounts.credentials.items() if u == user_id}

        async def with_key_problems() -> list[AccountSummary]:
            tables.reads["accounts.with_key_problems"] += 1
            return [r for r in await summaries()
                    if r.warnings or (r.status == AccountStatus.ERROR.value and r.last_error)]

        accounts.summaries, accounts.summary, accounts.owned = summaries, summary, owned  # type: ignore[method-assign]

        async def marker(*, status: str | None = None) -> tuple[object, ...]:
            rows = [r for r in tables.accounts.accounts.values() if status in (None, r.status)]
            return (len(rows), max((r.updated_at for r in rows), default=None),  # as AccountRepo.marker
                    max((r.created_at for r in rows), default=None))

        accounts.with_key_problems = with_key_problems  # type: ignore[attr-defined]
        accounts.marker = marker  # type: ignore[method-assign]
        self.credentials.of_user = of_user  # type: ignore[attr-defined]

    async def commit(self) -> None:
        await super().commit()
        t, d = self.store, self.data
        t.notifications, t.prefs, t.deliveries = dict(d.notifications), dict(d.prefs), dict(d.deliveries)
        t.snapshots, t.secrets = list(d.snapshots), dict(d.secrets)


@dataclass
class Book:
    """What the exchange holds for one key."""

    balances: list[Balance] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)


class BookConnector:
    """Answers the read calls from a Book per API key; `down` makes every call fail."""

    info = BITMART_INFO

    def __init__(self) -> None:
        self.books: dict[str, Book] = {}
        self.calls: Counter[str] = Counter()
        self.down: Exception | None = None

    def _book(self, creds: Credentials, call: str) -> Book:
        self.calls[call] += 1
        if self.down is not None:
            raise copy.copy(self.down)
        return self.books[creds.api_key]

    async def balances(self, creds: Credentials) -> list[Balance]:
        return list(self._book(creds, "balances").balances)

    async def positions(self, creds: Credentials, symbol: str | None = None) -> list[Position]:
        return [p for p in self._book(creds, "positions").positions if symbol in (None, p.symbol)]

    async def open_orders(self, creds: Credentials, symbol: str | None = None) -> list[Order]:
        self._book(creds, "open_orders")
        return []

    async def fills(
        self,
        creds: Credentials,
        symbol: str | None = None,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
    ) -> list[Fill]:
        return [
            f
            for f in self._book(creds, "fills").fills
            if (start_ms or 0) <= f.time_ms <= (end_ms or 2**62) and symbol in (None, f.symbol)
        ]

    async def transactions(
        self,
        creds: Credentials,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        max_pages: int = 20,
    ) -> list[Transaction]:
        return [
            t
            for t in self._book(creds, "transactions").transactions
            if (start_ms or 0) <= t.time_ms <= (end_ms or 2**62)
        ]

    async def instruments(self) -> list[Instrument]:
        return []


def store_deps(tables: StoreTables, connector: BookConnector, **overrides: Any) -> AccountsDeps:
    deps = fake_deps(tables.accounts, connector, **overrides)  # type: ignore[arg-type]
    deps.uow_factory = lambda: StoreUnitOfWork(tables)
    return deps
