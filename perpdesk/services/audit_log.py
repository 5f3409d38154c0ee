"""The per-user audit log of account changes and the notices shown to the user: what the pages
and the API show. Entries are written through the unit of work (`uow.audit.record`), or with
`record(session, …)` by callers that hold a plain session; store/account_repos.AuditRepo refuses
a `detail` that names a secret.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from perpdesk.services.deps import AccountsDeps
from perpdesk.store.account_repos import AuditRepo
from perpdesk.store.records import AuditEntryRecord, NoticeRecord


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


AuditView = AuditEntryRecord  # what the pages and the API show, as the repository reads it
NoticeView = NoticeRecord


async def entries(deps: AccountsDeps, user_id: str, limit: int = 200) -> list[AuditView]:
    async with deps.uow() as uow:
        return await uow.audit.entries(user_id, limit)


async def unread_notices(deps: AccountsDeps, user_id: str) -> list[NoticeView]:
    async with deps.uow() as uow:
        return await uow.audit.unread_notices(user_id)


async def mark_read(deps: AccountsDeps, user_id: str, notice_id: str | None = None) -> None:
    async with deps.uow() as uow:
        await uow.audit.mark_read(user_id, notice_id)
        await uow.commit()
