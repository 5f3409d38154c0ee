"""The unit of work: one database transaction and the repositories that share it.

    async with deps.uow() as uow:
        row = await uow.accounts.owned(user_id, account_id)
        ...
        await uow.commit()      # leaving without commit rolls back

More repositories plug in as properties on the same session (the order intents: `orders`).
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from perpdesk.store.account_repos import AccountRepo, AuditRepo, GrantRepo
from perpdesk.store.orders import OrderIntentRepo
from perpdesk.store.sealed import SealedCredentials
from perpdesk.store.ticket_claims import TicketClaimRepo
from perpdesk.vault.core import Vault


class DuplicateRow(Exception):
    """A unique constraint refused the write (e.g. a concurrent connection of the same key won)."""


class SqlUnitOfWork:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], vault: Vault) -> None:
        self._sessions = sessions
        self._vault = vault

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self.accounts = AccountRepo(self.session)
        self.credentials = SealedCredentials(self.session, self._vault)
        self.grants = GrantRepo(self.session)
        self.audit = AuditRepo(self.session)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # Closing rolls back what was not committed and keeps loaded rows readable (detached).
        await self.session.close()

    @property
    def orders(self) -> OrderIntentRepo:
        return OrderIntentRepo(self.session)

    @property
    def tickets(self) -> TicketClaimRepo:
        return TicketClaimRepo(self.session)

    async def flush(self) -> None:
        try:
            await self.session.flush()
        except IntegrityError:
            raise DuplicateRow() from None

    async def commit(self) -> None:
        try:
            await self.session.commit()
        except IntegrityError:
            raise DuplicateRow() from None
