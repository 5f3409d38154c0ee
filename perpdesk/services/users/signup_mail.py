"""Sign-up that does not tell who has an account. With email configured, every sign-up answers
"check your email": a new address is sent a link that creates the account (the pending sign-up
travels sealed in the link, so nothing is stored until it is used), an address that already has
an account is sent a note for its owner instead. Both cost the same (the password is hashed
either way) and the mail goes out in the background. Without email, `signin.sign_up` creates the
account at once and an address in use is refused: the operator's trade-off, documented.
"""

from __future__ import annotations

import base64
import binascii
import logging
import time

from perpdesk.core.errors import InputError
from perpdesk.services.users.context import UsersContext
from perpdesk.services.users.mail import in_background, send_mail
from perpdesk.services.users.passwords import check_new_password, hash_password
from perpdesk.services.users.signin import user_by_email, validate_email
from perpdesk.services.users.throttle import Limits, TooManyAttempts
from perpdesk.store.base import DuplicateRow
from perpdesk.store.records import UserRecord
from perpdesk.vault import VaultError

log = logging.getLogger("perpdesk.auth")

CONFIRM_PATH = "/signup/confirm"
CHECK_EMAIL = (
    "Check your email: a link to finish signing up is on its way. It works once, within 24 hours."
)
LINK_TTL_S = 24 * 3600
_BINDING = {"user_id": "signup", "account_id": "pending"}  # vault binding of a sealed sign-up


def _bad_link() -> InputError:
    return InputError(
        "token", "is not valid any more (used, expired or altered)", "Sign up again to get a new link."
    )


async def request_sign_up(ctx: UsersContext, limits: Limits, email: str, password: str) -> None:
    """Check the email and password, then mail a link (or a note to the owner); the same either way."""
    email = validate_email(email)
    await check_new_password(password, email)
    password_hash = await hash_password(password)
    taken = await user_by_email(ctx, email) is not None
    if taken:
        subject, text = "Someone tried to sign up with your email", _owner_note(ctx)
    else:
        pending = {"email": email, "password_hash": password_hash, "expires": time.time() + LINK_TTL_S}
        sealed = ctx.vault.seal(pending, **_BINDING).to_bytes()
        token = base64.urlsafe_b64encode(sealed).decode().rstrip("=")
        subject, text = "Finish signing up to perpdesk", _link_text(ctx, token)
    in_background(_send(ctx, limits, email, subject, text))


async def _send(ctx: UsersContext, limits: Limits, email: str, subject: str, text: str) -> None:
    try:
        await limits.spend("sign-up mails", "signup_email", email)
        await send_mail(ctx.settings, email, subject, text)
        log.info("sign-up mail sent")
    except TooManyAttempts:
        log.warning("sign-up mail not sent: too many for this address")
    except Exception:
        log.exception("sign-up mail failed")


def _link_text(ctx: UsersContext, token: str) -> str:
    return (
        "Someone (we hope you) signed up to perpdesk with this email.\n\n"
        "Open this link within 24 hours to finish:\n"
        f"{ctx.settings.public_url}{CONFIRM_PATH}?token={token}\n\n"
        "The link works once. If you did not sign up, ignore this email: no account is made.\n"
    )


def _owner_note(ctx: UsersContext) -> str:
    return (
        "Someone tried to sign up to perpdesk with this email, which already has an account.\n\n"
        f"If it was you, sign in instead: {ctx.settings.public_url}/signin\n"
        f"Forgot your password? Reset it: {ctx.settings.public_url}/password/forgot\n\n"
        "If it was not you, nothing changed: you can ignore this email.\n"
    )


async def confirm_sign_up(ctx: UsersContext, token: str) -> UserRecord:
    """Create the account a sign-up link stands for (once), or InputError on the token."""
    try:
        sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        pending = ctx.vault.open_json(sealed, **_BINDING)
    except (binascii.Error, ValueError, VaultError):
        raise _bad_link() from None
    if float(pending.get("expires", 0)) < time.time():
        raise _bad_link()
    async with ctx.uow() as uow:
        if await uow.users.by_email(str(pending["email"])) is not None:
            raise _bad_link()
        try:
            user = await uow.users.create(str(pending["email"]), str(pending["password_hash"]))
            await uow.commit()
        except DuplicateRow:
            raise _bad_link() from None
    log.info("user signed up", extra={"user_id": user.id})
    return user
