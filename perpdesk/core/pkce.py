"""PKCE (RFC 7636) for OAuth 2.0 authorisation-code clients: the verifier and its S256 challenge."""

from __future__ import annotations

import base64
import hashlib
import secrets


def pkce_verifier() -> str:
    """A code verifier: 86 characters of URL-safe randomness (512 bits; RFC 7636 allows 43–128)."""
    return secrets.token_urlsafe(64)


def pkce_challenge(verifier: str) -> str:
    """BASE64URL(SHA256(verifier)) without padding (method S256)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
