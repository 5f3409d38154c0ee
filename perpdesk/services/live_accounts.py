"""The active accounts the supervisor mirrors, their credentials opener and the stored terms of
their trailing stops (what Binance's list leaves out), read through the unit of work (the vault
opens a key only when the opener is called)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from perpdesk.core.errors import NotFound
from perpdesk.core.models import AccountStatus, Credentials
from perpdesk.exchanges.registry import Venue
from perpdesk.live.mirror import MirrorRef, PlanTerms
from perpdesk.live.supervisor import ActiveAccount
from perpdesk.services.account_access import NO_SUCH_ACCOUNT, venue_of
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.marked_rows import MarkedRows
from perpdesk.services.ports import UnitOfWork
from perpdesk.services.trading.trail_terms import StoredTrailTerms
from perpdesk.store.records import AccountSummary
from perpdesk.vault import VaultError

# keys opened at once: a worker's cold start opens thousands (every mirror's login and first
# reads); past the connection pool (5 + 10) they would time out there after 30 s and fail the
# streams, so they wait here in turn, and leave connections to the jobs
OPENING_AT_ONCE = 4
ACTIVE_STATUS = AccountStatus.ACTIVE.value


class DbAccountSource:
    def __init__(self, deps: AccountsDeps) -> None:
        self.deps = deps
        self._opening: asyncio.Semaphore | None = None  # made on the running loop, at first use
        self._reading_terms: asyncio.Semaphore | None = None  # the same, for trailing stop terms
        # every worker scans every few seconds: reading every row each time was its second cost
        self._active = MarkedRows(_read_active, status=ACTIVE_STATUS)

    async def active(self) -> list[ActiveAccount]:
        async with self.deps.uow() as uow:
            return list(await self._active.of(uow))

    def changed(self) -> None:
        """An account was connected, edited or disconnected: the next `active()` reads them all."""
        self._active.forget()

    def opener(self, ref: MirrorRef) -> Callable[[], Awaitable[Credentials]]:
        """The mirror's key: its sealed blob is read once, then opened for each read (a query per
        reconciliation was most of an idle worker's CPU). A replaced key restarts the mirror (the
        account's version) and a disconnected account stops it, so the blob is never stale for long
        enough to matter; one the vault no longer opens (re-sealed since) is read again."""
        deps, user_id, account_id = self.deps, ref.user_id, ref.account_id
        sealed: list[bytes] = []

        async def read() -> bytes:
            """NotFound once the account was disconnected."""
            if self._opening is None:
                self._opening = asyncio.Semaphore(OPENING_AT_ONCE)
            async with self._opening, deps.uow() as uow:
                blob = await uow.credentials.sealed_of_account(user_id=user_id, account_id=account_id)
            if blob is None:
                raise NotFound("No such connected account.", next_step=NO_SUCH_ACCOUNT)
            sealed[:] = [blob]
            return blob

        def opened(blob: bytes) -> Credentials:
            return deps.vault.open_credentials(blob, user_id=user_id, account_id=account_id)

        async def open_creds() -> Credentials:
            if sealed:
                try:
                    return opened(sealed[0])
                except VaultError:
                    sealed.clear()  # re-sealed since (a newer master key, say): the stored one
            return opened(await read())

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


async def _read_active(uow: UnitOfWork) -> list[ActiveAccount]:
    rows = await uow.accounts.summaries(status=ACTIVE_STATUS)
    # an account whose venue is not recorded yet is mirrored once the start-up records it
    return [ActiveAccount(MirrorRef(r.id, r.user_id, venue, r.label), _version(r, venue))
            for r in rows if (venue := venue_of(r)) is not None]


def _version(r: AccountSummary, venue: Venue) -> str:
    """What restarts the account's mirror: another key, label or venue. Not `updated_at`, which
    each check of the key moves too (a re-check restarted the mirror: a login and a snapshot)."""
    return f"{r.key_version}|{r.label}|{venue.api_url}|{venue.ws_url or ''}"
