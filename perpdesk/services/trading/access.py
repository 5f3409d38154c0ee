"""The account a trading call acts on: the signed-in user's own, with its credentials opened."""

from __future__ import annotations

from dataclasses import dataclass

from perpdesk.core.errors import Conflict
from perpdesk.core.models import AccountStatus, Credentials
from perpdesk.exchanges.registry import Venue
from perpdesk.services.account_access import credentials_of, known_venue, own, venue_of
from perpdesk.services.deps import AccountsDeps
from perpdesk.store.records import AccountRecord


class AccountNotActive(Conflict):
    code = "account_not_active"


@dataclass(frozen=True, slots=True)
class AccountRef:
    id: str
    user_id: str
    exchange: str
    label: str
    status: str
    stored_venue: Venue | None = None  # None: connected before venues were stored

    @property
    def active(self) -> bool:
        return self.status == AccountStatus.ACTIVE.value

    @property
    def venue(self) -> Venue:
        """Where the account lives (its connector is built from this), or VenueNotRecorded."""
        return known_venue(self.stored_venue)


def exchange_name(deps: AccountsDeps, venue: Venue | None, exchange: str) -> str:
    """The exchange's name as its connector gives it (ExchangeInfo.name), for pages and messages."""
    return deps.connector_for(venue).info.name if venue is not None else exchange.capitalize()


def _ref(row: AccountRecord) -> AccountRef:
    return AccountRef(row.id, row.user_id, row.exchange, row.label, row.status, venue_of(row))


async def account_ref(deps: AccountsDeps, user_id: str, account_id: str) -> AccountRef:
    """The user's own account without opening its credentials (ownership checks, reads of our
    own records). Another user's account id is "not found", exactly like a missing one."""
    async with deps.uow() as uow:
        return _ref(await own(uow, user_id, account_id))


async def load_account(deps: AccountsDeps, user_id: str, account_id: str) -> tuple[AccountRef, Credentials]:
    """The user's own account and its credentials, opened from the vault (account access)."""
    async with deps.uow() as uow:
        row = await own(uow, user_id, account_id)
        return _ref(row), await credentials_of(uow, row)


async def tradable(deps: AccountsDeps, user_id: str, account_id: str) -> tuple[AccountRef, Credentials]:
    """The account, refused with the reason and the next step unless it can trade."""
    ref, creds = await load_account(deps, user_id, account_id)
    if not ref.active:
        if ref.status == AccountStatus.AWAITING_WHITELIST.value:
            exchange = exchange_name(deps, ref.stored_venue, ref.exchange)
            raise AccountNotActive(
                f"{ref.label} is waiting for {exchange} to whitelist it for futures API trading.",
                next_step=f"Send {exchange}'s API Whitelist Request; perpdesk activates the account once "
                "lifted.",
            )
        raise AccountNotActive(
            f"{ref.label} needs attention before it can trade.",
            next_step="Open Settings > Exchange Account API Keys, Edit the account and check it again.",
        )
    return ref, creds
