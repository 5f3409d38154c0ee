"""The per-user audit log of account changes and the notices shown to the user.

Entries say who, what, when and which account, with labels, masks and message codes only:
callers pass `detail` dicts that never contain a secret (checked here as a last line of defence).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from perpdesk.store.accounts import AccountAuditEntry, AccountNotice

_FORBIDDEN_DETAIL_KEYS = frozenset({"secret", "secret_key", "passphrase", "memo", "api_key", "password"})


async def record(
    session: AsyncSession,
    *,
    user_id: str,
    action: str,
    account_id: str | None,
    actor: str | None = None,
    detail: dict[str, object] | None = None,
) -> None:
    detail = dict(detail or {})
    bad = _FORBIDDEN_DETAIL_KEYS & set(detail)
    if bad:
        raise ValueError(f"audit detail must not carry secrets: {sorted(bad)}")
    session.add(
        AccountAuditEntry(
            user_id=user_id, actor=actor or user_id, action=action, account_id=account_id, detail=detail
        )
    )


@dataclass(frozen=True, slots=True)
class AuditView:
    at: datetime
    actor: str
    action: str
    account_id: str | None
    detail: dict[str, object]

    def to_dict(self) -> dict[str, object]:
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "account_id": self.account_id,
            "detail": self.detail,
        }


async def entries(session: AsyncSession, user_id: str, limit: int = 200) -> list[AuditView]:
    rows = await session.scalars(
        select(AccountAuditEntry)
        .where(AccountAuditEntry.user_id == user_id)
        .order_by(AccountAuditEntry.at.desc(), AccountAuditEntry.id)
        .limit(limit)
    )
    return [AuditView(r.at, r.actor, r.action, r.account_id, dict(r.detail or {})) for r in rows]


async def notify(
    session: AsyncSession, *, user_id: str, account_id: str | None, kind: str, message: str
) -> None:
    session.add(AccountNotice(user_id=user_id, account_id=account_id, kind=kind, message=message))


@dataclass(frozen=True, slots=True)
class NoticeView:
    id: str
    at: datetime
    kind: str
    message: str
    account_id: str | None

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "kind": self.kind,
            "message": self.message,
            "account_id": self.account_id,
        }


async def unread_notices(session: AsyncSession, user_id: str) -> list[NoticeView]:
    rows = await session.scalars(
        select(AccountNotice)
        .where(AccountNotice.user_id == user_id, AccountNotice.read.is_(False))
        .order_by(AccountNotice.at)
    )
    return [NoticeView(r.id, r.at, r.kind, r.message, r.account_id) for r in rows]


async def mark_read(session: AsyncSession, user_id: str, notice_id: str | None = None) -> None:
    stmt = update(AccountNotice).where(AccountNotice.user_id == user_id).values(read=True)
    if notice_id is not None:
        stmt = stmt.where(AccountNotice.id == notice_id)
    await session.execute(stmt)
