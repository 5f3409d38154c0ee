"""Trading services on a connected Binance account: a real database (SQLite and PostgreSQL) and the
real sandbox's Binance port on loopback."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from perpdesk.core.models import Credentials
from perpdesk.exchanges.binance import BinanceFuturesConnector
from perpdesk.services import connect_manual
from perpdesk.services.deps import AccountsDeps
from perpdesk.store.repos import UserRepo
from tests.fixtures.binance import BinanceClient, BinanceSandbox
from tests.fixtures.services import accounts_deps


@dataclass
class BnTrader:
    """A platform user with one connected Binance account (a fresh sandbox user)."""

    user_id: str
    account_id: str
    creds: Credentials
    client: BinanceClient  # signs straight to the sandbox: the exchange's own answers


@dataclass
class BCtx:
    deps: AccountsDeps
    sandbox: BinanceSandbox
    connector: BinanceFuturesConnector

    def set_price(self, symbol: str, price: str) -> None:
        self.sandbox.server.admin.set_price(symbol, price)

    async def trader(self, usdt: str = "10000") -> BnTrader:
        async with self.deps.sessions() as s, s.begin():
            user_id = (await UserRepo(s).create(f"b-{secrets.token_hex(4)}@example.com", "x")).id
        client = self.sandbox.client(usdt)
        creds = Credentials(client.api_key, client.secret)  # Binance keys have no passphrase
        account, _ = await connect_manual.add(self.deps, user_id, creds, label="Binance", exchange="binance")
        return BnTrader(user_id, account.id, creds, client)


@pytest.fixture
async def bctx(
    db_sessionmaker: async_sessionmaker[AsyncSession], binance_sandbox: BinanceSandbox
) -> AsyncIterator[BCtx]:
    connector = BinanceFuturesConnector(
        binance_sandbox.url, ws_url=binance_sandbox.url.replace("http://", "ws://"), timeout_s=5,
        settle_attempts=1, settle_delay_s=0,
    )
    deps = accounts_deps(db_sessionmaker, connector)
    try:
        yield BCtx(deps, binance_sandbox, connector)
    finally:
        await connector.aclose()
