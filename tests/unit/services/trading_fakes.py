"""In-memory stand-ins for the trading use cases, built on the account ones (fakes.py): a trading
unit of work (intents, lost changes, ticket claims over dicts, beside the account tables), and a
desk wiring it with the fake exchange (trading_exchange.py) and a trader's active account.

Added and saved records land on commit only (the unit of work reads its own writes before that)
and a claim's unique key is checked on flush, as in the database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from perpdesk.core.models import AccountStatus
from perpdesk.services.deps import AccountsDeps
from perpdesk.store.base import new_id, utcnow
from perpdesk.store.order_records import UNSETTLED, ChangeRecord, ChangeStatus, ClaimRecord, IntentRecord
from perpdesk.store.records import AccountRecord
from perpdesk.store.uow import DuplicateRow
from tests.unit.services.fakes import FakeUnitOfWork, Tables, fake_deps
from tests.unit.services.trading_exchange import ETH, ETH_RULES, FakeExchange


@dataclass
class TradingTables:
    """The fake database of a test: the account tables and the trading ones."""

    accounts: Tables = field(default_factory=Tables)
    intents: dict[str, IntentRecord] = field(default_factory=dict)
    changes: dict[str, ChangeRecord] = field(default_factory=dict)
    claims: dict[str, ClaimRecord] = field(default_factory=dict)


class _Intents:
    def __init__(self, uow: FakeTradingUnitOfWork) -> None:
        self.uow = uow
        self.t = uow.tables

    def _all(self) -> list[IntentRecord]:
        """The committed intents with this unit of work's writes over them."""
        staged = {r.id: r for r in self.uow.staged if isinstance(r, IntentRecord)}
        return list({**self.t.intents, **staged}.values())

    def _rows(self, user_id: str, account_id: str) -> list[IntentRecord]:
        rows = [r for r in self._all() if (r.user_id, r.account_id) == (user_id, account_id)]
        return sorted(rows, key=lambda r: r.created_at, reverse=True)

    async def add(self, intent: IntentRecord) -> IntentRecord:
        self.uow.staged.append(intent)
        return intent

    async def save(self, intent: IntentRecord) -> IntentRecord:
        assert intent.id in {r.id for r in self._all()}, "saving an intent never added"
        self.uow.staged.append(intent)
        return intent

    async def by_client_id(self, user_id: str, account_id: str, client_order_id: str) -> IntentRecord | None:
        mine = self._rows(user_id, account_id)
        return next((r for r in mine if r.client_order_id == client_order_id), None)

    async def for_account(
        self, user_id: str, account_id: str, *, statuses: Sequence[str] | None = None, limit: int = 100
    ) -> list[IntentRecord]:
        return [r for r in self._rows(user_id, account_id) if not statuses or r.status in statuses][:limit]

    async def symbols(self, user_id: str, account_id: str) -> list[str]:
        return sorted({r.symbol for r in self._rows(user_id, account_id)})

    async def unsettled(self, user_id: str, account_id: str) -> list[IntentRecord]:
        return await self.for_account(user_id, account_id, statuses=UNSETTLED, limit=500)

    async def unsettled_like(
        self, user_id: str, account_id: str, intent: IntentRecord
    ) -> IntentRecord | None:
        unsettled = await self.unsettled(user_id, account_id)
        return next((r for r in unsettled if r.terms == intent.terms), None)

    async def accounts_with_unsettled(self, limit: int = 500) -> list[tuple[str, str]]:
        pairs = {(r.user_id, r.account_id) for r in self._all() if r.status in UNSETTLED}
        pairs |= {
            (c.user_id, c.account_id)
            for c in self.t.changes.values()
            if c.status == ChangeStatus.UNKNOWN.value
        }
        return sorted(pairs)[:limit]

    async def taken_order_ids(self, user_id: str, account_id: str, purposes: Sequence[str]) -> set[str]:
        return {r.order_id for r in self._rows(user_id, account_id) if r.purpose in purposes and r.order_id}

    async def trails_by_ids(
        self, user_id: str, account_id: str, order_ids: Sequence[str], client_order_ids: Sequence[str]
    ) -> list[IntentRecord]:
        return [
            r
            for r in self._rows(user_id, account_id)
            if r.purpose == "trail" and (r.order_id in order_ids or r.client_order_id in client_order_ids)
        ]

    async def recently_refused(self, user_id: str, account_id: str, since: datetime) -> list[IntentRecord]:
        return [
            r
            for r in self._rows(user_id, account_id)
            if r.status == "not_placed"
            and r.settled_at is not None
            and r.settled_at >= since
            and r.purpose not in ("plan", "trail")
        ]

    async def accounts_with_refused(self, since: datetime) -> set[str]:
        return {
            r.account_id
            for r in self._all()
            if r.status == "not_placed" and r.settled_at is not None and r.settled_at >= since
            and r.purpose not in ("plan", "trail")
        }

    async def known_client_ids(
        self, account_id: str, client_order_ids: Sequence[str]
    ) -> dict[str, IntentRecord]:
        return {
            r.client_order_id: r
            for r in self._all()
            if r.account_id == account_id and r.client_order_id in client_order_ids
        }

    async def earliest_due(self) -> datetime | None:
        times = [
            r.decided_after for r in self._all() if r.status in UNSETTLED and r.decided_after
        ]
        times += [
            c.decided_after
            for c in self.t.changes.values()
            if c.status == ChangeStatus.UNKNOWN.value and c.decided_after
        ]
        return min(times) if times else None

    async def add_change(self, change: ChangeRecord) -> ChangeRecord:
        self.uow.staged.append(change)
        return change

    async def save_change(self, change: ChangeRecord) -> ChangeRecord:
        assert change.id in self.t.changes, "saving a change never added"
        self.uow.staged.append(change)
        return change

    async def unknown_changes(self, user_id: str, account_id: str) -> list[ChangeRecord]:
        return sorted(
            (
                c
                for c in self.t.changes.values()
                if (c.user_id, c.account_id) == (user_id, account_id)
                and c.status == ChangeStatus.UNKNOWN.value
            ),
            key=lambda c: c.created_at,
        )

    async def changes_for(self, user_id: str, account_id: str, limit: int = 50) -> list[ChangeRecord]:
        rows = [c for c in self.t.changes.values() if (c.user_id, c.account_id) == (user_id, account_id)]
        return sorted(rows, key=lambda c: c.created_at, reverse=True)[:limit]

    async def change(self, user_id: str, change_id: str) -> ChangeRecord | None:
        row = self.t.changes.get(change_id)
        return row if row is not None and row.user_id == user_id else None


