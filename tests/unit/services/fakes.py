"""In-memory stand-ins for what the account use cases are given: a unit of work over dicts (writes
land on commit only) and a connector that judges keys from a table, as an exchange would."""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker

from perpdesk.core import errors as E
from perpdesk.core.models import Balance, Credentials, IssuedKey, KeyReport, Permission
from perpdesk.core.pkce import pkce_challenge
from perpdesk.exchanges.bitmart.connector import BITMART_INFO
from perpdesk.exchanges.bitmart.fast_connect import FastConnectFailed
from perpdesk.exchanges.registry import Venue
from perpdesk.services.deps import AccountsDeps
from perpdesk.store.accounts import AccountAuditEntry, AccountNotice
from perpdesk.store.base import utcnow
from perpdesk.store.records import AccountRecord, AuditEntryRecord, GrantRecord, NoticeRecord
from perpdesk.store.uow import DuplicateRow
from perpdesk.vault import EnvMasterKey, Vault
from perpdesk.vault.key_hash import KeyHasher


@dataclass
class Tables:
    """What the fake database holds (shared by every unit of work of one test)."""

    accounts: dict[str, AccountRecord] = field(default_factory=dict)
    credentials: dict[tuple[str, str], Credentials] = field(default_factory=dict)
    grants: dict[str, GrantRecord] = field(default_factory=dict)
    audit: list[AccountAuditEntry] = field(default_factory=list)
    notices: list[AccountNotice] = field(default_factory=list)
    commits: int = 0


class _Accounts:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.t = uow.tables

    async def add(self, account: AccountRecord) -> None:
        self.uow.staged.append(("add", account))

    async def save(self, account: AccountRecord) -> None:
        if account.id in self.t.accounts:
            self.uow.staged.append(("save", account))

    async def owned(self, user_id: str, account_id: str) -> AccountRecord | None:
        row = self.t.accounts.get(account_id)
        return row if row is not None and row.user_id == user_id else None

    async def of_user(self, user_id: str) -> list[AccountRecord]:
        return sorted(
            (r for r in self.t.accounts.values() if r.user_id == user_id), key=lambda r: r.created_at
        )

    async def with_status(self, status: str) -> list[AccountRecord]:
        return sorted((r for r in self.t.accounts.values() if r.status == status), key=lambda r: r.id)

    async def remove(self, account_id: str) -> None:
        self.uow.staged.append(("remove", account_id))

    async def key_taken(self, api_key_hash: str, *, except_id: str | None = None) -> bool:
        return any(r.api_key_hash == api_key_hash and r.id != except_id for r in self.t.accounts.values())

    async def exchange_account_taken(
        self, exchange: str, account_hash: str, *, except_id: str | None = None
    ) -> bool:
        return any(
            r.exchange == exchange and r.exchange_account_hash == account_hash and r.id != except_id
            for r in self.t.accounts.values()
        )

    async def due_for_recheck(self, status: str, now: datetime, limit: int) -> list[tuple[str, str]]:
        due = [
            r
            for r in self.t.accounts.values()
            if r.status == status and r.next_check_at and r.next_check_at <= now
        ]
        return [(r.user_id, r.id) for r in sorted(due, key=lambda r: r.next_check_at)][:limit]


class _Credentials:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def put(self, creds: Credentials, *, user_id: str, account_id: str) -> None:
        self.uow.staged.append(("creds", (user_id, account_id, creds)))

    async def get(self, *, user_id: str, account_id: str) -> Credentials | None:
        return self.uow.tables.credentials.get((user_id, account_id))

    async def delete(self, *, user_id: str, account_id: str) -> None:
        self.uow.staged.append(("creds", (user_id, account_id, None)))


