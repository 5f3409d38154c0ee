"""The one place the pages, OAuth server and WebSocket call the sandbox's identity and engine.

Identity (users, keys, OAuth clients, outbox) and Engine (wallets) belong to other parts of the
sandbox; funnelling every call through here keeps the web layer independent of their exact
return types (objects or dicts, sync or async).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from argon2 import PasswordHasher, extract_parameters

from perpdesk.core.errors import InputError
from perpdesk.sandbox.context import SandboxContext
from perpdesk.sandbox.engine import Engine
from perpdesk.sandbox.identity import Identity, IdentityError


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


@dataclass(frozen=True, slots=True)
class UserView:
    uid: str
    email: str
    totp_secret: str
    futures_whitelisted: bool
    whitelist_state: str  # none | pending | approved
    whitelist_contact: str
    whitelist_requested_at: float | None


@dataclass(frozen=True, slots=True)
class KeyView:
    """A key as pages show it; the secret is deliberately absent."""

    api_key: str
    uid: str
    memo: str
    permissions: tuple[str, ...]
    ip_whitelist: tuple[str, ...]
    label: str
    oauth_client_id: str | None
    created_at: int


@dataclass(frozen=True, slots=True)
class ClientView:
    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    ip_whitelist: tuple[str, ...]


PERMISSION_ORDER = ("read", "spot_trade", "future_trade", "withdraw")


def _user_view(user: Any) -> UserView:
    wl = _get(user, "whitelist_request")
    state = _get(wl, "state") if wl is not None else None
    if state is None:
        state = _get(user, "whitelist_state", "none")
    whitelisted = bool(_get(user, "futures_whitelisted", False))
    if whitelisted:
        state = "approved"
    return UserView(
        uid=str(_get(user, "uid")),
        email=str(_get(user, "email")),
        totp_secret=str(_get(user, "totp_secret")),
        futures_whitelisted=whitelisted,
        whitelist_state=str(getattr(state, "value", state) or "none"),
        whitelist_contact=str(_get(wl, "contact", "") or ""),
        whitelist_requested_at=_get(wl, "requested_at"),
    )


def _key_view(key: Any) -> KeyView:
    perms = {str(getattr(p, "value", p)) for p in (_get(key, "permissions") or ())}
    perms.add("read")
    return KeyView(
        api_key=str(_get(key, "api_key")),
        uid=str(_get(key, "uid")),
        memo=str(_get(key, "memo", "")),
        permissions=tuple(p for p in PERMISSION_ORDER if p in perms),
        ip_whitelist=tuple(_get(key, "ip_whitelist") or ()),
        label=str(_get(key, "label") or ""),
        oauth_client_id=_get(key, "oauth_client_id"),
        created_at=int(_get(key, "created_at", 0) or 0),
    )


def _client_view(client: Any) -> ClientView:
    return ClientView(
        client_id=str(_get(client, "client_id")),
        name=str(_get(client, "name")),
        redirect_uris=tuple(_get(client, "redirect_uris") or ()),
        ip_whitelist=tuple(_get(client, "ip_whitelist") or ()),
    )


class Backend:
    def __init__(self, ctx: SandboxContext) -> None:
        self.ctx = ctx
        self.identity: Identity = ctx.identity
        self.engine: Engine = ctx.engine

    async def flush(self) -> None:
        await self.ctx.persist.flush()

    # -- users ------------------------------------------------------------------------------
    async def create_user(self, email: str, password: str) -> UserView:
        try:
            user = await self.identity.acreate_user(email, password)
        except IdentityError as exc:
            raise _input_error(exc) from None
        self.engine.ensure_account(user.uid)
        await self.flush()
        return _user_view(user)

    async def user_by_email(self, email: str) -> UserView | None:
        user = self.identity.user_by_email(email)
        return _user_view(user) if user is not None else None

    async def user_by_uid(self, uid: str) -> UserView | None:
        user = self.identity.user_by_uid(uid)
        return _user_view(user) if user is not None else None

    async def verify_password(self, email: str, password: str) -> UserView | None:
        user = self.identity.user_by_email(email)
        if user is None:
            # Same cost as a real check, so timing does not reveal which emails have accounts.
            like = next(iter(self.identity.users()), None)
            if like is not None:  # with no user at all there is no address to reveal
                await asyncio.to_thread(_DUMMY_HASHER.verify_dummy, password, like.password_hash)
            return None
        ok = await self.identity.averify_password(user, password)
        return _user_view(user) if ok else None

    async def request_whitelist(self, uid: str, cid_or_email: str, contact: str) -> None:
        try:
            self.identity.request_whitelist(uid, cid_or_email, contact)
        except IdentityError as exc:
            raise _input_error(exc) from None
        await self.flush()

    # -- keys -------------------------------------------------------------------------------
    async def create_key(
        self,
        uid: str,
        memo: str,
        permissions: set[str],
        ip_whitelist: list[str],
        label: str = "",
        oauth_client_id: str | None = None,
    ) -> tuple[KeyView, str]:
        """Create a key; returns it and its secret (shown once, never again)."""
        try:
            key = self.identity.create_key(
                uid, memo, permissions | {"read"}, ip_whitelist, label, oauth_client_id
            )
        except IdentityError as exc:
            raise _input_error(exc) from None
        await self.flush()
        return _key_view(key), key.secret_key

    async def keys_of(self, uid: str) -> list[KeyView]:
        return [_key_view(k) for k in self.identity.keys_of(uid)]

    async def key(self, api_key: str) -> KeyView | None:
        key = self.identity.key_by_api_key(api_key)
        return _key_view(key) if key is not None else None

    async def key_secret(self, api_key: str) -> tuple[KeyView, str] | None:
        """The key with its secret: only for the OAuth token response."""
        key = self.identity.key_by_api_key(api_key)
        if key is None:
            return None
        return _key_view(key), key.secret_key

    async def update_key(self, api_key: str, permissions: set[str], ip_whitelist: list[str]) -> None:
        try:
            self.identity.update_key(api_key, permissions=permissions | {"read"}, ip_whitelist=ip_whitelist)
        except IdentityError as exc:
            raise _input_error(exc) from None
        await self.flush()

    async def delete_key(self, api_key: str) -> None:
        self.identity.delete_key(api_key)
        await self.flush()

    # -- OAuth clients --------------------------------------------------------------------------
    def oauth_client(self, client_id: str) -> ClientView | None:
        client = self.identity.oauth_client(client_id)
        return _client_view(client) if client is not None else None

    async def verify_client_secret(self, client_id: str, secret: str) -> bool:
        client = self.identity.oauth_client(client_id)
        if client is None:
            return False
        return await self.identity.averify_client_secret(client, secret)

    # -- email --------------------------------------------------------------------------------
    async def send_email(self, to: str, subject: str, body: str) -> None:
        self.identity.send_email(to, subject, body)
        await self.flush()

    async def outbox(self, email: str | None) -> list[dict[str, Any]]:
        return [
            {"to": m.to, "subject": m.subject, "body": m.body, "sent_at": m.sent_at}
            for m in self.identity.outbox(email)
        ]

    # -- wallets ------------------------------------------------------------------------------
    def spot_balances(self, uid: str) -> list[dict[str, str]]:
        self.engine.ensure_account(uid)
        wallet = self.engine.spot_wallet(uid).get("wallet", [])
        return [
            {
                "currency": str(w.get("id") or w.get("currency")),
                "available": str(w.get("available")),
                "frozen": str(w.get("frozen", "0")),
            }
            for w in wallet
        ]

    def futures_balances(self, uid: str) -> list[dict[str, str]]:
        self.engine.ensure_account(uid)
        return [
            {
                "currency": str(a.get("currency")),
                "equity": str(a.get("equity", "0")),
                "available": str(a.get("available_balance", "0")),
                "position_margin": str(a.get("position_deposit", "0")),
                "frozen": str(a.get("frozen_balance", "0")),
                "unrealized": str(a.get("unrealized", "0")),
            }
            for a in self.engine.assets_detail(uid)
        ]

    async def deposit(self, uid: str, currency: str, amount: Decimal) -> None:
        self.engine.ensure_account(uid)
        self.engine.deposit(uid, currency, amount)
        await self.flush()

    async def transfer(self, uid: str, currency: str, amount: Decimal, direction: str) -> None:
        self.engine.transfer_contract(uid, currency, amount, direction)
        await self.flush()


class _DummyHasher:
    """Burns one argon2 verification for unknown emails, with the parameters real users' hashes
    have (cost follows them, not this hasher's defaults). Its hash is made on first use, in the
    worker thread, not at import, where it would slow every start."""

    def __init__(self) -> None:
        self._hasher: PasswordHasher | None = None
        self._hash = ""

    def verify_dummy(self, password: str, like_hash: str) -> None:
        params = extract_parameters(like_hash)
        if self._hasher is None or extract_parameters(self._hash) != params:
            hasher = PasswordHasher.from_parameters(params)
            self._hasher, self._hash = hasher, hasher.hash(secrets.token_hex(8))
        try:
            self._hasher.verify(self._hash, password)
        except Exception:  # noqa: S110 - the outcome is irrelevant, only the time spent
            pass


_DUMMY_HASHER = _DummyHasher()


def _input_error(exc: IdentityError) -> InputError:
    labels = {
        "email": "Email",
        "password": "Password",
        "memo": "Memo",
        "ip_whitelist": "IP whitelist",
        "cid_or_email": "Bitmart CID or email",
        "contact": "Where the confirmation should be sent",
        "api_key": "API key",
        "permissions": "Permissions",
    }
    return InputError(labels.get(exc.field, exc.field), exc.message, "Correct the field and submit again.")
