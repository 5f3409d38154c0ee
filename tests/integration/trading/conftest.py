"""Trading services wired to a real database (SQLite and PostgreSQL) and the real sandbox."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from perpdesk.core.models import Credentials
from perpdesk.exchanges.bitmart.connector import BitmartFuturesConnector
from perpdesk.services import connect_manual
from perpdesk.services.deps import AccountsDeps
from perpdesk.store.base import new_id, utcnow
from perpdesk.store.order_records import IntentRecord, IntentStatus
from perpdesk.store.orders import OrderIntentRepo
from perpdesk.store.repos import UserRepo
from tests.fixtures.sandbox import SandboxServer, start_sandbox
from tests.fixtures.services import accounts_deps

FAULT_PATHS = ("/contract/private/submit-order", "/contract/private/get-open-orders")


@dataclass
class Trader:
    """A platform user with one connected, active BitMart account (a fresh sandbox user)."""

    user_id: str
    account_id: str
    email: str  # the sandbox user's email (admin calls)
    creds: Credentials


@dataclass
class TCtx:
    deps: AccountsDeps
    sandbox: Any
    connector: BitmartFuturesConnector

    async def trader(
        self, futures_usdt: str = "10000", whitelisted: bool = True, user_id: str | None = None
    ) -> Trader:
        """A new platform user (or `user_id`) with a newly connected account of a new BitMart user."""
        if user_id is None:
            async with self.deps.sessions() as s, s.begin():
                user_id = (await UserRepo(s).create(f"t-{secrets.token_hex(4)}@example.com", "x")).id
        uid = user_id
        bm = self.sandbox.admin.create_user(whitelisted=whitelisted, futures_deposit={"USDT": futures_usdt})
        key = self.sandbox.admin.create_key(bm["email"], memo="memo-" + secrets.token_hex(3))
        creds = Credentials(key["api_key"], key["secret_key"], key["memo"])
        account, _ = await connect_manual.add(
            self.deps, uid, creds, label="Main", accept_awaiting_whitelist=not whitelisted
        )
        return Trader(uid, account.id, bm["email"], creds)

    async def stored_intent(
        self, t: Trader, cid: str, symbol: str, price: str, status: IntentStatus, **fields: object
    ) -> None:
        """A one-contract limit buy's intent written straight to the store, as a stopped process or
        an earlier settling left it."""
        now = utcnow()
        values: dict[str, object] = dict(
            id=new_id(), user_id=t.user_id, account_id=t.account_id, exchange="bitmart", client_order_id=cid,
            purpose="order", symbol=symbol, side="buy_open_long", type="limit", time_in_force="gtc",
            size=Decimal(1), price=Decimal(price), status=status.value, settle_attempts=0,
            created_at=now, updated_at=now,
        )
        values.update(fields)
        async with self.deps.sessions() as s, s.begin():
            await OrderIntentRepo(s).add(IntentRecord(**values))  # type: ignore[arg-type]


@pytest.fixture
async def tctx(db_sessionmaker: async_sessionmaker[AsyncSession], sandbox: Any) -> AsyncIterator[TCtx]:
    # settle quickly: one look-up round, no delay (the fault tests count on it)
    connector = BitmartFuturesConnector(sandbox.base_url, timeout_s=5, settle_attempts=1, settle_delay_s=0)
    deps = accounts_deps(db_sessionmaker, connector)
    try:
        yield TCtx(deps, sandbox, connector)
    finally:
        for path in FAULT_PATHS:  # only the faults these tests set
            sandbox.admin.clear_faults(path)
        await connector.aclose()


# BitMart's timings scaled down 10-15x, the semantics kept: the exchange refuses a request whose
# X-BM-TIMESTAMP is older than WINDOW_S (BitMart: 60 s), perpdesk gives up waiting after
# TIMEOUT_S (10 s) and knows the window (Settings.exchange_window_s).
WINDOW_S = 5.0
TIMEOUT_S = 1.0
MARGIN_S = 0.5


@pytest.fixture(scope="module")
def short_window_sandbox() -> Iterator[SandboxServer]:
    """A sandbox of its own whose timestamp window is WINDOW_S (its faults do not leak)."""
    server = start_sandbox(extra_args=["--timestamp-window-ms", str(int(WINDOW_S * 1000))])
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def wctx(
    db_sessionmaker: async_sessionmaker[AsyncSession], short_window_sandbox: SandboxServer
) -> AsyncIterator[TCtx]:
    connector = BitmartFuturesConnector(
        short_window_sandbox.base_url,
        timeout_s=TIMEOUT_S,
        window_s=WINDOW_S,
        settle_margin_s=MARGIN_S,
        settle_attempts=2,
        settle_delay_s=0.1,
    )
    deps = accounts_deps(db_sessionmaker, connector)
    try:
        yield TCtx(deps, short_window_sandbox, connector)
    finally:
        short_window_sandbox.admin.clear_faults()
        await connector.aclose()