class _Grants:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.t = uow.tables

    async def add(self, grant: GrantRecord) -> None:
        self.uow.staged.append(("grant", grant))

    async def save(self, grant: GrantRecord) -> None:
        if grant.id in self.t.grants:
            self.uow.staged.append(("grant", grant))

    async def get(self, grant_id: str) -> GrantRecord | None:
        return self.t.grants.get(grant_id)

    async def by_state_hash(self, state_hash: str) -> GrantRecord | None:
        return next((g for g in self.t.grants.values() if g.state_hash == state_hash), None)

    async def claim(self, grant_id: str, from_statuses: Sequence[str], to_status: str) -> bool:
        g = self.t.grants.get(grant_id)
        if g is None or g.status not in from_statuses:
            return False
        await self.save(replace(g, status=to_status))
        return True

    async def stale(self, *a: Any) -> list[GrantRecord]:
        return []

    async def purge_finished(self, final: Sequence[str], before: datetime) -> None:
        return None


class _Audit:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def record(
        self,
        *,
        user_id: str,
        action: str,
        account_id: str | None,
        actor: str | None = None,
        detail: dict[str, object] | None = None,
    ) -> None:
        entry = AccountAuditEntry(
            user_id=user_id,
            actor=actor or user_id,
            action=action,
            account_id=account_id,
            detail=dict(detail or {}),
            at=utcnow(),
        )
        self.uow.staged.append(("audit", entry))

    async def entries(self, user_id: str, limit: int) -> list[AuditEntryRecord]:
        mine = [e for e in reversed(self.uow.tables.audit) if e.user_id == user_id][:limit]
        return [AuditEntryRecord(e.at, e.actor, e.action, e.account_id, dict(e.detail)) for e in mine]

    async def notify(self, *, user_id: str, account_id: str | None, kind: str, message: str) -> None:
        self.uow.staged.append(
            (
                "notice",
                AccountNotice(
                    user_id=user_id,
                    account_id=account_id,
                    kind=kind,
                    message=message,
                    read=False,
                    at=utcnow(),
                ),
            )
        )

    async def unread_notices(self, user_id: str) -> list[NoticeRecord]:
        mine = [n for n in self.uow.tables.notices if n.user_id == user_id and not n.read]
        return [NoticeRecord(n.id, n.at, n.kind, n.message, n.account_id) for n in mine]

    async def mark_read(self, user_id: str, notice_id: str | None = None) -> None:
        for n in self.uow.tables.notices:
            if n.user_id == user_id and notice_id in (None, n.id):
                n.read = True


class FakeUnitOfWork:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self.staged: list[tuple[str, Any]] = []
        self.accounts = _Accounts(self)
        self.credentials = _Credentials(self)
        self.grants = _Grants(self)
        self.audit = _Audit(self)

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.staged.clear()  # not committed: nothing lands

    async def flush(self) -> None:
        for kind, row in self.staged:
            if kind == "add" and any(
                r.api_key_hash == row.api_key_hash for r in self.tables.accounts.values()
            ):
                raise DuplicateRow()

    async def commit(self) -> None:
        await self.flush()
        for kind, item in self.staged:
            if kind in ("add", "save"):
                self.tables.accounts[item.id] = item
            elif kind == "remove":
                self.tables.accounts.pop(item, None)
            elif kind == "creds":
                user_id, account_id, creds = item
                if creds is None:
                    self.tables.credentials.pop((user_id, account_id), None)
                else:
                    self.tables.credentials[(user_id, account_id)] = creds
            elif kind == "audit":
                self.tables.audit.append(item)
            elif kind == "notice":
                self.tables.notices.append(item)
            elif kind == "grant":
                self.tables.grants[item.id] = item
        self.staged.clear()
        self.tables.commits += 1


@dataclass
class ExchangeKey:
    secret: str
    passphrase: str
    account_id: str
    permissions: frozenset[Permission] = frozenset({Permission.READ, Permission.FUTURE_TRADE})
    whitelisted: bool = True
    ip_whitelist: tuple[str, ...] = ("127.0.0.1",)


