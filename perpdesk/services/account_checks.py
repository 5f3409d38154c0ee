"""Checking a stored key again: by the user (Check), or by the background watcher for accounts
awaiting whitelisting, with a doubling delay between misses (recheck_base … recheck_max)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from perpdesk.core.models import AccountStatus
from perpdesk.exchanges.registry import entry
from perpdesk.services import errors_text as T
from perpdesk.services.account_access import (
    apply_audit,
    credentials_of,
    inspect_credentials,
    known_venue,
    own,
    venue_of,
)
from perpdesk.services.account_views import AccountView, view
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.key_audit import Audit, Verdict
from perpdesk.store.base import utcnow
from perpdesk.store.records import AccountRecord

TRANSIENT = frozenset({T.EXCHANGE_UNAVAILABLE.code, T.RATE_LIMITED.code, T.CLOCK.code})


def backoff(deps: AccountsDeps, attempts: int) -> timedelta:
    """Doubling delay from recheck_base, capped at recheck_max."""
    base = deps.recheck_base.total_seconds()
    return timedelta(seconds=min(base * (2 ** max(attempts - 1, 0)), deps.recheck_max.total_seconds()))


async def check(
    deps: AccountsDeps, user_id: str, account_id: str, *, actor: str | None = None
) -> tuple[AccountView, Audit]:
    """Inspect a stored key again and update the account's status, balances and last check."""
    async with deps.uow() as uow:
        row = await own(uow, user_id, account_id)
        creds = await credentials_of(uow, row)
        venue, allow_withdraw = known_venue(venue_of(row)), row.withdraw_allowed
    result = await inspect_credentials(deps, venue, creds, allow_withdraw=allow_withdraw)
    del creds
    return await _record_check(deps, user_id, account_id, result, actor=actor or user_id), result


def _next_status(deps: AccountsDeps, row: AccountRecord, result: Audit, now: datetime) -> AccountRecord:
    if result.verdict is Verdict.OK:
        return replace(row, status=AccountStatus.ACTIVE.value, last_error=None, next_check_at=None,
                       check_attempts=0)
    if result.verdict is Verdict.AWAITING_WHITELIST:
        tries = row.check_attempts + 1
        return replace(row, status=AccountStatus.AWAITING_WHITELIST.value, last_error=T.NOT_WHITELISTED.code,
                       check_attempts=tries, next_check_at=now + backoff(deps, tries))
    code = result.problem.code if result.problem else "error"
    row = replace(row, last_error=code)
    if code not in TRANSIENT:
        return replace(row, status=AccountStatus.ERROR.value, next_check_at=None)
    if row.status == AccountStatus.AWAITING_WHITELIST.value:
        # The exchange was down: keep waiting for whitelisting, try again later.
        tries = row.check_attempts + 1
        return replace(row, check_attempts=tries, next_check_at=now + backoff(deps, tries))
    return row


async def _record_check(
    deps: AccountsDeps, user_id: str, account_id: str, result: Audit, *, actor: str
) -> AccountView:
    async with deps.uow() as uow:
        row = await own(uow, user_id, account_id)
        before = row.status
        now = utcnow()
        row = _next_status(deps, apply_audit(row, result, now), result, now)
        await uow.accounts.save(row)
        if row.status == before:
            await uow.audit.record(
                user_id=user_id,
                actor=actor,
                action="account.checked",
                account_id=row.id,
                detail={"status": row.status, "result": result.verdict.value, "reason": row.last_error},
            )
        else:
            await uow.audit.record(
                user_id=user_id,
                actor=actor,
                action="account.status_changed",
                account_id=row.id,
                detail={"from": before, "to": row.status, "reason": row.last_error},
            )
        if row.status == AccountStatus.ACTIVE.value and before == AccountStatus.AWAITING_WHITELIST.value:
            await uow.audit.notify(
                user_id=user_id,
                account_id=row.id,
                kind="whitelisted",
                message=f"{row.label}: {entry(row.exchange).info.name} has whitelisted the account for "
                "futures API trading. It is now active.",
            )
        await uow.commit()
        return view(row)


async def due_for_recheck(deps: AccountsDeps, now: datetime, limit: int = 50) -> list[tuple[str, str]]:
    """(user_id, account_id) of accounts awaiting whitelisting whose next check is due."""
    async with deps.uow() as uow:
        return await uow.accounts.due_for_recheck(AccountStatus.AWAITING_WHITELIST.value, now, limit)
