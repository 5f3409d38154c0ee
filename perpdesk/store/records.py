"""What the repositories hand the use cases: frozen values, never ORM rows (a service cannot
change the database by touching one, and the in-memory unit of work of the unit tests returns the
same types). No SQLAlchemy here: services import these freely."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """A connected account as lists, pages and watchers read it (no credentials, no key hashes)."""

    id: str
    user_id: str
    exchange: str
    label: str
    status: str
    created_at: datetime
    api_url: str | None = None  # the venue it was connected against (None: before venues were stored)
    ws_url: str | None = None
    warnings: tuple[str, ...] = ()  # the key audit's warning codes
    last_error: str | None = None  # a message code
    updated_at: datetime | None = None  # changes with the key, the label and each check of the key
    key_version: str = ""  # changes with the key only (store/account_repos.key_version)


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """A connected account in full (store/accounts.ExchangeAccount): its key as a keyed hash and a
    mask only, its credentials sealed elsewhere."""

    id: str
    user_id: str
    exchange: str
    label: str
    method: str  # ConnectMethod
    created_at: datetime
    updated_at: datetime
    status: str = ""  # AccountStatus (set_key sets it, with the key)
    api_key_hash: str = ""  # HMAC-SHA256 hex
    api_key_mask: str = ""
    market: str = "futures"
    api_url: str | None = None  # the venue it was connected against
    ws_url: str | None = None
    exchange_account_hash: str | None = None
    permissions: tuple[str, ...] = ()
    ip_whitelist: tuple[str, ...] | None = None
    warnings: tuple[str, ...] = ()  # warning codes
    balances: tuple[dict[str, str], ...] = ()
    last_check_at: datetime | None = None
    last_error: str | None = None  # a message code
    next_check_at: datetime | None = None
    check_attempts: int = 0
    withdraw_allowed: bool = False


@dataclass(frozen=True, slots=True)
class GrantRecord:
    """One Fast Connect attempt (store/accounts.FastConnectGrant): the state as a hash, the
    verifier and any issued key sealed."""

    id: str
    state_hash: str
    user_id: str
    session_hash: str
    exchange: str
    sealed_verifier: bytes
    redirect_uri: str
    status: str
    created_at: datetime
    expires_at: datetime
    outcome_code: str | None = None  # a message code
    account_id: str | None = None
    sealed_issued_key: bytes | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditEntryRecord:
    """One line of a user's audit log of account changes (its detail never names a secret)."""

    at: datetime
    actor: str
    action: str
    account_id: str | None
    detail: dict[str, object]

    def to_dict(self) -> dict[str, object]:
        return {"at": self.at.isoformat(), "actor": self.actor, "action": self.action,
                "account_id": self.account_id, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    """A notice about an account shown on the accounts page until read."""

    id: str
    at: datetime
    kind: str
    message: str
    account_id: str | None

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "at": self.at.isoformat(), "kind": self.kind, "message": self.message,
                "account_id": self.account_id}


@dataclass(frozen=True, slots=True)
class NotificationRecord:
    id: str
    user_id: str
    account_id: str | None
    kind: str
    title: str
    body: str
    dedupe_key: str
    created_at: datetime
    read_at: datetime | None = None

    @property
    def read(self) -> bool:
        return self.read_at is not None


@dataclass(frozen=True, slots=True)
class NotificationPrefsRecord:
    """A user's stored notification settings (the webhook secret lives sealed, apart)."""

    liquidation_pct: Decimal | None = None
    webhook_url: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One webhook delivery and the outcome of its last attempt."""

    id: str
    user_id: str
    notification_id: str | None
    url: str
    payload: str
    created_at: datetime
    attempts: int = 0
    delivered: bool = False
    gave_up: bool = False
    last_status: int | None = None
    last_error: str | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class EquitySample:
    """One account's USDT equity figures at one snapshot pass."""

    user_id: str
    account_id: str
    taken_at: datetime
    equity: Decimal
    available: Decimal
    margin: Decimal
    unrealized_pnl: Decimal


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: str
    email: str
    password_hash: str
    totp_enabled: bool
    created_at: datetime
    last_sign_in_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id_hash: str
    user_id: str
    mfa_pending: bool
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
