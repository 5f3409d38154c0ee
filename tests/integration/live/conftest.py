"""Live mirrors against the real sandbox: a connector that exposes its private streams (so a test
can cut one), an account source over plain credentials that counts how often they are opened."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import pytest

from perpdesk.core.models import Credentials, StreamEvent
from perpdesk.exchanges.bitmart import BitmartFuturesConnector
from perpdesk.exchanges.bitmart.stream import PrivateStream
from perpdesk.exchanges.registry import Venue
from perpdesk.live.bus import InProcessBus
from perpdesk.live.market_hub import MarketHub
from perpdesk.live.mirror import MirrorRef
from perpdesk.live.supervisor import ActiveAccount
from tests.integration.trading.conftest import tctx  # noqa: F401 (accounts in a real database)

TEST_VENUE = Venue("bitmart", "http://exchange.test")  # the mirrors here get their connector directly


class TappedConnector(BitmartFuturesConnector):
    """The sandbox connector, keeping each private stream it opens (tests cut their socket)."""

    streams: list[PrivateStream]

    def stream(self, creds: Any, symbols: Sequence[str] = ()) -> AsyncIterator[StreamEvent]:
        s = PrivateStream(self, creds, symbols, backoff_initial_s=0.05, ping_interval_s=5)
        self.streams.append(s)
        return s.events()


class MemorySource:
    """Accounts with their credentials in memory; `opens` counts credential openings."""

    def __init__(self) -> None:
        self.accounts: dict[str, tuple[MirrorRef, Credentials, str]] = {}
        self.opens: dict[str, int] = {}
        self.audited: list[tuple[str, str, str, dict[str, object]]] = []

    def add(self, account_id: str, creds: Credentials, user_id: str = "u1", version: str = "1") -> MirrorRef:
        ref = MirrorRef(account_id, user_id, TEST_VENUE, f"acct {account_id}")
        self.accounts[account_id] = (ref, creds, version)
        return ref

    async def active(self) -> list[ActiveAccount]:
        return [ActiveAccount(ref, v) for ref, _c, v in self.accounts.values()]

    def changed(self) -> None:
        return None  # read whole every time

    def opener(self, ref: MirrorRef) -> Callable[[], Awaitable[Credentials]]:
        async def open_creds() -> Credentials:
            self.opens[ref.account_id] = self.opens.get(ref.account_id, 0) + 1
            return self.accounts[ref.account_id][1]
        return open_creds

    def plan_terms(self, ref: MirrorRef) -> None:
        return None  # the sandbox's BitMart lists every term

    async def audit(self, user_id: str, account_id: str, action: str, detail: dict[str, object]) -> None:
        self.audited.append((user_id, account_id, action, detail))


@pytest.fixture
async def tapped(sandbox: Any) -> AsyncIterator[TappedConnector]:
    conn = TappedConnector(sandbox.base_url, ws_url=sandbox.ws_url, timeout_s=5)
    conn.streams = []
    yield conn
    await conn.aclose()


@pytest.fixture
async def hub(tapped: TappedConnector) -> AsyncIterator[tuple[InProcessBus, MarketHub]]:
    bus = InProcessBus()
    market = MarketHub(lambda _ex: tapped, bus)
    yield bus, market
    await market.aclose()


@pytest.fixture
def frozen_prices(sandbox: Any) -> Any:
    sandbox.admin.freeze_prices(True)
    yield sandbox.admin
    sandbox.admin.freeze_prices(False)


@pytest.fixture
def make_creds(sandbox: Any) -> Callable[[], Credentials]:
    def make() -> Credentials:
        user = sandbox.admin.create_user()
        key = sandbox.admin.create_key(user["email"], memo="live-memo")
        return Credentials(key["api_key"], key["secret_key"], key["memo"])
    return make
