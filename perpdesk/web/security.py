"""CSRF tokens: an HMAC, under the platform's session secret, of a per-browser random seed and of
the session the browser is in. A token from another session (another user's, or this browser's
before it signed out and in again) is refused. A token made before any session (GET
/api/auth/csrf, then sign-in over the API) stays valid in the sessions this same browser opens."""

from __future__ import annotations

import hashlib
import hmac

from perpdesk.services.users.sessions import opened_by, token_hash


def csrf_token_for(secret: bytes, seed: str, session: str | None) -> str:
    """The token for this browser seed in this session (its cookie value; None: no session)."""
    bound = token_hash(session) if session else ""
    return hmac.new(secret, f"csrf|{seed}|{bound}".encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret: bytes, seed: str | None, token: str | None, session: str | None) -> bool:
    if not seed or not token:
        return False
    if session and hmac.compare_digest(csrf_token_for(secret, seed, session), token):
        return True
    session_less = hmac.compare_digest(csrf_token_for(secret, seed, None), token)
    return session_less and (not session or opened_by(secret, seed, session))
