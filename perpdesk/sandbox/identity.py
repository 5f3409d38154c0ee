"""Who is who at the sandbox exchange: users, their API keys, OAuth clients, and an email outbox.

State lives in memory and is written through `Persist` (kinds: user, api_key, oauth_client, email);
everything is loaded again at start. Passwords and OAuth client secrets are stored as argon2id
hashes. API secrets are kept as issued, because the exchange needs them to check HMAC signatures.

Hashing is slow by design: from async code call the `a*` variants (or wrap the sync ones in
`asyncio.to_thread`) so that the event loop never blocks on it.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import string

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from perpdesk.sandbox.identity_records import (
    DIALECTS,
    EMAIL_RE,
    MAX_IPS_PER_KEY,
    MAX_KEYS_PER_USER,
    MAX_MEMO_LEN,
    PERMISSIONS,
    WHITELIST_STATES,
    ApiKey,
    Email,
    IdentityClock,
    IdentityError,
    OAuthClient,
    User,
    WhitelistRequest,
    validate_ip_list,
    validate_memo,
    validate_permissions,
)
from perpdesk.sandbox.persist import Persist

__all__ = [
    "DIALECTS",
    "MAX_IPS_PER_KEY",
    "MAX_KEYS_PER_USER",
    "MAX_MEMO_LEN",
    "PERMISSIONS",
    "WHITELIST_STATES",
    "ApiKey",
    "Email",
    "Identity",
    "IdentityClock",
    "IdentityError",
    "OAuthClient",
    "User",
    "WhitelistRequest",
    "validate_ip_list",
    "validate_memo",
    "validate_permissions",
]


def _alnum(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


_ALNUM = string.ascii_letters + string.digits


class Identity:
    """Users, API keys, OAuth clients and outbox of the sandbox exchange."""

    def __init__(self, persist: Persist, *, auto_whitelist_after: float | None = None,
                 clock: IdentityClock | None = None) -> None:
        self.persist = persist
        self.auto_whitelist_after = auto_whitelist_after
        self.clock = clock or IdentityClock()
        # argon2id at OWASP's minimum (19 MiB, t=2, p=1): a sandbox, and sign-in tests stay fast.
        self._hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
        self._users: dict[str, User] = {}
        self._by_email: dict[str, str] = {}
        self._keys: dict[str, ApiKey] = {}
        self._clients: dict[str, OAuthClient] = {}
        self._outbox: list[Email] = []
        for _, doc in persist.load("user"):
            user = User.from_doc(doc)
            self._users[user.uid] = user
            self._by_email[user.email.lower()] = user.uid
        for _, doc in persist.load("api_key"):
            key = ApiKey.from_doc(doc)
            self._keys[key.api_key] = key
        for _, doc in persist.load("oauth_client"):
            client = OAuthClient.from_doc(doc)
            self._clients[client.client_id] = client
        emails = [Email(**doc) for _, doc in persist.load("email")]
        self._outbox = sorted(emails, key=lambda e: (e.sent_at, e.id))

    # ---- users ------------------------------------------------------------------------------
    def _new_uid(self) -> str:
        while True:
            uid = str(10_000_000 + secrets.randbelow(89_999_999))  # 8 digits, like BitMart's UIDs
            if uid not in self._users:
                return uid

    def hash_password(self, password: str) -> str:
        """A password's hash, to create many users with one (blocking)."""
        return str(self._hasher.hash(password))

    def create_user(self, email: str, password: str, *, password_hash: str | None = None) -> User:
        """Register a user (blocking: hashes the password unless its `password_hash` is given;
        use `acreate_user` from async code)."""
        email = (email or "").strip()
        if not EMAIL_RE.match(email):
            raise IdentityError("email", "that is not an email address; use the form name@example.com")
        if email.lower() in self._by_email:
            raise IdentityError("email", f"{email} is already registered; sign in instead")
        if not isinstance(password, str) or len(password) < 8:
            raise IdentityError("password", "must be at least 8 characters long")
        user = User(
            uid=self._new_uid(),
            email=email,
            password_hash=password_hash or self._hasher.hash(password),
            totp_secret=pyotp.random_base32(),
            created_at=self.clock.now_ms(),
        )
        if email.lower() in self._by_email:  # raced with another thread while hashing
            raise IdentityError("email", f"{email} is already registered; sign in instead")
        self._users[user.uid] = user
        self._by_email[email.lower()] = user.uid
        self._save_user(user)
        return user

    async def acreate_user(self, email: str, password: str) -> User:
        return await asyncio.to_thread(self.create_user, email, password)

    async def acreate_sub_account(self, parent_uid: str, email: str, password: str) -> User:
        """A sub-account of `parent_uid` (a main account): it signs in and holds keys like any
        user, inherits the parent's futures whitelisting, and its username is its email."""
        parent = self._require_user(parent_uid)
        if parent.parent_uid:
            raise IdentityError("email", f"{parent.email} is itself a sub-account; give its main account")
        user = await self.acreate_user(email, password)
        user.parent_uid = parent.uid
        user.futures_whitelisted = parent.futures_whitelisted
        self._save_user(user)
        return user

    def sub_accounts(self, parent_uid: str) -> list[User]:
        return sorted((u for u in self._users.values() if u.parent_uid == parent_uid), key=lambda u: u.email)

    def _save_user(self, user: User) -> None:
        self.persist.put("user", user.uid, user.to_doc())

    def user_by_email(self, email: str) -> User | None:
        uid = self._by_email.get((email or "").strip().lower())
        return self.user_by_uid(uid) if uid else None

    def user_by_uid(self, uid: str | None) -> User | None:
        user = self._users.get(uid or "")
        if user is not None:
            self._maybe_auto_approve(user)
        return user

    def users(self) -> list[User]:
        return list(self._users.values())

    def verify_password(self, user: User, password: str) -> bool:
        """Blocking (argon2); use `averify_password` from async code."""
        try:
            return self._hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def averify_password(self, user: User, password: str) -> bool:
        return await asyncio.to_thread(self.verify_password, user, password)

    # ---- futures API whitelisting --------------------------------------------------------------
    def request_whitelist(self, uid: str, cid_or_email: str, contact: str) -> User:
        user = self._require_user(uid)
        if not (cid_or_email or "").strip():
            raise IdentityError("cid_or_email", "enter the account's BitMart CID (UID) or email")
        if not (contact or "").strip():
            raise IdentityError("contact", "enter where the confirmation should be sent (email, Telegram...)")
        if user.futures_whitelisted:
            return user
        user.whitelist_request = WhitelistRequest(
            state="pending",
            cid_or_email=cid_or_email.strip(),
            contact=contact.strip(),
            requested_at=self.clock.now_ms(),
        )
        self._save_user(user)
        return user

    def approve_whitelist(self, uid: str) -> User:
        user = self._require_user(uid)
        user.futures_whitelisted = True
        req = user.whitelist_request
        req.state = "approved"
        req.approved_at = self.clock.now_ms()
        self._save_user(user)
        self.send_email(
            user.email,
            "BitMart Futures API whitelisting approved",
            "Your account is now whitelisted for Futures API trading. Your API keys can trade futures.",
        )
        return user

    def is_futures_whitelisted(self, uid: str) -> bool:
        user = self._users.get(uid)
        if user is None:
            return False
        if not user.futures_whitelisted:
            self._maybe_auto_approve(user)
        return user.futures_whitelisted

    def approve_due_whitelists(self) -> int:
        """Approve every pending request older than `auto_whitelist_after`; returns how many."""
        before = sum(u.futures_whitelisted for u in self._users.values())
        for user in list(self._users.values()):
            self._maybe_auto_approve(user)
        return sum(u.futures_whitelisted for u in self._users.values()) - before

    def _maybe_auto_approve(self, user: User) -> None:
        after = self.auto_whitelist_after
        req = user.whitelist_request
        if user.futures_whitelisted or after is None or req.state != "pending":
            return
        if self.clock.now_ms() - req.requested_at >= after * 1000:
            self.approve_whitelist(user.uid)

    def _require_user(self, uid: str) -> User:
        user = self._users.get(uid)
        if user is None:
            raise IdentityError("uid", "no user with that uid")
        return user

    # ---- API keys -----------------------------------------------------------------------------
    def create_key(
        self,
        uid: str,
        memo: str,
        permissions: set[str] | frozenset[str] | list[str] | tuple[str, ...],
        ip_whitelist: list[str] | tuple[str, ...] | str | None = None,
        label: str = "",
        oauth_client_id: str | None = None,
        dialect: str = "bitmart",
    ) -> ApiKey:
        """A key for `dialect`'s REST API; Binance keys have no memo (pass "")."""
        self._require_user(uid)
        if dialect not in DIALECTS:
            raise IdentityError("dialect", f"must be one of {', '.join(DIALECTS)}")
        if dialect == "binance":
            if memo:
                raise IdentityError("memo", "Binance keys have no memo: leave it empty")
        else:
            memo = validate_memo(memo)
        perms = validate_permissions(permissions)
        ips = validate_ip_list(ip_whitelist)
        if len(self.keys_of(uid)) >= MAX_KEYS_PER_USER:
            raise IdentityError("api_key", f"an account can hold at most {MAX_KEYS_PER_USER} API keys")
        binance = dialect == "binance"
        key = ApiKey(
            # Binance's keys and secrets are 64 letters and digits; BitMart's are hex
            api_key=_alnum(64) if binance else secrets.token_hex(20),
            uid=uid,
            secret_key=_alnum(64) if binance else secrets.token_hex(32),
            memo=memo,
            permissions=perms,
            ip_whitelist=ips,
            label=(label or memo)[:64],
            oauth_client_id=oauth_client_id,
            created_at=self.clock.now_ms(),
            dialect=dialect,
        )
        self._keys[key.api_key] = key
        self.persist.put("api_key", key.api_key, key.to_doc())
        return key

    def key_by_api_key(self, api_key: str, dialect: str | None = None) -> ApiKey | None:
        """The key, if it exists (and, given `dialect`, signs for that dialect)."""
        key = self._keys.get(api_key)
        if key is not None and dialect is not None and key.dialect != dialect:
            return None
        return key

    def keys_of(self, uid: str) -> list[ApiKey]:
        return sorted((k for k in self._keys.values() if k.uid == uid), key=lambda k: k.created_at)

    def update_key(
        self,
        api_key: str,
        *,
        permissions: set[str] | frozenset[str] | list[str] | tuple[str, ...] | None = None,
        ip_whitelist: list[str] | tuple[str, ...] | str | None = None,
        label: str | None = None,
    ) -> ApiKey:
        key = self._keys.get(api_key)
        if key is None:
            raise IdentityError("api_key", "no such API key")
        new_perms = validate_permissions(permissions) if permissions is not None else key.permissions
        new_ips = validate_ip_list(ip_whitelist) if ip_whitelist is not None else key.ip_whitelist
        key.permissions = new_perms
        key.ip_whitelist = new_ips
        if label is not None:
            key.label = label[:64]
        self.persist.put("api_key", key.api_key, key.to_doc())
        return key

    def delete_key(self, api_key: str) -> bool:
        key = self._keys.pop(api_key, None)
        if key is None:
            return False
        self.persist.delete("api_key", api_key)
        return True

    # ---- OAuth clients (Fast Connect partners) -----------------------------------------------
    def create_oauth_client(
        self, name: str, redirect_uris: list[str], ip_whitelist: list[str] | str | None
    ) -> tuple[OAuthClient, str]:
        if not (name or "").strip():
            raise IdentityError("name", "give the client a name")
        uris = [u.strip() for u in redirect_uris if u and u.strip()]
        if not uris:
            raise IdentityError("redirect_uris", "register at least one redirect URI")
        for uri in uris:
            if not re.match(r"^https?://[^\s#]+$", uri):
                raise IdentityError(
                    "redirect_uris", "every redirect URI must be an absolute http(s) URI without fragment"
                )
        ips = validate_ip_list(ip_whitelist)
        secret = secrets.token_urlsafe(32)
        client = OAuthClient(
            client_id="bm_" + secrets.token_hex(12),
            name=name.strip(),
            secret_hash=self._hasher.hash(secret),
            redirect_uris=uris,
            ip_whitelist=ips,
            created_at=self.clock.now_ms(),
        )
        self._clients[client.client_id] = client
        self.persist.put("oauth_client", client.client_id, client.to_doc())
        return client, secret

    def oauth_client(self, client_id: str) -> OAuthClient | None:
        return self._clients.get(client_id)

    def verify_client_secret(self, client: OAuthClient, secret: str) -> bool:
        """Blocking (argon2); use `averify_client_secret` from async code."""
        try:
            return self._hasher.verify(client.secret_hash, secret)
        except (VerificationError, InvalidHashError):
            return False

    async def averify_client_secret(self, client: OAuthClient, secret: str) -> bool:
        return await asyncio.to_thread(self.verify_client_secret, client, secret)

    # ---- email outbox ---------------------------------------------------------------------------
    def send_email(self, to: str, subject: str, body: str) -> Email:
        email = Email(id=secrets.token_hex(8), to=to, subject=subject, body=body, sent_at=self.clock.now_ms())
        self._outbox.append(email)
        self.persist.put("email", email.id, email.to_doc())
        return email

    def outbox(self, email: str | None = None) -> list[Email]:
        if email is None:
            return list(self._outbox)
        wanted = email.strip().lower()
        return [e for e in self._outbox if e.to.lower() == wanted]
