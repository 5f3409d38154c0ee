"""The account a trading call acts on: the signed-in user's own, with its credentials opened."""

from __future__ import annotations

from dataclasses import dataclass

from perpdesk.core.errors import Conflict
from perpdesk.core.models import AccountStatus, Credentials
from perpdesk.services.account_access import credentials_of, own
from perpdesk.services.deps import AccountsDeps


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
    """The user's own account and its credentials, opened from the vault (account access).
    Another user's account id is "not found", exactly like a missing one."""
    async with deps.uow() as uow:
        row = await own(uow, user_id, account_id)
        ref = AccountRef(row.id, row.user_id, row.exchange, row.label, row.status)
        creds = await credentials_of(uow, row)
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
