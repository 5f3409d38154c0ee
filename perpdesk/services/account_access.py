"""Account access: a user's own account row, its sealed credentials, asking the exchange about a
key, and storing a newly inspected key as an account. The connect flows (manual, Fast Connect)
and the account use cases build on these; none of them calls back into its callers.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from perpdesk.core.errors import Conflict, ExchangeError, NotFound
from perpdesk.core.models import AccountStatus, ConnectMethod, Credentials, Permission, mask
from perpdesk.exchanges.registry import Venue, entry
from perpdesk.services import errors_text as T
from perpdesk.services.account_views import AccountView, view
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.errors_text import ConnectRefused
from perpdesk.services.key_audit import Audit, Verdict, audit, balance_dict
from perpdesk.services.ports import UnitOfWork
from perpdesk.store.base import new_id, utcnow
from perpdesk.store.records import AccountRecord, AccountSummary
from perpdesk.store.uow import DuplicateRow

log = logging.getLogger(__name__)

NO_SUCH_ACCOUNT = "Open Settings > Exchange Account API Keys to see your connected accounts."


class VenueNotRecorded(Conflict):
    code = "venue_not_recorded"


def venue_of(row: AccountRecord | AccountSummary) -> Venue | None:
    """The venue stored with the account (None: connected before venues were stored)."""
    return Venue(row.exchange, row.api_url, row.ws_url) if row.api_url else None


def known_venue(venue: Venue | None) -> Venue:
    """The account's venue, or a refusal: its connector is never built from a default."""
    if venue is None:
        raise VenueNotRecorded(
            "This account's exchange address is not recorded yet (it was connected by an older perpdesk).",
            next_step="Start the platform once (perpdesk serve, or the demo): it records the exchange "
            "address it is configured with for such accounts.",
        )
    return venue


async def own(uow: UnitOfWork, user_id: str, account_id: str) -> AccountRecord:
    """The user's account, or NotFound (also for another user's account: never say whose)."""
    row = await uow.accounts.owned(user_id, account_id)
    if row is None:
        raise NotFound("No such connected account.", next_step=NO_SUCH_ACCOUNT)
    return row


async def credentials_of(uow: UnitOfWork, row: AccountRecord) -> Credentials:
    """The account's credentials, opened from the vault."""
    creds = await uow.credentials.get(user_id=row.user_id, account_id=row.id)
    if creds is None:
        raise missing_credentials()
    return creds


async def accounts_of(deps: AccountsDeps, user_id: str, *, active_only: bool = True) -> list[AccountSummary]:
    """The user's accounts (only the active ones: an account awaiting whitelisting or with a
    broken key has no history to ask for), in one query."""
    status = AccountStatus.ACTIVE.value if active_only else None
    async with deps.uow() as uow:
        return await uow.accounts.summaries(user_id=user_id, status=status)


def missing_credentials() -> NotFound:
    return NotFound("The account's credentials are missing.", next_step="Replace the credentials in Edit.")


async def inspect_credentials(
    deps: AccountsDeps, venue: Venue, creds: Credentials, *, allow_withdraw: bool = False
) -> Audit:
    """Ask the exchange at `venue` about the key and judge it. Connector failures become a refused
    audit. `allow_withdraw`: the user accepted explicitly that the key can withdraw."""
    connector, ex = deps.connector_for(venue), entry(venue.exchange).info
    try:
        report = await connector.inspect_key(creds)
    except ExchangeError as exc:
        return Audit(Verdict.REFUSED, T.from_error(exc, ex, deps.egress_ips))
    except (OSError, TimeoutError) as exc:
        log.warning("inspect_key failed: %s", type(exc).__name__)
        return Audit(Verdict.REFUSED, T.exchange_unavailable(ex))
    return audit(report, deps.egress_ips, ex, allow_withdraw=allow_withdraw)


def refuse_unless_storable(result: Audit) -> None:
    """A key the exchange refused (or could not check) is never stored."""
    if not result.storable:
        raise ConnectRefused(result.problem or T.EXCHANGE_UNAVAILABLE)


async def inspect_storable(
    deps: AccountsDeps, venue: Venue, creds: Credentials, *, allow_withdraw: bool = False
) -> Audit:
    """The key's audit, or ConnectRefused when the exchange refused it: the connect flows' check
    right before storing."""
    result = await inspect_credentials(deps, venue, creds, allow_withdraw=allow_withdraw)
    refuse_unless_storable(result)
    return result


async def revoke_key(deps: AccountsDeps, exchange: str, api_key: str) -> bool:
    """Ask the exchange to delete a key it created for us (Fast Connect). False when it did not
    confirm (or there is no Fast Connect): the caller tells the user or tries again later."""
    provider = deps.fast_connect_for(exchange)
    if provider is None:
        return False
    try:
        await provider.revoke(api_key)
    except Exception as exc:  # any failure: the key may still exist at the exchange
        log.warning("revoking a Fast Connect key failed: %s", type(exc).__name__)
        return False
    return True


