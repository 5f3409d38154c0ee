"""Repositories of connected accounts, Fast Connect grants and the audit log (with notices).

Each takes the unit of work's session; the unit of work owns the transaction. Every lookup of a
user's account takes the user id: another user's account is simply not found.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from perpdesk.core.models import AccountStatus
from perpdesk.store.accounts import AccountAuditEntry, AccountNotice, ExchangeAccount, FastConnectGrant
from perpdesk.store.base import to_record, utcnow, write_back
from perpdesk.store.records import AccountRecord, AccountSummary, AuditEntryRecord, GrantRecord, NoticeRecord


def summary_of(r: ExchangeAccount | AccountRecord | Row[Any]) -> AccountSummary:
    return AccountSummary(r.id, r.user_id, r.exchange, r.label, r.status, r.created_at, r.api_url, r.ws_url,
                          tuple(r.warnings or ()), r.last_error, r.updated_at, key_version(r.api_key_hash))


def key_version(api_key_hash: str | None) -> str:
    """Which key the account holds, as a short digest of its keyed hash (never the hash)."""
    return hashlib.sha256((api_key_hash or "").encode()).hexdigest()[:16]


def _summary_columns() -> tuple[Any, ...]:
    a = ExchangeAccount
    return (a.id, a.user_id, a.exchange, a.label, a.status, a.created_at, a.api_url, a.ws_url, a.warnings,
            a.last_error, a.updated_at, a.api_key_hash)


_LISTS = ("permissions", "warnings", "balances")  # JSON lists in the row, tuples in the record


def account_of(r: ExchangeAccount) -> AccountRecord:
    lists: dict[str, Any] = {n: tuple(getattr(r, n) or ()) for n in _LISTS}
    lists["ip_whitelist"] = tuple(r.ip_whitelist) if r.ip_whitelist is not None else None
    return replace(to_record(AccountRecord, r), **lists)


def _columns(a: AccountRecord) -> dict[str, object]:
    values = asdict(a)
    values.update({n: list(getattr(a, n)) for n in _LISTS})
    values["ip_whitelist"] = list(a.ip_whitelist) if a.ip_whitelist is not None else None
    return values


FORBIDDEN_DETAIL_KEYS = frozenset({"secret", "secret_key", "passphrase", "memo", "api_key", "password"})


class AccountRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(self, account: AccountRecord) -> None:
        self.s.add(ExchangeAccount(**_columns(account)))

    async def save(self, account: AccountRecord) -> None:
        """Write back an account this transaction read and changed (gone meanwhile: nothing to do)."""
        await write_back(self.s, ExchangeAccount, account.id, _columns(account))

    async def owned(self, user_id: str, account_id: str) -> AccountRecord | None:
        a = ExchangeAccount
        row = await self.s.scalar(select(a).where(a.id == account_id, a.user_id == user_id))
        return account_of(row) if row is not None else None

    async def of_user(self, user_id: str) -> list[AccountRecord]:
        rows = await self.s.scalars(
            select(ExchangeAccount)
            .where(ExchangeAccount.user_id == user_id)
            .order_by(ExchangeAccount.created_at, ExchangeAccount.id)
        )
        return [account_of(r) for r in rows]

    async def with_status(self, status: str) -> list[AccountRecord]:
        """Every user's accounts in `status` (the live supervisor mirrors the active ones)."""
        rows = await self.s.scalars(
            select(ExchangeAccount).where(ExchangeAccount.status == status).order_by(ExchangeAccount.id)
        )
        return [account_of(r) for r in rows]

    async def summaries(
        self, *, user_id: str | None = None, status: str | None = None
    ) -> list[AccountSummary]:
        """Accounts (of one user, in one status, or all), oldest first, in one query."""
        a = ExchangeAccount
        # the summary's columns only, not whole rows: the watchers and the live supervisor read
        # every account every few seconds, and hydrating rows (their JSON lists) was most of it
        q = select(*_summary_columns())
        if user_id is not None:
            q = q.where(a.user_id == user_id)
        if status is not None:
            q = q.where(a.status == status)
        return [summary_of(r) for r in await self.s.execute(q.order_by(a.created_at, a.id))]

    async def with_key_problems(self) -> list[AccountSummary]:
        """The accounts a key audit left warnings on or in error, oldest first: what the
        notification pass reads with live mirrors on (every row, every 15 s, was a worker's
        largest database read)."""
        a = ExchangeAccount
        q = select(*_summary_columns()).where(or_(
            func.json_array_length(a.warnings) > 0,
            and_(a.status == AccountStatus.ERROR.value, a.last_error.is_not(None))))
        return [summary_of(r) for r in await self.s.execute(q.order_by(a.created_at, a.id))]

    async def marker(self, *, status: str | None = None) -> tuple[object, ...]:
        """Changes when the accounts (in `status`) do: one joins or leaves, or is checked, re-keyed
        or renamed (each sets `updated_at`). One row, where `summaries` reads them all."""
        a = ExchangeAccount
        q = select(func.count(), func.max(a.updated_at), func.max(a.created_at))
        if status is not None:
            q = q.where(a.status == status)
        return tuple((await self.s.execute(q)).one())

    async def summary(self, account_id: str) -> AccountSummary | None:
        """Any user's account by id: for the background watchers only, never a user's request."""
        row = await self.s.get(ExchangeAccount, account_id)
        return summary_of(row) if row is not None else None

    async def record_missing_venue(self, exchange: str, api_url: str, ws_url: str | None) -> int:
        """Accounts connected before venues were stored get the venue configured now (the one
        they were connected against, unless the configuration changed since). Returns how many."""
        a = ExchangeAccount
        missing = update(a).where(a.exchange == exchange, a.api_url.is_(None))
        # updated_at too: the live supervisors' marker sees these accounts become mirrorable
        done = await self.s.execute(missing.values(api_url=api_url, ws_url=ws_url, updated_at=utcnow()))
        return int(getattr(done, "rowcount", 0) or 0)

    async def remove(self, account_id: str) -> None:
        row = await self.s.get(ExchangeAccount, account_id)
        if row is not None:
            await self.s.delete(row)

    async def _taken(self, except_id: str | None, *where: ColumnElement[bool]) -> bool:
        q = select(ExchangeAccount.id).where(*where)
        if except_id:
            q = q.where(ExchangeAccount.id != except_id)
        return await self.s.scalar(q) is not None

    async def key_taken(self, api_key_hash: str, *, except_id: str | None = None) -> bool:
        """Whether any user has connected this key (by its keyed hash)."""
        return await self._taken(except_id, ExchangeAccount.api_key_hash == api_key_hash)

    async def exchange_account_taken(
        self, exchange: str, account_hash: str, *, except_id: str | None = None
    ) -> bool:
        return await self._taken(
            except_id,
            ExchangeAccount.exchange == exchange,
            ExchangeAccount.exchange_account_hash == account_hash,
        )

    async def due_for_recheck(self, status: str, now: datetime, limit: int) -> list[tuple[str, str]]:
        """(user_id, account_id) of accounts in `status` whose next check is due, oldest first."""
        rows = await self.s.execute(
            select(ExchangeAccount.user_id, ExchangeAccount.id)
            .where(ExchangeAccount.status == status, ExchangeAccount.next_check_at <= now)
            .order_by(ExchangeAccount.next_check_at)
            .limit(limit)
        )
        return [(u, a) for u, a in rows.all()]


class GrantRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(self, grant: GrantRecord) -> None:
        self.s.add(FastConnectGrant(**asdict(grant)))

    async def save(self, grant: GrantRecord) -> None:
        """Write back a grant this transaction read and changed (gone meanwhile: nothing to do)."""
        await write_back(self.s, FastConnectGrant, grant.id, asdict(grant))

    async def get(self, grant_id: str) -> GrantRecord | None:
        row = await self.s.get(FastConnectGrant, grant_id)
        return to_record(GrantRecord, row) if row is not None else None

    async def by_state_hash(self, state_hash: str) -> GrantRecord | None:
        row = await self.s.scalar(select(FastConnectGrant).where(FastConnectGrant.state_hash == state_hash))
        return to_record(GrantRecord, row) if row is not None else None

    async def claim(self, grant_id: str, from_statuses: Sequence[str], to_status: str) -> bool:
        """Move the grant to `to_status` only if it is in one of `from_statuses`: one caller wins."""
        res = await self.s.execute(
            update(FastConnectGrant)
            .where(FastConnectGrant.id == grant_id, FastConnectGrant.status.in_(tuple(from_statuses)))
            .values(status=to_status)
        )
        return (getattr(res, "rowcount", 0) or 0) == 1

    async def stale(
        self, pending: str, pending_before: datetime, redeeming: str, redeeming_before: datetime
    ) -> list[GrantRecord]:
        """Grants still `pending` past `pending_before`, or `redeeming` past `redeeming_before`."""
        g = FastConnectGrant
        rows = await self.s.scalars(
            select(g).where(
                or_(
                    (g.status == pending) & (g.expires_at <= pending_before),
                    (g.status == redeeming) & (g.expires_at <= redeeming_before),
                )
            )
        )
        return [to_record(GrantRecord, r) for r in rows]

    async def purge_finished(self, final: Sequence[str], before: datetime) -> None:
        await self.s.execute(
            delete(FastConnectGrant).where(
                FastConnectGrant.status.in_(tuple(final)), FastConnectGrant.finished_at <= before
            )
        )


class AuditRepo:
    """The per-user audit log and notices. `detail` never carries a secret (refused here as a last
    line of defence: callers pass labels, masks and message codes only)."""

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def record(
        self,
        *,
        user_id: str,
        action: str,
        account_id: str | None,
        actor: str | None = None,
        detail: dict[str, object] | None = None,
    ) -> None:
        detail = dict(detail or {})
        bad = FORBIDDEN_DETAIL_KEYS & set(detail)
        if bad:
            raise ValueError(f"audit detail must not carry secrets: {sorted(bad)}")
        self.s.add(
            AccountAuditEntry(
                user_id=user_id, actor=actor or user_id, action=action, account_id=account_id, detail=detail
            )
        )

    async def entries(self, user_id: str, limit: int) -> list[AuditEntryRecord]:
        rows = await self.s.scalars(
            select(AccountAuditEntry)
            .where(AccountAuditEntry.user_id == user_id)
            .order_by(AccountAuditEntry.at.desc(), AccountAuditEntry.id)
            .limit(limit)
        )
        return [AuditEntryRecord(r.at, r.actor, r.action, r.account_id, dict(r.detail or {})) for r in rows]

    async def notify(self, *, user_id: str, account_id: str | None, kind: str, message: str) -> None:
        self.s.add(AccountNotice(user_id=user_id, account_id=account_id, kind=kind, message=message))

    async def unread_notices(self, user_id: str) -> list[NoticeRecord]:
        rows = await self.s.scalars(
            select(AccountNotice)
            .where(AccountNotice.user_id == user_id, AccountNotice.read.is_(False))
            .order_by(AccountNotice.at)
        )
        return [NoticeRecord(r.id, r.at, r.kind, r.message, r.account_id) for r in rows]

    async def mark_read(self, user_id: str, notice_id: str | None = None) -> None:
        stmt = update(AccountNotice).where(AccountNotice.user_id == user_id).values(read=True)
        if notice_id is not None:
            stmt = stmt.where(AccountNotice.id == notice_id)
        await self.s.execute(stmt)