class FakeConnector:
    """Judges a key like BitMart: unknown key, then the signature, then what the key may do."""

    info = BITMART_INFO

    def __init__(self) -> None:
        self.keys: dict[str, ExchangeKey] = {}
        self.calls = 0

    def issue(self, **kw: Any) -> Credentials:
        api_key = secrets.token_hex(8)
        key = ExchangeKey(
            secret=secrets.token_hex(16), passphrase="memo", account_id=kw.pop("account_id", api_key), **kw
        )
        self.keys[api_key] = key
        return Credentials(api_key, key.secret, key.passphrase)

    async def inspect_key(self, creds: Credentials) -> KeyReport:
        self.calls += 1
        key = self.keys.get(creds.api_key)
        if key is None:
            return KeyReport(False, None, None, None, None, None, error=E.AuthenticationFailed("unknown key"))
        if (creds.secret, creds.passphrase) != (key.secret, key.passphrase):
            return KeyReport(True, False, None, None, None, None, error=E.InvalidSignature("bad signature"))
        return KeyReport(
            True,
            True,
            True,
            key.whitelisted,
            key.permissions,
            key.ip_whitelist,
            balances=(Balance("USDT", Decimal("100.5"), Decimal("100.5")),),
            account_id=key.account_id,
            error=None if key.whitelisted else E.NotWhitelistedForFutures("not whitelisted"),
        )

    async def aclose(self) -> None:
        return None


class FakeFastConnect:
    """The exchange's OAuth side: the user approves (a key is issued to a one-time code bound to
    the PKCE challenge), the platform redeems the code with its verifier, and may revoke keys."""

    def __init__(self, exchange: FakeConnector) -> None:
        self.exchange = exchange
        self.asked: dict[str, Any] = {}
        self.codes: dict[str, tuple[str, Credentials]] = {}
        self.revoked: list[str] = []

    def authorize_url(
        self,
        *,
        state: str,
        code_challenge: str,
        redirect_uri: str,
        ip_whitelist: Sequence[str],
        label: str | None = None,
    ) -> str:
        self.asked = {"state": state, "code_challenge": code_challenge, "ip_whitelist": list(ip_whitelist)}
        return f"https://exchange.test/oauth/authorize?state={state}"

    def approve(self, **key: Any) -> str:
        code = secrets.token_urlsafe(8)
        self.codes[code] = (self.asked["code_challenge"], self.exchange.issue(**key))
        return code

    async def redeem(self, *, code: str, code_verifier: str, redirect_uri: str) -> IssuedKey:
        challenge, creds = self.codes.pop(code, ("", None))  # type: ignore[arg-type]
        if creds is None or pkce_challenge(code_verifier) != challenge:
            raise FastConnectFailed("invalid_grant")
        key = self.exchange.keys[creds.api_key]
        return IssuedKey(creds, key.permissions, key.ip_whitelist)

    async def revoke(self, api_key: str) -> None:
        self.revoked.append(api_key)
        self.exchange.keys.pop(api_key, None)

    async def aclose(self) -> None:
        return None


def fake_deps(
    tables: Tables, connector: FakeConnector, *, fast_connect: FakeFastConnect | None = None, **overrides: Any
) -> AccountsDeps:
    return AccountsDeps(
        sessions=async_sessionmaker(),  # never opened: every use case goes through the unit of work
        vault=Vault(EnvMasterKey(base64.b64encode(os.urandom(32)).decode())),
        hasher=KeyHasher(secrets.token_bytes(32)),
        egress_ips=("127.0.0.1",),
        connector_for=lambda _ex: connector,  # type: ignore[arg-type,return-value]
        fast_connect_for=lambda _ex: fast_connect,  # type: ignore[arg-type,return-value]
        venue_for=lambda ex: Venue(ex, "http://exchange.test"),
        redirect_uri="http://127.0.0.1:9/cb",
        uow_factory=lambda: FakeUnitOfWork(tables),
        **overrides,
    )
