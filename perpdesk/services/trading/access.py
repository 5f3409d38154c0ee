"""The account a trading call acts on: the signed-in user's own, with its credentials opened."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from perpdesk.core.errors import Conflict, NotFound
from perpdesk.core.models import AccountStatus, Credentials
from perpdesk.services.accounts import open_credentials
from perpdesk.services.deps import AccountsDeps
from perpdesk.store.accounts import ExchangeAccount


class AccountNotActive(Conflict):
    code = "account_not_active"


@dataclass(frozen=True, slots=True)
class AccountRef:
    id: str
    user_id: str
    exchange: str
    label: str
    status: str

    @property
    def active(self) -> bool:
        return self.status == AccountStatus.ACTIVE.value


async def load_account(deps: AccountsDeps, user_id: str, account_id: str) -> tuple[AccountRef, Credentials]:
    """The user's own account and its credentials, opened through the accounts service's vault
    helper. Another user's account id is "not found", exactly like a missing one."""
    async with deps.sessions() as s:
        row = await s.scalar(
            select(ExchangeAccount).where(
                ExchangeAccount.id == account_id, ExchangeAccount.user_id == user_id
            )
        )
        if row is None:
            raise NotFound(
                "No such connected account.",
                next_step="Open Settings > Exchange Account API Keys to see your connected accounts.",
            )
        ref = AccountRef(row.id, row.user_id, row.exchange, row.label, row.status)
        creds = await open_credentials(deps, s, row)
    return ref, creds


async def tradable(deps: AccountsDeps, user_id: str, account_id: str) -> tuple[AccountRef, Credentials]:
    """The account, refused with the reason and the next step unless it can trade."""
    ref, creds = await load_account(deps, user_id, account_id)
    if not ref.active:
        if ref.status == AccountStatus.AWAITING_WHITELIST.value:
            raise AccountNotActive(
                f"{ref.label} is waiting for BitMart to whitelist it for futures API trading.",
                next_step="Send BitMart's API Whitelist Request; perpdesk activates the account once lifted.",
            )
        raise AccountNotActive(
            f"{ref.label} needs attention before it can trade.",
            next_step="Open Settings > Exchange Account API Keys, Edit the account and check it again.",
        )
    return ref, creds
