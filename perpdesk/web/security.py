"""Password hashing (argon2id, off the event loop), session ids and CSRF tokens."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type

# argon2id with the RFC 9106 "second recommended" profile: 64 MiB, 3 passes.
_hasher = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=2, type=Type.ID)


@functools.cache
def _dummy_hash() -> str:
    """A hash of a random password: verified against when the email is unknown, so timing does not
    reveal which emails have accounts. Made on first need (in a worker thread), not at import:
    one argon2id hash costs a start-up a noticeable fraction of a second."""
    return _hasher.hash(secrets.token_urlsafe(16))


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database keeps of a session id: a stolen DB row cannot be replayed as a cookie."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token_for(secret: bytes, seed: str) -> str:
    return hmac.new(secret, b"csrf|" + seed.encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret: bytes, seed: str | None, token: str | None) -> bool:
    if not seed or not token:
        return False
    return hmac.compare_digest(csrf_token_for(secret, seed), token)
