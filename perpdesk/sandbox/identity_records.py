"""The identity's records (users, API keys, OAuth clients, emails) and the checks on what users
enter for them (memo, permissions, IP whitelist)."""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

PERMISSIONS = frozenset({"read", "spot_trade", "future_trade", "withdraw"})
# BitMart's API Management page binds at most this many IPv4 addresses to one key (assumption:
# BitMart's docs do not state the number; 20 matches what its page accepts as of 2025).
MAX_IPS_PER_KEY = 20
MAX_MEMO_LEN = 64
MAX_KEYS_PER_USER = 20
WHITELIST_STATES = ("none", "pending", "approved")
# Which REST dialect a key signs for: BitMart's (memo) or Binance USDⓈ-M's (no memo). A key works
# with its own dialect only. On a Binance key the permissions read as Binance's key settings:
# future_trade = "Enable Futures", withdraw = "Enable Withdrawals", an IP list = "Restrict access".
DIALECTS = ("bitmart", "binance")

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MEMO_RE = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$")  # printable ASCII, no edge blanks


class IdentityError(ValueError):
    """Bad input to an identity operation; `field` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class IdentityClock:
    """Now, in wall-clock seconds, for everything on the identity side that expires: browser
    sessions, emailed codes, pending sign-ins, sign-in lockouts, authorisation codes, whitelist
    delays. Tests move it
    forward instead of sleeping (across the process boundary through the admin API). TOTP codes
    keep real time: an authenticator app computes them from its own clock."""

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self._now = now
        self.offset_s = 0.0

    def __call__(self) -> float:
        return self._now() + self.offset_s

    def now_ms(self) -> int:
        return int(self() * 1000)

    def advance(self, seconds: float) -> None:
        if not 0 <= seconds < float("inf"):  # also refuses NaN
            raise IdentityError("seconds", "must be a number of seconds, 0 or more (the clock only "
                                           "moves forward)")
        self.offset_s += seconds


@dataclass
class WhitelistRequest:
    state: str = "none"  # none | pending | approved
    cid_or_email: str = ""
    contact: str = ""
    requested_at: int = 0  # ms
    approved_at: int = 0  # ms


@dataclass
class User:
    uid: str
    email: str
    password_hash: str = field(repr=False)
    totp_secret: str = field(repr=False)
    futures_whitelisted: bool = False
    whitelist_request: WhitelistRequest = field(default_factory=WhitelistRequest)
    created_at: int = 0
    parent_uid: str = ""  # set on a sub-account: the uid of its main account

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> User:
        doc = dict(doc)
        doc["whitelist_request"] = WhitelistRequest(**doc.get("whitelist_request") or {})
        return cls(**doc)


@dataclass
class ApiKey:
    api_key: str
    uid: str
    secret_key: str = field(repr=False)
    memo: str = field(repr=False)
    permissions: frozenset[str] = frozenset({"read"})
    ip_whitelist: list[str] = field(default_factory=list)  # empty = any address
    label: str = ""
    oauth_client_id: str | None = None
    created_at: int = 0
    dialect: str = "bitmart"

    def to_doc(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["permissions"] = sorted(self.permissions)
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> ApiKey:
        doc = dict(doc)
        doc["permissions"] = frozenset(doc.get("permissions") or ["read"])
        return cls(**doc)

    def public_view(self) -> dict[str, Any]:
        """What the exchange shows about a key after creation: never the secret."""
        return {
            "api_key": self.api_key,
            "uid": self.uid,
            "memo": self.memo,
            "permissions": sorted(self.permissions),
            "ip_whitelist": list(self.ip_whitelist),
            "label": self.label,
            "oauth_client_id": self.oauth_client_id,
            "created_at": self.created_at,
            "dialect": self.dialect,
        }


@dataclass
class OAuthClient:
    client_id: str
    name: str
    secret_hash: str = field(repr=False)
    redirect_uris: list[str] = field(default_factory=list)
    ip_whitelist: list[str] = field(default_factory=list)
    created_at: int = 0

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> OAuthClient:
        return cls(**doc)


@dataclass
class Email:
    id: str
    to: str
    subject: str
    body: str
    sent_at: int

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)


def validate_ip_list(
    ips: list[str] | tuple[str, ...] | str | None, field_name: str = "ip_whitelist"
) -> list[str]:
    """Parse and check an IP whitelist: IPv4 only, at most MAX_IPS_PER_KEY, duplicates dropped."""
    if ips is None:
        return []
    if isinstance(ips, str):
        ips = [p for p in re.split(r"[,\s]+", ips) if p]
    out: list[str] = []
    for n, raw in enumerate(ips, 1):
        ip = str(raw).strip()
        if not ip:
            continue
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            raise IdentityError(
                field_name, f"address {n} in the list is not a valid IPv4 address (e.g. 203.0.113.10)"
            ) from None
        if addr.version != 4:
            raise IdentityError(
                field_name, f"address {n} in the list is IPv6; only IPv4 addresses can be bound to a key"
            )
        if str(addr) not in out:
            out.append(str(addr))
    if len(out) > MAX_IPS_PER_KEY:
        raise IdentityError(
            field_name, f"{len(out)} addresses given; at most {MAX_IPS_PER_KEY} can be bound to one key"
        )
    return out


def validate_memo(memo: str) -> str:
    if not isinstance(memo, str) or not memo:
        raise IdentityError("memo", "is required: choose a memo (the key's passphrase)")
    if len(memo) > MAX_MEMO_LEN:
        raise IdentityError("memo", f"is {len(memo)} characters long; at most {MAX_MEMO_LEN} are allowed")
    if not _MEMO_RE.match(memo) or "#" in memo:
        raise IdentityError(
            "memo", "may hold printable ASCII characters except '#', with no leading or trailing blank"
        )
    return memo


def validate_permissions(
    permissions: set[str] | frozenset[str] | list[str] | tuple[str, ...],
) -> frozenset[str]:
    perms = {str(p).strip().lower().replace("-", "_") for p in permissions if str(p).strip()}
    unknown = perms - PERMISSIONS
    if unknown:
        raise IdentityError(
            "permissions", f"unknown permission(s) {sorted(unknown)}; allowed: {sorted(PERMISSIONS)}"
        )
    return frozenset(perms | {"read"})
