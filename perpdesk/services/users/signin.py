"""Sign-up and sign-in by email and password, throttled per client and per (account, client)."""

from __future__ import annotations

import logging
import re

from perpdesk.core.errors import Conflict, InputError
from perpdesk.services.users.context import UsersContext
from perpdesk.services.users.passwords import MAX_PASSWORD, check_new_password, hash_password, verify_password
from perpdesk.services.users.throttle import Limits, device_for
from perpdesk.store.base import DuplicateRow
from perpdesk.store.records import UserRecord
from perpdesk.store.repos import normalize_email

log = logging.getLogger("perpdesk.auth")

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]+$")


def validate_email(email: str) -> str:
    email = normalize_email(email)
    if not email:
        raise InputError("email", "is empty", "Enter the email address you sign in with.")
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise InputError("email", "is not an email address", "Enter an address like name@example.com.")
    return email


async def sign_up(ctx: UsersContext, email: str, password: str) -> UserRecord:
    email = validate_email(email)
    await check_new_password(password, email)
    password_hash = await hash_password(password)
    async with ctx.uow() as uow:
        if await uow.users.by_email(email) is not None:
            raise _taken()
        try:
            user = await uow.users.create(email, password_hash)
            await uow.commit()
        except DuplicateRow:
            raise _taken() from None
    log.info("user signed up", extra={"user_id": user.id})
    return user


async def user_by_email(ctx: UsersContext, email: str) -> UserRecord | None:
    async with ctx.uow() as uow:
        return await uow.users.by_email(email)


async def user_by_id(ctx: UsersContext, user_id: str) -> UserRecord | None:
    async with ctx.uow() as uow:
        return await uow.users.by_id(user_id)


def _taken() -> Conflict:
    return Conflict(
        "An account with this email already exists.", next_step="Sign in instead, or use another email."
    )


async def authenticate(
    ctx: UsersContext, limits: Limits, email: str, password: str, *, client: str, device: str | None
) -> UserRecord:
    """The user whose email and password these are, or InputError (or TooManyAttempts).

    A browser carrying this account's known-device cookie is throttled on its own; any other
    client per (email, client) and per client, and all unknown clients together per email."""
    email_n = normalize_email(email)
    if len(password) > MAX_PASSWORD:
        raise InputError("password", f"is longer than {MAX_PASSWORD} characters", "Check the password.")
    user = await user_by_email(ctx, email_n) if email_n else None
    known = device_for(ctx.session_secret, user.id, user.password_hash, device) if user else None
    if known:
        rules: tuple[tuple[str, ...], ...] = (("signin_device", email_n, known),)
    else:
        rules = (
            ("signin_account_client", email_n, client),
            ("signin_client", client),
            ("signin_account", email_n),
        )
    async with limits.attempt("failed sign-in attempts", *rules) as attempt:
        ok = await verify_password(user.password_hash if user else None, password)
        if user is None or not ok:
            log.warning("sign-in refused", extra={"client": client, "known_user": user is not None})
            raise InputError(
                "password",
                "is wrong, or the email is not registered",
                "Check both and try again, or sign up.",
            )
        attempt.succeeded()
    if not known:
        await limits.clear("signin_account_client", email_n, client)
    log.info("password accepted", extra={"user_id": user.id, "client": client, "mfa": user.totp_enabled})
    return user
