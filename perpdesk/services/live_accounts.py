"""The active accounts the supervisor mirrors, their credentials opener and the stored terms of
their trailing stops (what Binance's list leaves out), read through the unit of work (the vault
opens a key only when the opener is called)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from perpdesk.core.errors import NotFound
from perpdesk.core.models import AccountStatus, Credentials
from perpdesk.live.mirror import MirrorRef, PlanTerms
from perpdesk.live.supervisor import ActiveAccount
from perpdesk.services.account_access import NO_SUCH_ACCOUNT, venue_of
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.trading.trail_terms import StoredTrailTerms

# keys opened at once: a worker's cold start opens thousands (every mirror's login and first
# reads); past the connection pool (5 + 10) they would time out there after 30 s and fail the
# streams, so they wait here in turn, and leave connections to the jobs
OPENING_AT_ONCE = 4


class DbAccountSource:
    def __init__(self, deps: AccountsDeps) -> None:
        self.deps = deps
        self._opening: asyncio.Semaphore | None = None  # made on the running loop, at first use
        self._reading_terms: asyncio.Semaphore | None = None  # the same, for trailing stop terms

    async def active(self) -> list[ActiveAccount]:
        async with self.deps.uow() as uow:
            rows = await uow.accounts.summaries(status=AccountStatus.ACTIVE.value)
            # an account whose venue is not recorded yet is mirrored once the start-up records it
            return [ActiveAccount(MirrorRef(r.id, r.user_id, venue, r.label), _version(r.updated_at))
                    for r in rows if (venue := venue_of(r)) is not None]

    def opener(self, ref: MirrorRef) -> Callable[[], Awaitable[Credentials]]:
        deps = self.deps

        async def open_creds() -> Credentials:
            """NotFound once the account was disconnected. One query, not the whole account row
            and then the key: every REST read of a mirror opens the key."""
            if self._opening is None:
                self._opening = asyncio.Semaphore(OPENING_AT_ONCE)
            async with self._opening, deps.uow() as uow:
                creds = await uow.credentials.of_account(user_id=ref.user_id, account_id=ref.account_id)
            if creds is None:
                raise NotFound("No such connected account.", next_step=NO_SUCH_ACCOUNT)
            return creds

        return open_creds

    def plan_terms(self, ref: MirrorRef) -> PlanTerms:
        """The terms of the account's trailing stops its exchange does not list (Binance), from
        their stored intents: the worker's mirror shows what a web process placed."""
        if self._reading_terms is None:
            self._reading_terms = asyncio.Semaphore(OPENING_AT_ONCE)
        return StoredTrailTerms(self.deps.trading_uow, ref.user_id, ref.account_id, self._reading_terms)

    async def audit(self, user_id: str, account_id: str, action: str, detail: dict[str, object]) -> None:
        async with self.deps.uow() as uow:
            await uow.audit.record(user_id=user_id, action=action, account_id=account_id, actor="perpdesk",
                                   detail=detail)
            await uow.commit()


def _version(updated_at: datetime | None) -> str:
    return updated_at.isoformat() if updated_at is not None else ""
