"""Sign-up, sign-in (with optional TOTP second step), sessions and sign-out: the logic both the
HTML pages and the JSON API call. Errors are InputError naming the field; never echo a password.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
from collections import defaultdict, deque
from datetime import timedelta

import pyotp
from fastapi import Request, Response
from sqlalchemy.exc import IntegrityError

from perpdesk.bootstrap import Services
from perpdesk.core.errors import Conflict, InputError, PerpdeskError
from perpdesk.store.base import utcnow
from perpdesk.store.repos import SessionRepo, UserRepo, normalize_email
from perpdesk.store.sealed import get_secret, put_secret
from perpdesk.store.users import User
from perpdesk.web.deps import CurrentUser, session_cookie_name
from perpdesk.web.security import hash_password, new_session_token, token_hash, verify_password

log = logging.getLogger("perpdesk.auth")

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]+$")
MIN_PASSWORD = 10
MAX_PASSWORD = 256
TOTP_REF = "user:totp"  # vault binding (account_id) for a user's TOTP seed
TOTP_ISSUER = "perpdesk"
MFA_PENDING_TTL = timedelta(minutes=10)


class TooManyAttempts(PerpdeskError):
    code = "too_many_attempts"


class SignInThrottle:
    """At most MAX failures per email (MAX_PER_CLIENT per client address) within WINDOW seconds."""

    MAX = 10
    MAX_PER_CLIENT = 100  # many users may share one address (NAT, office)
    WINDOW = 15 * 60.0

    def __init__(self) -> None:
        self._fails: defaultdict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str) -> deque[float]:
        q = self._fails[key]
        now = time.monotonic()
        while q and now - q[0] > self.WINDOW:
            q.popleft()
        return q

    def check(self, *keys: str) -> None:
        for key in keys:
            q = self._recent(key)
            if len(q) >= (self.MAX_PER_CLIENT if key.startswith("ip:") else self.MAX):
                wait = int(self.WINDOW - (time.monotonic() - q[0])) // 60 + 1
                raise TooManyAttempts(
                    "Too many failed sign-in attempts.",
                    next_step=f"Wait {wait} minute(s) and try again.",
                )

    def fail(self, *keys: str) -> None:
        for key in keys:
            self._recent(key).append(time.monotonic())

    def clear(self, *keys: str) -> None:
        for key in keys:
            self._fails.pop(key, None)


def validate_email(email: str) -> str:
    email = normalize_email(email)
    if not email:
        raise InputError("email", "is empty", "Enter the email address you sign in with.")
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise InputError("email", "is not an email address", "Enter an address like name@example.com.")
    return email


def validate_new_password(password: str, email: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(
            "password",
            f"is shorter than {MIN_PASSWORD} characters",
            "Choose a longer password or a passphrase.",
        )
    if len(password) > MAX_PASSWORD:
        raise InputError(
            "password", f"is longer than {MAX_PASSWORD} characters", "Choose a shorter password."
        )
    if password.strip().lower() == email:
        raise InputError("password", "is the same as the email", "Choose a password nobody can guess.")


async def sign_up(services: Services, email: str, password: str) -> User:
    email = validate_email(email)
    validate_new_password(password, email)
    password_hash = await hash_password(password)
    async with services.sessionmaker() as s:
        repo = UserRepo(s)
        if await repo.by_email(email) is not None:
            raise _taken()
        try:
            user = await repo.create(email, password_hash)
            await s.commit()
        except IntegrityError:
            raise _taken() from None
    log.info("user signed up", extra={"user_id": user.id})
    return user


def _taken() -> Conflict:
    return Conflict(
        "An account with this email already exists.", next_step="Sign in instead, or use another email."
    )


async def authenticate(
    services: Services, throttle: SignInThrottle, email: str, password: str, client: str
) -> User:
    email_n = normalize_email(email)
    throttle.check(f"email:{email_n}", f"ip:{client}")
    async with services.sessionmaker() as s:
        user = await UserRepo(s).by_email(email_n) if email_n else None
    ok = await verify_password(user.password_hash if user else None, password)
    if user is None or not ok:
        throttle.fail(f"email:{email_n}", f"ip:{client}")
        log.warning("sign-in refused", extra={"client": client, "known_user": user is not None})
        raise InputError(
            "password", "is wrong, or the email is not registered", "Check both and try again, or sign up."
        )
    throttle.clear(f"email:{email_n}")
    log.info("password accepted", extra={"user_id": user.id, "client": client, "mfa": user.totp_enabled})
    return user


async def start_session(
    services: Services, request: Request, response: Response, user_id: str, *, mfa_pending: bool
) -> None:
    """A new random session id in an HttpOnly, SameSite=Lax cookie; only its hash is stored.

    Any session the browser already had is ended, so a fixated id never gains privileges.
    """
    settings = services.settings
    cookie = session_cookie_name(services)
    old = request.cookies.get(cookie)
    token = new_session_token()
    ttl = timedelta(hours=settings.session_ttl_hours)
    async with services.sessionmaker() as s:
        repo = SessionRepo(s)
        if old:
            await repo.delete(token_hash(old))
        await repo.create(
            id_hash=token_hash(token),
            user_id=user_id,
            ttl=ttl,
            mfa_pending=mfa_pending,
            user_agent=request.headers.get("user-agent"),
        )
        if not mfa_pending:
            user = await UserRepo(s).by_id(user_id)
            if user is not None:
                user.last_sign_in_at = utcnow()
        await s.commit()
    response.set_cookie(
        cookie,
        token,
        max_age=int(ttl.total_seconds()),
        path="/",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
    )


async def end_session(services: Services, request: Request, response: Response) -> None:
    cookie = session_cookie_name(services)
    token = request.cookies.get(cookie)
    if token:
        async with services.sessionmaker() as s:
            await SessionRepo(s).delete(token_hash(token))
            await s.commit()
    response.delete_cookie(
        cookie, path="/", secure=services.settings.secure_cookies, httponly=True, samesite="lax"
    )


async def pending_mfa_user_id(services: Services, request: Request) -> str | None:
    token = request.cookies.get(session_cookie_name(services))
    if not token:
        return None
    idle = timedelta(hours=services.settings.session_idle_hours)
    async with services.sessionmaker() as s:
        sess = await SessionRepo(s).get_live(token_hash(token), idle=idle)
        await s.commit()
    if sess is None or not sess.mfa_pending:
        return None
    if utcnow() - sess.created_at > MFA_PENDING_TTL:  # a password check is good for 10 minutes
        return None
    return sess.user_id


# --- TOTP ----------------------------------------------------------------------------------


def _check_code_format(code: str) -> str:
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        raise InputError(
            "code", "must be the 6 digits your authenticator app shows", "Enter the current code."
        )
    return code


async def verify_totp(services: Services, user_id: str, code: str, *, purpose: str = "totp") -> bool:
    code = _check_code_format(code)
    async with services.sessionmaker() as s:
        seed = await get_secret(s, services.vault, user_id=user_id, ref=TOTP_REF, purpose=purpose)
    if seed is None:
        return False
    step = matching_step(seed.decode(), code, time.time())
    if step is None:
        return False
    key = f"{user_id}:{purpose}"
    last = services.used_totp_steps.get(key)
    if last is not None and step <= last:
        raise InputError(
            "code", "was already used", "Wait for the next code (every 30 seconds) and enter it."
        )
    services.used_totp_steps[key] = step
    return True


def matching_step(seed: str, code: str, now: float) -> int | None:
    """The time step (±1 for clock drift) whose code this is, or None."""
    totp = pyotp.TOTP(seed)
    current = int(now // totp.interval)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


async def begin_totp_enrolment(services: Services, user: CurrentUser) -> tuple[str, str]:
    """A new seed, sealed as pending until confirmed. Returns (seed, otpauth URI) to show once."""
    seed = pyotp.random_base32()
    async with services.sessionmaker() as s:
        await put_secret(
            s, services.vault, user_id=user.id, ref=TOTP_REF, purpose="totp_pending", plaintext=seed
        )
        await s.commit()
    uri = pyotp.TOTP(seed).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)
    return seed, uri


async def pending_totp_uri(services: Services, user: CurrentUser) -> tuple[str, str] | None:
    async with services.sessionmaker() as s:
        seed = await get_secret(s, services.vault, user_id=user.id, ref=TOTP_REF, purpose="totp_pending")
    if seed is None:
        return None
    text = seed.decode()
    return text, pyotp.TOTP(text).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


async def confirm_totp(services: Services, user: CurrentUser, code: str) -> None:
    if not await verify_totp(services, user.id, code, purpose="totp_pending"):
        raise InputError("code", "does not match", "Scan the QR code again and enter the code shown now.")
    from perpdesk.store.repos import SealedSecretRepo

    async with services.sessionmaker() as s:
        repo = SealedSecretRepo(s)
        pending = await repo.get(user_id=user.id, ref=TOTP_REF, purpose="totp_pending")
        assert pending is not None
        await repo.delete(user_id=user.id, ref=TOTP_REF, purpose="totp")
        pending.purpose = "totp"
        db_user = await UserRepo(s).by_id(user.id)
        assert db_user is not None
        db_user.totp_enabled = True
        await s.commit()


async def disable_totp(services: Services, user: CurrentUser, code: str) -> None:
    if not await verify_totp(services, user.id, code):
        raise InputError("code", "does not match", "Enter the current code from your authenticator app.")
    from perpdesk.store.repos import SealedSecretRepo

    async with services.sessionmaker() as s:
        await SealedSecretRepo(s).delete(user_id=user.id, ref=TOTP_REF, purpose="totp")
        db_user = await UserRepo(s).by_id(user.id)
        assert db_user is not None
        db_user.totp_enabled = False
        await s.commit()
