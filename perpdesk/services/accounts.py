"""Connected accounts, the use cases: list, show, rename, replace credentials, disconnect.
Every change is written to the user's audit log in the same transaction.

Re-checking a key is in account_checks.py; connecting one in connect_manual.py / fast_connect.py.
"""

from __future__ import annotations

from dataclasses import replace

from perpdesk.core.models import ConnectMethod, Credentials, mask
from perpdesk.services import errors_text as T
from perpdesk.services.account_access import (
    credentials_of,
    inspect_credentials,
    known_venue,
    own,
    record_withdraw_acceptance,
    refuse_if_duplicate,
    revoke_key,
    set_key,
    venue_of,
)
from perpdesk.services.account_inputs import clean_label
from perpdesk.services.account_views import AccountView, view
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.errors_text import ConnectRefused, UserMessage
from perpdesk.services.key_audit import Audit
from perpdesk.store.base import utcnow
from perpdesk.store.uow import DuplicateRow

__all__ = [
    "disconnect",
    "get_account",
    "list_accounts",
    "rename",
    "replace_credentials",
]


async def list_accounts(deps: AccountsDeps, user_id: str) -> list[AccountView]:
    async with deps.uow() as uow:
        return [view(r) for r in await uow.accounts.of_user(user_id)]


async def get_account(deps: AccountsDeps, user_id: str, account_id: str) -> AccountView:
    async with deps.uow() as uow:
        return view(await own(uow, user_id, account_id))


async def rename(deps: AccountsDeps, user_id: str, account_id: str, label: str) -> AccountView:
    async with deps.uow() as uow:
        row = await own(uow, user_id, account_id)
        new_label = clean_label(label, row.label)
        if new_label != row.label:
            await uow.audit.record(
                user_id=user_id,
                action="account.renamed",
                account_id=row.id,
                detail={"from": row.label, "to": new_label},
            )
            row = replace(row, label=new_label, updated_at=utcnow())
            await uow.accounts.save(row)
            await uow.commit()
        return view(row)


DIFFERENT_ACCOUNT = UserMessage(
    code="different_account",
    title="This key belongs to another exchange account",
    message="The new key is for a different exchange account than the one connected here.",
    next_step="Use a key of the same exchange account, or connect the other account with + Connect Account.",
    field="api_key",
)


async def replace_credentials(
    deps: AccountsDeps, user_id: str, account_id: str, creds: Credentials, *, allow_withdraw: bool = False
) -> tuple[AccountView, Audit]:
    """Inspect the new key first; only when it passes are the old credentials dropped.
    `allow_withdraw` is asked again for every new key: an acceptance covers the key it was given for."""
    async with deps.uow() as uow:
        row = await own(uow, user_id, account_id)
        exchange, old_hash, venue = row.exchange, row.exchange_account_hash, known_venue(venue_of(row))
        fast_connect_key = row.method == ConnectMethod.FAST_CONNECT.value
        old_creds = await credentials_of(uow, row) if fast_connect_key else None
    result = await inspect_credentials(deps, venue, creds, allow_withdraw=allow_withdraw)
    if not result.storable:
        raise ConnectRefused(result.problem or T.EXCHANGE_UNAVAILABLE)
    if (
        result.account_id
        and old_hash
        and deps.hasher.exchange_account(exchange, result.account_id) != old_hash
    ):
        raise ConnectRefused(DIFFERENT_ACCOUNT)
    async with deps.uow() as uow:
        row = await own(uow, user_id, account_id)
        await refuse_if_duplicate(
            uow, deps, exchange, api_key=creds.api_key, account_id=result.account_id, except_id=row.id
        )
        old_mask = row.api_key_mask
        row = set_key(row, deps, creds, result, allow_withdraw=allow_withdraw)
        row = replace(row, method=ConnectMethod.MANUAL.value)
        await uow.accounts.save(row)
        await uow.credentials.put(creds, user_id=user_id, account_id=row.id)
        await uow.audit.record(
            user_id=user_id,
            action="account.credentials_replaced",
            account_id=row.id,
            detail={
                "from_key": old_mask,
                "to_key": row.api_key_mask,
                "status": row.status,
                "warnings": list(row.warnings),
            },
        )
        await record_withdraw_acceptance(uow, row, creds)
        try:
            await uow.commit()
        except DuplicateRow:
            raise ConnectRefused(T.DUPLICATE_KEY, status=409) from None
        out = view(row)
    if old_creds is not None:
        # The old key was created for us by Fast Connect: nobody else holds it; revoke it.
        await _revoke_quietly(deps, user_id, account_id, exchange, old_creds.api_key)
    return out, result


async def _revoke_quietly(
    deps: AccountsDeps, user_id: str, account_id: str, exchange: str, api_key: str
) -> bool:
    ok = await revoke_key(deps, exchange, api_key)
    async with deps.uow() as uow:
        await uow.audit.record(
            user_id=user_id,
            action="key.revoked" if ok else "key.revoke_failed",
            account_id=account_id,
            detail={"key": mask(api_key), "exchange": exchange},
        )
        await uow.commit()
    return ok


REVOKE_FAILED = UserMessage(
    code="revoke_failed",
    title="The key could not be revoked at BitMart",
    message="The account was disconnected from perpdesk, but BitMart did not confirm deleting its key.",
    next_step="Delete the key yourself on BitMart's API Management page.",
    severity="warning",
)


async def disconnect(deps: AccountsDeps, user_id: str, account_id: str) -> list[UserMessage]:
    """Remove the account and its sealed credentials; Fast Connect keys are revoked at the exchange."""
    async with deps.uow() as uow:
        row = await own(uow, user_id, account_id)
        exchange, method = row.exchange, row.method
        creds = await credentials_of(uow, row) if method == ConnectMethod.FAST_CONNECT.value else None
        await uow.audit.record(
            user_id=user_id,
            action="account.disconnected",
            account_id=account_id,
            detail={"label": row.label, "exchange": exchange, "method": method, "key": row.api_key_mask},
        )
        await uow.accounts.remove(row.id)
        await uow.credentials.delete(user_id=user_id, account_id=account_id)
        await uow.commit()
    warnings: list[UserMessage] = []
    if creds is not None and not await _revoke_quietly(deps, user_id, account_id, exchange, creds.api_key):
        warnings.append(REVOKE_FAILED)
    return warnings
