"""Rate limits on guessing (sign-in, 2FA codes, current passwords) and on costly calls (sign-up,
key inspection, reset mails), on the `limits` library's moving windows: in memory in one process,
in PostgreSQL (store/rate_windows.py) when several processes share the database, so a throttle
holds however the attempts are spread over web processes.

Sign-in (password and 2FA code alike) cannot be used to lock an owner out: failures count per
(account, client address) and per client address, each with tiers whose waits grow (a minute, an
hour, a day); a browser that signed in to the account before carries a signed "known device"
cookie and is counted only against itself, so neither a flood from one address nor guesses from
many addresses at one email lock the owner's usual browser.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol, cast

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from sqlalchemy.ext.asyncio import AsyncEngine

from perpdesk.core.errors import PerpdeskError
from perpdesk.store.rate_windows import PgMovingWindowStorage

# Each rule is "N/period" tiers (the `limits` notation), multiplied by the platform's factor.
RULES: dict[str, str] = {
    "signin_account_client": "5/minute;20/hour;100/day",  # failures for one email from one client
    "signin_client": "30/minute;300/hour;1000/day",  # failures from one client, all emails
    "signin_account": "50/hour;200/day",  # failures for one email from unknown clients, all addresses
    "signin_device": "10/minute;50/hour",  # failures from a known device of the account
    "code": "5/minute;20/hour",  # wrong 2FA codes or current passwords, per (user, client or session)
    "code_user": "30/hour;100/day",  # wrong sign-in 2FA codes for one user from unknown clients
    "code_device": "10/minute;30/hour",  # wrong sign-in 2FA codes from a known device of the user
    "signup_client": "10/minute;50/hour",  # every sign-up attempt, per client
    "inspect_user": "10/minute;100/hour",  # every key inspection (inspect, Manual connect Save)
    "reset_client": "10/hour",  # reset mails asked for from one client
    "reset_account": "3/hour",  # reset mails sent to one email
    "webhook_test_user": "5/minute;30/hour",  # webhook "Send test" messages, per user
    "settings_user": "20/minute;200/hour",  # every settings write (notification settings, new secret)
    "signup_email": "3/hour",  # sign-up mails (a link, or "you have an account") sent to one email
}


class TooManyAttempts(PerpdeskError):
    code = "too_many_attempts"
    http_status_for_api = 429

    def __init__(self, what: str, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            f"Too many {what}.",
            next_step=f"Wait {minutes} minute(s) and try again.",
        )
        self.retry_after = retry_after


def _scaled(rule: str, factor: float) -> list[RateLimitItem]:
    items = parse_many(rule)
    for item in items:
        item.amount = max(1, int(item.amount * factor))
    return items


class Attempt:
    """One reserved attempt: it counts as a failure unless the check marks it passed."""

    passed = False

    def succeeded(self) -> None:
        self.passed = True


class RefundableStorage(Protocol):
    """A moving-window storage that can take back its latest entry of a key."""

    async def refund(self, key: str) -> None: ...


class MemoryWindows(MemoryStorage):
    """`limits`' in-process moving windows, with `refund`: one process (or SQLite) only."""

    async def refund(self, key: str) -> None:
        async with self.locks[key]:
            events = self.events.get(key)
            if events:
                del events[0]  # newest first


