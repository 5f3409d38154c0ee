"""The unit of work: one database transaction and the repositories that share it.

    async with deps.uow() as uow:
        row = await uow.accounts.owned(user_id, account_id)
        ...
        await uow.commit()      # leaving without commit rolls back

More repositories plug in as properties on the same session (the order intents: `orders`; the
notifications, webhook deliveries, equity snapshots, sealed secrets, users and sign-in sessions).
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from perpdesk.store.account_repos import AccountRepo, AuditRepo, GrantRepo
from perpdesk.store.base import DuplicateRow
from perpdesk.store.notifications import NotificationRepo
from perpdesk.store.orders import OrderIntentRepo
from perpdesk.store.portfolio import SnapshotRepo
from perpdesk.store.repos import SessionRepo, UserRepo
from perpdesk.store.sealed import SealedCredentials, SealedSecrets
from perpdesk.store.ticket_claims import TicketClaimRepo
from perpdesk.store.users import PasswordResetRepo
from perpdesk.store.webhook_deliveries import WebhookDeliveryRepo
from perpdesk.vault.core import Vault


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

    @property
    def notifications(self) -> NotificationRepo:
        return NotificationRepo(self.session)

    @property
    def webhooks(self) -> WebhookDeliveryRepo:
        return WebhookDeliveryRepo(self.session)

    @property
    def snapshots(self) -> SnapshotRepo:
        return SnapshotRepo(self.session)

    @property
    def secrets(self) -> SealedSecrets:
        return SealedSecrets(self.session, self._vault)

    @property
    def users(self) -> UserRepo:
        return UserRepo(self.session)

    @property
    def user_sessions(self) -> SessionRepo:
        return SessionRepo(self.session)

    @property
    def password_resets(self) -> PasswordResetRepo:
        return PasswordResetRepo(self.session)

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


__all__ = ["DuplicateRow", "SqlUnitOfWork"]
