"""Fast Connect: the platform as an OAuth 2.0 client of the exchange (code + PKCE S256).

start   → a pending grant (state ≥ 256 bits, verifier sealed, bound to the user's session,
          10 minutes, single use) and the exchange's authorize URL for the new tab;
finish  → the callback: check state and session, mark the grant `redeeming` BEFORE redeeming
          (so a crash leaves a trace), redeem, keep the issued key sealed on the grant, inspect
          it, then store the account and close the grant in one transaction. A key that fails
          inspection or cannot be stored is revoked;
status  → what the waiting window polls;
recover → revokes keys left on grants by a crash and expires stale grants.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from perpdesk.core.models import ConnectMethod, Credentials, IssuedKey
from perpdesk.core.pkce import pkce_challenge, pkce_verifier
from perpdesk.exchanges.base import FastConnectProvider
from perpdesk.exchanges.registry import entry
from perpdesk.services import errors_text as T
from perpdesk.services.account_access import inspect_storable, revoke_key, store_new_account
from perpdesk.services.account_views import view
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.errors_text import ConnectRefused, UserMessage
from perpdesk.services.fast_connect_outcome import (
    SUCCESS,
    SUCCESS_AWAITING,
    Outcome,
    message_for,
    warning_for,
)
from perpdesk.services.key_audit import Verdict
from perpdesk.services.ports import UnitOfWork
from perpdesk.store.base import new_id, utcnow
from perpdesk.store.records import GrantRecord
from perpdesk.vault.key_hash import sha256_hex

log = logging.getLogger(__name__)

PENDING, REDEEMING, CONNECTED, FAILED, DENIED, EXPIRED = (
    "pending",
    "redeeming",
    "connected",
    "failed",
    "denied",
    "expired",
)
FINAL = frozenset({CONNECTED, FAILED, DENIED, EXPIRED})
KEY_LABEL = "perpdesk"  # the label the exchange shows for keys it creates for us
ACCOUNT_LABEL = "Fast Connect Futures"  # the new account's label until the user renames it


def _grant_ref(grant_id: str) -> str:
    return "fast-connect:" + grant_id  # vault binding of the grant's sealed values


@dataclass(frozen=True, slots=True)
class Started:
    state: str
    authorize_url: str
    expires_at: datetime


async def start(
    deps: AccountsDeps,
    *,
    user_id: str,
    session_hash: str,
    enable_futures: bool = True,
    exchange: str = "bitmart",
) -> Started:
    if not enable_futures:
        raise ConnectRefused(T.FAST_CONNECT_NOT_ENABLED)
    provider = deps.fast_connect_for(exchange)
    if provider is None:
        raise ConnectRefused(T.FAST_CONNECT_NOT_CONFIGURED, status=503)
    state = secrets.token_urlsafe(32)
    verifier = pkce_verifier()
    grant_id = new_id()
    now = utcnow()
    grant = GrantRecord(
        id=grant_id,
        state_hash=sha256_hex(state),
        user_id=user_id,
        session_hash=session_hash,
        exchange=exchange,
        sealed_verifier=deps.vault.seal(
            verifier, user_id=user_id, account_id=_grant_ref(grant_id)
        ).to_bytes(),
        redirect_uri=deps.redirect_uri,
        status=PENDING,
        created_at=now,
        expires_at=now + deps.grant_ttl,
    )
    url = provider.authorize_url(
        state=state,
        code_challenge=pkce_challenge(verifier),
        redirect_uri=deps.redirect_uri,
        ip_whitelist=list(deps.egress_ips),
        label=KEY_LABEL,
    )
    async with deps.uow() as uow:
        await uow.grants.add(grant)
        await uow.audit.record(
            user_id=user_id, action="fast_connect.started", account_id=None, detail={"exchange": exchange}
        )
        await uow.commit()
    return Started(state=state, authorize_url=url, expires_at=grant.expires_at)


async def _grant(uow: UnitOfWork, state: str) -> GrantRecord | None:
    return await uow.grants.by_state_hash(sha256_hex(state))


async def _close(
    deps: AccountsDeps,
    grant_id: str,
    status: str,
    code: str,
    *,
    account_id: str | None = None,
    only_from: tuple[str, ...] | None = None,
) -> None:
    async with deps.uow() as uow:
        g = await uow.grants.get(grant_id)
        if g is None or (only_from is not None and g.status not in only_from):
            return
        await uow.grants.save(replace(g, status=status, outcome_code=code, finished_at=utcnow(),
                                      sealed_issued_key=None, account_id=account_id))
        await uow.audit.record(
            user_id=g.user_id,
            actor=g.user_id,
            action=f"fast_connect.{status}",
            account_id=account_id,
            detail={"reason": code, "exchange": g.exchange},
        )
        await uow.commit()


async def _claim(deps: AccountsDeps, grant_id: str, from_statuses: tuple[str, ...]) -> bool:
    async with deps.uow() as uow:
        won = await uow.grants.claim(grant_id, from_statuses, REDEEMING)
        await uow.commit()
    return won


async def finish(
    deps: AccountsDeps,
    *,
    session_hash: str | None,
    state: str,
    code: str | None = None,
    error: str | None = None,
) -> Outcome:
    """The exchange sent the browser back. Never raises for the user's flow: returns an Outcome."""
    if not state:
        return Outcome(FAILED, T.FAST_CONNECT_BAD_STATE)
    async with deps.uow() as uow:
        g = await _grant(uow, state)
        if g is None or session_hash is None or g.session_hash != session_hash:
            # Unknown state, or a state from another browser session: touch nothing.
            return Outcome(FAILED, T.FAST_CONNECT_BAD_STATE)
        grant_id, user_id, exchange, expires_at = g.id, g.user_id, g.exchange, g.expires_at
        sealed_verifier, redirect_uri, st = g.sealed_verifier, g.redirect_uri, g.status
    expired = st == EXPIRED or (st == PENDING and expires_at <= utcnow())
    if expired:
        if code and not error:
            # The exchange created a key we will not use: redeem it only to revoke it.
            await _discard_late_key(deps, grant_id, user_id, exchange, sealed_verifier, redirect_uri, code)
        await _close(deps, grant_id, EXPIRED, T.FAST_CONNECT_EXPIRED.code)
        return Outcome(EXPIRED, T.FAST_CONNECT_EXPIRED)
    if st != PENDING:
        return Outcome(FAILED, T.FAST_CONNECT_BAD_STATE)
    if error:
        if error == "access_denied":
            await _close(deps, grant_id, DENIED, T.FAST_CONNECT_DENIED.code)
            return Outcome(DENIED, T.FAST_CONNECT_DENIED)
        await _close(deps, grant_id, FAILED, T.FAST_CONNECT_REDEEM_FAILED.code)
        return Outcome(FAILED, T.FAST_CONNECT_REDEEM_FAILED)
    if not code:
        await _close(deps, grant_id, FAILED, T.FAST_CONNECT_REDEEM_FAILED.code)
        return Outcome(FAILED, T.FAST_CONNECT_REDEEM_FAILED)

    # Single use: only one callback may move the grant from pending to redeeming.
    if not await _claim(deps, grant_id, (PENDING,)):
        return Outcome(FAILED, T.FAST_CONNECT_BAD_STATE)

    provider = deps.fast_connect_for(exchange)
    if provider is None:
        await _close(deps, grant_id, FAILED, T.FAST_CONNECT_REDEEM_FAILED.code)
        return Outcome(FAILED, T.FAST_CONNECT_NOT_CONFIGURED)
    try:
        issued = await _redeem(deps, provider, grant_id, user_id, sealed_verifier, redirect_uri, code)
    except Exception as exc:
        log.info("fast connect redemption failed: %s", type(exc).__name__)
        msg = (
            T.from_error(exc, entry(exchange).info, deps.egress_ips)
            if not isinstance(exc, ValueError)
            else T.FAST_CONNECT_REDEEM_FAILED
        )
        if msg.code == T.EXCHANGE_UNAVAILABLE.code or msg.code == "exchange_error":
            msg = T.FAST_CONNECT_REDEEM_FAILED
        await _close(deps, grant_id, FAILED, msg.code)
        return Outcome(FAILED, msg)
    return await _store_issued(deps, grant_id, user_id, exchange, issued)