async def refuse_if_duplicate(
    uow: UnitOfWork,
    deps: AccountsDeps,
    exchange: str,
    *,
    api_key: str | None,
    account_id: str | None,
    except_id: str | None = None,
) -> None:
    """Refuse a key or exchange account that is connected already, by anyone; never say whose.
    Call it only for a key the exchange has verified: the answer tells whether a key is in use."""
    if api_key is not None and await uow.accounts.key_taken(
        deps.hasher.api_key(exchange, api_key), except_id=except_id
    ):
        raise ConnectRefused(T.DUPLICATE_KEY, status=409)
    if account_id and await uow.accounts.exchange_account_taken(
        exchange, deps.hasher.exchange_account(exchange, account_id), except_id=except_id
    ):
        raise ConnectRefused(T.DUPLICATE_ACCOUNT, status=409)


def status_for(result: Audit) -> str:
    return (
        AccountStatus.ACTIVE.value if result.verdict is Verdict.OK else AccountStatus.AWAITING_WHITELIST.value
    )


def apply_audit(row: AccountRecord, result: Audit, now: datetime) -> AccountRecord:
    """What the exchange told about the key, onto the account."""
    return replace(
        row,
        permissions=tuple(sorted(p.value for p in result.permissions)),
        ip_whitelist=tuple(result.ip_whitelist) if result.ip_whitelist is not None else None,
        warnings=tuple(w.code for w in result.warnings),
        balances=tuple(balance_dict(b) for b in result.balances) if result.balances else row.balances,
        last_check_at=now,
        updated_at=now,
    )


def set_key(
    row: AccountRecord, deps: AccountsDeps, creds: Credentials, result: Audit, *, allow_withdraw: bool
) -> AccountRecord:
    """The key's keyed hashes and mask, the status its inspection gives, and whether the user
    accepted that it can withdraw."""
    now = utcnow()
    waiting = result.verdict is not Verdict.OK
    row = replace(
        row,
        withdraw_allowed=allow_withdraw,
        api_key_hash=deps.hasher.api_key(row.exchange, creds.api_key),
        api_key_mask=mask(creds.api_key),
        exchange_account_hash=deps.hasher.exchange_account(row.exchange, result.account_id)
        if result.account_id
        else row.exchange_account_hash,
        status=status_for(result),
        check_attempts=0,
        last_error=T.NOT_WHITELISTED.code if waiting else None,
        next_check_at=now + deps.recheck_base if waiting else None,
    )
    return apply_audit(row, result, now)


async def store_new_account(
    deps: AccountsDeps,
    uow: UnitOfWork,
    *,
    user_id: str,
    venue: Venue,
    creds: Credentials,
    result: Audit,
    method: ConnectMethod,
    label: str,
    actor: str | None = None,
    allow_withdraw: bool = False,
) -> AccountView:
    """Seal and store an inspected key as a new account with its audit entry, in the caller's unit
    of work (the caller commits: Fast Connect closes its grant in the same transaction).
    `venue`: where the key was inspected, stored with the account."""
    refuse_unless_storable(result)
    exchange = venue.exchange
    await refuse_if_duplicate(uow, deps, exchange, api_key=creds.api_key, account_id=result.account_id)
    now = utcnow()
    row = AccountRecord(
        id=new_id(),
        user_id=user_id,
        exchange=exchange,
        api_url=venue.api_url,
        ws_url=venue.ws_url,
        market="futures",
        label=label,
        method=method.value,
        created_at=now,
        updated_at=now,
    )
    row = set_key(row, deps, creds, result, allow_withdraw=allow_withdraw)
    await uow.accounts.add(row)
    try:
        await uow.flush()
    except DuplicateRow:  # a concurrent connection of the same key or account won the race
        raise ConnectRefused(T.DUPLICATE_KEY, status=409) from None
    await uow.credentials.put(creds, user_id=user_id, account_id=row.id)
    await uow.audit.record(
        user_id=user_id,
        actor=actor,
        action="account.connected",
        account_id=row.id,
        detail={
            "label": label,
            "exchange": exchange,
            "method": method.value,
            "status": row.status,
            "key": row.api_key_mask,
            "warnings": list(row.warnings),
        },
    )
    await record_withdraw_acceptance(uow, row, creds, actor=actor)
    return view(row)


async def record_withdraw_acceptance(
    uow: UnitOfWork, row: AccountRecord, creds: Credentials, *, actor: str | None = None
) -> None:
    """In the account's audit log: the user accepted a key that can withdraw (and which key)."""
    if row.withdraw_allowed and Permission.WITHDRAW.value in row.permissions:
        await uow.audit.record(
            user_id=row.user_id,
            actor=actor,
            action="account.withdraw_accepted",
            account_id=row.id,
            detail={"key": mask(creds.api_key), "exchange": row.exchange},
        )
