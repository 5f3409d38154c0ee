"""A user's accounts with their credentials, read in one batch: for what shows many accounts at
once (the overview, PnL and fills over every account): one query for the accounts and one for
their credentials, however many there are, rather than a pair per account."""

from __future__ import annotations

from perpdesk.core.models import AccountStatus, Credentials
from perpdesk.services.account_access import missing_credentials, venue_of
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.trading import AccountRef, load_account
from perpdesk.store.records import AccountSummary


def ref_of(a: AccountSummary) -> AccountRef:
    return AccountRef(a.id, a.user_id, a.exchange, a.label, a.status, venue_of(a))


async def user_accounts(
    deps: AccountsDeps, user_id: str, *, status: str | None = None
) -> list[tuple[AccountRef, Credentials | None]]:
    """The user's accounts (in `status`, or all), oldest first, each with its credentials (None
    when they are missing or no longer open)."""
    async with deps.uow() as uow:
        accounts = await uow.accounts.summaries(user_id=user_id, status=status)
        creds = await uow.credentials.of_user(user_id)
    return [(ref_of(a), creds.get(a.id)) for a in accounts]


async def opened_accounts(
    deps: AccountsDeps, user_id: str, account_id: str | None = None
) -> list[tuple[AccountRef, Credentials]]:
    """What a history read asks the exchange about: `account_id` alone (NotFound unless it is the
    user's), else every active account of the user (one awaiting whitelisting or with a broken
    key has no history to ask for). NotFound for an account whose credentials are missing."""
    if account_id:
        return [await load_account(deps, user_id, account_id)]
    opened = []
    for ref, creds in await user_accounts(deps, user_id, status=AccountStatus.ACTIVE.value):
        if creds is None:
            raise missing_credentials()
        opened.append((ref, creds))
    return opened
