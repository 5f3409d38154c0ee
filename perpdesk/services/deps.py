"""What the account services need, injected: database sessions, vault, connectors, settings.

Services take an `AccountsDeps` so they run the same from the web app, the CLI and tests.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from perpdesk.exchanges.base import FastConnectProvider, FuturesConnector
from perpdesk.vault.core import Vault


class KeyHasher:
    """Keyed hashes (HMAC-SHA256) of identifiers we must compare but never store: API keys,
    exchange account ids. A leaked database then does not reveal which key is whose."""

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
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass
class AccountsDeps:
    sessions: async_sessionmaker[AsyncSession]
    vault: Vault
    hasher: KeyHasher
    egress_ips: tuple[str, ...]
    connector_for: Callable[[str], FuturesConnector]
    fast_connect_for: Callable[[str], FastConnectProvider | None]
    redirect_uri: str  # the Fast Connect callback URL registered at the exchange
    grant_ttl: timedelta = timedelta(minutes=10)
    # whitelist re-check backoff: first re-check after `recheck_base`, doubling up to `recheck_max`
    recheck_base: timedelta = timedelta(seconds=60)
    recheck_max: timedelta = timedelta(hours=1)
    watch_interval_s: float = 5.0  # how often the background task looks for due re-checks