class _Tickets:
    def __init__(self, uow: FakeTradingUnitOfWork) -> None:
        self.uow = uow
        self.t = uow.tables

    async def drop_stale(self, account_id: str, ticket_key: str, now: datetime) -> None:
        for c in list(self.t.claims.values()):
            if (c.account_id, c.ticket_key) == (account_id, ticket_key) and c.expires_at < now:
                self.uow.dropped.append(c.id)

    async def live_holder(self, account_id: str, ticket_key: str, now: datetime) -> ClaimRecord | None:
        live = [
            c
            for c in self.t.claims.values()
            if (c.account_id, c.ticket_key) == (account_id, ticket_key)
            and c.expires_at >= now
            and c.id not in self.uow.dropped
        ]
        return min(live, key=lambda c: c.since) if live else None

    async def add(self, claim: ClaimRecord) -> None:
        self.uow.staged.append(claim)

    async def drop(self, claim_id: str) -> None:
        self.uow.dropped.append(claim_id)


class FakeTradingUnitOfWork:
    """The account unit of work (accounts, credentials, audit) and the trading repositories."""

    def __init__(self, tables: TradingTables) -> None:
        self.tables = tables
        self.account_uow = FakeUnitOfWork(tables.accounts)
        self.accounts = self.account_uow.accounts
        self.credentials = self.account_uow.credentials
        self.grants = self.account_uow.grants
        self.audit = self.account_uow.audit
        self.orders = _Intents(self)
        self.tickets = _Tickets(self)
        self.staged: list[Any] = []
        self.dropped: list[str] = []

    async def __aenter__(self) -> FakeTradingUnitOfWork:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.staged.clear()
        self.dropped.clear()
        await self.account_uow.__aexit__()

    async def flush(self) -> None:
        live = {
            (c.account_id, c.ticket_key, c.slot)
            for c in self.tables.claims.values()
            if c.id not in self.dropped
        }
        for row in self.staged:
            if isinstance(row, ClaimRecord) and (row.account_id, row.ticket_key, row.slot) in live:
                raise DuplicateRow()

    async def commit(self) -> None:
        await self.flush()
        for claim_id in self.dropped:
            self.tables.claims.pop(claim_id, None)
        for row in self.staged:
            if isinstance(row, ClaimRecord):
                self.tables.claims[row.id] = row
            elif isinstance(row, IntentRecord):
                self.tables.intents[row.id] = row
            elif isinstance(row, ChangeRecord):
                self.tables.changes[row.id] = row
        self.staged.clear()
        self.dropped.clear()
        await self.account_uow.commit()


@dataclass
class Desk:
    """One test's world: the tables, the exchange, the deps and a trader's active account."""

    tables: TradingTables
    exchange: FakeExchange
    deps: AccountsDeps
    user_id: str
    account_id: str


def trading_desk(**overrides: Any) -> Desk:
    tables, exchange = TradingTables(), FakeExchange()
    deps = fake_deps(
        tables.accounts,
        exchange,  # type: ignore[arg-type]  # a FakeConnector's key side, composed
        trading_uow_factory=lambda: FakeTradingUnitOfWork(tables),
        **overrides,
    )
    creds = exchange.keys.issue()
    now = utcnow()
    account = AccountRecord(
        id=new_id(),
        user_id="alice",
        exchange="bitmart",
        market="futures",
        label="Main",
        method="manual",
        status=AccountStatus.ACTIVE.value,
        api_key_hash="h",
        api_key_mask="ab…cd",
        api_url="http://exchange.test",
        created_at=now,
        updated_at=now,
    )
    tables.accounts.accounts[account.id] = account
    tables.accounts.credentials[("alice", account.id)] = creds
    return Desk(tables, exchange, deps, "alice", account.id)


__all__ = [
    "ETH",
    "ETH_RULES",
    "Desk",
    "FakeExchange",
    "FakeTradingUnitOfWork",
    "TradingTables",
    "trading_desk",
]
