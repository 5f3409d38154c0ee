"""The per-user audit log of account changes and the notices shown to the user: what the pages
and the API show. Entries are written through the unit of work (`uow.audit.record`), or with
`record(session, …)` by callers that hold a plain session; store/account_repos.AuditRepo refuses
a `detail` that names a secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from perpdesk.services.deps import AccountsDeps
from perpdesk.store.account_repos import AuditRepo


async def record(
    session: AsyncSession,
    *,
    user_id: str,
    action: str,
    account_id: str | None,
    actor: str | None = None,
    detail: dict[str, object] | None = None,
) -> None:
    await AuditRepo(session).record(
        user_id=user_id, action=action, account_id=account_id, actor=actor, detail=detail
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


async def entries(deps: AccountsDeps, user_id: str, limit: int = 200) -> list[AuditView]:
    async with deps.uow() as uow:
        rows = await uow.audit.entries(user_id, limit)
    return [AuditView(r.at, r.actor, r.action, r.account_id, dict(r.detail or {})) for r in rows]


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


async def unread_notices(deps: AccountsDeps, user_id: str) -> list[NoticeView]:
    async with deps.uow() as uow:
        rows = await uow.audit.unread_notices(user_id)
    return [NoticeView(r.id, r.at, r.kind, r.message, r.account_id) for r in rows]


async def mark_read(deps: AccountsDeps, user_id: str, notice_id: str | None = None) -> None:
    async with deps.uow() as uow:
        await uow.audit.mark_read(user_id, notice_id)
        await uow.commit()