async def _redeem(
    deps: AccountsDeps,
    provider: FastConnectProvider,
    grant_id: str,
    user_id: str,
    sealed_verifier: bytes,
    redirect_uri: str,
    code: str,
) -> IssuedKey:
    """Trade the code and the grant's PKCE verifier (opened from the vault) for the issued key."""
    verifier = deps.vault.open(sealed_verifier, user_id=user_id, account_id=_grant_ref(grant_id)).decode()
    return await provider.redeem(code=code, code_verifier=verifier, redirect_uri=redirect_uri)


async def _discard_late_key(
    deps: AccountsDeps,
    grant_id: str,
    user_id: str,
    exchange: str,
    sealed_verifier: bytes,
    redirect_uri: str,
    code: str,
) -> None:
    if not await _claim(deps, grant_id, (PENDING, EXPIRED)):
        return
    provider = deps.fast_connect_for(exchange)
    if provider is None:
        return
    try:
        issued = await _redeem(deps, provider, grant_id, user_id, sealed_verifier, redirect_uri, code)
    except Exception as exc:
        log.info("fast connect: late code not redeemable: %s", type(exc).__name__)
        return
    await _revoke(deps, exchange, issued.credentials)


async def _store_issued(
    deps: AccountsDeps, grant_id: str, user_id: str, exchange: str, issued: IssuedKey
) -> Outcome:
    creds = issued.credentials
    # Keep the issued key sealed on the grant first: if we crash from here on, recovery revokes it.
    async with deps.uow() as uow:
        g = await uow.grants.get(grant_id)
        if g is not None:
            sealed = deps.vault.seal_credentials(creds, user_id=user_id, account_id=_grant_ref(grant_id))
            await uow.grants.save(replace(g, sealed_issued_key=sealed.to_bytes()))
            await uow.commit()
    try:
        venue = deps.venue_for(exchange)  # the key was issued by the configured exchange
        result = await inspect_storable(deps, venue, creds)
        async with deps.uow() as uow:
            account = await store_new_account(
                deps,
                uow,
                user_id=user_id,
                venue=venue,
                creds=creds,
                result=result,
                method=ConnectMethod.FAST_CONNECT,
                label=ACCOUNT_LABEL,
            )
            g = await uow.grants.get(grant_id)
            if g is not None:
                code = (SUCCESS if result.verdict is Verdict.OK else SUCCESS_AWAITING).code
                await uow.grants.save(replace(
                    g, status=CONNECTED, finished_at=utcnow(), account_id=account.id, sealed_issued_key=None,
                    outcome_code=code,
                ))
            await uow.commit()
    except ConnectRefused as refused:
        await _revoke(deps, exchange, creds)
        await _close(deps, grant_id, FAILED, refused.user_message.code)
        return Outcome(FAILED, refused.user_message)
    except Exception:
        log.exception("fast connect: storing the issued key failed; revoking it")
        await _revoke(deps, exchange, creds)
        await _close(deps, grant_id, FAILED, T.EXCHANGE_UNAVAILABLE.code)
        return Outcome(FAILED, T.EXCHANGE_UNAVAILABLE)
    msg = SUCCESS if result.verdict is Verdict.OK else SUCCESS_AWAITING
    return Outcome(CONNECTED, msg, account, result.warnings)


