"""Time-based one-time codes (RFC 6238) as a second sign-in factor: enrolment, checks and removal.

The seed is sealed in the vault. Wrong codes count against the user (sign-in step, enrolment and
removal alike); a code once accepted never opens a second sign-in.
"""

from __future__ import annotations

import hmac
import logging
import time

import pyotp

from perpdesk.core.errors import InputError
from perpdesk.services.users.context import UsersContext
from perpdesk.services.users.throttle import Limits

log = logging.getLogger("perpdesk.auth")

TOTP_REF = "user:totp"  # vault binding (account_id) for a user's TOTP seed
TOTP_ISSUER = "perpdesk"


def _check_code_format(code: str) -> str:
    code = code.strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        raise InputError(
            "code", "must be the 6 digits your authenticator app shows", "Enter the current code."
        )
    return code


def matching_step(seed: str, code: str, now: float) -> int | None:
    """The time step (±1 for clock drift) whose code this is, or None."""
    totp = pyotp.TOTP(seed)
    current = int(now // totp.interval)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


async def _matches(ctx: UsersContext, user_id: str, code: str, purpose: str) -> bool:
    async with ctx.uow() as uow:
        seed = await uow.secrets.get(user_id=user_id, ref=TOTP_REF, purpose=purpose)
    if seed is None:
        return False
    step = matching_step(seed.decode(), code, time.time())
    if step is None:
        return False
    key = f"{user_id}:{purpose}"
    last = ctx.used_totp_steps.get(key)
    if last is not None and step <= last:
        raise InputError(
            "code", "was already used", "Wait for the next code (every 30 seconds) and enter it."
        )
    ctx.used_totp_steps[key] = step
    return True


async def check_code(
    ctx: UsersContext,
    limits: Limits,
    user_id: str,
    code: str,
    *,
    purpose: str = "totp",
    fix: str = "",
    rules: tuple[tuple[str, ...], ...] = (),
) -> None:
    """Accept the code or raise InputError; wrong codes count against `rules` (default: the
    signed-in user's own budget)."""
    code = _check_code_format(code)
    rules = rules or (("code", user_id, "signed-in"),)
    async with limits.attempt("wrong codes", *rules) as attempt:
        if not await _matches(ctx, user_id, code, purpose):
            log.warning("2FA code refused", extra={"user_id": user_id, "purpose": purpose})
            fix = fix or "Enter the code your authenticator app shows now."
            raise InputError("code", "does not match", fix)
        attempt.succeeded()


async def begin_enrolment(ctx: UsersContext, user_id: str, email: str) -> tuple[str, str]:
    """A new seed, sealed as pending until confirmed. Returns (seed, otpauth URI) to show once."""
    seed = pyotp.random_base32()
    async with ctx.uow() as uow:
        await uow.secrets.put(user_id=user_id, ref=TOTP_REF, purpose="totp_pending", plaintext=seed)
        await uow.commit()
    return seed, pyotp.TOTP(seed).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


async def pending_enrolment(ctx: UsersContext, user_id: str, email: str) -> tuple[str, str] | None:
    async with ctx.uow() as uow:
        seed = await uow.secrets.get(user_id=user_id, ref=TOTP_REF, purpose="totp_pending")
    if seed is None:
        return None
    text = seed.decode()
    return text, pyotp.TOTP(text).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


async def confirm_enrolment(ctx: UsersContext, limits: Limits, user_id: str, code: str) -> None:
    fix = "Scan the QR code again and enter the code shown now."
    await check_code(ctx, limits, user_id, code, purpose="totp_pending", fix=fix)
    async with ctx.uow() as uow:
        if not await uow.secrets.exists(user_id=user_id, ref=TOTP_REF, purpose="totp_pending"):
            raise InputError("code", "no enrolment is waiting", "Start the 2FA set-up again.")
        await uow.secrets.delete(user_id=user_id, ref=TOTP_REF, purpose="totp")
        await uow.secrets.rename(user_id=user_id, ref=TOTP_REF, purpose="totp_pending", to="totp")
        await uow.users.update(user_id, totp_enabled=True)
        await uow.commit()


async def disable(ctx: UsersContext, limits: Limits, user_id: str, code: str) -> None:
    await check_code(ctx, limits, user_id, code, fix="Enter the current code from your authenticator app.")
    async with ctx.uow() as uow:
        await uow.secrets.delete(user_id=user_id, ref=TOTP_REF, purpose="totp")
        await uow.users.update(user_id, totp_enabled=False)
        await uow.commit()
