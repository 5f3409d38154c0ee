"""Authorisation codes and access-token receipts of the Fast Connect server.

Only SHA-256 digests of codes and tokens are kept (memory + the sandbox's state file), so a
copied state file cannot redeem anything. A code lives 5 minutes and redeems once; its record
stays a while after use so that a replay can be recognised and the issued key revoked.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from perpdesk.sandbox.persist import Persist

CODE_TTL_S = 300.0
_KEEP_AFTER_EXPIRY_S = 3600.0
_CODE_KIND = "oauth_code"
_TOKEN_KIND = "oauth_token"  # noqa: S105 - a document kind, not a secret


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass
class Grant:
    code_digest: str
    client_id: str
    redirect_uri: str
    uid: str
    api_key: str
    scopes: list[str]
    code_challenge: str
    code_challenge_method: str
    expires_at: float
    used: bool = False
    revoked: bool = False
    label: str = ""


@dataclass
class TokenReceipt:
    token_digest: str
    client_id: str
    api_key: str
    issued_at: float


class GrantStore:
    def __init__(self, persist: Persist, *, code_ttl_s: float = CODE_TTL_S,
                 clock: Callable[[], float] = time.time) -> None:
        self._persist = persist
        self.clock = clock
        self.code_ttl_s = code_ttl_s
        self._grants: dict[str, Grant] = {}
        self._tokens: dict[str, TokenReceipt] = {}
        for key, doc in persist.load(_CODE_KIND):
            self._grants[key] = Grant(**doc)
        for key, doc in persist.load(_TOKEN_KIND):
            self._tokens[key] = TokenReceipt(**doc)
        self.purge()

    def add(self, code: str, **fields: Any) -> Grant:
        grant = Grant(code_digest=digest(code), expires_at=self.clock() + self.code_ttl_s, **fields)
        self._grants[grant.code_digest] = grant
        self.save(grant)
        return grant

    def get(self, code: str) -> Grant | None:
        return self._grants.get(digest(code))

    def save(self, grant: Grant) -> None:
        self._persist.put(_CODE_KIND, grant.code_digest, asdict(grant))

    def add_token(self, token: str, client_id: str, api_key: str) -> None:
        receipt = TokenReceipt(digest(token), client_id, api_key, self.clock())
        self._tokens[receipt.token_digest] = receipt
        self._persist.put(_TOKEN_KIND, receipt.token_digest, asdict(receipt))

    def token(self, token: str) -> TokenReceipt | None:
        return self._tokens.get(digest(token))

    def take_abandoned(self) -> list[Grant]:
        """Expired codes never redeemed: their keys were never delivered, so they are revoked."""
        now = self.clock()
        abandoned = [g for g in self._grants.values() if not g.used and not g.revoked and now > g.expires_at]
        for grant in abandoned:
            grant.revoked = True
            self.save(grant)
        return abandoned

    def purge(self) -> None:
        now = self.clock()
        for key, grant in list(self._grants.items()):
            if now > grant.expires_at + _KEEP_AFTER_EXPIRY_S:
                del self._grants[key]
                self._persist.delete(_CODE_KIND, key)
