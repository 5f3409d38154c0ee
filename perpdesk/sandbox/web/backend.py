"""The one place the pages, OAuth server and WebSocket call the sandbox's identity and engine.

It wraps Identity (users, keys, OAuth clients, outbox) and the Engine (wallets): the web layer
sees only the frozen views below (never a secret it did not ask for) and awaits every call, so
that persistence is flushed before a page answers.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from argon2 import PasswordHasher, extract_parameters

from perpdesk.sandbox.context import SandboxContext
from perpdesk.sandbox.engine import Engine
from perpdesk.sandbox.identity import ApiKey, Identity, IdentityError, OAuthClient, User
from perpdesk.sandbox.web.input_errors import InputError


@dataclass(frozen=True, slots=True)
class UserView:
    uid: str
    email: str
    totp_secret: str
    futures_whitelisted: bool
    whitelist_state: str  # none | pending | approved
    whitelist_contact: str
    whitelist_requested_at: float | None
    parent_uid: str = ""  # a sub-account's main account


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
    dialect: str = "bitmart"  # the REST dialect the key signs for (bitmart | binance)


@dataclass(frozen=True, slots=True)
class ClientView:
    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    ip_whitelist: tuple[str, ...]


PERMISSION_ORDER = ("read", "spot_trade", "future_trade", "withdraw")


def _user_view(user: User) -> UserView:
    wl = user.whitelist_request
    return UserView(
        uid=user.uid,
        email=user.email,
        totp_secret=user.totp_secret,
        futures_whitelisted=user.futures_whitelisted,
        whitelist_state="approved" if user.futures_whitelisted else wl.state,
        whitelist_contact=wl.contact,
        whitelist_requested_at=wl.requested_at or None,
        parent_uid=user.parent_uid,
    )


def _key_view(key: ApiKey) -> KeyView:
    perms = set(key.permissions) | {"read"}
    return KeyView(
        api_key=key.api_key,
        uid=key.uid,
        memo=key.memo,
        permissions=tuple(p for p in PERMISSION_ORDER if p in perms),
        ip_whitelist=tuple(key.ip_whitelist),
        label=key.label,
        oauth_client_id=key.oauth_client_id,
        created_at=key.created_at,
        dialect=key.dialect,
    )


def _client_view(client: OAuthClient) -> ClientView:
    return ClientView(
        client_id=client.client_id,
        name=client.name,
        redirect_uris=tuple(client.redirect_uris),
        ip_whitelist=tuple(client.ip_whitelist),
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
        return await self._registered(self.identity.acreate_user(email, password))

    async def _registered(self, created: Awaitable[User]) -> UserView:
        """A new user (or sub-account) with its exchange account, persisted; identity's refusal
        as the form's input error."""
        try:
            user = await created
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

    async def create_sub_account(self, parent_uid: str, email: str, password: str) -> UserView:
        return await self._registered(self.identity.acreate_sub_account(parent_uid, email, password))

    def sub_accounts(self, parent_uid: str) -> list[tuple[UserView, str]]:
        """The sub-accounts of a main account, each with its futures USDT available."""
        out = []
        for user in self.identity.sub_accounts(parent_uid):
            self.engine.ensure_account(user.uid)
            out.append((_user_view(user), self.engine.assets_detail(user.uid)[0]["available_balance"]))
        return out

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
        dialect: str = "bitmart",
    ) -> tuple[KeyView, str]:
        """Create a key; returns it and its secret (shown once, never again)."""
        try:
            key = self.identity.create_key(
                uid, memo, permissions | {"read"}, ip_whitelist, label, oauth_client_id, dialect
            )
        except IdentityError as exc:
            raise _input_error(exc) from None
        await self.flush()
        return _key_view(key), key.secret_key

    async def keys_of(self, uid: str, dialect: str = "bitmart") -> list[KeyView]:
        """The user's keys for one dialect (each dialect's API Management page lists its own)."""
        return [_key_view(k) for k in self.identity.keys_of(uid) if k.dialect == dialect]

    async def key(self, api_key: str, dialect: str = "bitmart") -> KeyView | None:
        key = self.identity.key_by_api_key(api_key, dialect)
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
        return [
            {"currency": w["id"], "available": w["available"], "frozen": w["frozen"]}
            for w in self.engine.spot_wallet(uid)["wallet"]
        ]

    def futures_balances(self, uid: str) -> list[dict[str, str]]:
        self.engine.ensure_account(uid)
        return [
            {
                "currency": a["currency"],
                "equity": a["equity"],
                "available": a["available_balance"],
                "position_margin": a["position_deposit"],
                "frozen": a["frozen_balance"],
                "unrealized": a["unrealized"],
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