async def _revoke(deps: AccountsDeps, exchange: str, creds: Credentials) -> bool:
    return await revoke_key(deps, exchange, creds.api_key)


async def status(deps: AccountsDeps, *, user_id: str, session_hash: str | None, state: str) -> Outcome:
    """What the waiting window polls. Expires a pending grant past its time (the timeout message)."""
    async with deps.uow() as uow:
        g = await _grant(uow, state)
        if g is None or g.user_id != user_id or g.session_hash != session_hash:
            return Outcome(FAILED, T.FAST_CONNECT_BAD_STATE)
        ex = entry(g.exchange).info
        st, code, account_id, expires_at, grant_id = (
            g.status,
            g.outcome_code,
            g.account_id,
            g.expires_at,
            g.id,
        )
        account = None
        if st == CONNECTED and account_id:
            found = await uow.accounts.owned(user_id, account_id)
            account = view(found) if found is not None else None
    if st == PENDING and expires_at <= utcnow():
        await _close(deps, grant_id, EXPIRED, T.FAST_CONNECT_EXPIRED.code)
        return Outcome(EXPIRED, T.FAST_CONNECT_EXPIRED)
    if st in (PENDING, REDEEMING):
        return Outcome(PENDING)
    warnings: tuple[UserMessage, ...] = ()
    if account is not None:
        warnings = tuple(w for c in account.warnings if (w := warning_for(c, ex)) is not None)
    return Outcome(st, message_for(code, deps.egress_ips, ex), account, warnings)


REDEEM_GRACE = timedelta(minutes=2)  # a live callback may still be storing a key this long after expiry
KEEP_FINISHED = timedelta(days=7)  # finished grants are kept this long for support, then purged


async def recover(deps: AccountsDeps) -> int:
    """Revoke keys issued to grants that never finished (a crash), expire stale pending grants,
    purge old finished grants. Returns how many keys were revoked.

    A pending grant is stale past its expiry; a redeeming one only REDEEM_GRACE later, so a
    callback that is still inspecting or storing its key is never raced.
    """
    now = utcnow()
    revoked = 0
    async with deps.uow() as uow:
        rows = await uow.grants.stale(PENDING, now, REDEEMING, now - REDEEM_GRACE)
        todo = [(g.id, g.user_id, g.exchange, g.status, g.sealed_issued_key) for g in rows]
        await uow.grants.purge_finished(tuple(FINAL), now - KEEP_FINISHED)
        await uow.commit()
    for grant_id, user_id, exchange, st, sealed in todo:
        if st == PENDING:
            await _close(deps, grant_id, EXPIRED, T.FAST_CONNECT_EXPIRED.code, only_from=(PENDING,))
            continue
        if sealed is not None:
            creds = deps.vault.open_credentials(sealed, user_id=user_id, account_id=_grant_ref(grant_id))
            if await _revoke(deps, exchange, creds):
                revoked += 1
            else:
                continue  # keep the sealed key; the next recovery pass tries again
        await _close(deps, grant_id, FAILED, "recovered", only_from=(REDEEMING,))
    return revoked
