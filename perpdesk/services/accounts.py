"""Connected accounts: list, store a newly inspected key, edit the label, replace credentials,
check again, disconnect. Every change is written to the user's audit log in the same transaction.

Every query is scoped by the signed-in user's id; another user's account is simply "not found".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from perpdesk.core.errors import ExchangeError, InputError, NotFound
from perpdesk.core.models import AccountStatus, ConnectMethod, Credentials, mask
from perpdesk.services import audit_log
from perpdesk.services import errors_text as T
from perpdesk.services.account_views import AccountView, view
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.errors_text import ConnectRefused, UserMessage
from perpdesk.services.key_audit import Audit, Verdict, audit
from perpdesk.store.accounts import CREDENTIALS_PURPOSE, ExchangeAccount, new_id
from perpdesk.store.base import utcnow
from perpdesk.store.repos import SealedSecretRepo
from perpdesk.store.sealed import get_credentials, put_credentials

log = logging.getLogger(__name__)

FAST_CONNECT_LABEL = "Fast Connect Futures"
MAX_LABEL = 100


# --- input ------------------------------------------------------------------------------------


def clean_credentials(api_key: str, secret: str, passphrase: str) -> Credentials:
    """Trim what copy-paste adds and name the field that is wrong. Values are never echoed."""
    api_key, secret, passphrase = (api_key or "").strip(), (secret or "").strip(), (passphrase or "").strip()
    for name, value, label in (("api_key", api_key, "API key"), ("secret", secret, "Secret")):
        if not value:
            raise InputError(
                name, f"the {label} is empty", f"Paste the {label} from BitMart's API Management page."
            )
        if any(c.isspace() for c in value) or len(value) > 256 or not value.isprintable():
            raise InputError(
                name,
                f"the {label} contains spaces or unexpected characters",
                f"Copy the {label} again with the copy button on BitMart and paste it unchanged.",
            )
    if not passphrase:
        raise InputError(
            "passphrase",
            "the Passphrase is empty",
            "Enter the Memo you gave the key on BitMart's API Management page.",
        )
    if len(passphrase) > 100 or not passphrase.isprintable():
        raise InputError(
            "passphrase",
            "the Passphrase is too long or contains unexpected characters",
            "Enter exactly the Memo you gave the key on BitMart's API Management page.",
        )
    return Credentials(api_key=api_key, secret=secret, passphrase=passphrase)


def clean_label(label: str | None, default: str) -> str:
    text = " ".join((label or "").split())
    if not text:
        return default
    if len(text) > MAX_LABEL:
        raise InputError(
            "label", f"the label is longer than {MAX_LABEL} characters", "Choose a shorter label."
        )
    return text


async def list_accounts(deps: AccountsDeps, user_id: str) -> list[AccountView]:
    async with deps.sessions() as s:
        rows = await s.scalars(
            select(ExchangeAccount)
            .where(ExchangeAccount.user_id == user_id)
            .order_by(ExchangeAccount.created_at, ExchangeAccount.id)
        )
        return [view(r) for r in rows]


async def _own(s: AsyncSession, user_id: str, account_id: str) -> ExchangeAccount:
    row = await s.scalar(
        select(ExchangeAccount).where(ExchangeAccount.id == account_id, ExchangeAccount.user_id == user_id)
    )
    if row is None:
        raise NotFound(
            "No such connected account.",
            next_step="Open Settings > Exchange Account API Keys to see your connected accounts.",
        )
    return row


async def get_account(deps: AccountsDeps, user_id: str, account_id: str) -> AccountView:
    async with deps.sessions() as s:
        return view(await _own(s, user_id, account_id))


# --- inspection -------------------------------------------------------------------------------


async def inspect_credentials(deps: AccountsDeps, exchange: str, creds: Credentials) -> Audit:
    """Ask the exchange about the key and judge it. Connector failures become a refused audit."""
    connector = deps.connector_for(exchange)
    try:
        report = await connector.inspect_key(creds)
    except ExchangeError as exc:
        return Audit(Verdict.REFUSED, T.from_error(exc, deps.egress_ips))
    except (OSError, TimeoutError) as exc:
        log.warning("inspect_key failed: %s", type(exc).__name__)
        return Audit(Verdict.REFUSED, T.EXCHANGE_UNAVAILABLE)
    return audit(report, deps.egress_ips)


async def refuse_if_duplicate(
    s: AsyncSession,
    deps: AccountsDeps,
    exchange: str,
    *,
    api_key: str | None,
    account_id: str | None,
    except_id: str | None = None,
) -> None:
    """Refuse a key or exchange account that is connected already, by anyone; never say whose."""

    async def taken(*where: ColumnElement[bool]) -> bool:
        q = select(ExchangeAccount.id).where(*where)
        if except_id:
            q = q.where(ExchangeAccount.id != except_id)
        return await s.scalar(q) is not None

    if api_key is not None and await taken(
        ExchangeAccount.api_key_hash == deps.hasher.api_key(exchange, api_key)
    ):
        raise ConnectRefused(T.DUPLICATE_KEY, status=409)
    if account_id and await taken(
        ExchangeAccount.exchange == exchange,
        ExchangeAccount.exchange_account_hash == deps.hasher.exchange_account(exchange, account_id),
    ):
        raise ConnectRefused(T.DUPLICATE_ACCOUNT, status=409)


def _status_for(result: Audit) -> str:
    return (
        AccountStatus.ACTIVE.value if result.verdict is Verdict.OK else AccountStatus.AWAITING_WHITELIST.value
    )


def _apply_audit(row: ExchangeAccount, result: Audit, now: datetime) -> None:
    row.permissions = sorted(p.value for p in result.permissions)
    row.ip_whitelist = list(result.ip_whitelist) if result.ip_whitelist is not None else None
    row.warnings = [w.code for w in result.warnings]
    if result.balances:
        row.balances = [
            {
                "currency": b.currency,
                "equity": str(b.equity),
                "available": str(b.available),
                "unrealized_pnl": str(b.unrealized_pnl),
            }
            for b in result.balances
        ]
    row.last_check_at = now
    row.updated_at = now


async def store_new_account(
    deps: AccountsDeps,
    *,
    user_id: str,
    exchange: str,
    creds: Credentials,
    result: Audit,
    method: ConnectMethod,
    label: str,
    actor: str | None = None,
    extra_detail: dict[str, object] | None = None,
    session: AsyncSession | None = None,
) -> AccountView:
    """Seal and store an inspected key as a new account, atomically with its audit entry.

    With `session` the caller owns the transaction (Fast Connect commits the grant with it).
    """
    if not result.storable:
        raise ConnectRefused(result.problem or T.EXCHANGE_UNAVAILABLE)

    async def _do(s: AsyncSession) -> AccountView:
        await refuse_if_duplicate(s, deps, exchange, api_key=creds.api_key, account_id=result.account_id)
        now = utcnow()
        row = ExchangeAccount(
            id=new_id(),
            user_id=user_id,
            exchange=exchange,
            market="futures",
            label=label,
            method=method.value,
            status=_status_for(result),
            api_key_hash=deps.hasher.api_key(exchange, creds.api_key),
            api_key_mask=mask(creds.api_key),
            exchange_account_hash=(
                deps.hasher.exchange_account(exchange, result.account_id) if result.account_id else None
            ),
            balances=[],
            check_attempts=0,
            created_at=now,
        )
        _apply_audit(row, result, now)
        if row.status == AccountStatus.AWAITING_WHITELIST.value:
            row.next_check_at = now + deps.recheck_base
            row.last_error = T.NOT_WHITELISTED.code
        s.add(row)
        await s.flush()
        await put_credentials(s, deps.vault, creds, user_id=user_id, account_id=_cred_ref(row.id))
        await audit_log.record(
            s,
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
                **(extra_detail or {}),
            },
        )
        await s.flush()
        return view(row)

    if session is not None:
        try:
            return await _do(session)
        except IntegrityError:
            raise ConnectRefused(T.DUPLICATE_KEY, status=409) from None
    try:
        async with deps.sessions() as s, s.begin():
            return await _do(s)
    except IntegrityError:
        # A concurrent connection of the same key/account won the race.
        raise ConnectRefused(T.DUPLICATE_KEY, status=409) from None


def _cred_ref(account_id: str) -> str:
    """The vault binding (and sealed_secrets.ref) of an account's credentials: the account id."""
    return account_id


