"""CSRF tokens: HMAC of a per-browser random seed under the platform's session secret."""

from __future__ import annotations

import hashlib
import hmac


def csrf_token_for(secret: bytes, seed: str) -> str:
    return hmac.new(secret, b"csrf|" + seed.encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret: bytes, seed: str | None, token: str | None) -> bool:
    if not seed or not token:
        return False
    return hmac.compare_digest(csrf_token_for(secret, seed), token)
