"""The active accounts the supervisor mirrors, and their credentials opener, from the database
through the account-access service (the vault opens a key only when the opener is called)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import select

from perpdesk.core.errors import NotFound
from perpdesk.core.models import AccountStatus, Credentials
from perpdesk.live.mirror import MirrorRef
from perpdesk.live.supervisor import ActiveAccount
from perpdesk.services.deps import AccountsDeps
from perpdesk.store.accounts import ExchangeAccount


class DbAccountSource:
    def __init__(self, deps: AccountsDeps) -> None:
        self.deps = deps

    async def active(self) -> list[ActiveAccount]:
        async with self.deps.sessions() as s:
            rows = (await s.scalars(select(ExchangeAccount).where(
                ExchangeAccount.status == AccountStatus.ACTIVE.value))).all()
            return [ActiveAccount(MirrorRef(r.id, r.user_id, r.exchange, r.label), r.updated_at.isoformat())
                    for r in rows]

    def opener(self, ref: MirrorRef) -> Callable[[], Awaitable[Credentials]]:
        from perpdesk.services.account_access import open_credentials

        deps = self.deps

        async def open_creds() -> Credentials:
            async with deps.sessions() as s:
                row = await s.scalar(select(ExchangeAccount).where(
                    ExchangeAccount.id == ref.account_id, ExchangeAccount.user_id == ref.user_id))
                if row is None:
                    raise NotFound("The account was disconnected.")
                return await open_credentials(deps, s, row)

        return open_creds

    async def audit(self, user_id: str, account_id: str, action: str, detail: dict[str, object]) -> None:
        from perpdesk.services import audit_log

        async with self.deps.sessions() as s, s.begin():
            await audit_log.record(s, user_id=user_id, action=action, account_id=account_id,
                                   actor="perpdesk", detail=detail)