async def open_credentials(deps: AccountsDeps, s: AsyncSession, row: ExchangeAccount) -> Credentials:
    creds = await get_credentials(s, deps.vault, user_id=row.user_id, account_id=_cred_ref(row.id))
    if creds is None:
        raise NotFound("The account's credentials are missing.", next_step="Replace the credentials in Edit.")
    return creds


# --- edit -------------------------------------------------------------------------------------


async def rename(deps: AccountsDeps, user_id: str, account_id: str, label: str) -> AccountView:
    async with deps.sessions() as s, s.begin():
        row = await _own(s, user_id, account_id)
        new_label = clean_label(label, row.label)
        if new_label != row.label:
            old = row.label
            row.label = new_label
            row.updated_at = utcnow()
            await audit_log.record(
                s,
                user_id=user_id,
                action="account.renamed",
                account_id=row.id,
                detail={"from": old, "to": new_label},
            )
        return view(row)


DIFFERENT_ACCOUNT = UserMessage(
    code="different_account",
    title="This key belongs to another BitMart account",
    message="The new key is for a different exchange account than the one connected here.",
    next_step="Use a key of the same BitMart account, or connect the other account with + Connect Account.",
    field="api_key",
)


async def replace_credentials(
    deps: AccountsDeps, user_id: str, account_id: str, creds: Credentials
) -> tuple[AccountView, Audit]:
    """Inspect the new key first; only when it passes are the old credentials dropped."""
    async with deps.sessions() as s:
        row = await _own(s, user_id, account_id)
        exchange, old_method, old_hash = row.exchange, row.method, row.exchange_account_hash
        old_creds = (
            await open_credentials(deps, s, row) if old_method == ConnectMethod.FAST_CONNECT.value else None
        )
        await refuse_if_duplicate(s, deps, exchange, api_key=creds.api_key, account_id=None, except_id=row.id)
    result = await inspect_credentials(deps, exchange, creds)
    if not result.storable:
        raise ConnectRefused(result.problem or T.EXCHANGE_UNAVAILABLE)
    if (
        result.account_id
        and old_hash
        and deps.hasher.exchange_account(exchange, result.account_id) != old_hash
    ):
        raise ConnectRefused(DIFFERENT_ACCOUNT)
    try:
        async with deps.sessions() as s, s.begin():
            row = await _own(s, user_id, account_id)
            await refuse_if_duplicate(
                s, deps, exchange, api_key=creds.api_key, account_id=result.account_id, except_id=row.id
            )
            now = utcnow()
            old_mask = row.api_key_mask
            row.api_key_hash = deps.hasher.api_key(exchange, creds.api_key)
            row.api_key_mask = mask(creds.api_key)
            if result.account_id:
                row.exchange_account_hash = deps.hasher.exchange_account(exchange, result.account_id)
            row.method = ConnectMethod.MANUAL.value
            row.status = _status_for(result)
            row.check_attempts = 0
            row.last_error = None if result.verdict is Verdict.OK else T.NOT_WHITELISTED.code
            row.next_check_at = None if result.verdict is Verdict.OK else now + deps.recheck_base
            _apply_audit(row, result, now)
            await put_credentials(s, deps.vault, creds, user_id=user_id, account_id=_cred_ref(row.id))
            await audit_log.record(
                s,
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
            out = view(row)
    except IntegrityError:
        raise ConnectRefused(T.DUPLICATE_KEY, status=409) from None
    if old_creds is not None:
        # The old key was created for us by Fast Connect: nobody else holds it; revoke it.
        await _revoke_quietly(deps, user_id, account_id, exchange, old_creds.api_key)
    return out, result


async def _revoke_quietly(
    deps: AccountsDeps, user_id: str, account_id: str, exchange: str, api_key: str
) -> bool:
    provider = deps.fast_connect_for(exchange)
    ok = False
    if provider is not None:
        try:
            await provider.revoke(api_key)
            ok = True
        except Exception as exc:  # the account is gone on our side either way; tell the user
            log.warning("revoking a Fast Connect key failed: %s", type(exc).__name__)
    async with deps.sessions() as s, s.begin():
        await audit_log.record(
            s,
            user_id=user_id,
            action="key.revoked" if ok else "key.revoke_failed",
            account_id=account_id,
            detail={"key": mask(api_key), "exchange": exchange},
        )
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
    async with deps.sessions() as s, s.begin():
        row = await _own(s, user_id, account_id)
        exchange, label, method, key_mask = row.exchange, row.label, row.method, row.api_key_mask
        creds = await open_credentials(deps, s, row) if method == ConnectMethod.FAST_CONNECT.value else None
        await s.delete(row)
        await SealedSecretRepo(s).delete(
            user_id=user_id, ref=_cred_ref(account_id), purpose=CREDENTIALS_PURPOSE
        )
        await audit_log.record(
            s,
            user_id=user_id,
            action="account.disconnected",
            account_id=account_id,
            detail={"label": label, "exchange": exchange, "method": method, "key": key_mask},
        )
    warnings: list[UserMessage] = []
    if creds is not None and not await _revoke_quietly(deps, user_id, account_id, exchange, creds.api_key):
        warnings.append(REVOKE_FAILED)
    return warnings


# --- check ------------------------------------------------------------------------------------


def backoff(deps: AccountsDeps, attempts: int) -> timedelta:
    """Doubling delay from recheck_base, capped at recheck_max."""
    base = deps.recheck_base.total_seconds()
    return timedelta(seconds=min(base * (2 ** max(attempts - 1, 0)), deps.recheck_max.total_seconds()))


async def check(
    deps: AccountsDeps, user_id: str, account_id: str, *, actor: str | None = None
) -> tuple[AccountView, Audit]:
    """Inspect a stored key again and update the account's status, balances and last check."""
    async with deps.sessions() as s:
        row = await _own(s, user_id, account_id)
        creds = await open_credentials(deps, s, row)
        exchange = row.exchange
    result = await inspect_credentials(deps, exchange, creds)
    del creds
    return await _record_check(deps, user_id, account_id, result, actor=actor), result


async def _record_check(
    deps: AccountsDeps, user_id: str, account_id: str, result: Audit, *, actor: str | None
) -> AccountView:
    async with deps.sessions() as s, s.begin():
        row = await _own(s, user_id, account_id)
        now = utcnow()
        before = row.status
        _apply_audit(row, result, now)
        if result.verdict is Verdict.OK:
            row.status = AccountStatus.ACTIVE.value
            row.last_error = None
            row.next_check_at = None
            row.check_attempts = 0
        elif result.verdict is Verdict.AWAITING_WHITELIST:
            row.status = AccountStatus.AWAITING_WHITELIST.value
            row.last_error = T.NOT_WHITELISTED.code
            row.check_attempts += 1
            row.next_check_at = now + backoff(deps, row.check_attempts)
        else:
            code = result.problem.code if result.problem else "error"
            transient = code in (T.EXCHANGE_UNAVAILABLE.code, T.RATE_LIMITED.code, T.CLOCK.code)
            row.last_error = code
            if before == AccountStatus.AWAITING_WHITELIST.value and transient:
                # The exchange was down: keep waiting for whitelisting, try again later.
                row.check_attempts += 1
                row.next_check_at = now + backoff(deps, row.check_attempts)
            elif not transient:
                row.status = AccountStatus.ERROR.value
                row.next_check_at = None
        if row.status != before:
            await audit_log.record(
                s,
                user_id=user_id,
                actor=actor or user_id,
                action="account.status_changed",
                account_id=row.id,
                detail={"from": before, "to": row.status, "reason": row.last_error},
            )
            if row.status == AccountStatus.ACTIVE.value and before == AccountStatus.AWAITING_WHITELIST.value:
                await audit_log.notify(
                    s,
                    user_id=user_id,
                    account_id=row.id,
                    kind="whitelisted",
                    message=f"{row.label}: BitMart has whitelisted the account for futures API trading. "
                    "It is now active.",
                )
        else:
            await audit_log.record(
                s,
                user_id=user_id,
                actor=actor or user_id,
                action="account.checked",
                account_id=row.id,
                detail={"status": row.status, "result": result.verdict.value, "reason": row.last_error},
            )
        return view(row)


async def due_for_recheck(deps: AccountsDeps, now: datetime, limit: int = 50) -> Sequence[tuple[str, str]]:
    """(user_id, account_id) of accounts awaiting whitelisting whose next check is due."""
    async with deps.sessions() as s:
        rows = await s.execute(
            select(ExchangeAccount.user_id, ExchangeAccount.id)
            .where(
                ExchangeAccount.status == AccountStatus.AWAITING_WHITELIST.value,
                ExchangeAccount.next_check_at <= now,
            )
            .order_by(ExchangeAccount.next_check_at)
            .limit(limit)
        )
        return [(u, a) for u, a in rows.all()]
