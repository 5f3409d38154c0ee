"""Server-side sign-in sessions: a random id the browser keeps in a cookie, only its sha256 in the
database. A session waiting for its 2FA code is `mfa_pending` for at most 10 minutes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from perpdesk.services.users.context import UsersContext
from perpdesk.store.base import utcnow
from perpdesk.store.records import SessionRecord, UserRecord

MFA_PENDING_TTL = timedelta(minutes=10)
TOUCH_EVERY = timedelta(minutes=1)  # how often a session's last use is written


def new_token() -> str:
    return secrets.token_urlsafe(32)


def session_token(secret: bytes, browser_seed: str) -> str:
    """A new session id that records which browser opened it: random, then a MAC of the browser's
    CSRF seed. The CSRF check accepts that browser's session-less token in this session only."""
    nonce = new_token()
    return f"{nonce}.{_opened_mac(secret, browser_seed, nonce)}"


def opened_by(secret: bytes, browser_seed: str, token: str) -> bool:
    """Whether the session id `token` was opened by the browser whose CSRF seed this is."""
    nonce, _, mac = token.rpartition(".")
    return bool(nonce and browser_seed) and hmac.compare_digest(_opened_mac(secret, browser_seed, nonce), mac)


def _opened_mac(secret: bytes, browser_seed: str, nonce: str) -> str:
    return hmac.new(secret, f"opened|{browser_seed}|{nonce}".encode(), hashlib.sha256).hexdigest()[:24]


def token_hash(token: str) -> str:
    """What the database keeps of a session id or reset token: a stolen row cannot be replayed."""
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(
    ctx: UsersContext,
    user_id: str,
    *,
    mfa_pending: bool,
    user_agent: str | None,
    replaces: str | None,
    browser_seed: str,
) -> str:
    """A new session for `user_id`, opened by the browser with this CSRF seed; the one the browser
    had (`replaces`) ends, so a fixated id never gains privileges. Returns the cookie value."""
    token = session_token(ctx.session_secret, browser_seed)
    async with ctx.uow() as uow:
        if replaces:
            await uow.user_sessions.delete(token_hash(replaces))
            ctx.open_streams.end_session(token_hash(replaces))
        await uow.user_sessions.create(
            id_hash=token_hash(token),
            user_id=user_id,
            ttl=session_ttl(ctx),
            mfa_pending=mfa_pending,
            user_agent=user_agent,
        )
        if not mfa_pending:
            await uow.users.update(user_id, last_sign_in_at=utcnow())
        await uow.commit()
    return token


def session_ttl(ctx: UsersContext) -> timedelta:
    return timedelta(hours=ctx.settings.session_ttl_hours)


async def close_session(ctx: UsersContext, token: str) -> None:
    async with ctx.uow() as uow:
        await uow.user_sessions.delete(token_hash(token))
        await uow.commit()
    ctx.open_streams.end_session(token_hash(token))


async def close_other_sessions(ctx: UsersContext, user_id: str, *, keep_hash: str | None) -> int:
    """End every session of the user but the one whose hash is `keep_hash`; how many ended."""
    async with ctx.uow() as uow:
        count = await uow.user_sessions.delete_for_user(user_id, except_hash=keep_hash)
        await uow.commit()
    ctx.open_streams.end_user(user_id, except_session=keep_hash)
    return count


async def pending_mfa_user_id(ctx: UsersContext, token: str | None) -> str | None:
    """The user whose password was accepted in this session within 10 minutes, awaiting a code."""
    if not token:
        return None
    sess = await live_session(ctx, token_hash(token))
    if sess is None or not sess.mfa_pending:
        return None
    if utcnow() - sess.created_at > MFA_PENDING_TTL:
        return None
    return sess.user_id


async def live_session(ctx: UsersContext, id_hash: str) -> SessionRecord | None:
    """The session if it has neither expired nor sat idle too long (one that has is deleted)."""
    idle = timedelta(hours=ctx.settings.session_idle_hours)
    async with ctx.uow() as uow:
        sess = await uow.user_sessions.get_live(id_hash, idle=idle)
        await uow.commit()
    return sess


async def signed_in_user(
    ctx: UsersContext, token: str, *, allow_mfa_pending: bool = False
) -> tuple[UserRecord, SessionRecord] | None:
    """The user a session cookie signs in (and its session), marking the session seen at most
    once per TOUCH_EVERY; None when the session is gone or still waits for its 2FA code."""
    id_hash = token_hash(token)
    idle = timedelta(hours=ctx.settings.session_idle_hours)
    async with ctx.uow() as uow:
        sess = await uow.user_sessions.get_live(id_hash, idle=idle)
        if sess is None:
            await uow.commit()  # get_live deletes an expired row
            return None
        if sess.mfa_pending and not allow_mfa_pending:
            return None
        user = await uow.users.by_id(sess.user_id)
        if user is None:
            return None
        now = utcnow()
        if now - sess.last_seen_at > TOUCH_EVERY:
            await uow.user_sessions.touch(id_hash, now)
            await uow.commit()
    return user, sess


async def purge_expired_sessions(ctx: UsersContext) -> None:
    async with ctx.uow() as uow:
        await uow.user_sessions.purge_expired()
        await uow.commit()
