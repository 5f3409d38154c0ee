"""Keyed hashes of identifiers we must compare but never store in the clear."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path


class KeyHasher:
    """HMAC-SHA256 of API keys and exchange account ids: uniqueness checks work, and a leaked
    database does not reveal which key is whose."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the key-hash secret must be at least 32 bytes")
        self._key = key

    def __repr__(self) -> str:
        return "KeyHasher()"

    def hash(self, purpose: str, value: str) -> str:
        return hmac.new(self._key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()

    def api_key(self, exchange: str, api_key: str) -> str:
        return self.hash("api_key/" + exchange, api_key)

    def exchange_account(self, exchange: str, account_id: str) -> str:
        return self.hash("account/" + exchange, account_id)

    @classmethod
    def from_file(cls, path: Path) -> KeyHasher:
        """Read the secret from `path`, creating it (0600) on first start."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        return cls(bytes.fromhex(path.read_text().strip()))


def sha256_hex(value: str) -> str:
    """Unkeyed digest of a random token (OAuth state): enough, since the token itself is random."""
    return hashlib.sha256(value.encode()).hexdigest()
