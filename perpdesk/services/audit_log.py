"""The per-user audit log of account changes and the notices shown to the user: what the pages
and the API show. Entries are written through the unit of work (`uow.audit.record`);
store/account_repos.AuditRepo refuses a `detail` that names a secret.
"""

from __future__ import annotations

from perpdesk.services.deps import AccountsDeps
from perpdesk.store.records import AuditEntryRecord, NoticeRecord

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