class Limits:
    """Each attempt takes its entry in every tier before it is checked (the storage's acquisition
    is atomic, in one process or, on PostgreSQL, across all of them), so N guesses sent at once
    count as N, not as one each, wherever they land; an attempt that passes is refunded."""

    def __init__(
        self, factor: float = 1.0, storage: MemoryStorage | PgMovingWindowStorage | None = None
    ) -> None:
        self.storage = storage if storage is not None else MemoryWindows()
        self._limiter = MovingWindowRateLimiter(self.storage)
        self._rules = {name: _scaled(rule, factor) for name, rule in RULES.items()}

    async def _retry_after(self, rules: tuple[tuple[str, ...], ...]) -> int:
        """Seconds until every exhausted tier of the rules has a slot again (at least 1)."""
        wait = 1
        for rule, *key in rules:
            for item in self._rules[rule]:
                stats = await self._limiter.get_window_stats(item, rule, *key)
                if stats.remaining <= 0:
                    wait = max(wait, math.ceil(stats.reset_time - time.time()))
        return wait

    async def _refund(self, taken: list[tuple[RateLimitItem, str, tuple[str, ...]]]) -> None:
        storage = cast(RefundableStorage, self.storage)
        for item, rule, key in reversed(taken):
            await storage.refund(item.key_for(rule, *key))

    @asynccontextmanager
    async def attempt(self, what: str, *rules: tuple[str, ...]) -> AsyncIterator[Attempt]:
        """Reserve one attempt against each (rule, *key), or raise TooManyAttempts. Unless the
        body calls `succeeded()` (or when it fails or is cancelled) the attempt is counted."""
        taken: list[tuple[RateLimitItem, str, tuple[str, ...]]] = []
        refused = False
        try:
            for rule, *key in rules:
                for item in self._rules[rule]:
                    if not await self._limiter.hit(item, rule, *key):
                        refused = True
                        break
                    taken.append((item, rule, tuple(key)))
                if refused:
                    break
        except BaseException:
            await asyncio.shield(self._refund(taken))
            raise
        if refused:
            await self._refund(taken)
            raise TooManyAttempts(what, await self._retry_after(rules))
        outcome = Attempt()
        try:
            yield outcome
        finally:
            if outcome.passed:
                await asyncio.shield(self._refund(taken))

    async def spend(self, what: str, rule: str, *key: str) -> None:
        """Count this attempt, refused when the rule is exhausted (sign-ups, inspections, mails)."""
        async with self.attempt(what, (rule, *key)):
            pass

    async def clear(self, rule: str, *key: str) -> None:
        for item in self._rules[rule]:
            await self._limiter.clear(item, rule, *key)


def signin_code_rules(user_id: str, *, client: str, device: str | None) -> tuple[tuple[str, ...], ...]:
    """Rules for wrong 2FA codes at sign-in: someone who has the password cannot, by guessing
    codes from elsewhere, keep the owner's known browser from finishing its own sign-in."""
    if device:
        return (("code_device", user_id, device),)
    return (("code", user_id, client), ("code_user", user_id))


# --- known devices ----------------------------------------------------------------------------

DEVICE_COOKIE = "perpdesk_device"


def device_token(secret: bytes, user_id: str, password_hash: str) -> str:
    """A random device id bound to one user and to the user's current password by an HMAC: set on
    a successful sign-in. A password change or reset (a new hash) ends every device's allowance."""
    nonce = secrets.token_urlsafe(12)
    return f"{nonce}.{_device_mac(secret, user_id, password_hash, nonce)}"


def device_for(secret: bytes, user_id: str, password_hash: str, cookie: str | None) -> str | None:
    """The device id when `cookie` is a known device of `user_id` under this password, else None."""
    if not cookie or cookie.count(".") != 1:
        return None
    nonce, mac = cookie.split(".")
    if hmac.compare_digest(_device_mac(secret, user_id, password_hash, nonce), mac):
        return nonce
    return None


def _device_mac(secret: bytes, user_id: str, password_hash: str, nonce: str) -> str:
    # the password's generation: a digest of its hash (a new salt on every change), never the hash
    generation = hashlib.sha256(password_hash.encode()).hexdigest()[:16]
    message = f"device|{user_id}|{generation}|{nonce}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def limits_for(factor: float, engine: AsyncEngine, *, shared: bool) -> Limits:
    """The throttles of a process: in PostgreSQL when `shared` (a cluster's web process, whose
    peers must see the same counts) and the database is PostgreSQL, in memory otherwise."""
    if shared and engine.dialect.name == "postgresql":
        return Limits(factor, PgMovingWindowStorage(engine))
    return Limits(factor)
