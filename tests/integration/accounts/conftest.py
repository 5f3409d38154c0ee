"""Account services wired to a real database (SQLite and PostgreSQL) and the real sandbox."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from perpdesk.exchanges.base import FastConnectProvider
from perpdesk.exchanges.bitmart.connector import BitmartFuturesConnector
from perpdesk.services.deps import AccountsDeps
from perpdesk.store.repos import UserRepo
from tests.fixtures.services import accounts_deps

REDIRECT = "http://127.0.0.1:9/settings/exchange-accounts/fast-connect/callback"


@dataclass
class Ctx:
    deps: AccountsDeps
    sandbox: Any
    oauth: dict[str, Any]

    async def user(self) -> str:
        async with self.deps.sessions() as s, s.begin():
            u = await UserRepo(s).create(f"u-{secrets.token_hex(4)}@example.com", "x")
            return u.id

    def bitmart_key(self, *, whitelisted: bool = True, **kw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """A sandbox user and a key of theirs (future_trade, IP 127.0.0.1 unless told otherwise)."""
        user = self.sandbox.admin.create_user(whitelisted=whitelisted)
        kw.setdefault("memo", "memo-" + secrets.token_hex(3))
        return user, self.sandbox.admin.create_key(user["email"], **kw)


@pytest.fixture(scope="session")
def oauth_client(sandbox: Any) -> dict[str, Any]:
    return sandbox.admin.create_oauth_client("perpdesk-it", [REDIRECT], ["127.0.0.1"])


@pytest.fixture
async def ctx(
    db_sessionmaker: async_sessionmaker[AsyncSession], sandbox: Any, oauth_client: dict[str, Any]
) -> AsyncIterator[Ctx]:
    from perpdesk.exchanges.bitmart.fast_connect import BitmartFastConnect

    connector = BitmartFuturesConnector(sandbox.base_url)
    fc: FastConnectProvider = BitmartFastConnect(
        sandbox.base_url + "/oauth/authorize",
        sandbox.base_url + "/oauth/token",
        sandbox.base_url + "/oauth/revoke",
        oauth_client["client_id"],
        oauth_client["client_secret"],
    )
    deps = accounts_deps(
        db_sessionmaker,
        connector,
        fast_connect=fc,
        redirect_uri=REDIRECT,
        recheck_base=timedelta(milliseconds=10),
        recheck_max=timedelta(milliseconds=100),
        watch_interval_s=0.05,
    )
    try:
        yield Ctx(deps, sandbox, oauth_client)
    finally:
        await fc.aclose()
        await connector.aclose()
