"""Helpers for the connector's tests against the real sandbox on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import pytest

from perpdesk.core.models import Credentials
from perpdesk.exchanges.bitmart import BitmartFuturesConnector


@pytest.fixture
async def connector(sandbox: Any) -> AsyncIterator[BitmartFuturesConnector]:
    conn = BitmartFuturesConnector(sandbox.base_url, ws_url=sandbox.ws_url, timeout_s=5)
    yield conn
    await conn.aclose()


MakeCreds = Callable[..., Credentials]


@pytest.fixture
def make_creds(sandbox: Any) -> MakeCreds:
    """A fresh sandbox user and key: make_creds(permissions=..., ip=..., whitelisted=...)."""

    def make(
        permissions: Iterable[str] = ("future_trade",),
        ip: Iterable[str] | None = ("127.0.0.1",),
        whitelisted: bool = True,
        memo: str = "perpdesk-memo",
        futures_usdt: str = "10000",
    ) -> Credentials:
        user = sandbox.admin.create_user(whitelisted=whitelisted, futures_deposit={"USDT": futures_usdt})
        key = sandbox.admin.create_key(user["email"], memo=memo, permissions=permissions, ip=ip)
        creds = Credentials(key["api_key"], key["secret_key"], key["memo"])
        make.last_user = user  # type: ignore[attr-defined]
        return creds

    return make
