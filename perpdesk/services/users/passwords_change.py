"""Changing a password (knowing the current one) and resetting it by an emailed link.

A reset link carries a random token; the database keeps only its sha256, for at most
PERPDESK_PASSWORD_RESET_TTL_MINUTES, and a token works once. Asking for a link answers the same
whether or not the email has an account (the mail goes out in the background). Either change
ends every other session of the user.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from perpdesk.core.errors import InputError
from perpdesk.services.users.context import UsersContext
from perpdesk.services.users.mail import in_background, mail_configured, send_mail
from perpdesk.services.users.passwords import check_new_password, hash_password, verify_password
from perpdesk.services.users.sessions import close_other_sessions, new_token, token_hash
from perpdesk.services.users.signin import user_by_id, validate_email
from perpdesk.services.users.throttle import Limits, TooManyAttempts

log = logging.getLogger("perpdesk.auth")

RESET_PATH = "/password/reset"


async def _set_password(ctx: UsersContext, user_id: str, new: str, *, keep_session_hash: str | None) -> None:
    new_hash = await hash_password(new)
    async with ctx.uow() as uow:
        if not await uow.users.update(user_id, password_hash=new_hash):
            raise InputError("token", "is not valid any more", "Ask for a new reset link.")
        await uow.password_resets.delete_for_user(user_id)
        await uow.commit()
    ended = await close_other_sessions(ctx, user_id, keep_hash=keep_session_hash)
    log.info("password changed", extra={"user_id": user_id, "sessions_ended": ended})


async def change_password(
    ctx: UsersContext,
    limits: Limits,
    user_id: str,
    email: str,
    current: str,
    new: str,
    *,
    keep_session_hash: str,
) -> None:
    async with limits.attempt("wrong passwords", ("code", user_id, "signed-in")) as attempt:
        user = await user_by_id(ctx, user_id)
        if user is None or not await verify_password(user.password_hash, current):
            log.warning("current password refused", extra={"user_id": user_id})
            raise InputError("current_password", "is wrong", "Enter the password you signed in with.")
        attempt.succeeded()
    if new == current:
        raise InputError("new_password", "is the current password", "Choose a new password.")
    await check_new_password(new, email, "new_password")
    await _set_password(ctx, user_id, new, keep_session_hash=keep_session_hash)


RESET_MAIL_JOB = "mail.password_reset"  # payload: the user's id (no address, no token)


async def request_reset(ctx: UsersContext, limits: Limits, email: str, *, client: str) -> None:
    """Email a reset link when the address has an account; the same answer either way."""
    if not mail_configured(ctx.settings):
        raise InputError(
            "email",
            "cannot receive a reset link: this platform sends no email",
            "Ask the platform's operator to configure email (PERPDESK_SMTP_HOST).",
        )
    email = validate_email(email)
    await limits.spend("password reset requests", "reset_client", client)
    in_background(_queue_reset(ctx, limits, email))


async def _queue_reset(ctx: UsersContext, limits: Limits, email: str) -> None:
    """Queue the mail job for an address with an account (the request has had its answer)."""
    try:
        async with ctx.uow() as uow:
            user = await uow.users.by_email(email)
        if user is None:
            return
        try:
            await limits.spend("reset mails", "reset_account", email)
        except TooManyAttempts:
            log.warning("reset mail not sent: too many for this address", extra={"user_id": user.id})
            return
        await ctx.jobs.enqueue(RESET_MAIL_JOB, user.id.encode())
    except Exception:
        log.exception("password reset mail could not be queued")


async def send_reset_mail(ctx: UsersContext, payload: bytes) -> None:
    """The job: a fresh token, then the mail. A failure goes back to the job queue, which tries
    again later (a new token each time: one never sent cannot be used)."""
    user_id = payload.decode()
    async with ctx.uow() as uow:
        user = await uow.users.by_id(user_id)
        if user is None:
            return  # deleted meanwhile
        token = new_token()
        ttl = timedelta(minutes=ctx.settings.password_reset_ttl_minutes)
        await uow.password_resets.create(token_hash=token_hash(token), user_id=user.id, ttl=ttl)
        await uow.commit()
    link = f"{ctx.settings.public_url}{RESET_PATH}?token={token}"
    minutes = int(ctx.settings.password_reset_ttl_minutes)
    await send_mail(
        ctx.settings,
        user.email,
        "Reset your perpdesk password",
        "Someone (we hope you) asked to reset the password of your perpdesk account.\n\n"
        f"Open this link within {minutes} minutes to choose a new password:\n{link}\n\n"
        "The link works once. If you did not ask for it, ignore this email: your password "
        "stays as it is.\n",
    )
    log.info("password reset mail sent", extra={"user_id": user_id})


async def reset_user(ctx: UsersContext, token: str) -> str | None:
    """The email of the account a live reset token belongs to, without using the token up."""
    if not token:
        return None
    async with ctx.uow() as uow:
        user_id = await uow.password_resets.peek(token_hash(token))
        user = await uow.users.by_id(user_id) if user_id else None
        return user.email if user else None


async def reset_password(ctx: UsersContext, token: str, new: str) -> None:
    """Set a new password with a live token (used up on success); ends every session."""
    email = await reset_user(ctx, token)
    if email is None:
        raise InputError(
            "token", "is not valid any more (used, expired or unknown)", "Ask for a new reset link."
        )
    await check_new_password(new, email, "new_password")
    async with ctx.uow() as uow:
        user_id = await uow.password_resets.take(token_hash(token))
        await uow.commit()
    if user_id is None:  # another request used it in the meantime
        raise InputError(
            "token", "is not valid any more (used, expired or unknown)", "Ask for a new reset link."
        )
    await _set_password(ctx, user_id, new, keep_session_hash=None)
