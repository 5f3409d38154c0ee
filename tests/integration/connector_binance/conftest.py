"""The Binance connector against the real sandbox's Binance port on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from perpdesk.core.models import Credentials
from perpdesk.exchanges.binance import BinanceFuturesConnector
from tests.fixtures.binance import BinanceSandbox

MakeCreds = Callable[..., Credentials]


def ws_url(sandbox: BinanceSandbox) -> str:
    return sandbox.url.replace("http://", "ws://")


@pytest.fixture
async def connector(binance_sandbox: BinanceSandbox) -> AsyncIterator[BinanceFuturesConnector]:
    conn = BinanceFuturesConnector(
        binance_sandbox.url, ws_url=ws_url(binance_sandbox), timeout_s=5, settle_delay_s=0.05
    )
    yield conn
    await conn.aclose()


@pytest.fixture
def make_creds(binance_sandbox: BinanceSandbox) -> MakeCreds:
    """A fresh sandbox user (10 000 USDT) and Binance key: make_creds(permissions=..., ip=...)."""

    def make(usdt: str = "10000", **key_kw: Any) -> Credentials:
        client = binance_sandbox.client(usdt, **key_kw)
        make.client = client  # type: ignore[attr-defined]
        return Credentials(client.api_key, client.secret)

    return make
